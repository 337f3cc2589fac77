/*
 * queue_int.h - what the queue's files share: the adapter port (a struct of
 * function pointers, like SQLite's sqlite3_io_methods), the common head of
 * every adapter's queue, and the pure helpers both adapters use (ids, lock
 * tokens, backoff with jitter, a job's API rendering). Not for use outside
 * src/queue/.
 *
 * An adapter's queue struct starts with `queue_t base;` whose ops point at its
 * static const queue_ops_t; queue.c checks arguments, then calls through ops.
 * Adapters report failures with queue_set_error() and return -1 (or a QUEUE_*
 * code); the message is per thread (queue_error()).
 */
#ifndef ERP_QUEUE_QUEUE_INT_H
#define ERP_QUEUE_QUEUE_INT_H
#include <stdbool.h>
#include <stdint.h>

#include "queue/queue.h"

#define QUEUE_NAME_MAX 64
/* The reason a job fails with when it stalled more than max_stalled times. */
#define QUEUE_STALLED_REASON "stalled"

typedef struct queue_ops {
    const char *name; /* "redis", "sql" */
    /* db: the caller's open transaction (queue_enqueue_in), or NULL (the adapter's own). The spec is
     * checked (queue_spec_check) and its defaults filled (attempts, backoff_ms) before the call. */
    int (*enqueue)(queue_t *q, struct db *db, const job_spec_t *spec, char id[QUEUE_ID_MAX], int *existed);
    int (*fetch)(queue_t *q, job_t *job, int64_t *wait_ms);
    int (*renew)(queue_t *q, const job_t *job);
    int (*progress)(queue_t *q, const job_t *job, int pct); /* pct already clamped to 0..100 */
    int (*complete)(queue_t *q, const job_t *job, const char *result);
    /* The backoff delay is the adapter's to compute with queue_backoff_ms(). */
    int (*fail)(queue_t *q, const job_t *job, const char *reason, bool retry);
    int (*cancel)(queue_t *q, const char *tenant_id, const char *id);
    int (*get)(queue_t *q, const char *tenant_id, const char *id, json_t **out);
    /* after: NULL (from the newest) or a checked cursor; fills *next as queue_list() says (next->id zeroed before). */
    int (*list)(queue_t *q, const char *tenant_id, const char *owner_id, const queue_cursor_t *after, int limit,
                json_t **out, queue_cursor_t *next);
    int (*counts)(queue_t *q, long long counts[6], int64_t *oldest_wait_ms);
    int (*sweep_stalled)(queue_t *q);
    int (*promote_delayed)(queue_t *q);
    int (*trim)(queue_t *q);
    /* Frees the adapter's queue (base included). */
    void (*close)(queue_t *q);
    /* Optional (NULL: queue_wait answers -1 and the caller sleeps): blocks at most ms, returning
     * early when a job may have become due. 0, or -1 when it could not wait. */
    int (*wait)(queue_t *q, int64_t ms);
    /* Optional (NULL: queue_complete then queue_fetch): both in one round trip; see queue_complete_fetch. */
    int (*complete_fetch)(queue_t *q, const job_t *job, const char *result, job_t *next, int *fetched,
                          int64_t *wait_ms);
    /* Optional (NULL: complete each, then fetch one): see queue_finish_fetch; ndone and max within
     * QUEUE_BATCH_MAX, spread >= 1; each done[i].rc filled when it returns 0. */
    int (*finish_fetch)(queue_t *q, queue_done_t *done, int ndone, job_t *next, int max, int spread, int *fetched,
                        int64_t *wait_ms);
    /* Optional (NULL: queue_release answers -1): see queue_release; n within QUEUE_BATCH_MAX. */
    int (*release)(queue_t *q, const job_t *jobs, int n);
} queue_ops_t;

/* The head of every adapter's queue; queue_base_init() fills it. */
struct queue {
    const queue_ops_t *ops;
    char name[QUEUE_NAME_MAX];
    queue_options_t opts;
    /* Counters for metrics, updated with relaxed atomics by the adapter (queue_stats()). */
    uint64_t limited;  /* fetches the limiter refused */
    uint64_t stalled;  /* jobs the stalled sweep requeued or failed */
    uint64_t retried;  /* failed attempts delayed for a retry */
};

/* Fills the head; -1 with a message in err when the name is empty, too long or not [A-Za-z0-9_.:-]. */
int queue_base_init(queue_t *q, const queue_ops_t *ops, const char *name, const queue_options_t *o, char *err,
                    size_t errlen);

/*
 * The Redis adapter (src/queue/redis.c): url is "redis://…" or "redis+cluster://…".
 * NULL with a message in err.
 */
queue_t *queue_redis_open(const char *url, const char *name, const queue_options_t *o, char *err, size_t errlen);

/* Records the calling thread's last failure (printf format); returns -1. */
int queue_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A new job id (UUIDv7) and a new lock token (QUEUE_TOKEN_MAX - 1 random hex digits from libsodium). */
void queue_new_id(char id[QUEUE_ID_MAX]);
void queue_new_token(char token[QUEUE_TOKEN_MAX]);
/* n new lock tokens at once (one read of the system's random source). */
void queue_new_tokens(char (*tokens)[QUEUE_TOKEN_MAX], int n);
/* A uniform number in [0, 1) from libsodium, for jitter. */
double queue_rand01(void);

/*
 * The delay before the retry that follows a failed attempt: base × 2^attempts_made
 * (attempts_made counts the attempts before the failed one: 0 → base), times
 * 0.75 + 0.5 × rand01 (±25 % jitter); at least 1 ms, at most 7 days. Pure.
 */
int64_t queue_backoff_ms(int64_t base, int attempts_made, double rand01);

/*
 * Checks a spec (tenant and type present and short enough, id at most
 * QUEUE_ID_MAX-1 of [A-Za-z0-9_.:-], payload a JSON object or array, delay,
 * priority and attempts in range) and writes into *out a copy whose
 * attempts / backoff_ms defaults come from o (payload NULL → "{}"). The strings stay the
 * caller's. -1 with queue_set_error() on a bad spec.
 */
int queue_spec_check(const job_spec_t *spec, const queue_options_t *o, job_spec_t *out);

/* A job's stored fields in the form the API renders (queue_job_json). */
typedef struct job_view {
    const char *id;
    const char *type;
    const char *owner_id; /* NULL or "" when none */
    job_state_t state;
    int progress; /* 0..100 */
    int attempts;
    int attempts_made;
    int64_t created_ms;  /* epoch ms */
    int64_t started_ms;  /* 0: not started */
    int64_t finished_ms; /* 0: not finished */
    const char *result;  /* JSON text or NULL */
    const char *error;   /* the failure reason or NULL */
} job_view_t;

/*
 * {id, type, state, progress, attempts, attemptsMade, ownerId, createdAt,
 * startedAt, finishedAt, result, error}: times RFC 3339 UTC with milliseconds,
 * absent keys when not yet/none; result parsed (kept as a string if not JSON).
 * A new reference, or NULL on out-of-memory.
 */
json_t *queue_job_json(const job_view_t *v);

#endif
