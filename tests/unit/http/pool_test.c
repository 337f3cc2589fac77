/* Tests of src/http/pool.c: every job runs once, per-thread contexts, the reservation bound. */
#include "../unit.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "http/pool.h"

enum { NTHREADS = 4, MAX_THREADS = 16 };

/* What thread_init returns: one per pool thread. */
typedef struct tctx {
    int idx;
    pthread_t self;
    int fini_calls;
    int jobs_run;
} tctx_t;

/* The ud given to pool_create: records the init/fini calls. */
typedef struct tracker {
    pthread_mutex_t mu;
    tctx_t ctx[MAX_THREADS];
    int init_calls;
    int init_seen[MAX_THREADS];
    int fini_calls;
    int wrong_ud;
} tracker_t;

static void *t_init(int idx, void *ud)
{
    tracker_t *t = ud;
    pthread_mutex_lock(&t->mu);
    t->init_calls++;
    if (idx >= 0 && idx < MAX_THREADS)
        t->init_seen[idx]++;
    pthread_mutex_unlock(&t->mu);
    tctx_t *c = &t->ctx[idx];
    c->idx = idx;
    c->self = pthread_self();
    return c;
}

static void t_fini(void *ctx, void *ud)
{
    tracker_t *t = ud;
    tctx_t *c = ctx;
    pthread_mutex_lock(&t->mu);
    t->fini_calls++;
    if (c < t->ctx || c >= t->ctx + MAX_THREADS || !pthread_equal(c->self, pthread_self()))
        t->wrong_ud++;
    else
        c->fini_calls++;
    pthread_mutex_unlock(&t->mu);
}

typedef struct counted_job {
    pool_job_t pj;
    int runs;      /* atomic */
    int wrong_ctx; /* the ctx given was not this thread's */
} counted_job_t;

static void count_run(pool_job_t *job, void *thread_ctx)
{
    counted_job_t *j = (counted_job_t *)job;
    tctx_t *c = thread_ctx;
    if (c == NULL || !pthread_equal(c->self, pthread_self()))
        j->wrong_ctx = 1;
    else
        c->jobs_run++; /* only this thread touches its ctx */
    __atomic_fetch_add(&j->runs, 1, __ATOMIC_RELAXED);
}

/* Reserves one place, waiting while the queue is full. */
static void reserve_wait(pool_t *p)
{
    while (pool_reserve(p) != 0)
        sched_yield();
}

/* Submits jobs[0..n) in batches of 1..maxbatch. */
static void submit_all(pool_t *p, counted_job_t *jobs, int n, int maxbatch)
{
    int i = 0, b = 1;
    while (i < n) {
        int k = b < n - i ? b : n - i;
        for (int x = 0; x < k; x++) {
            reserve_wait(p);
            jobs[i + x].pj.run = count_run;
            jobs[i + x].pj.next = x + 1 < k ? &jobs[i + x + 1].pj : (pool_job_t *)0x1; /* last's next is cleared */
        }
        pool_submit(p, &jobs[i].pj, &jobs[i + k - 1].pj, k);
        i += k;
        b = b % maxbatch + 1;
    }
}

static void every_job_runs_once(void **state)
{
    (void)state;
    enum { N = 10000 };
    tracker_t t = {.mu = PTHREAD_MUTEX_INITIALIZER};
    pool_t *p = pool_create(NTHREADS, 256, t_init, t_fini, &t);
    assert_non_null(p);
    assert_int_equal(pool_threads(p), NTHREADS);
    counted_job_t *jobs = calloc(N, sizeof(*jobs));
    assert_non_null(jobs);
    submit_all(p, jobs, N, 64);
    pool_destroy(p); /* runs what is queued, then stops */

    int total = 0;
    for (int i = 0; i < N; i++) {
        if (jobs[i].runs != 1)
            fail_msg("job %d ran %d times", i, jobs[i].runs);
        assert_false(jobs[i].wrong_ctx);
    }
    assert_int_equal(t.init_calls, NTHREADS);
    assert_int_equal(t.fini_calls, NTHREADS);
    assert_int_equal(t.wrong_ud, 0);
    for (int i = 0; i < NTHREADS; i++) {
        assert_int_equal(t.init_seen[i], 1);
        assert_int_equal(t.ctx[i].fini_calls, 1);
        total += t.ctx[i].jobs_run;
    }
    assert_int_equal(total, N);
    free(jobs);
}

typedef struct submitter {
    pool_t *p;
    counted_job_t *jobs;
    int n;
} submitter_t;

static void *submit_thread(void *arg)
{
    submitter_t *s = arg;
    submit_all(s->p, s->jobs, s->n, 17);
    return NULL;
}

static void concurrent_submitters(void **state)
{
    (void)state;
    enum { SUBMITTERS = 4, PER = 5000 };
    tracker_t t = {.mu = PTHREAD_MUTEX_INITIALIZER};
    pool_t *p = pool_create(3, 64, t_init, t_fini, &t);
    assert_non_null(p);
    counted_job_t *jobs = calloc(SUBMITTERS * PER, sizeof(*jobs));
    assert_non_null(jobs);
    pthread_t th[SUBMITTERS];
    submitter_t s[SUBMITTERS];
    for (int i = 0; i < SUBMITTERS; i++) {
        s[i] = (submitter_t){p, jobs + i * PER, PER};
        assert_int_equal(pthread_create(&th[i], NULL, submit_thread, &s[i]), 0);
    }
    for (int i = 0; i < SUBMITTERS; i++)
        pthread_join(th[i], NULL);
    pool_destroy(p);
    for (int i = 0; i < SUBMITTERS * PER; i++)
        if (jobs[i].runs != 1)
            fail_msg("job %d ran %d times", i, jobs[i].runs);
    assert_int_equal(t.init_calls, 3);
    assert_int_equal(t.fini_calls, 3);
    free(jobs);
}

static void without_init_and_fini(void **state)
{
    (void)state;
    pool_t *p = pool_create(2, 8, NULL, NULL, NULL);
    assert_non_null(p);
    counted_job_t jobs[5];
    memset(jobs, 0, sizeof(jobs));
    for (int i = 0; i < 5; i++) {
        assert_int_equal(pool_reserve(p), 0);
        jobs[i].pj.run = count_run;
        jobs[i].pj.next = i < 4 ? &jobs[i + 1].pj : NULL;
    }
    pool_submit(p, &jobs[0].pj, &jobs[4].pj, 5);
    pool_destroy(p);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(jobs[i].runs, 1);
        assert_true(jobs[i].wrong_ctx); /* the ctx is NULL without thread_init */
    }
}

static void reserve_is_bounded(void **state)
{
    (void)state;
    enum { CAP = 10 };
    pool_t *p = pool_create(2, CAP, NULL, NULL, NULL);
    assert_non_null(p);
    assert_int_equal(pool_waiting(p), 0);
    int got = 0;
    while (pool_reserve(p) == 0 && got < 1000)
        got++;
    assert_int_equal(got, CAP);
    assert_int_equal(pool_waiting(p), CAP);
    assert_int_equal(pool_reserve(p), -1); /* a failed reserve takes nothing */
    assert_int_equal(pool_waiting(p), CAP);
    pool_unreserve(p);
    assert_int_equal(pool_waiting(p), CAP - 1);
    assert_int_equal(pool_reserve(p), 0);
    assert_int_equal(pool_reserve(p), -1);
    for (int i = 0; i < CAP; i++)
        pool_unreserve(p);
    assert_int_equal(pool_waiting(p), 0);
    assert_int_equal(pool_busy(p), 0);
    pool_destroy(p);
}

/* Jobs that hold their thread until the gate opens. */
typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int open;
    int ran; /* atomic */
} gate_t;

typedef struct gated_job {
    pool_job_t pj;
    gate_t *g;
} gated_job_t;

static void gated_run(pool_job_t *job, void *ctx)
{
    (void)ctx;
    gate_t *g = ((gated_job_t *)job)->g;
    pthread_mutex_lock(&g->mu);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    __atomic_fetch_add(&g->ran, 1, __ATOMIC_RELAXED);
}

static void wait_until(pool_t *p, int busy, int waiting)
{
    for (int i = 0; i < 5000; i++) {
        if (pool_busy(p) == busy && pool_waiting(p) == waiting)
            return;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    fail_msg("busy %d waiting %d, expected %d and %d", pool_busy(p), pool_waiting(p), busy, waiting);
}

static void busy_and_waiting(void **state)
{
    (void)state;
    enum { THREADS = 3, CAP = 8, JOBS = 3 + 5 };
    gate_t g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    pool_t *p = pool_create(THREADS, CAP, NULL, NULL, NULL);
    assert_non_null(p);
    gated_job_t jobs[JOBS];
    for (int i = 0; i < JOBS; i++) {
        assert_int_equal(pool_reserve(p), 0);
        jobs[i].g = &g;
        jobs[i].pj.run = gated_run;
        jobs[i].pj.next = i + 1 < JOBS ? &jobs[i + 1].pj : NULL;
    }
    assert_int_equal(pool_waiting(p), JOBS);
    pool_submit(p, &jobs[0].pj, &jobs[JOBS - 1].pj, JOBS);
    /* every thread holds a job; the rest wait in the queue */
    wait_until(p, THREADS, JOBS - THREADS);
    /* 5 queued: 3 more places of 8; running jobs do not count */
    for (int i = 0; i < CAP - (JOBS - THREADS); i++)
        assert_int_equal(pool_reserve(p), 0);
    assert_int_equal(pool_reserve(p), -1);
    assert_int_equal(pool_waiting(p), CAP);
    for (int i = 0; i < CAP - (JOBS - THREADS); i++)
        pool_unreserve(p);

    pthread_mutex_lock(&g.mu);
    g.open = 1;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    wait_until(p, 0, 0);
    assert_int_equal(__atomic_load_n(&g.ran, __ATOMIC_RELAXED), JOBS);

    /* the pool keeps working after going idle */
    counted_job_t one = {{NULL, count_run}, 0, 0};
    assert_int_equal(pool_reserve(p), 0);
    pool_submit(p, &one.pj, &one.pj, 1);
    wait_until(p, 0, 0);
    pool_destroy(p);
    assert_int_equal(one.runs, 1);
}

/* pool_destroy while jobs are still queued runs them before stopping. */
static void destroy_drains_the_queue(void **state)
{
    (void)state;
    enum { JOBS = 200 };
    gate_t g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 1, 0};
    pool_t *p = pool_create(1, JOBS, NULL, NULL, NULL);
    assert_non_null(p);
    gated_job_t *jobs = calloc(JOBS, sizeof(*jobs));
    assert_non_null(jobs);
    for (int i = 0; i < JOBS; i++) {
        assert_int_equal(pool_reserve(p), 0);
        jobs[i].g = &g;
        jobs[i].pj.run = gated_run;
        jobs[i].pj.next = i + 1 < JOBS ? &jobs[i + 1].pj : NULL;
    }
    pool_submit(p, &jobs[0].pj, &jobs[JOBS - 1].pj, JOBS);
    pool_destroy(p);
    assert_int_equal(g.ran, JOBS);
    free(jobs);
}

static void create_and_destroy_idle(void **state)
{
    (void)state;
    for (int i = 0; i < 20; i++) {
        tracker_t t = {.mu = PTHREAD_MUTEX_INITIALIZER};
        pool_t *p = pool_create(1 + i % 4, 4, t_init, t_fini, &t);
        assert_non_null(p);
        pool_destroy(p);
        assert_int_equal(t.init_calls, 1 + i % 4);
        assert_int_equal(t.fini_calls, 1 + i % 4);
    }
    pool_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_job_runs_once),     cmocka_unit_test(concurrent_submitters),
        cmocka_unit_test(without_init_and_fini),   cmocka_unit_test(reserve_is_bounded),
        cmocka_unit_test(busy_and_waiting),        cmocka_unit_test(destroy_drains_the_queue),
        cmocka_unit_test(create_and_destroy_idle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
