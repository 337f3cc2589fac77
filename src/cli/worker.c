/*
 * worker.c - `school-erp worker`: runs ERP_WORKER_CONCURRENCY job threads on
 * queue QUEUE_NAME (Redis with ERP_REDIS_URL, else the SQL queue on
 * ERP_DATABASE_URL), with /healthz and /metrics on ERP_WORKER_LISTEN; on
 * SIGTERM or SIGINT stops as worker_stop() describes and exits 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/app.h"
#include "cache/cache.h"
#include "cli/cli.h"
#include "core/log.h"
#include "jobs/jobs.h"
#include "mail/mail.h"
#include "obs/probe.h"
#include "obs/process.h"
#include "queue/setup.h"

static int stopping;

static int healthy(void *ud)
{
    (void)ud;
    return !__atomic_load_n(&stopping, __ATOMIC_ACQUIRE);
}

static int run(config_t *cfg, queue_t *q)
{
    char err[512];
    worker_config_t wc = {.concurrency = cfg->worker_concurrency, .maintain = mail_trim};
    if (worker_config_from_env(&wc, err, sizeof(err)) != 0) {
        fprintf(stderr, "school-erp worker: %s\n", err);
        return 2;
    }
    const char *listen = getenv("ERP_WORKER_LISTEN");
    probe_t *probe = probe_start(listen != NULL && *listen != '\0' ? listen : "127.0.0.1:9464", healthy, NULL, err,
                                 sizeof(err));
    if (probe == NULL) {
        fprintf(stderr, "school-erp worker: %s\n", err);
        return 1;
    }
    size_t nh;
    const job_handler_t *handlers = job_registry(cfg->test_routes, &nh);
    queue_worker_t *w = worker_start(q, app.store, handlers, nh, &wc, err, sizeof(err));
    if (w == NULL) {
        fprintf(stderr, "school-erp worker: %s\n", err);
        probe_stop(probe);
        return 1;
    }
    log_info("worker started", "queue=%s adapter=%s threads=%d port=%d", queue_name(q), queue_adapter(q),
             wc.concurrency, probe_port(probe));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    sigwait(&set, &sig);
    __atomic_store_n(&stopping, 1, __ATOMIC_RELEASE);
    log_info("worker signalled", "signal=%d", sig);
    int released = worker_stop(w);
    probe_stop(probe);
    if (released > 0) {
        /* threads of handlers that did not stop are still running: leave without unwinding them */
        fflush(stderr);
        _Exit(0);
    }
    return 0;
}

int cli_worker(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    /* every thread started from here on leaves SIGTERM and SIGINT to sigwait() above */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    config_t cfg;
    int rc = cli_open(&cfg);
    if (rc != 0)
        return rc;
    process_metrics_register();
    char err[512];
    /* the jobs' files (exports, registers, uploaded imports); the cache, so an import's invalidation reaches
       every API instance through Redis */
    app.blob = blob_open(cfg.blob_url, err, sizeof(err));
    if (app.blob == NULL || cache_setup(&cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "school-erp worker: %s\n", err);
        blob_close(app.blob);
        cli_close(&cfg);
        return 2;
    }
    queue_t *q = queue_setup(&cfg, app.store, err, sizeof(err));
    if (q == NULL) {
        fprintf(stderr, "school-erp worker: queue: %s\n", err);
        cli_close(&cfg);
        return 1;
    }
    app.queue = q; /* handlers enqueue too (mail.send of a reset link, an import's invitations) */
    rc = run(&cfg, q);
    queue_close(q);
    cache_shutdown();
    jobs_shutdown();
    blob_close(app.blob);
    app.blob = NULL;
    cli_close(&cfg);
    return rc;
}
