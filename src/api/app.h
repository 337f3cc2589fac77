/*
 * app.h - what the handlers share: the process-wide services (set up once by
 * main before serving, read-only afterwards) and each handler thread's own
 * resources.
 */
#ifndef ERP_API_APP_H
#define ERP_API_APP_H

#include "core/config.h"
#include "http/handler.h"
#include "store/store.h"

struct queue;

typedef struct app {
    const config_t *cfg;
    store_t *store;
    struct queue *queue; /* the job queue (src/queue/setup.h) */
} app_t;

/* The services; filled in by main before any request is served. */
extern app_t app;

/* A handler thread's resources. */
typedef struct worker {
    db_t *db;
    int idx;
} worker_t;

/* Pool thread set-up and tear-down (for server_opts_t). */
void *app_thread_init(int idx, void *ud);
void app_thread_fini(void *ctx, void *ud);

/* Resets per-request state of the thread's resources (dispatch's begin hook). */
void app_request_begin(req_t *r);
/*
 * Dispatch's end hook: rolls back and logs a transaction a handler left open
 * (a 500 then), and settles the request's Idempotency-Key. 0, or -1 when a
 * transaction was left open.
 */
int app_request_end(req_t *r);

/* The database session of the thread running r; NULL on an event loop (routes' loop functions). */
static inline db_t *req_db(req_t *r)
{
    return r->thread != NULL ? ((worker_t *)r->thread)->db : NULL; /* NULL on the event loop */
}

#endif
