/*
 * queue_bench - no-op jobs through the school-erp queue on Redis, run by the worker loop
 * (src/queue/worker.h) as `school-erp worker` runs them; bench/queue/run compares it with
 * the bull package on the same server.
 *
 *   queue_bench throughput URL JOBS THREADS   enqueues JOBS, then times the worker (THREADS
 *                                             job threads) until all are completed:
 *                                             "jobs_per_s N enqueue_per_s M"
 *   queue_bench latency URL JOBS INTERVAL_MS  one worker thread, idle; a job every INTERVAL_MS,
 *                                             each carrying its enqueue time: "p50_ms X p99_ms Y"
 *
 * The limiter is off (the default 1000 jobs per 5 s would be what is measured); other options
 * are the defaults.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "queue/worker.h"

#define SCHOOL "0191c1a0-0000-7000-8000-000000000001"

static long done_jobs;
static double *latencies;
static long nlat;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(double ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)((ms - (double)(time_t)(ms / 1000) * 1000) * 1e6)};
    nanosleep(&ts, NULL);
}

static int noop(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen)
{
    (void)ctx, (void)result, (void)reason, (void)reasonlen;
    json_t *t = json_object_get(payload, "t");
    if (t != NULL) {
        long i = __atomic_fetch_add(&nlat, 1, __ATOMIC_RELAXED);
        latencies[i] = now_ms() - json_real_value(t);
    }
    __atomic_fetch_add(&done_jobs, 1, __ATOMIC_RELAXED);
    return JOB_DONE;
}

static const job_handler_t handlers[] = {{"bench.noop", noop}};

static queue_t *open_queue(const char *url)
{
    queue_options_t o;
    char name[40], err[256];
    queue_options_default(&o);
    o.limiter_max = 0;
    snprintf(name, sizeof(name), "bench-%ld", (long)getpid());
    queue_t *q = queue_open(url, name, &o, err, sizeof(err));
    if (q == NULL) {
        fprintf(stderr, "queue_open: %s\n", err);
        exit(1);
    }
    return q;
}

static void enqueue(queue_t *q, const char *payload)
{
    job_spec_t s = {.tenant_id = SCHOOL, .type = "bench.noop", .payload = payload};
    char id[QUEUE_ID_MAX];
    if (queue_enqueue(q, &s, id, NULL) != 0) {
        fprintf(stderr, "enqueue: %s\n", queue_error(q));
        exit(1);
    }
}

static queue_worker_t *start(queue_t *q, int threads)
{
    worker_config_t cfg = {.concurrency = threads, .grace_ms = 1000, .poll_ms = 250};
    char err[256];
    queue_worker_t *w = worker_start(q, NULL, handlers, 1, &cfg, err, sizeof(err));
    if (w == NULL) {
        fprintf(stderr, "worker_start: %s\n", err);
        exit(1);
    }
    return w;
}

/* Waits until the handler ran `jobs` times and the queue has nothing waiting or active. */
static void drain(queue_t *q, long jobs)
{
    long long c[6];
    int64_t oldest;
    for (;;) {
        if (__atomic_load_n(&done_jobs, __ATOMIC_RELAXED) >= jobs && queue_counts(q, c, &oldest) == 0 &&
            c[JOB_WAITING] + c[JOB_ACTIVE] == 0)
            return;
        sleep_ms(2);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: queue_bench throughput|latency URL JOBS THREADS|INTERVAL_MS\n");
        return 2;
    }
    const char *url = argv[2];
    long jobs = atol(argv[3]), arg = atol(argv[4]);
    queue_t *q = open_queue(url);
    if (strcmp(argv[1], "throughput") == 0) {
        double t0 = now_ms();
        for (long i = 0; i < jobs; i++)
            enqueue(q, "{}");
        double t1 = now_ms();
        queue_worker_t *w = start(q, (int)arg);
        drain(q, jobs);
        double t2 = now_ms();
        worker_stop(w);
        printf("jobs_per_s %.0f enqueue_per_s %.0f\n", jobs / ((t2 - t1) / 1000), jobs / ((t1 - t0) / 1000));
    } else {
        latencies = calloc((size_t)jobs, sizeof(double));
        if (latencies == NULL)
            return 1;
        queue_worker_t *w = start(q, 1);
        sleep_ms(500);
        for (long i = 0; i < jobs; i++) {
            char payload[64];
            snprintf(payload, sizeof(payload), "{\"t\":%.3f}", now_ms());
            enqueue(q, payload);
            sleep_ms((double)arg);
        }
        drain(q, jobs);
        worker_stop(w);
        qsort(latencies, (size_t)nlat, sizeof(double), cmp_double);
        printf("p50_ms %.2f p99_ms %.2f\n", latencies[nlat / 2], latencies[nlat * 99 / 100 < nlat ? nlat * 99 / 100 : nlat - 1]);
        free(latencies);
    }
    queue_close(q);
    return 0;
}
