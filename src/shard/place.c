/* place.c - where a new school goes, its registration in the directory, and keeping the catalog's copy of a
 * school's row and the shard's in step (see shard.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/common.h"
#include "auth/audit.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "shard/settle.h"
#include "shard/shard.h"

static stmt_t Q_COUNTS = STMT("shards.counts", 0,
                              "SELECT COALESCE(d.shard, 'main'), count(*) FROM tenants t"
                              " LEFT JOIN tenant_shards d ON d.tenant_id = t.id"
                              " WHERE t.id <> '00000000-0000-0000-0000-000000000000' GROUP BY COALESCE(d.shard, 'main')");
static stmt_t Q_CATALOG_INSERT = STMT("shards.tenant_insert", 0,
                                      "INSERT INTO tenants (id, slug, name, time_zone, currency, max_users, created_at,"
                                      " updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)");
static stmt_t Q_PLACE = STMT("shards.place", 0,
                             "INSERT INTO tenant_shards (tenant_id, shard, placed_at, phase) VALUES ($1, $2, $3, 'pending')");
static stmt_t Q_PENDING_SLUG = STMT("shards.pending_slug", 0,
                                    "SELECT t.id FROM tenants t JOIN tenant_shards d ON d.tenant_id = t.id"
                                    " WHERE t.slug = $1 AND d.phase = 'pending'");

/* The shard a new school goes to: the named one, ERP_SHARD_PLACEMENT's, or the least loaded; -1 with r's error. */
static int choose(req_t *r, db_t *catalog, const char *named)
{
    if (named == NULL)
        named = getenv("ERP_SHARD_PLACEMENT");
    if (named != NULL && *named != '\0') {
        int i = shards_index(named);
        return i >= 0 ? i : res_fail(r, ERR_NOT_FOUND, "No shard is named %s.", named);
    }
    db_result_t res;
    if (db_exec(catalog, &Q_COUNTS, DB_NOARGS, &r->arena, &res) != 0)
        return db_fail(r, catalog);
    const char *names[SHARD_MAX];
    long long counts[SHARD_MAX] = {0};
    int n = shards_count();
    for (int i = 0; i < n; i++)
        names[i] = shards_name(i);
    for (int row = 0; row < res.nrows; row++) {
        int i = shards_index(db_get(&res, row, 0));
        if (i >= 0)
            counts[i] = db_get_int(&res, row, 1);
    }
    return shard_place(names, counts, n);
}

typedef struct reg {
    req_t *r;
    const tenant_in_t *t;
    const char *id;
    const char *shard;
} reg_t;

/* The catalog's part: the school's row (slug unique across shards) and its directory entry. */
static int register_in_catalog(db_t *db, void *ctx)
{
    reg_t *g = ctx;
    int64_t now = (int64_t)clock_wall_ms();
    const tenant_in_t *t = g->t;
    if (db_exec(db, &Q_CATALOG_INSERT,
                DB_ARGS(DB_TEXT(g->id), DB_TEXT(t->slug), DB_TEXT(t->name), DB_TEXT(t->time_zone ? t->time_zone : "UTC"),
                        DB_TEXT(t->currency ? t->currency : "USD"), DB_INT(t->max_users > 0 ? t->max_users : 10000),
                        DB_INT(now)),
                &g->r->arena, NULL) != 0)
        return -1;
    audit_event_t e = {.tenant_id = PLATFORM_TENANT_ID,
                       .actor_id = g->r->auth.user_id[0] ? g->r->auth.user_id : NULL,
                       .actor_roles = g->r->auth.roles,
                       .action = "tenant.create",
                       .subject_type = "tenant",
                       .subject_id = g->id,
                       .detail = arena_printf(&g->r->arena, "%s on shard %s", t->slug, g->shard)};
    return db_exec(db, &Q_PLACE, DB_ARGS(DB_TEXT(g->id), DB_TEXT(g->shard), DB_INT(now)), &g->r->arena, NULL) != 0
               ? -1
               : audit_record(db, g->r, &e);
}

/* The catalog's first step: the school's rows, pending. A slug held by a pending school left behind by a
 * failure is settled first (made, or freed), then tried once more. 0, or -1 with r's error. */
static int reserve(req_t *r, shard_sessions_t *ss, db_t *catalog, reg_t *g)
{
    for (int attempt = 0;; attempt++) {
        if (db_transaction(catalog, register_in_catalog, g) == 0)
            return 0;
        if (db_error(catalog)->status != DB_UNIQUE)
            return db_fail(r, catalog);
        db_result_t res;
        if (attempt > 0 || db_exec(catalog, &Q_PENDING_SLUG, DB_ARGS(DB_TEXT(g->t->slug)), &r->arena, &res) != 0 ||
            res.nrows != 1 || shard_settle(ss, catalog, db_get(&res, 0, 0)) != 0)
            return duplicate(r, "slug", arena_printf(&r->arena, "slug %s is already used by another school", g->t->slug));
    }
}

/*
 * The shard's step, with the school's directory row held on the catalog meanwhile (a settler skips it), then
 * the catalog's last step in the same transaction: active when the shard made the school, its rows gone when
 * not. A failure of that last step leaves the school pending, which the next settle resolves from the shard.
 */
static int build(req_t *r, db_t *catalog, db_t *shard, const tenant_in_t *t, const user_in_t *admin,
                 char tenant_id[40], char admin_id[40])
{
    db_result_t held;
    if (db_begin(catalog) != 0 || shard_hold(catalog, t->id, &r->arena, &held) != 0) {
        db_rollback(catalog);
        return db_fail(r, catalog);
    }
    if (held.nrows != 1) { /* a settler took it meanwhile and found nothing on the shard: nothing was made */
        db_rollback(catalog);
        r->err.retry_after = 1;
        return res_fail(r, ERR_UNAVAILABLE, "The school could not be placed; try again.");
    }
    int made = identity_create_tenant(r, shard, t, admin, tenant_id, admin_id);
    int done = made == 0 ? shard_activate(catalog, t->id, &r->arena) : shard_abandon(catalog, t->id, &r->arena);
    if (done != 0 || db_commit(catalog) != 0) {
        db_rollback(catalog);
        log_error("school left pending", "school %s: %s (settled by its next request or `tenant repair`)", t->id,
                  db_error(catalog)->message);
        return made == 0 ? db_fail(r, catalog) : -1;
    }
    return made;
}

int shard_create_tenant(req_t *r, shard_sessions_t *ss, db_t *catalog, const tenant_in_t *t, const user_in_t *admin,
                        const char *shard, char tenant_id[40], char admin_id[40])
{
    int i = ss != NULL ? choose(r, catalog, shard) : 0;
    if (i < 0)
        return -1;
    if (ss == NULL && shard != NULL && strcmp(shard, SHARD_MAIN) != 0)
        return res_fail(r, ERR_NOT_FOUND, "No shard is named %s.", shard);
    if (i == 0)
        return identity_create_tenant(r, catalog, t, admin, tenant_id, admin_id);
    char id[40];
    ids_uuid7(id);
    reg_t g = {r, t, id, shards_name(i)};
    if (reserve(r, ss, catalog, &g) != 0)
        return -1;
    tenant_in_t placed = *t;
    placed.id = id;
    if (build(r, catalog, shard_sessions_get(ss, i), &placed, admin, tenant_id, admin_id) != 0)
        return -1;
    shard_invalidate(id);
    return 0;
}

static stmt_t Q_USERS = STMT("shards.user_count", STMT_READ, "SELECT count(*) FROM users WHERE tenant_id = $1");

long long shard_user_count(req_t *r, shard_sessions_t *ss, db_t *catalog, const char *tenant_id,
                           long long catalog_count)
{
    int i = ss != NULL ? shard_of(catalog, tenant_id) : 0;
    if (i == 0)
        return catalog_count;
    db_t *db = i > 0 ? shard_sessions_get(ss, i) : catalog;
    db_result_t res;
    if (i < 0 || db_exec(db, &Q_USERS, DB_ARGS(DB_TEXT(tenant_id)), &r->arena, &res) != 0 || res.nrows != 1) {
        log_warn("school's account count not read from its shard", "school %s: %s", tenant_id,
                 db_error(db)->message);
        return catalog_count;
    }
    return db_get_int(&res, 0, 0);
}

int shard_sync_tenant(req_t *r, shard_sessions_t *ss, db_t *catalog, const char *tenant_id)
{
    (void)r;
    if (ss == NULL || shard_of(catalog, tenant_id) <= 0)
        return 0;
    shard_invalidate(tenant_id); /* every instance reads the directory row again: it says a copy is owed */
    if (shard_settle(ss, catalog, tenant_id) != 0)
        log_warn("school row copy owed to its shard", "school %s: copied before its next request, or by `tenant repair`",
                 tenant_id);
    return 0;
}
