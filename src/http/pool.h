/*
 * pool.h - the bounded handler-thread pool.
 *
 * A fixed set of threads runs submitted jobs. The number of jobs waiting for a
 * thread is bounded: a caller reserves a place with pool_reserve() before it
 * submits, and answers "busy" when no place is left. Submitters hand over jobs
 * in batches (one lock, one wake-up per idle thread needed). Idle threads are
 * woken last-idle-first, so a light load stays on few, cache-warm threads.
 *
 * The pool knows nothing about what a job does: job->run is called on a pool
 * thread with the thread's context, and is responsible for handing its result on.
 */
#ifndef ERP_HTTP_POOL_H
#define ERP_HTTP_POOL_H

typedef struct pool_job {
    struct pool_job *next;
    void (*run)(struct pool_job *job, void *thread_ctx);
} pool_job_t;

typedef struct pool pool_t;

/*
 * Starts nthreads threads. thread_init(i, ud) runs first on each thread and
 * returns its context (may be NULL); thread_fini(ctx, ud) runs when the pool is
 * destroyed. capacity bounds the jobs waiting. Returns NULL if a thread cannot start.
 */
pool_t *pool_create(int nthreads, int capacity, void *(*thread_init)(int idx, void *ud),
                    void (*thread_fini)(void *ctx, void *ud), void *ud);

/* Stops the threads after the queued jobs have run, and frees the pool. */
void pool_destroy(pool_t *p);

/* Takes one waiting place; returns 0, or -1 when the queue is full (nothing taken). Thread-safe. */
int pool_reserve(pool_t *p);

/* Gives back a place taken with pool_reserve() for a job that will not be submitted. */
void pool_unreserve(pool_t *p);

/* Queues a chain of n jobs (first..last linked by next), each with a place reserved. Thread-safe. */
void pool_submit(pool_t *p, pool_job_t *first, pool_job_t *last, int n);

/* Jobs waiting for a thread (reserved or queued), and threads running a job; for metrics. */
int pool_waiting(const pool_t *p);
int pool_busy(const pool_t *p);
int pool_threads(const pool_t *p);

#endif
