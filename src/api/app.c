#include "api/app.h"

#include <stdlib.h>

#include "api/idempotency.h"
#include "api/invalidate.h"
#include "core/log.h"
#include "http/router.h"
#include "shard/shard.h"

app_t app;

void *app_thread_init(int idx, void *ud)
{
    (void)ud;
    worker_t *w = xcalloc(1, sizeof(*w));
    w->idx = idx;
    w->catalog = w->db = store_session(app.store);
    w->shards = shard_sessions_new(w->catalog);
    return w;
}

void app_thread_fini(void *ctx, void *ud)
{
    (void)ud;
    worker_t *w = ctx;
    if (w != NULL) {
        shard_sessions_free(w->shards);
        db_close(w->catalog);
        free(w);
    }
}

void app_request_begin(req_t *r)
{
    worker_t *w = r->thread;
    w->db = w->catalog;
    db_t *db = req_db(r);
    db_set_actor(db, NULL);
    /* a request that writes decides on what it reads: the primary, never a replica that may lag */
    db_read_primary(db, !(r->method & (HTTP_GET | HTTP_HEAD)));
}

int app_request_end(req_t *r)
{
    db_t *db = req_db(r);
    int rc = 0;
    if (db_in_transaction(db)) {
        log_error("transaction left open", "route %s request %s: rolled back",
                  r->route != NULL ? r->route->path : "?", r->request_id);
        db_rollback(db);
        if (r->err.code == ERR_NONE)
            res_fail(r, ERR_INTERNAL, "the handler left a transaction open; it was rolled back");
        rc = -1;
    }
    idempotency_end(r);
    if (rc == 0)
        invalidate_after(r);
    return rc;
}

/* Makes db the request's session (reads on the primary for a request that writes, as app_request_begin()). */
static void route_to(req_t *r, worker_t *w, db_t *db)
{
    if (db != w->db) {
        db_set_actor(db, NULL);
        db_read_primary(db, !(r->method & (HTTP_GET | HTTP_HEAD)));
        w->db = db;
    }
}

int app_find_on_shards(req_t *r, stmt_t *st, const db_arg_t *args, int nargs, db_result_t *res)
{
    worker_t *w = r->thread;
    if (w == NULL || w->shards == NULL) {
        db_t *db = req_db(r);
        return db_exec(db, st, args, nargs, &r->arena, res) == 0 ? 0 : db_fail(r, db);
    }
    for (int i = 0; i < w->shards->n; i++) {
        db_t *db = shard_sessions_get(w->shards, i);
        if (db_exec(db, st, args, nargs, &r->arena, res) != 0)
            return db_fail(r, db);
        if (res->nrows > 0) {
            route_to(r, w, db);
            return 0;
        }
    }
    return 0;
}

int app_route_tenant(req_t *r, const char *tenant_id)
{
    worker_t *w = r->thread;
    if (w == NULL || w->shards == NULL)
        return 0;
    db_t *db = shard_route(w->shards, w->catalog, tenant_id);
    if (db == NULL)
        return shard_fail(r, w->catalog);
    if (shard_routed_frozen() && !(r->method & (HTTP_GET | HTTP_HEAD)))
        return shard_freeze_fail(r); /* the school is moving: its writes wait, its reads go on */
    route_to(r, w, db);
    return 0;
}
