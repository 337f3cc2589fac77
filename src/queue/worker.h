/*
 * worker.h - the worker loop: threads that fetch jobs of one queue and run
 * their handlers, used by `school-erp worker` and inside `serve` (embedded
 * profile).
 *
 * A handler is looked up by the job's type in the table the caller gives
 * (job_registry()). It returns JOB_DONE (the job completes with *result, which
 * it may leave NULL), JOB_RETRY (this attempt failed with reason; retried with
 * backoff while attempts are left) or JOB_FATAL (failed for good). An unknown
 * type fails for good. Delivery is at least once: handlers are idempotent.
 *
 * A thread records a completed job with its next fetch (queue_finish_fetch: one
 * round trip), and after a job that ran under 5 ms it fetches a batch (up to 8,
 * fewer when few jobs wait: the worker's threads share them), runs them in turn
 * and records them together. Such held jobs (fetched and not started; completed
 * and not yet recorded) never wait long behind a slow one: 50 ms after the
 * fetch, the renewal thread records the thread's completions and gives its
 * unstarted jobs back (queue_release: waiting again, in their place).
 *
 * Locks of all running and held jobs of the process are renewed by one thread every
 * lock_ms / 3, so a handler that never yields (CPU-bound) keeps its lock. When a
 * renew says the lock is lost (expired and swept, or the job cancelled), the
 * job is flagged: job_should_stop() turns true and nothing the worker does with
 * the job afterwards changes it (the queue refuses with QUEUE_ELOCK). A
 * maintenance thread runs the stalled sweep, delayed promotion and retention
 * (of the queue's jobs, and cfg->maintain's of the store, e.g. mail_trim()).
 *
 * Stopping (worker_stop, on SIGTERM): no new fetches, held jobs not started are
 * given back (run if the queue cannot take them); running jobs get
 * grace_ms to finish; then job_should_stop() turns true for them and, after one
 * more second, those still running are released: failed with retry ("worker
 * shut down"), counting an attempt, so another worker takes them after the
 * backoff instead of after the lock expires and a stalled sweep.
 */
#ifndef ERP_QUEUE_WORKER_H
#define ERP_QUEUE_WORKER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "queue/queue.h"
#include "store/store.h"

enum { JOB_DONE = 0, JOB_RETRY = 1, JOB_FATAL = 2 };

typedef struct job_ctx job_ctx_t;
/* payload is borrowed; *result (new reference or NULL) is the worker's to free; reason is a buffer for failures. */
typedef int (*job_handler_fn)(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen);

typedef struct job_handler {
    const char *type;
    job_handler_fn fn;
} job_handler_t;

/* The handlers of this build: the product's, and the test job types (test.*) when with_test. */
const job_handler_t *job_registry(bool with_test, size_t *n);

/* The thread's store session (NULL when the worker runs without a store): the job's school's shard (src/shard/). */
db_t *job_db(job_ctx_t *ctx);
/*
 * The session of the shard holding another school than the job's (a platform
 * job acting for a school), which job_db() returns from now on; NULL when the
 * tenant directory cannot be read.
 */
db_t *job_db_for(job_ctx_t *ctx, const char *tenant_id);
/* The job being run. */
const job_t *job_current(const job_ctx_t *ctx);
/* Reports progress 0..100; 0, or -1 when the lock is lost (then stop). */
int job_progress(job_ctx_t *ctx, int pct);
/* Whether the handler should give up now: lock lost, job cancelled, or the worker's grace period is over. */
bool job_should_stop(const job_ctx_t *ctx);

typedef struct worker_config {
    int concurrency;  /* threads running jobs */
    int64_t grace_ms; /* ERP_WORKER_GRACE_MS: how long stopping waits for running jobs */
    int64_t poll_ms;  /* the longest an idle thread waits before fetching again (SQL: other processes enqueue) */
    /* upkeep of the store the maintenance thread runs after each queue retention pass, with a session of its
       own (when the worker has a store); returns rows removed or -1 (logged). NULL: none */
    long (*maintain)(db_t *db);
} worker_config_t;

typedef struct queue_worker queue_worker_t;

/*
 * Starts the threads on queue q (which must outlive the worker); store may be
 * NULL (handlers then get no session). The handler table must outlive the
 * worker. NULL with a message in err.
 */
queue_worker_t *worker_start(queue_t *q, store_t *store, const job_handler_t *handlers, size_t nhandlers,
                       const worker_config_t *cfg, char *err, size_t errlen);
/* Stops as described above and frees the worker; returns how many jobs were released unfinished. */
int worker_stop(queue_worker_t *w);
/* Jobs running now. */
int worker_active(const queue_worker_t *w);

#endif
