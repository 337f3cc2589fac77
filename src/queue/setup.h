/*
 * setup.h - the process's queue and in-process workers from the configuration.
 *
 * The queue is Redis when ERP_REDIS_URL is set, else SQL on the process's
 * store; named QUEUE_NAME, timings from
 * ERP_QUEUE_* (queue_options_from_env). `serve` runs ERP_SERVE_WORKERS worker
 * threads (default 2; 0: none) on the SQL queue (the embedded profile);
 * `school-erp worker` runs ERP_WORKER_CONCURRENCY.
 */
#ifndef ERP_QUEUE_SETUP_H
#define ERP_QUEUE_SETUP_H
#include <stddef.h>

#include "core/config.h"
#include "queue/queue.h"
#include "queue/worker.h"
#include "store/store.h"

/* Opens the configured queue; NULL with a message in err. */
queue_t *queue_setup(const config_t *cfg, store_t *s, char *err, size_t errlen);

/* Reads ERP_WORKER_GRACE_MS and ERP_WORKER_POLL_MS into w (concurrency is the caller's); -1 with err on a bad value. */
int worker_config_from_env(worker_config_t *w, char *err, size_t errlen);

/* Threads `serve` runs on queue q: ERP_SERVE_WORKERS (default 2), 0 when the queue is Redis (separate workers). -1 on a bad value. */
int serve_workers(const queue_t *q, char *err, size_t errlen);

/*
 * For `serve`: opens the configured queue into *q and starts the in-process
 * workers on it (*w NULL when there are none), with the test job types when
 * the test routes are on. 0, or -1 with a message in err (nothing left open).
 */
int queue_serve_start(const config_t *cfg, store_t *s, queue_t **q, queue_worker_t **w, char *err, size_t errlen);

#endif
