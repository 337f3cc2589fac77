#include "http/pool.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/arena.h"

typedef struct worker {
    pthread_t tid;
    pthread_cond_t cv;
    int woken;
    int idx;
    struct pool *pool;
} worker_t;

struct pool {
    pthread_mutex_t mu;
    pool_job_t *head, *tail;
    worker_t **idle; /* stack of sleeping workers; top = most recently idle */
    int nidle;
    int stopping;
    int capacity;
    int waiting; /* atomic: reserved + queued */
    int busy;    /* atomic */
    int nthreads;
    worker_t *workers;
    void *(*init)(int, void *);
    void (*fini)(void *, void *);
    void *ud;
};

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    pool_t *p = w->pool;
    void *ctx = p->init != NULL ? p->init(w->idx, p->ud) : NULL;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->head == NULL && !p->stopping) {
            w->woken = 0;
            p->idle[p->nidle++] = w;
            while (!w->woken)
                pthread_cond_wait(&w->cv, &p->mu);
        }
        if (p->head == NULL)
            break; /* stopping and nothing left */
        pool_job_t *job = p->head;
        p->head = job->next;
        if (p->head == NULL)
            p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        __atomic_fetch_sub(&p->waiting, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&p->busy, 1, __ATOMIC_RELAXED);
        job->next = NULL;
        job->run(job, ctx);
        __atomic_fetch_sub(&p->busy, 1, __ATOMIC_RELAXED);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    if (p->fini != NULL)
        p->fini(ctx, p->ud);
    return NULL;
}

/* Wakes up to n idle workers, most recently idle first; called with the lock held. */
static void wake(pool_t *p, int n)
{
    while (n-- > 0 && p->nidle > 0) {
        worker_t *w = p->idle[--p->nidle];
        w->woken = 1;
        pthread_cond_signal(&w->cv);
    }
}

pool_t *pool_create(int nthreads, int capacity, void *(*thread_init)(int, void *), void (*thread_fini)(void *, void *),
                    void *ud)
{
    pool_t *p = xcalloc(1, sizeof(*p));
    pthread_mutex_init(&p->mu, NULL);
    p->capacity = capacity;
    p->nthreads = nthreads;
    p->idle = xcalloc((size_t)nthreads, sizeof(worker_t *));
    p->workers = xcalloc((size_t)nthreads, sizeof(worker_t));
    p->init = thread_init;
    p->fini = thread_fini;
    p->ud = ud;
    for (int i = 0; i < nthreads; i++) {
        worker_t *w = &p->workers[i];
        w->idx = i;
        w->pool = p;
        pthread_cond_init(&w->cv, NULL);
        if (pthread_create(&w->tid, NULL, worker_main, w) != 0) {
            p->nthreads = i;
            pool_destroy(p);
            return NULL;
        }
    }
    return p;
}

void pool_destroy(pool_t *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    wake(p, p->nidle);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->workers[i].tid, NULL);
    for (int i = 0; i < p->nthreads; i++)
        pthread_cond_destroy(&p->workers[i].cv);
    pthread_mutex_destroy(&p->mu);
    free(p->idle);
    free(p->workers);
    free(p);
}

int pool_reserve(pool_t *p)
{
    int n = __atomic_add_fetch(&p->waiting, 1, __ATOMIC_RELAXED);
    if (n > p->capacity) {
        __atomic_fetch_sub(&p->waiting, 1, __ATOMIC_RELAXED);
        return -1;
    }
    return 0;
}

void pool_unreserve(pool_t *p)
{
    __atomic_fetch_sub(&p->waiting, 1, __ATOMIC_RELAXED);
}

void pool_submit(pool_t *p, pool_job_t *first, pool_job_t *last, int n)
{
    last->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->tail != NULL)
        p->tail->next = first;
    else
        p->head = first;
    p->tail = last;
    wake(p, n);
    pthread_mutex_unlock(&p->mu);
}

int pool_waiting(const pool_t *p)
{
    return __atomic_load_n(&p->waiting, __ATOMIC_RELAXED);
}

int pool_busy(const pool_t *p)
{
    return __atomic_load_n(&p->busy, __ATOMIC_RELAXED);
}

int pool_threads(const pool_t *p)
{
    return p->nthreads;
}
