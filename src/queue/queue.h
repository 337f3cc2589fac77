/*
 * queue.h - the job queue port: one API over Redis (production) and SQL (the
 * embedded profile, and any deployment without Redis).
 *
 * A job belongs to a school (tenant_id) and to the account that asked for it
 * (owner_id, may be empty for system jobs). It has a type (the handler's name,
 * "import.students"), a JSON payload, and moves through these states:
 *
 *   enqueue ──▶ waiting ◀──────────── delayed (delay, or a retry's backoff)
 *                  │ fetch (lock)          ▲
 *                  ▼                       │ fail with attempts left
 *                active ──▶ completed      │
 *                  │  └────────────────────┘
 *                  ├──▶ failed (reason: the handler's, or "stalled N times")
 *                  └──▶ cancelled (DELETE while waiting/delayed; an active job
 *                                  is marked and its next renew says so)
 *
 * Guarantees (both adapters, held by the contract suite tests/queue):
 * - Every state change is atomic (one Lua script on Redis, one transaction in SQL).
 * - fetch locks a job with a random token for lock_ms; renew, progress,
 *   complete and fail check the token and return QUEUE_ELOCK when the lock was
 *   lost (expired and taken by the stalled sweep, or the job cancelled): a
 *   worker that lost its lock changes nothing.
 * - The stalled sweep requeues active jobs whose lock expired, counting the
 *   stall; past max_stalled it fails them with the reason "stalled". It runs at
 *   most once per stalled_interval_ms across all workers of a queue.
 * - Delivery is at least once: handlers are idempotent.
 * - A job id given at enqueue de-duplicates: enqueueing an existing id returns
 *   the existing job (existed = 1) and changes nothing.
 * - The limiter (max jobs started per window, shared by every worker of the
 *   queue) delays fetch; fetch reports how long to wait.
 * - Completed and failed jobs are kept for keep_completed_ms / keep_failed_ms
 *   and at most keep_completed / keep_failed of each per queue, then removed.
 *   An adapter may trim in batches as jobs finish (Redis: a set may hold
 *   keep + keep / 32 jobs, at most 63 more, between batches); queue_trim is exact.
 * - Keys of a queue share one Redis hash tag ({q:<queue>}): every script touches
 *   one slot, in Cluster mode too.
 *
 * Errors: calls return 0 (or a documented count / QUEUE_* code) or -1 with a
 * message in the queue's last error (queue_error()).
 */
#ifndef ERP_QUEUE_QUEUE_H
#define ERP_QUEUE_QUEUE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define QUEUE_ID_MAX 64    /* job ids: UUIDv7 (36) or a caller's de-duplication id */
#define QUEUE_TOKEN_MAX 33 /* lock tokens: 32 hex digits */
#define QUEUE_TYPE_MAX 64
#define QUEUE_TENANT_MAX 40

enum {
    QUEUE_ELOCK = -2,     /* the caller no longer holds the job's lock: do nothing more with it */
    QUEUE_ENOTFOUND = -3, /* no such job in this school */
    QUEUE_ESTATE = -4,    /* the job's state does not allow it (cancel of a finished job) */
    QUEUE_ECURSOR = -5,   /* a list cursor this queue cannot have issued */
};

typedef enum {
    JOB_WAITING,
    JOB_DELAYED,
    JOB_ACTIVE,
    JOB_COMPLETED,
    JOB_FAILED,
    JOB_CANCELLED,
} job_state_t;

/* "waiting", "delayed", … and back; -1 for an unknown name. */
const char *job_state_name(job_state_t s);
int job_state_parse(const char *name);

/* Timings and limits of a queue; queue_options_default() gives the original design's values. */
typedef struct queue_options {
    int64_t lock_ms;             /* a fetched job's lock: 30000 */
    int64_t stalled_interval_ms; /* the stalled sweep's period: 30000 */
    int max_stalled;             /* stalls requeued before the job fails: 1 */
    int limiter_max;             /* jobs started per window across all workers: 1000 (0: no limit) */
    int64_t limiter_window_ms;   /* 5000 */
    int64_t keep_completed_ms;   /* age after which completed jobs are removed: 24 h */
    int keep_completed;          /* at most this many completed jobs kept per queue: 1000 */
    int64_t keep_failed_ms;      /* 7 days */
    int keep_failed;             /* 5000 */
    int default_attempts;        /* 3 */
    int64_t default_backoff_ms;  /* 1000: first retry after ~1 s, then 2 s, 4 s … (with ±25 % jitter) */
} queue_options_t;

void queue_options_default(queue_options_t *o);
/* Overrides defaults from ERP_QUEUE_LOCK_MS, ERP_QUEUE_STALLED_INTERVAL_MS, ERP_QUEUE_MAX_STALLED,
 * ERP_QUEUE_LIMIT_MAX, ERP_QUEUE_LIMIT_WINDOW_MS, ERP_QUEUE_KEEP_COMPLETED_MS, …; -1 with a message on a bad value. */
int queue_options_from_env(queue_options_t *o, char *err, size_t errlen);

/* What to enqueue. Strings are copied. */
typedef struct job_spec {
    const char *id;        /* de-duplication id, or NULL for a new UUIDv7 */
    const char *tenant_id; /* the school */
    const char *owner_id;  /* the account that asked, or NULL */
    const char *type;      /* the handler */
    const char *payload;   /* JSON text */
    int64_t delay_ms;      /* > 0: delayed until now + delay_ms */
    int priority;          /* higher runs first among waiting jobs; 0 is normal */
    int attempts;          /* 0: the queue's default_attempts */
    int64_t backoff_ms;    /* 0: the queue's default_backoff_ms */
} job_spec_t;

/* A job as a worker holds it after fetch. payload is malloc'd: free with job_clear(). */
typedef struct job {
    char id[QUEUE_ID_MAX];
    char tenant_id[QUEUE_TENANT_MAX];
    char owner_id[QUEUE_TENANT_MAX];
    char type[QUEUE_TYPE_MAX];
    char token[QUEUE_TOKEN_MAX];
    char *payload;
    int attempts_made; /* before this one */
    int attempts;      /* allowed in all */
} job_t;

void job_clear(job_t *j);

typedef struct queue queue_t;

/*
 * Opens queue `name` on the adapter the URL names: "redis://…" or
 * "redis+cluster://…" (Redis), "sql" (the process's store, see queue_open_sql).
 * NULL with a message in err.
 */
queue_t *queue_open(const char *url, const char *name, const queue_options_t *o, char *err, size_t errlen);
/* The SQL adapter over an open store (jobs table of migration 0008); the process's store outlives the queue. */
struct store;
queue_t *queue_open_sql(struct store *s, const char *name, const queue_options_t *o, char *err, size_t errlen);
void queue_close(queue_t *q);
const char *queue_name(const queue_t *q);
const char *queue_adapter(const queue_t *q); /* "redis" or "sql" */
const char *queue_error(const queue_t *q);    /* the last failure of the calling thread */
const queue_options_t *queue_options(const queue_t *q);

/* Whether a spec would be accepted (ids, type, payload, ranges): 0, or -1 with the reason in queue_error(). */
int queue_spec_valid(const job_spec_t *spec);

/* Enqueues; writes the job's id; *existed = 1 when the id was already there. 0 or -1. */
int queue_enqueue(queue_t *q, const job_spec_t *spec, char id[QUEUE_ID_MAX], int *existed);

/*
 * Enqueues inside the caller's open transaction on db (SQL adapter: the job
 * exists exactly when the business write commits; when db is another shard's
 * than the queue's, as on Redis). On Redis, where no
 * transaction spans both, it enqueues at once: call it last, just before the
 * commit, so a failed write leaves at most a job whose handler finds nothing to do.
 */
struct db;
int queue_enqueue_in(queue_t *q, struct db *db, const job_spec_t *spec, char id[QUEUE_ID_MAX], int *existed);

/*
 * Takes the next due job and locks it for lock_ms. Returns 1 (job filled), 0
 * (none due; *wait_ms says when to look again at the latest: the next delayed
 * job or the limiter's window), or -1.
 */
int queue_fetch(queue_t *q, job_t *job, int64_t *wait_ms);
/*
 * After a fetch that found nothing: waits at most ms (at most 1000) for a job to become due,
 * returning early when one is enqueued or requeued (Redis: a blocking pop on the queue's wake-up
 * list, so an idle worker starts a new job within a round trip). 0 once it waited; -1 when
 * this adapter cannot wait so (SQL) or Redis did not answer: the caller sleeps instead.
 */
int queue_wait(queue_t *q, int64_t ms);
/* Extends the lock; 0, QUEUE_ELOCK (lost or cancelled: stop the job), or -1. */
int queue_renew(queue_t *q, const job_t *job);
/* Progress 0..100; 0, QUEUE_ELOCK or -1. */
int queue_progress(queue_t *q, const job_t *job, int pct);
/* Completes with a JSON result (may be NULL); 0, QUEUE_ELOCK or -1. */
int queue_complete(queue_t *q, const job_t *job, const char *result);
/*
 * queue_complete, then, when it returned 0, queue_fetch into next: in one round trip where the
 * adapter can (Redis: one script), which is what a worker's loop does after each job. Returns
 * what queue_complete returns; *fetched is 1 when next was filled, else 0 with *wait_ms as
 * queue_fetch gives it (also 0 after a failed complete or fetch: the caller fetches as usual).
 */
int queue_complete_fetch(queue_t *q, const job_t *job, const char *result, job_t *next, int *fetched,
                         int64_t *wait_ms);
/* A job whose handler succeeded, for queue_finish_fetch. */
typedef struct queue_done {
    const job_t *job;
    const char *result; /* JSON text or NULL */
    int rc;             /* filled: what queue_complete would return (0, QUEUE_ELOCK, or -1) */
} queue_done_t;

#define QUEUE_BATCH_MAX 16 /* jobs one queue_finish_fetch completes, and fetches, at most */

/*
 * Completes done[0..ndone) (each one's rc as queue_complete would return it), then fetches up to
 * max jobs (0..QUEUE_BATCH_MAX) into next[], each locked with its own token, in one round trip
 * where the adapter can (Redis: one script). An adapter may fetch fewer than max: one at a time
 * (SQL), or, when few jobs wait, at most the waiting jobs / spread (at least one), so that spread
 * fetchers (a worker's threads) share them. *fetched: how many; when none, *wait_ms as queue_fetch
 * gives it. Jobs fetched beyond the first are held, not running: their locks must be renewed like a
 * running job's, and a holder that will not start them soon gives them back (queue_release).
 * 0, or -1 when the fetch failed or the queue did not answer (an rc of -1: that job's outcome is
 * not recorded; nothing fetched).
 */
int queue_finish_fetch(queue_t *q, queue_done_t *done, int ndone, job_t *next, int max, int spread, int *fetched,
                       int64_t *wait_ms);
/*
 * Gives back jobs this worker fetched and did not start: each whose lock its token still holds is
 * waiting again at the place it had (its priority band, its arrival order), with no attempt counted.
 * Returns how many were given back, or -1 (the adapter cannot: Redis did not answer, or SQL, which
 * never fetches more than one job at a time; the caller runs them).
 */
int queue_release(queue_t *q, const job_t *jobs, int n);
/*
 * Fails this attempt with a reason. With attempts left and retry set, the job
 * is delayed by backoff_ms × 2^attempts_made (±25 % jitter); otherwise it is
 * failed. 0, QUEUE_ELOCK or -1.
 */
int queue_fail(queue_t *q, const job_t *job, const char *reason, bool retry);
/* Cancels a waiting or delayed job (active: marked, the worker's next renew returns QUEUE_ELOCK).
 * 0, QUEUE_ENOTFOUND (not this school's), QUEUE_ESTATE (already finished), or -1. */
int queue_cancel(queue_t *q, const char *tenant_id, const char *id);

/*
 * A job as the API shows it: {id, type, state, progress, attempts, attemptsMade,
 * ownerId, createdAt, startedAt, finishedAt, result, error} (times RFC 3339 UTC,
 * absent when not yet). QUEUE_ENOTFOUND when the job is not this school's.
 */
int queue_get(queue_t *q, const char *tenant_id, const char *id, json_t **out);
/*
 * Where a page of queue_list ends: the last job's order key (the adapter's: its
 * creation time in ms on SQL, its school-index score on Redis) and its id. Jobs
 * are listed by (key, id) descending, a total order, so paging skips and repeats
 * nothing however many jobs are enqueued between pages (they are newer: they
 * come before the cursor). id "" means no cursor (from the newest / no more).
 */
typedef struct queue_cursor {
    int64_t key;
    char id[QUEUE_ID_MAX];
} queue_cursor_t;

/*
 * The school's jobs (only owner_id's when not NULL), newest first, at most limit
 * (1..1000), after the job `after` names (NULL or id "": from the newest): a JSON
 * array in *out. *next is the cursor of the page's last job when more jobs
 * follow it, else its id is "". A job removed (trimmed) between pages does not
 * disturb the cursor. 0, QUEUE_ECURSOR (key < 0 or an id no job can have), or -1.
 */
int queue_list(queue_t *q, const char *tenant_id, const char *owner_id, const queue_cursor_t *after, int limit,
               json_t **out, queue_cursor_t *next);

/* Counts per state, for metrics: counts[JOB_WAITING..JOB_CANCELLED]; *oldest_wait_ms the age of the oldest waiting job (0 if none). */
int queue_counts(queue_t *q, long long counts[6], int64_t *oldest_wait_ms);

/* What this process saw of the queue since it opened it, for metrics. */
typedef struct queue_stats {
    uint64_t limited; /* fetches the limiter held back */
    uint64_t stalled; /* jobs the stalled sweeps of this process requeued or failed */
    uint64_t retried; /* failed attempts delayed for a retry */
} queue_stats_t;
void queue_stats(const queue_t *q, queue_stats_t *out);

/* Maintenance, run by workers: the stalled sweep (skipped when another worker ran it within the interval),
 * promotion of due delayed jobs, and retention. Each returns how many jobs it moved, or -1. */
int queue_sweep_stalled(queue_t *q);
int queue_promote_delayed(queue_t *q);
int queue_trim(queue_t *q);

#endif
