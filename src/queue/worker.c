/*
 * worker.c - job threads, the lock-renewal thread and the maintenance thread
 * of one queue (see worker.h), and the queue's metrics.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "obs/metrics.h"
#include "shard/shard.h"
#include "queue/worker.h"

/* Job durations from 1 ms to 10 min, in nanoseconds. */
static const hist_spec_t HIST_JOB = {
    14,
    {1000000, 5000000, 25000000, 100000000, 250000000, 500000000, 1000000000, 2500000000u, 5000000000u,
     10000000000u, 30000000000u, 60000000000u, 180000000000u, 600000000000u},
    1e9,
};

/* Jobs a thread fetches at once after a short job (its next fetch completes them all together). */
#define WORKER_BATCH 8
/* A job shorter than this (ns) lets its thread fetch a batch next; a longer one, one job. */
#define WORKER_QUICK_NS 5000000u
/* Jobs a thread holds (not started, or completed and not recorded) are given back about this long (ns)
 * after their fetch. */
#define WORKER_HOLD_NS 50000000u

struct job_ctx {
    queue_worker_t *w;
    pthread_t thread;
    db_t *db;     /* the session of the running job's school's shard */
    db_t *catalog; /* the session of ERP_DATABASE_URL */
    shard_sessions_t *shards; /* one per shard; NULL without ERP_SHARDS */
    /* Guards job while busy changes, and the held jobs: fetched and not started (held[at..nheld)),
     * and completed by their handler and not yet recorded (done[0..ndone)). The renewal thread
     * renews all of them, and gives them back when the running job keeps them waiting. */
    pthread_mutex_t mu;
    job_t job;
    int busy; /* atomic: a job is running */
    int lost; /* atomic: the lock is lost */
    uint64_t fetched_ns; /* when the held jobs were fetched (guarded by mu) */
    int quick;           /* the last job was short: fetch a batch next */
    job_t held[WORKER_BATCH];
    int at, nheld;
    job_t done[WORKER_BATCH];
    char *done_result[WORKER_BATCH]; /* JSON text or NULL */
    int ndone;
};

/* Per handler (and one more for unknown types): durations and outcomes. */
typedef struct type_stats {
    hist_t duration;
    uint64_t completed;
    uint64_t failed;
} type_stats_t;

struct queue_worker {
    queue_t *q;
    store_t *store;
    const job_handler_t *handlers;
    size_t nhandlers;
    worker_config_t cfg;
    pthread_mutex_t mu;
    pthread_cond_t cond; /* signalled when stopping */
    int failing;         /* atomic: the last queue call failed (logged once per outage) */
    int stopping;        /* atomic: no new fetches */
    int aborting;        /* atomic: the grace period is over */
    int nctx;
    job_ctx_t *ctx;
    pthread_t renewer, keeper;
    type_stats_t *stats; /* nhandlers + 1 */
};

db_t *job_db(job_ctx_t *ctx)
{
    return ctx->db;
}

db_t *job_db_for(job_ctx_t *ctx, const char *tenant_id)
{
    db_t *db = ctx->catalog != NULL ? shard_route(ctx->shards, ctx->catalog, tenant_id) : NULL;
    if (db != NULL)
        ctx->db = db;
    return db;
}

const job_t *job_current(const job_ctx_t *ctx)
{
    return &ctx->job;
}

bool job_should_stop(const job_ctx_t *ctx)
{
    return __atomic_load_n(&ctx->lost, __ATOMIC_ACQUIRE) || __atomic_load_n(&ctx->w->aborting, __ATOMIC_ACQUIRE);
}

int job_progress(job_ctx_t *ctx, int pct)
{
    int rc = queue_progress(ctx->w->q, &ctx->job, pct);
    if (rc == QUEUE_ELOCK)
        __atomic_store_n(&ctx->lost, 1, __ATOMIC_RELEASE);
    return rc == 0 ? 0 : -1;
}

int worker_active(const queue_worker_t *w)
{
    int n = 0;
    for (int i = 0; i < w->nctx; i++)
        n += __atomic_load_n(&w->ctx[i].busy, __ATOMIC_ACQUIRE);
    return n;
}

/* Logs the first failure of an outage and the recovery, not every failed call in between. */
static void note_outcome(queue_worker_t *w, int failed, const char *what)
{
    int was = __atomic_exchange_n(&w->failing, failed, __ATOMIC_ACQ_REL);
    if (failed && !was)
        log_warn("job queue unavailable", "queue=%s %s: %s", queue_name(w->q), what, queue_error(w->q));
    else if (!failed && was)
        log_info("job queue available again", "queue=%s", queue_name(w->q));
}

/* Waits up to ms on the worker's condition (woken early by stopping); returns whether stopping. */
static int nap(queue_worker_t *w, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&w->mu);
    while (!w->stopping && pthread_cond_timedwait(&w->cond, &w->mu, &ts) != ETIMEDOUT)
        ;
    int stopping = w->stopping;
    pthread_mutex_unlock(&w->mu);
    return stopping;
}

static size_t handler_index(const queue_worker_t *w, const char *type)
{
    for (size_t i = 0; i < w->nhandlers; i++)
        if (strcmp(w->handlers[i].type, type) == 0)
            return i;
    return w->nhandlers;
}

/* Runs the handler; returns JOB_* and fills result / reason. */
static int run_handler(job_ctx_t *ctx, size_t h, json_t **result, char *reason, size_t reasonlen)
{
    queue_worker_t *w = ctx->w;
    if (h == w->nhandlers) {
        snprintf(reason, reasonlen, "no handler for job type '%s'", ctx->job.type);
        return JOB_FATAL;
    }
    json_t *payload = json_loads(ctx->job.payload, 0, NULL);
    if (payload == NULL) {
        snprintf(reason, reasonlen, "the payload is not JSON");
        return JOB_FATAL;
    }
    if (ctx->catalog != NULL) {
        ctx->db = shard_route(ctx->shards, ctx->catalog, ctx->job.tenant_id);
        if (ctx->db == NULL) {
            ctx->db = ctx->catalog;
            json_decref(payload);
            snprintf(reason, reasonlen, "the school's shard is not known now (tenant directory)");
            return JOB_RETRY;
        }
        if (shard_routed_frozen()) {
            json_decref(payload);
            snprintf(reason, reasonlen, "the school is moving to another database cluster (writes paused)");
            return JOB_RETRY;
        }
    }
    int rc = w->handlers[h].fn(ctx, payload, result, reason, reasonlen);
    json_decref(payload);
    return rc;
}

static int record_and_fetch(job_ctx_t *ctx, int max, int64_t *wait_ms);

/* Records the outcome with the queue, unless the lock is lost: a completion with the thread's next
 * fetch (or when the renewal thread gives back what the thread holds), a failure at once. */
static void finish(job_ctx_t *ctx, size_t h, int outcome, json_t *result, const char *reason, uint64_t t0)
{
    queue_worker_t *w = ctx->w;
    type_stats_t *st = &w->stats[h];
    hist_observe(&st->duration, &HIST_JOB, clock_mono_ns() - t0);
    if (__atomic_load_n(&ctx->lost, __ATOMIC_ACQUIRE)) {
        log_warn("job lock lost; its outcome is dropped", "queue=%s job=%s type=%s", queue_name(w->q), ctx->job.id,
                 ctx->job.type);
        return;
    }
    int rc;
    if (outcome == JOB_DONE) {
        char *text = result != NULL ? json_dumps(result, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        if (result != NULL && text == NULL) {
            rc = queue_fail(w->q, &ctx->job, "out of memory", true);
        } else { /* recorded with the next fetch (or given back by the renewal thread) */
            pthread_mutex_lock(&ctx->mu);
            if (ctx->ndone == WORKER_BATCH) { /* not reached: a thread runs at most a batch between fetches */
                int64_t wait_ms;
                record_and_fetch(ctx, 0, &wait_ms);
            }
            ctx->done[ctx->ndone] = ctx->job;
            ctx->done[ctx->ndone].payload = NULL; /* the running job keeps it */
            ctx->done_result[ctx->ndone++] = text;
            pthread_mutex_unlock(&ctx->mu);
            rc = 0;
        }
        __atomic_fetch_add(&st->completed, 1, __ATOMIC_RELAXED);
    } else {
        rc = queue_fail(w->q, &ctx->job, reason[0] != '\0' ? reason : "failed", outcome == JOB_RETRY);
        __atomic_fetch_add(&st->failed, 1, __ATOMIC_RELAXED);
    }
    if (rc == QUEUE_ELOCK)
        log_warn("job lock lost before its outcome was recorded", "queue=%s job=%s", queue_name(w->q), ctx->job.id);
    else if (rc != 0)
        log_error("cannot record a job's outcome", "queue=%s job=%s: %s", queue_name(w->q), ctx->job.id,
                  queue_error(w->q));
}

/* Logs what recording completed jobs answered, and forgets them. ctx->mu held. */
static void forget_done(job_ctx_t *ctx, const queue_done_t *d)
{
    queue_worker_t *w = ctx->w;
    for (int i = 0; i < ctx->ndone; i++) {
        if (d[i].rc == QUEUE_ELOCK)
            log_warn("job lock lost before its outcome was recorded", "queue=%s job=%s", queue_name(w->q),
                     ctx->done[i].id);
        else if (d[i].rc != 0)
            log_error("cannot record a job's outcome", "queue=%s job=%s: %s", queue_name(w->q), ctx->done[i].id,
                      queue_error(w->q));
        free(ctx->done_result[i]);
        ctx->done_result[i] = NULL;
        job_clear(&ctx->done[i]);
    }
    ctx->ndone = 0;
}

/*
 * Records the completed jobs and fetches up to max more into held, which must be empty when max > 0
 * (0: fetches nothing, held stays as it is). ctx->mu held. 1 when jobs were fetched, 0 when none
 * (*wait_ms: when to look again), -1 when the queue failed.
 */
static int record_and_fetch(job_ctx_t *ctx, int max, int64_t *wait_ms)
{
    queue_worker_t *w = ctx->w;
    queue_done_t d[WORKER_BATCH];
    for (int i = 0; i < ctx->ndone; i++)
        d[i] = (queue_done_t){.job = &ctx->done[i], .result = ctx->done_result[i]};
    int fetched = 0;
    int rc = queue_finish_fetch(w->q, d, ctx->ndone, ctx->held, max, w->nctx, &fetched, wait_ms);
    forget_done(ctx, d);
    if (max > 0) {
        ctx->at = 0;
        ctx->nheld = rc == 0 ? fetched : 0;
        ctx->fetched_ns = clock_mono_ns();
    }
    return rc < 0 ? -1 : ctx->nheld > 0;
}

/* Gives back the held jobs not started; they stay held (and run) when the queue cannot take them. ctx->mu held. */
static void give_back_held(job_ctx_t *ctx)
{
    int n = ctx->nheld - ctx->at;
    if (n <= 0 || queue_release(ctx->w->q, ctx->held + ctx->at, n) < 0)
        return;
    for (int i = ctx->at; i < ctx->nheld; i++)
        job_clear(&ctx->held[i]);
    ctx->at = ctx->nheld = 0;
}

/* Records the completed jobs and gives back those not started (a long job runs, or the worker stops). ctx->mu held. */
static void give_back(job_ctx_t *ctx)
{
    int64_t wait_ms;
    if (ctx->ndone > 0)
        record_and_fetch(ctx, 0, &wait_ms);
    give_back_held(ctx);
}

/* Takes the next held job as the running one; whether there was one. */
static int start_held(job_ctx_t *ctx)
{
    pthread_mutex_lock(&ctx->mu);
    int any = ctx->at < ctx->nheld;
    if (any) {
        ctx->job = ctx->held[ctx->at];
        memset(&ctx->held[ctx->at], 0, sizeof(ctx->held[0]));
        if (++ctx->at == ctx->nheld)
            ctx->at = ctx->nheld = 0;
        __atomic_store_n(&ctx->lost, 0, __ATOMIC_RELEASE);
        __atomic_store_n(&ctx->busy, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&ctx->mu);
    return any;
}

static void run_one(job_ctx_t *ctx)
{
    size_t h = handler_index(ctx->w, ctx->job.type);
    json_t *result = NULL;
    char reason[512] = "";
    uint64_t t0 = clock_mono_ns();
    int outcome = run_handler(ctx, h, &result, reason, sizeof(reason));
    ctx->quick = outcome == JOB_DONE && clock_mono_ns() - t0 < WORKER_QUICK_NS;
    finish(ctx, h, outcome, result, reason, t0);
    json_decref(result);
}

/* No held job to run: records what completed and fetches; when nothing came, waits for a job at most
 * as long as the queue says. */
static void refill(job_ctx_t *ctx)
{
    queue_worker_t *w = ctx->w;
    int64_t wait_ms = w->cfg.poll_ms;
    pthread_mutex_lock(&ctx->mu);
    int rc = record_and_fetch(ctx, ctx->quick ? WORKER_BATCH : 1, &wait_ms);
    pthread_mutex_unlock(&ctx->mu);
    note_outcome(w, rc < 0, "fetch");
    if (rc == 1)
        return;
    if (rc < 0)
        wait_ms = 1000;
    int64_t ms = wait_ms < 1 ? 1 : wait_ms > w->cfg.poll_ms ? w->cfg.poll_ms : wait_ms;
    if (rc < 0 || queue_wait(w->q, ms) != 0) /* woken at once by a new job where the adapter can */
        nap(w, ms);
}

static void *job_thread(void *arg)
{
    job_ctx_t *ctx = arg;
    queue_worker_t *w = ctx->w;
    ctx->catalog = ctx->db = w->store != NULL ? store_session(w->store) : NULL;
    ctx->shards = ctx->catalog != NULL ? shard_sessions_new(ctx->catalog) : NULL;
    for (;;) {
        int stopping = __atomic_load_n(&w->stopping, __ATOMIC_ACQUIRE);
        if (stopping) { /* records the completions; the jobs not started wait for another worker */
            pthread_mutex_lock(&ctx->mu);
            give_back(ctx);
            pthread_mutex_unlock(&ctx->mu);
        }
        /* held jobs the queue could not take back while stopping run: they are this worker's already */
        if (!start_held(ctx)) {
            if (stopping)
                break;
            refill(ctx);
            continue;
        }
        run_one(ctx);
        pthread_mutex_lock(&ctx->mu);
        __atomic_store_n(&ctx->busy, 0, __ATOMIC_RELEASE);
        job_clear(&ctx->job);
        pthread_mutex_unlock(&ctx->mu);
    }
    shard_sessions_free(ctx->shards);
    db_close(ctx->catalog);
    ctx->db = ctx->catalog = NULL;
    ctx->shards = NULL;
    return NULL;
}

/* Sleeps ms in short steps; returns early (1) once the worker is shut down for good. */
static int sleep_unless_done(queue_worker_t *w, int64_t ms)
{
    uint64_t end = clock_mono_ns() + (uint64_t)ms * 1000000u;
    while (clock_mono_ns() < end) {
        if (__atomic_load_n(&w->aborting, __ATOMIC_ACQUIRE) == 2)
            return 1;
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
    return __atomic_load_n(&w->aborting, __ATOMIC_ACQUIRE) == 2;
}

/* Renews the held jobs' locks; a fetched job whose lock is lost (cancelled) is dropped unstarted. ctx->mu held. */
static void renew_held(queue_worker_t *w, job_ctx_t *ctx)
{
    int kept = ctx->at;
    for (int i = ctx->at; i < ctx->nheld; i++) {
        if (queue_renew(w->q, &ctx->held[i]) == QUEUE_ELOCK)
            job_clear(&ctx->held[i]);
        else
            ctx->held[kept++] = ctx->held[i];
    }
    ctx->nheld = kept;
    if (ctx->at == ctx->nheld)
        ctx->at = ctx->nheld = 0;
    for (int i = 0; i < ctx->ndone; i++) /* a lost one is reported when recorded */
        queue_renew(w->q, &ctx->done[i]);
}

/*
 * Renews the lock of every running and held job every lock_ms / 3, also while stopping, until the
 * worker is done; and every 20 ms, gives back what a thread holds for more than WORKER_HOLD_NS after
 * its fetch (a slow job runs): completions are recorded, jobs not started go back to the wait set.
 */
static void *renew_thread(void *arg)
{
    queue_worker_t *w = arg;
    int64_t period = queue_options(w->q)->lock_ms / 3 > 0 ? queue_options(w->q)->lock_ms / 3 : 1;
    uint64_t last = clock_mono_ns();
    while (!sleep_unless_done(w, period < 20 ? period : 20)) {
        uint64_t now = clock_mono_ns();
        int renew = now - last >= (uint64_t)period * 1000000u;
        if (renew)
            last = now;
        for (int i = 0; i < w->nctx; i++) {
            job_ctx_t *ctx = &w->ctx[i];
            pthread_mutex_lock(&ctx->mu);
            if ((ctx->ndone > 0 || ctx->at < ctx->nheld) && now > ctx->fetched_ns + WORKER_HOLD_NS)
                give_back(ctx);
            if (renew && ctx->busy && !ctx->lost && queue_renew(w->q, &ctx->job) == QUEUE_ELOCK)
                __atomic_store_n(&ctx->lost, 1, __ATOMIC_RELEASE);
            if (renew)
                renew_held(w, ctx);
            pthread_mutex_unlock(&ctx->mu);
        }
    }
    return NULL;
}

/* The store's upkeep (cfg.maintain) on one shard's session; whether it failed. */
static int maintain_shard(queue_worker_t *w, db_t *db)
{
    if (db == NULL)
        return 1; /* the shard's session could not be made */
    long n = w->cfg.maintain(db);
    if (n < 0)
        log_warn("store upkeep failed", "queue=%s error=%s", queue_name(w->q), db_error(db)->message);
    else if (n > 0)
        log_info("store upkeep", "queue=%s rows=%ld", queue_name(w->q), n);
    return n < 0;
}

/* The store's upkeep on every shard (shards NULL: the catalog is the only one); whether any failed. */
static int maintain_store(queue_worker_t *w, db_t *db, shard_sessions_t *shards)
{
    if (db == NULL)
        return 0;
    if (shards == NULL)
        return maintain_shard(w, db);
    int failed = 0;
    for (int i = 0; i < shards->n; i++)
        failed = maintain_shard(w, shard_sessions_get(shards, i)) || failed;
    return failed;
}

/* The stalled sweep, delayed promotion and retention. */
static void *keeper_thread(void *arg)
{
    queue_worker_t *w = arg;
    const queue_options_t *o = queue_options(w->q);
    db_t *db = w->store != NULL && w->cfg.maintain != NULL ? store_session(w->store) : NULL;
    shard_sessions_t *shards = db != NULL ? shard_sessions_new(db) : NULL; /* mail lives on each school's shard */
    int64_t period = o->stalled_interval_ms < 1000 ? o->stalled_interval_ms : 1000;
    uint64_t last_trim = 0;
    do {
        int n = queue_sweep_stalled(w->q);
        if (n > 0)
            log_warn("stalled jobs requeued or failed", "queue=%s jobs=%d", queue_name(w->q), n);
        int failed = n < 0 || queue_promote_delayed(w->q) < 0;
        uint64_t now = clock_mono_ns();
        if (!failed && now - last_trim >= (uint64_t)o->stalled_interval_ms * 1000000u) {
            last_trim = now;
            failed = queue_trim(w->q) < 0;
            failed = maintain_store(w, db, shards) || failed;
        }
        note_outcome(w, failed, "maintenance");
    } while (!nap(w, period));
    shard_sessions_free(shards);
    db_close(db);
    return NULL;
}

/* Attempts this process finished, by job type and outcome (failed: retried or not), for failure ratios. */
static void render_attempts(sbuf_t *out, const queue_worker_t *w, const char *qn)
{
    metrics_family(out, "school_erp_job_attempts_total", "counter",
                   "Attempts finished by this process, by type and outcome.");
    for (size_t h = 0; h <= w->nhandlers; h++) {
        const char *type = h < w->nhandlers ? w->handlers[h].type : "unknown";
        const type_stats_t *st = &w->stats[h];
        const uint64_t counts[2] = {__atomic_load_n(&st->completed, __ATOMIC_RELAXED),
                                    __atomic_load_n(&st->failed, __ATOMIC_RELAXED)};
        static const char *const outcomes[2] = {"completed", "failed"};
        for (int o = 0; o < 2; o++)
            sbuf_printf(out, "school_erp_job_attempts_total{queue=\"%s\",type=\"%s\",outcome=\"%s\"} %llu\n", qn, type,
                        outcomes[o], (unsigned long long)counts[o]);
    }
}

static void render_metrics(sbuf_t *out, void *ud)
{
    queue_worker_t *w = ud;
    const char *qn = queue_name(w->q);
    long long counts[6];
    int64_t oldest = 0;
    if (queue_counts(w->q, counts, &oldest) == 0) {
        metrics_family(out, "school_erp_jobs", "gauge", "Jobs of the queue by state.");
        for (int s = JOB_WAITING; s <= JOB_CANCELLED; s++) {
            sbuf_puts(out, "school_erp_jobs{queue=\"");
            metrics_label_value(out, qn);
            sbuf_printf(out, "\",state=\"%s\"} %lld\n", job_state_name((job_state_t)s), counts[s]);
        }
        metrics_family(out, "school_erp_queue_depth", "gauge", "Jobs waiting to start.");
        sbuf_puts(out, "school_erp_queue_depth{queue=\"");
        metrics_label_value(out, qn);
        sbuf_printf(out, "\"} %lld\n", counts[JOB_WAITING]);
        metrics_family(out, "school_erp_queue_oldest_waiting_seconds", "gauge", "Age of the oldest due job.");
        sbuf_puts(out, "school_erp_queue_oldest_waiting_seconds{queue=\"");
        metrics_label_value(out, qn);
        sbuf_printf(out, "\"} %.3f\n", (double)oldest / 1000.0);
    }
    queue_stats_t qs;
    queue_stats(w->q, &qs);
    static const struct {
        const char *name, *help;
        size_t off;
    } counters[] = {
        {"school_erp_job_retries_total", "Failed attempts delayed for a retry.", offsetof(queue_stats_t, retried)},
        {"school_erp_job_stalls_total", "Jobs this process's sweeps found stalled.", offsetof(queue_stats_t, stalled)},
        {"school_erp_queue_limiter_delays_total", "Fetches the limiter held back.", offsetof(queue_stats_t, limited)},
    };
    for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
        metrics_family(out, counters[i].name, "counter", counters[i].help);
        sbuf_printf(out, "%s{queue=\"", counters[i].name);
        metrics_label_value(out, qn);
        sbuf_printf(out, "\"} %llu\n", (unsigned long long)*(const uint64_t *)(const void *)((const char *)&qs + counters[i].off));
    }
    metrics_family(out, "school_erp_job_duration_seconds", "histogram", "Time handlers ran, by job type.");
    for (size_t h = 0; h <= w->nhandlers; h++) {
        char labels[160];
        snprintf(labels, sizeof(labels), "queue=\"%s\",type=\"%s\"", qn, h < w->nhandlers ? w->handlers[h].type : "unknown");
        hist_render(out, "school_erp_job_duration_seconds", labels, &w->stats[h].duration, &HIST_JOB);
    }
    render_attempts(out, w, qn);
}

static int start_threads(queue_worker_t *w)
{
    int started = 0;
    for (int i = 0; i < w->nctx; i++) {
        w->ctx[i].w = w;
        pthread_mutex_init(&w->ctx[i].mu, NULL);
        if (pthread_create(&w->ctx[i].thread, NULL, job_thread, &w->ctx[i]) != 0)
            return -1;
        started++;
    }
    if (pthread_create(&w->renewer, NULL, renew_thread, w) != 0 || pthread_create(&w->keeper, NULL, keeper_thread, w) != 0)
        return -1;
    return started;
}

queue_worker_t *worker_start(queue_t *q, store_t *store, const job_handler_t *handlers, size_t nhandlers,
                       const worker_config_t *cfg, char *err, size_t errlen)
{
    queue_worker_t *w = calloc(1, sizeof(*w));
    if (w == NULL || cfg->concurrency < 1) {
        snprintf(err, errlen, w == NULL ? "out of memory" : "a worker needs at least one thread");
        free(w);
        return NULL;
    }
    *w = (queue_worker_t){.q = q, .store = store, .handlers = handlers, .nhandlers = nhandlers, .cfg = *cfg,
                    .nctx = cfg->concurrency};
    if (w->cfg.poll_ms < 1)
        w->cfg.poll_ms = 250;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->ctx = calloc((size_t)w->nctx, sizeof(*w->ctx));
    w->stats = calloc(nhandlers + 1, sizeof(*w->stats));
    if (w->ctx == NULL || w->stats == NULL || start_threads(w) < 0) {
        /* threads that did start cannot be unwound safely: this only happens when the process is out of resources */
        snprintf(err, errlen, "cannot start the worker's threads");
        return NULL;
    }
    metrics_register(render_metrics, w);
    return w;
}

/* Fails what is still running after the grace period, with retry; returns how many. */
static int release_running(queue_worker_t *w)
{
    int n = 0;
    for (int i = 0; i < w->nctx; i++) {
        job_ctx_t *ctx = &w->ctx[i];
        pthread_mutex_lock(&ctx->mu);
        give_back(ctx);
        if (ctx->busy && !ctx->lost) {
            __atomic_store_n(&ctx->lost, 1, __ATOMIC_RELEASE); /* its own outcome, if it ever comes, is dropped */
            if (queue_fail(w->q, &ctx->job, "worker shut down", true) == 0)
                n++;
        }
        pthread_mutex_unlock(&ctx->mu);
    }
    return n;
}

static void wait_idle(queue_worker_t *w, int64_t ms)
{
    uint64_t end = clock_mono_ns() + (uint64_t)ms * 1000000u;
    struct timespec ts = {0, 20 * 1000000};
    while (worker_active(w) > 0 && clock_mono_ns() < end)
        nanosleep(&ts, NULL);
}

int worker_stop(queue_worker_t *w)
{
    pthread_mutex_lock(&w->mu);
    __atomic_store_n(&w->stopping, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mu);
    if (worker_active(w) > 0) /* an idle stop logs nothing: serve's last line stays "stopped" */
        log_info("job threads stopping", "queue=%s running=%d grace_ms=%lld", queue_name(w->q), worker_active(w),
                 (long long)w->cfg.grace_ms);
    wait_idle(w, w->cfg.grace_ms);
    int released = 0;
    if (worker_active(w) > 0) {
        __atomic_store_n(&w->aborting, 1, __ATOMIC_RELEASE);
        wait_idle(w, 1000);
        released = release_running(w);
    }
    __atomic_store_n(&w->aborting, 2, __ATOMIC_RELEASE);
    pthread_join(w->keeper, NULL);
    pthread_join(w->renewer, NULL);
    metrics_unregister(render_metrics, w);
    if (released > 0 || worker_active(w) > 0) {
        /* a handler that ignores job_should_stop() still runs: leave its thread, it can change nothing */
        log_warn("worker stopped with jobs released", "queue=%s released=%d", queue_name(w->q), released);
        return released;
    }
    for (int i = 0; i < w->nctx; i++)
        pthread_join(w->ctx[i].thread, NULL);
    free(w->ctx);
    free(w->stats);
    free(w);
    return 0;
}
