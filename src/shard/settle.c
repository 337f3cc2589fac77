/*
 * settle.c - bringing a school's directory row, its catalog row and its shard in step after a write that spans
 * two clusters (see shard.h: shard_settle). The catalog decides what the school's row says; the shard's own
 * commit decides whether a pending school exists. Each step is idempotent and guarded by versions, so any
 * number of settlers, in any order, leave one truth.
 */
#include <stdio.h>
#include <string.h>

#include "cache/cache.h"
#include "core/log.h"
#include "shard/settle.h"
#include "shard/shard.h"

/* The school's directory row, held until the catalog's transaction ends; none when another writer holds it. */
static stmt_t Q_HOLD = STMT2("shards.hold", 0,
                             "SELECT d.shard, d.phase, d.copied_version, t.version FROM tenant_shards d"
                             " JOIN tenants t ON t.id = d.tenant_id WHERE d.tenant_id = $1",
                             "SELECT d.shard, d.phase, d.copied_version, t.version FROM tenant_shards d"
                             " JOIN tenants t ON t.id = d.tenant_id WHERE d.tenant_id = $1 FOR UPDATE OF d SKIP LOCKED");
static stmt_t Q_ON_SHARD = STMT("shards.created", 0, "SELECT 1 FROM tenants WHERE id = $1");
static stmt_t Q_ACTIVATE = STMT("shards.activate", 0,
                                "UPDATE tenant_shards SET phase = 'active',"
                                " copied_version = (SELECT version FROM tenants WHERE id = $1) WHERE tenant_id = $1");
static stmt_t Q_UNPLACE = STMT("shards.unplace", 0, "DELETE FROM tenant_shards WHERE tenant_id = $1");
static stmt_t Q_CATALOG_DELETE = STMT("shards.tenant_delete", 0, "DELETE FROM tenants WHERE id = $1");
static stmt_t Q_ROW = STMT("shards.tenant_row", 0,
                           "SELECT name, status, time_zone, currency, max_users, paper_size, version, updated_at"
                           " FROM tenants WHERE id = $1");
/* Never older over newer: the shard's row only moves forward in versions. */
static stmt_t Q_COPY = STMT("shards.tenant_copy", 0,
                            "UPDATE tenants SET name = $2, status = $3, time_zone = $4, currency = $5, max_users = $6,"
                            " paper_size = $7, version = $8, updated_at = $9 WHERE id = $1 AND version < $8");
static stmt_t Q_COPIED = STMT("shards.copied", 0,
                              "UPDATE tenant_shards SET copied_version = $2 WHERE tenant_id = $1 AND copied_version < $2");
static stmt_t Q_UNSETTLED = STMT("shards.unsettled", 0,
                                 "SELECT d.tenant_id FROM tenant_shards d JOIN tenants t ON t.id = d.tenant_id"
                                 " WHERE d.phase = 'pending' OR d.copied_version < t.version ORDER BY d.tenant_id");

static int failed(db_t *db, const char *tenant_id, const char *where)
{
    log_warn("school not brought in step", "school %s, %s: %s", tenant_id, where, db_error(db)->message);
    return -1;
}

int shard_abandon(db_t *catalog, const char *tenant_id, arena_t *a)
{
    return db_exec(catalog, &Q_UNPLACE, DB_ARGS(DB_TEXT(tenant_id)), a, NULL) != 0 ||
                   db_exec(catalog, &Q_CATALOG_DELETE, DB_ARGS(DB_TEXT(tenant_id)), a, NULL) != 0
               ? -1
               : 0;
}

int shard_activate(db_t *catalog, const char *tenant_id, arena_t *a)
{
    return db_exec(catalog, &Q_ACTIVATE, DB_ARGS(DB_TEXT(tenant_id)), a, NULL);
}

int shard_hold(db_t *catalog, const char *tenant_id, arena_t *a, db_result_t *row)
{
    return db_exec(catalog, &Q_HOLD, DB_ARGS(DB_TEXT(tenant_id)), a, row);
}

/* A pending school: its shard's commit decides. Made there: active; not made: the catalog's rows go. */
static int finish_create(db_t *catalog, db_t *shard, const char *tenant_id, arena_t *a)
{
    db_result_t res;
    if (db_exec(shard, &Q_ON_SHARD, DB_ARGS(DB_TEXT(tenant_id)), a, &res) != 0)
        return failed(shard, tenant_id, "its shard");
    if (res.nrows == 1)
        return shard_activate(catalog, tenant_id, a) != 0 ? failed(catalog, tenant_id, "the catalog") : 0;
    log_warn("school creation abandoned", "school %s was never made on its shard; its slug is free again", tenant_id);
    return shard_abandon(catalog, tenant_id, a) != 0 ? failed(catalog, tenant_id, "the catalog") : 0;
}

/* An active school whose shard has an older copy of its row: the catalog's row, then the mark. */
static int copy_row(db_t *catalog, db_t *shard, const char *tenant_id, arena_t *a)
{
    db_result_t row;
    if (db_exec(catalog, &Q_ROW, DB_ARGS(DB_TEXT(tenant_id)), a, &row) != 0)
        return failed(catalog, tenant_id, "the catalog");
    if (row.nrows != 1)
        return 0;
    db_arg_t args[9] = {DB_TEXT(tenant_id)};
    for (int c = 0; c < 8; c++)
        args[c + 1] = c == 4 || c >= 6 ? DB_INT(db_get_int(&row, 0, c)) : DB_TEXT(db_get(&row, 0, c));
    if (db_exec(shard, &Q_COPY, args, 9, a, NULL) != 0)
        return failed(shard, tenant_id, "its shard");
    if (db_exec(catalog, &Q_COPIED, DB_ARGS(DB_TEXT(tenant_id), args[7]), a, NULL) != 0)
        return failed(catalog, tenant_id, "the catalog");
    return 0;
}

static int settle_held(shard_sessions_t *ss, db_t *catalog, const char *tenant_id, arena_t *a, int *changed)
{
    db_result_t d;
    if (shard_hold(catalog, tenant_id, a, &d) != 0)
        return failed(catalog, tenant_id, "the catalog");
    if (d.nrows == 0)
        return 1; /* another writer holds it (or it is gone) */
    int i = shards_index(db_get(&d, 0, 0));
    if (i < 0) {
        log_error("school on an unknown shard", "school %s is on shard %s, which ERP_SHARDS does not name", tenant_id,
                  db_get(&d, 0, 0));
        return -1;
    }
    if (i == 0)
        return 0;
    db_t *shard = shard_sessions_get(ss, i);
    if (strcmp(db_get(&d, 0, 1), "pending") == 0) {
        *changed = 1;
        return finish_create(catalog, shard, tenant_id, a);
    }
    if (db_get_int(&d, 0, 2) >= db_get_int(&d, 0, 3))
        return 0;
    *changed = 1;
    return copy_row(catalog, shard, tenant_id, a);
}

int shard_settle(shard_sessions_t *ss, db_t *catalog, const char *tenant_id)
{
    if (ss == NULL)
        return 0;
    arena_t a;
    arena_init(&a);
    int changed = 0, rc = db_begin(catalog) != 0 ? failed(catalog, tenant_id, "the catalog") : 0;
    if (rc == 0)
        rc = settle_held(ss, catalog, tenant_id, &a, &changed);
    if (rc == 0 && db_commit(catalog) != 0)
        rc = failed(catalog, tenant_id, "the catalog");
    if (rc != 0 && db_in_transaction(catalog))
        db_rollback(catalog);
    if (rc == 0 && changed) {
        shard_invalidate(tenant_id);
        cache_invalidate_tenant(tenant_id); /* nothing read from the older copy outlives it */
    }
    arena_destroy(&a);
    return rc;
}

int shard_settle_all(shard_sessions_t *ss, db_t *catalog, int *settled, int *left)
{
    *settled = *left = 0;
    if (ss == NULL)
        return 0;
    arena_t a;
    arena_init(&a);
    db_result_t res;
    int rc = db_exec(catalog, &Q_UNSETTLED, DB_NOARGS, &a, &res);
    for (int row = 0; rc == 0 && row < res.nrows; row++) {
        if (shard_settle(ss, catalog, db_get(&res, row, 0)) == 0)
            ++*settled;
        else
            ++*left;
    }
    arena_destroy(&a);
    return rc;
}
