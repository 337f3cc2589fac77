#include "auth/identity.h"

#include <stdio.h>
#include <string.h>

#include "api/common.h"
#include "auth/audit.h"
#include "auth/password.h"
#include "core/clock.h"
#include "core/ids.h"

static stmt_t Q_TENANT_INSERT = STMT("tenants.insert", 0,
                                     "INSERT INTO tenants (id, slug, name, time_zone, currency, max_users, created_at,"
                                     " updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)");
/* Locks the school row so concurrent creations see one user count (SQLite's write lock does this already). */
static stmt_t Q_TENANT_LOCK = STMT2("tenants.lock_for_users", 0, "SELECT max_users FROM tenants WHERE id = $1",
                                    "SELECT max_users FROM tenants WHERE id = $1 FOR UPDATE");
static stmt_t Q_USER_COUNT = STMT("users.count", 0, "SELECT count(*) FROM users WHERE tenant_id = $1");
static stmt_t Q_USER_INSERT = STMT("users.insert", 0,
                                   "INSERT INTO users (tenant_id, id, email, display_name, roles, password_hash,"
                                   " password_changed_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7,"
                                   " $7, $7)");

int identity_hash_password(req_t *r, const char *field, const char *pw, const char *email, char out[128])
{
    const char *why = password_policy(pw, email);
    if (why != NULL) {
        res_field_error(r, field, "%s", why);
        return res_check_fields(r);
    }
    if (password_hash(pw, out) != 0)
        return res_fail(r, ERR_UNAVAILABLE, "Not enough memory to hash the password; try again.");
    return 0;
}

typedef struct create_user {
    req_t *r;
    const char *tenant_id;
    const user_in_t *u;
    const char *hash;
    char *id;
    int limit_hit;
    int no_tenant;
} create_user_t;

static int insert_user(db_t *db, void *ctx)
{
    create_user_t *c = ctx;
    db_result_t res;
    if (db_exec(db, &Q_TENANT_LOCK, DB_ARGS(DB_TEXT(c->tenant_id)), &c->r->arena, &res) != 0)
        return -1;
    if (res.nrows == 0) {
        c->no_tenant = 1;
        return -1;
    }
    long long max = db_get_int(&res, 0, 0);
    if (db_exec(db, &Q_USER_COUNT, DB_ARGS(DB_TEXT(c->tenant_id)), &c->r->arena, &res) != 0)
        return -1;
    if (db_get_int(&res, 0, 0) >= max) {
        c->limit_hit = (int)max;
        return -1;
    }
    ids_uuid7(c->id);
    int64_t now = (int64_t)clock_wall_ms();
    if (db_exec(db, &Q_USER_INSERT,
                DB_ARGS(DB_TEXT(c->tenant_id), DB_TEXT(c->id), DB_TEXT(c->u->email), DB_TEXT(c->u->display_name),
                        DB_INT(c->u->roles), DB_TEXT(c->hash), DB_INT(now)),
                &c->r->arena, NULL) != 0)
        return -1;
    audit_event_t e = {.tenant_id = c->tenant_id,
                       .actor_id = c->r->auth.user_id[0] ? c->r->auth.user_id : NULL,
                       .actor_roles = c->r->auth.roles,
                       .action = "user.create",
                       .subject_type = "user",
                       .subject_id = c->id};
    return audit_record(db, c->r, &e);
}

int identity_insert_user(req_t *r, db_t *db, const char *tenant_id, const user_in_t *u, const char *hash,
                         char user_id[40], int *limit_hit)
{
    create_user_t c = {r, tenant_id, u, hash, user_id, 0, 0};
    int rc = insert_user(db, &c);
    *limit_hit = c.limit_hit;
    return rc;
}

static int user_create_failed(req_t *r, db_t *db, const create_user_t *c)
{
    if (c->no_tenant)
        return res_fail(r, ERR_NOT_FOUND, "No such school.");
    if (c->limit_hit)
        return res_fail(r, ERR_CONFLICT, "The school has reached its limit of %d users; raise maxUsers to add more.",
                        c->limit_hit);
    if (db_error(db)->status == DB_UNIQUE)
        return duplicate(r, "email",
                         arena_printf(&r->arena, "email %s is already used by another account of this school",
                                      c->u->email));
    return db_fail(r, db);
}

int identity_create_user(req_t *r, db_t *db, const char *tenant_id, const user_in_t *u, char user_id[40])
{
    char hash[PASSWORD_HASH_MAX];
    if (identity_hash_password(r, "password", u->password, u->email, hash) != 0)
        return -1;
    create_user_t c = {r, tenant_id, u, hash, user_id, 0, 0};
    if (db_transaction(db, insert_user, &c) != 0)
        return user_create_failed(r, db, &c);
    return 0;
}

typedef struct create_tenant {
    req_t *r;
    const tenant_in_t *t;
    char *tenant_id;
    create_user_t user;
} create_tenant_t;

static int insert_tenant(db_t *db, void *ctx)
{
    create_tenant_t *c = ctx;
    c->user.tenant_id = NULL; /* set once the school row exists (also on a retried attempt) */
    if (c->t->id != NULL)
        snprintf(c->tenant_id, 40, "%s", c->t->id);
    else
        ids_uuid7(c->tenant_id);
    int64_t now = (int64_t)clock_wall_ms();
    if (db_exec(db, &Q_TENANT_INSERT,
                DB_ARGS(DB_TEXT(c->tenant_id), DB_TEXT(c->t->slug), DB_TEXT(c->t->name),
                        DB_TEXT(c->t->time_zone ? c->t->time_zone : "UTC"),
                        DB_TEXT(c->t->currency ? c->t->currency : "USD"),
                        DB_INT(c->t->max_users > 0 ? c->t->max_users : 10000), DB_INT(now)),
                &c->r->arena, NULL) != 0)
        return -1;
    audit_event_t e = {.tenant_id = PLATFORM_TENANT_ID,
                       .actor_id = c->r->auth.user_id[0] ? c->r->auth.user_id : NULL,
                       .actor_roles = c->r->auth.roles,
                       .action = "tenant.create",
                       .subject_type = "tenant",
                       .subject_id = c->tenant_id,
                       .detail = c->t->slug};
    if (c->t->id == NULL && audit_record(db, c->r, &e) != 0)
        return -1;
    c->user.tenant_id = c->tenant_id;
    return insert_user(db, &c->user);
}

int identity_create_tenant(req_t *r, db_t *db, const tenant_in_t *t, const user_in_t *admin, char tenant_id[40],
                           char admin_id[40])
{
    char hash[PASSWORD_HASH_MAX];
    if (identity_hash_password(r, "admin.password", admin->password, admin->email, hash) != 0)
        return -1;
    create_tenant_t c = {r, t, tenant_id, {r, NULL, admin, hash, admin_id, 0, 0}};
    if (db_transaction(db, insert_tenant, &c) != 0) {
        if (db_error(db)->status == DB_UNIQUE && c.user.tenant_id == NULL)
            return duplicate(r, "slug", arena_printf(&r->arena, "slug %s is already used by another school", t->slug));
        return user_create_failed(r, db, &c.user);
    }
    return 0;
}
