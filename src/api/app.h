/*
 * app.h - what the handlers share: the process-wide services (set up once by
 * main before serving, read-only afterwards) and each handler thread's own
 * resources.
 */
#ifndef ERP_API_APP_H
#define ERP_API_APP_H

#include "blob/blob.h"
#include "core/config.h"
#include "http/handler.h"
#include "store/store.h"

struct queue;

typedef struct app {
    const config_t *cfg;
    store_t *store;
    struct queue *queue; /* the job queue (src/queue/setup.h) */
    blob_t *blob;        /* uploads' bytes (ERP_BLOB_URL); NULL in commands that keep no files */
} app_t;

/* The services; filled in by main before any request is served. */
extern app_t app;

/* A handler thread's resources. */
typedef struct worker {
    db_t *db;    /* the session of the request's school's shard (the catalog until routed) */
    db_t *catalog; /* the session of ERP_DATABASE_URL */
    struct shard_sessions *shards; /* one session per shard; NULL without ERP_SHARDS */
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

/*
 * Routes the request's database session to the shard holding tenant_id
 * (src/shard/shard.h); nothing to do without ERP_SHARDS. 0, or -1 with the
 * request's error set (503 when the directory cannot be read).
 */
int app_route_tenant(req_t *r, const char *tenant_id);

/*
 * For a request that learns its school from a row only its school's shard
 * holds (a link's token): runs a lookup on each shard in turn (main first)
 * until one returns rows, and routes the request there. Without ERP_SHARDS, one
 * db_exec(). 0 (res may have no rows), or -1 with the request's error set.
 */
int app_find_on_shards(req_t *r, stmt_t *st, const db_arg_t *args, int nargs, db_result_t *res);

/* The catalog's session of the thread running r (platform data, the tenant directory). */
static inline db_t *req_catalog(req_t *r)
{
    return r->thread != NULL ? ((worker_t *)r->thread)->catalog : NULL;
}

/* The database session of the thread running r; NULL on an event loop (routes' loop functions). */
static inline db_t *req_db(req_t *r)
{
    return r->thread != NULL ? ((worker_t *)r->thread)->db : NULL; /* NULL on the event loop */
}

#endif
