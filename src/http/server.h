/*
 * server.h - the HTTP server: h2o event loops, listeners, the hand-off of
 * requests to the handler pool and back, limits, access logs, metrics and the
 * graceful drain on SIGTERM/SIGINT. All use of h2o stays inside src/http/.
 */
#ifndef ERP_HTTP_SERVER_H
#define ERP_HTTP_SERVER_H

#include <stddef.h>

#include "core/config.h"
#include "http/router.h"

typedef struct server_opts {
    const config_t *cfg;
    const route_t *routes;
    size_t nroutes;
    /* Per handler-thread resources: init runs on each pool thread and returns its context. */
    void *(*thread_init)(int idx, void *ud);
    void (*thread_fini)(void *ctx, void *ud);
    void *ud;
} server_opts_t;

/*
 * Serves until SIGTERM or SIGINT, then drains: /readyz answers 503, listeners
 * close, requests in flight finish (at most cfg->drain_seconds). Returns the
 * process exit code: 0 after a drain, 1 when start-up failed (logged).
 */
int server_run(const server_opts_t *o);

/* Whether a drain has begun (for /readyz). */
int server_draining(void);

/* Handler threads configured, waiting jobs and busy threads (for /readyz and metrics). */
int server_pool_waiting(void);

#endif
