/* users.c - /users: a school's accounts, managed by its admins. */
#include <stdlib.h>
#include <string.h>

#include "api/accounts/accounts.h"
#include "api/api.h"
#include "api/app.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "auth/identity.h"
#include "auth/password.h"
#include "auth/roles.h"
#include "auth/throttle.h"
#include "core/clock.h"

#define USER_COLS                                                                                                      \
    "u.id, u.email, u.display_name, u.roles, u.status, u.last_login_at, u.version, u.created_at, u.updated_at,"        \
    " (SELECT lt.locked_until FROM tenants t JOIN login_throttle lt"                                                  \
    " ON lt.key = " THROTTLE_ACCOUNT_KEY("t.slug", "u.email") " WHERE t.id = u.tenant_id)"

static stmt_t Q_GET = STMT("users.get", STMT_READ, "SELECT " USER_COLS " FROM users u WHERE u.tenant_id = $1 AND u.id = $2");

/* Lists: role bits ($2), status ($3), text ($4), keyset after ($5, $6), limit $7 (typed uses of a parameter first). */
#define LIST_SQL(search, col, cmp, dir)                                                                                \
    "SELECT " USER_COLS " FROM users u WHERE u.tenant_id = $1 AND ($2 = 0 OR (u.roles & $2) <> 0)"                   \
    " AND (u.status = $3 OR $3 IS NULL) AND (" search " OR $4 IS NULL)"                                          \
    " AND ((" col ", u.id) " cmp " ($5, $6) OR $5 IS NULL) ORDER BY " col " " dir ", u.id " dir " LIMIT $7"
#define SEARCH_SQLITE "(instr(u.email, lower($4)) > 0 OR instr(lower(u.display_name), lower($4)) > 0)"
#define SEARCH_PG "(strpos(u.email, lower($4)) > 0 OR strpos(lower(u.display_name), lower($4)) > 0)"
#define LIST_STMT(name, col, cmp, dir)                                                                                 \
    STMT2(name, STMT_READ, LIST_SQL(SEARCH_SQLITE, col, cmp, dir), LIST_SQL(SEARCH_PG, col, cmp, dir))

static const char *const sorts[] = {"createdAt", "email", "displayName", NULL};
static const int sort_numeric[] = {1, 0, 0};
static const int sort_col[] = {7, 1, 2};
static stmt_t Q_LIST[3][2] = {
    {LIST_STMT("users.list_created", "u.created_at", ">", "ASC"),
     LIST_STMT("users.list_created_desc", "u.created_at", "<", "DESC")},
    {LIST_STMT("users.list_email", "u.email", ">", "ASC"), LIST_STMT("users.list_email_desc", "u.email", "<", "DESC")},
    {LIST_STMT("users.list_name", "u.display_name", ">", "ASC"),
     LIST_STMT("users.list_name_desc", "u.display_name", "<", "DESC")},
};

static stmt_t Q_UPDATE = STMT("users.update", 0,
                              "UPDATE users SET email = COALESCE($4, email), display_name = COALESCE($5, display_name),"
                              " roles = COALESCE($6, roles), status = COALESCE($7, status),"
                              " version = version + 1, updated_at = $8"
                              " WHERE tenant_id = $1 AND id = $2 AND version = $3");
static stmt_t Q_SLUG = STMT("tenants.slug", 0, "SELECT slug FROM tenants WHERE id = $1");
static stmt_t Q_REVOKE_ALL = STMT("sessions.revoke_user", 0,
                                  "UPDATE sessions SET status = 'revoked', revoked_reason = $3"
                                  " WHERE tenant_id = $1 AND user_id = $2 AND status = 'active'");

#define SCHOOL_ROLES ROLES_SCHOOL

/* An account's lockout on the catalog, where logins count failures (a school on another cluster has none of
 * those rows); the primary, since it decides whether the account can sign in. */
static stmt_t Q_LOCKED = STMT("users.locked_on_catalog", STMT_ACCESS,
                              "SELECT lt.locked_until FROM tenants t JOIN login_throttle lt ON lt.key = "
                              THROTTLE_ACCOUNT_KEY("t.slug", "$2") " WHERE t.id = $1");

/* Until when an account (row of res) is locked out: read with it, or from the catalog for a school elsewhere. */
static long long locked_until(req_t *r, const db_result_t *res, int row)
{
    db_t *catalog = req_catalog(r);
    if (catalog == NULL || catalog == req_db(r))
        return db_get_int(res, row, 9);
    db_result_t lt;
    if (db_exec(catalog, &Q_LOCKED, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(db_get(res, row, 1))), &r->arena,
                &lt) != 0 || lt.nrows == 0)
        return 0; /* shown unlocked; a failed read is logged by the store */
    return db_get_int(&lt, 0, 0);
}

static json_t *user_json(req_t *r, const db_result_t *res, int row)
{
    return json_pack("{s:s,s:s,s:s,s:o,s:s,s:b,s:o,s:I,s:s,s:s}", "id", db_get(res, row, 0), "email",
                     db_get(res, row, 1), "displayName", db_get(res, row, 2), "roles",
                     roles_json((unsigned)db_get_int(res, row, 3)), "status", db_get(res, row, 4), "locked",
                     locked_until(r, res, row) > (long long)clock_wall_ms(), "lastLoginAt",
                     json_time_or_null(&r->arena, db_get(res, row, 5)), "version",
                     (json_int_t)db_get_int(res, row, 6), "createdAt", iso_time(&r->arena, db_get_int(res, row, 7)),
                     "updatedAt", iso_time(&r->arena, db_get_int(res, row, 8)));
}

/* Reads one account of the caller's school into *res; 404 when there is none. */
static int load(req_t *r, const char *id, db_result_t *res)
{
    db_t *db = req_db(r);
    if (db_exec(db, &Q_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, res) != 0)
        return db_fail(r, db);
    if (res->nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such user.");
    return 0;
}

static int respond_user(req_t *r, const char *id, int status)
{
    db_result_t res;
    if (load(r, id, &res) != 0)
        return -1;
    set_etag(r, db_get_int(&res, 0, 6));
    return res_json(r, status, user_json(r, &res, 0));
}

void users_read_new(req_t *r, int need_password, user_in_t *u, char email[256])
{
    static const char *const fields[] = {"email", "displayName", "roles", "password", NULL};
    const char *raw = NULL;
    email[0] = '\0';
    body_only_fields(r, fields);
    if (body_string(r, "email", 1, 3, 254, &raw) == 1 && !valid_email(raw, email, 256))
        res_field_error(r, "email", "must be an email address");
    body_string(r, "displayName", 1, 1, 200, &u->display_name);
    body_roles(r, "roles", 1, SCHOOL_ROLES, &u->roles);
    if (body_string(r, "password", need_password, 1, 1024, &u->password) == 1) {
        const char *why = password_policy(u->password, raw != NULL ? raw : "");
        if (why != NULL)
            res_field_error(r, "password", "%s", why);
    }
    u->email = email;
}

int users_create(req_t *r)
{
    int invite = 0;
    if (json_object_get(r->json, "invite") != NULL) {
        body_bool(r, "invite", 1, &invite);
        json_object_del(r->json, "invite"); /* not a field of the account */
    }
    user_in_t u = {0};
    char email[256];
    const char *invited = NULL;
    if (invite) {
        if (users_invite(r, &invited) != 0)
            return -1;
        res_header(r, "location", arena_printf(&r->arena, "/api/v1/users/%s", invited));
        return respond_user(r, invited, 201);
    }
    users_read_new(r, 1, &u, email);
    if (res_check_fields(r) != 0)
        return -1;
    char id[40];
    if (identity_create_user(r, req_db(r), r->auth.tenant_id, &u, id) != 0)
        return -1;
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/users/%s", id));
    return respond_user(r, id, 201);
}

int users_get(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    return respond_user(r, id, 200);
}

int users_list(req_t *r)
{
    page_t page;
    int desc;
    int sort = sort_read(r, sorts, 0, &desc);
    if (sort < 0 || page_read(r, &page) != 0)
        return -1;
    unsigned role = 0;
    const char *v = req_query(r, "roles");
    if (v != NULL && ((role = role_parse(v)) == 0 || !(role & SCHOOL_ROLES)))
        res_field_error(r, "roles", "must be one of admin, teacher, staff, student, parent");
    const char *status = req_query(r, "status");
    if (status != NULL && strcmp(status, "active") != 0 && strcmp(status, "disabled") != 0)
        res_field_error(r, "status", "must be active or disabled");
    const char *q = req_query(r, "q");
    if (q != NULL && (*q == '\0' || strlen(q) > 100))
        res_field_error(r, "q", "must be 1 to 100 characters");
    if (res_check_fields(r) != 0)
        return -1;
    db_arg_t key = page_key_arg(r, &page, sort_numeric[sort]);
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_LIST[sort][desc],
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_INT(role), DB_TEXT(status), DB_TEXT(q), key,
                        page_id_arg(&page), DB_INT(page.limit + 1)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    return res_json(r, 200, page_json(r, &res, page.limit, user_json, sort_col[sort], NULL));
}

int users_update(req_t *r)
{
    static const char *const fields[] = {"email", "displayName", "roles", "status", "unlock", NULL};
    static const char *const statuses[] = {"active", "disabled", NULL};
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    const char *raw = NULL, *name = NULL;
    char email[256];
    unsigned roles = 0;
    int status = -1, unlock = 0;
    body_only_fields(r, fields);
    if (body_string(r, "email", 0, 3, 254, &raw) == 1 && !valid_email(raw, email, sizeof(email)))
        res_field_error(r, "email", "must be an email address");
    body_string(r, "displayName", 0, 1, 200, &name);
    int has_roles = body_roles(r, "roles", 0, SCHOOL_ROLES, &roles) == 1;
    body_enum(r, "status", 0, statuses, &status);
    body_bool(r, "unlock", 0, &unlock);
    if (strcmp(id, r->auth.user_id) == 0) {
        /* an admin cannot lock themselves out by accident */
        if (status == 1)
            res_field_error(r, "status", "you cannot disable your own account");
        if (has_roles && !(roles & ROLE_ADMIN))
            res_field_error(r, "roles", "you cannot remove your own admin role");
    }
    if (res_check_fields(r) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t before, res;
    if (load(r, id, &before) != 0)
        return -1;
    long long version = db_get_int(&before, 0, 6);
    if (if_match(r, version, "user") != 0)
        return -1;
    if (patch_is_empty(r))
        return respond_user(r, id, 200);
    int64_t now = (int64_t)clock_wall_ms();
    if (db_begin(db) != 0)
        return db_fail(r, db);
    if (db_exec(db, &Q_UPDATE,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_INT(version), DB_TEXT(raw != NULL ? email : NULL),
                        DB_TEXT(name), has_roles ? DB_INT(roles) : DB_NULL,
                        DB_TEXT(status >= 0 ? statuses[status] : NULL), DB_INT(now)),
                &r->arena, &res) != 0) {
        db_rollback(db);
        if (db_error(db)->status == DB_UNIQUE)
            return duplicate(r, "email",
                             arena_printf(&r->arena, "email %s is already used by another account of this school",
                                          email));
        return db_fail(r, db);
    }
    if (res.changes == 0) {
        db_rollback(db);
        return stale_write(r, "user");
    }
    unsigned old_roles = (unsigned)db_get_int(&before, 0, 3);
    const char *old_status = db_get(&before, 0, 4);
    const char *action = "user.update";
    if (status == 1 && strcmp(old_status, "disabled") != 0)
        action = "user.disable";
    else if (status == 0 && strcmp(old_status, "active") != 0)
        action = "user.enable";
    else if (has_roles && roles != old_roles)
        action = "user.roles_change";
    audit_event_t e = {.tenant_id = r->auth.tenant_id,
                       .actor_id = r->auth.user_id,
                       .actor_roles = r->auth.roles,
                       .action = action,
                       .subject_type = "user",
                       .subject_id = id,
                       .detail = has_roles && roles != old_roles
                                     ? arena_printf(&r->arena, "roles %u -> %u", old_roles, roles)
                                     : NULL};
    if (audit_record(db, r, &e) != 0)
        goto db_error;
    db_result_t slug;
    if (unlock && (db_exec(db, &Q_SLUG, DB_ARGS(DB_TEXT(r->auth.tenant_id)), &r->arena, &slug) != 0 ||
                   slug.nrows != 1 ||
                   throttle_clear(r, req_catalog(r), db_get(&slug, 0, 0), db_get(&before, 0, 1)) != 0))
        goto db_error;
    if (strcmp(action, "user.disable") == 0 &&
        db_exec(db, &Q_REVOKE_ALL, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT("account disabled")),
                &r->arena, NULL) != 0)
        goto db_error;
    if (db_commit(db) != 0)
        goto db_error;
    return respond_user(r, id, 200);
db_error:
    db_rollback(db);
    return db_fail(r, db);
}
