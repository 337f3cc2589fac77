/* tenants.c - /tenants: schools, managed by platform admins. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "cache/cache.h"
#include "auth/roles.h"
#include "auth/identity.h"
#include "auth/password.h"
#include "auth/sessions.h"
#include "core/clock.h"
#include "shard/shard.h"

#define TENANT_COLS                                                                                                    \
    "t.id, t.slug, t.name, t.status, t.time_zone, t.currency, t.max_users, t.version, t.created_at, t.updated_at,"     \
    " (SELECT count(*) FROM users u WHERE u.tenant_id = t.id), t.paper_size"
/* a school still pending on its shard (src/shard/settle.c) is not listed, read or changed until it is made */
#define NOT_PENDING "NOT EXISTS (SELECT 1 FROM tenant_shards p WHERE p.tenant_id = t.id AND p.phase = 'pending')"
#define NOT_PLATFORM "t.id <> '00000000-0000-0000-0000-000000000000' AND " NOT_PENDING

static stmt_t Q_GET = STMT("tenants.get", STMT_READ, "SELECT " TENANT_COLS " FROM tenants t WHERE t.id = $1 AND " NOT_PLATFORM);

/* Lists: filter by status ($1) and text ($2), keyset after ($3, $4), limit $5 (typed uses of a parameter first). */
#define LIST_SQL(search, col, cmp, dir)                                                                                \
    "SELECT " TENANT_COLS " FROM tenants t WHERE " NOT_PLATFORM " AND (t.status = $1 OR $1 IS NULL)"                   \
    " AND (" search " OR $2 IS NULL) AND ((" col ", t.id) " cmp " ($3, $4) OR $3 IS NULL)"                        \
    " ORDER BY " col " " dir ", t.id " dir " LIMIT $5"
#define SEARCH_SQLITE "(instr(lower(t.name), lower($2)) > 0 OR instr(t.slug, lower($2)) > 0)"
#define SEARCH_PG "(strpos(lower(t.name), lower($2)) > 0 OR strpos(t.slug, lower($2)) > 0)"
#define LIST_STMT(name, col, cmp, dir)                                                                                 \
    STMT2(name, STMT_READ, LIST_SQL(SEARCH_SQLITE, col, cmp, dir), LIST_SQL(SEARCH_PG, col, cmp, dir))

static const char *const sorts[] = {"name", "slug", "createdAt", NULL};
static const int sort_numeric[] = {0, 0, 1};
static stmt_t Q_LIST[3][2] = {
    {LIST_STMT("tenants.list_name", "t.name", ">", "ASC"), LIST_STMT("tenants.list_name_desc", "t.name", "<", "DESC")},
    {LIST_STMT("tenants.list_slug", "t.slug", ">", "ASC"), LIST_STMT("tenants.list_slug_desc", "t.slug", "<", "DESC")},
    {LIST_STMT("tenants.list_created", "t.created_at", ">", "ASC"),
     LIST_STMT("tenants.list_created_desc", "t.created_at", "<", "DESC")},
};
static const int sort_col[] = {2, 1, 8}; /* result column holding each sort key */

static stmt_t Q_UPDATE = STMT("tenants.update", 0,
                              "UPDATE tenants SET name = COALESCE($3, name), status = COALESCE($4, status),"
                              " time_zone = COALESCE($5, time_zone), currency = COALESCE($6, currency),"
                              " max_users = COALESCE($7, max_users), paper_size = COALESCE($9, paper_size), version = version + 1,"
                              " updated_at = $8"
                              " WHERE id = $1 AND version = $2 AND id <> '00000000-0000-0000-0000-000000000000'");
static stmt_t Q_EXISTS = STMT("tenants.exists", 0,
                              "SELECT t.version FROM tenants t WHERE t.id = $1 AND " NOT_PLATFORM);

static json_t *tenant_json(req_t *r, const db_result_t *res, int row)
{
    worker_t *w = r->thread;
    long long users = shard_user_count(r, w->shards, w->catalog, db_get(res, row, 0), db_get_int(res, row, 10));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:s,s:s,s:s}", "id", db_get(res, row, 0), "slug",
                     db_get(res, row, 1), "name", db_get(res, row, 2), "status", db_get(res, row, 3), "timeZone",
                     db_get(res, row, 4), "currency", db_get(res, row, 5), "maxUsers",
                     (json_int_t)db_get_int(res, row, 6), "userCount", (json_int_t)users,
                     "version", (json_int_t)db_get_int(res, row, 7), "createdAt",
                     iso_time(&r->arena, db_get_int(res, row, 8)), "updatedAt",
                     iso_time(&r->arena, db_get_int(res, row, 9)), "paperSize", db_get(res, row, 11));
}

/* Reads one school as JSON (and sets its ETag); 0, or -1 with 404 or a database error. */
static int load_tenant(req_t *r, const char *id, json_t **out)
{
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_GET, DB_ARGS(DB_TEXT(id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such school.");
    set_etag(r, db_get_int(&res, 0, 7));
    *out = tenant_json(r, &res, 0);
    return 0;
}

static int respond_tenant(req_t *r, const char *id, int status)
{
    json_t *doc;
    return load_tenant(r, id, &doc) != 0 ? -1 : res_json(r, status, doc);
}

static void read_settings(req_t *r, const char **tz, const char **currency, long long *max_users)
{
    if (body_string(r, "timeZone", 0, 1, 64, tz) == 1 && !valid_time_zone(*tz))
        res_field_error(r, "timeZone", "must be an IANA time zone name such as Europe/Paris, or UTC");
    if (body_string(r, "currency", 0, 3, 3, currency) == 1 && !valid_currency(*currency))
        res_field_error(r, "currency", "must be an ISO 4217 code such as USD");
    body_int(r, "maxUsers", 0, 1, 1000000, max_users);
}

int tenants_create(req_t *r)
{
    static const char *const fields[] = {"name", "slug", "timeZone", "currency", "maxUsers", "admin", NULL};
    static const char *const admin_fields[] = {"email", "password", "displayName", NULL};
    tenant_in_t t = {0};
    user_in_t admin = {0};
    body_only_fields(r, fields);
    body_string(r, "name", 1, 1, 200, &t.name);
    if (body_string(r, "slug", 1, 3, 63, &t.slug) == 1 && !valid_slug(t.slug))
        res_field_error(r, "slug", "must be 3-63 characters of a-z, 0-9 and '-', not starting or ending with '-'");
    read_settings(r, &t.time_zone, &t.currency, &t.max_users);
    json_t *a = json_object_get(r->json, "admin");
    char email[256];
    if (a == NULL || !json_is_object(a)) {
        res_field_error(r, "admin", a == NULL ? "is required" : "must be an object with email, password, displayName");
    } else {
        json_t *outer = r->json;
        r->json = a; /* read the nested object with the same helpers, naming fields admin.* */
        const char *key;
        json_t *v;
        json_object_foreach(a, key, v)
        {
            int known = 0;
            for (int i = 0; admin_fields[i] != NULL; i++)
                known |= strcmp(admin_fields[i], key) == 0;
            if (!known)
                res_field_error(r, arena_printf(&r->arena, "admin.%s", key), "is not a field of the admin");
        }
        int nerr = r->err.nfields;
        const char *raw_email = NULL;
        body_string(r, "email", 1, 3, 254, &raw_email);
        body_string(r, "password", 1, 1, 1024, &admin.password);
        body_string(r, "displayName", 1, 1, 200, &admin.display_name);
        if (raw_email != NULL && !valid_email(raw_email, email, sizeof(email)))
            res_field_error(r, "email", "must be an email address");
        const char *why = admin.password != NULL ? password_policy(admin.password, raw_email) : NULL;
        if (why != NULL)
            res_field_error(r, "password", "%s", why);
        for (int i = nerr; i < r->err.nfields; i++)
            r->err.fields[i].field = arena_printf(&r->arena, "admin.%s", r->err.fields[i].field);
        r->json = outer;
        admin.email = email;
    }
    if (res_check_fields(r) != 0)
        return -1;
    admin.roles = ROLE_ADMIN;
    char tenant_id[40], admin_id[40];
    worker_t *w = r->thread;
    if (shard_create_tenant(r, w->shards, w->catalog, &t, &admin, NULL, tenant_id, admin_id) != 0)
        return -1;
    json_t *doc;
    if (load_tenant(r, tenant_id, &doc) != 0)
        return -1;
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/tenants/%s", tenant_id));
    if (json_object_set_new(doc, "admin", json_pack("{s:s,s:s}", "id", admin_id, "email", email)) != 0) {
        json_decref(doc);
        return res_fail(r, ERR_INTERNAL, NULL);
    }
    return res_json(r, 201, doc);
}

int tenants_get(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    return respond_tenant(r, id, 200);
}

int tenants_list(req_t *r)
{
    page_t page;
    int desc;
    int sort = sort_read(r, sorts, 0, &desc);
    if (sort < 0 || page_read(r, &page) != 0)
        return -1;
    static const char *const statuses[] = {"active", "suspended", NULL};
    const char *status = req_query(r, "status");
    if (status != NULL && strcmp(status, statuses[0]) != 0 && strcmp(status, statuses[1]) != 0) {
        res_field_error(r, "status", "must be active or suspended");
        return res_check_fields(r);
    }
    const char *q = req_query(r, "q");
    if (q != NULL && (*q == '\0' || strlen(q) > 100)) {
        res_field_error(r, "q", "must be 1 to 100 characters");
        return res_check_fields(r);
    }
    db_arg_t key = page_key_arg(r, &page, sort_numeric[sort]);
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_LIST[sort][desc],
                DB_ARGS(DB_TEXT(status), DB_TEXT(q), key, page_id_arg(&page),
                        DB_INT(page.limit + 1)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    return res_json(r, 200, page_json(r, &res, page.limit, tenant_json, sort_col[sort], NULL));
}

int tenants_update(req_t *r)
{
    static const char *const fields[] = {"name", "status", "timeZone", "currency", "maxUsers", "paperSize", NULL};
    static const char *const statuses[] = {"active", "suspended", NULL};
    static const char *const papers[] = {"A4", "Letter", NULL};
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    const char *name = NULL, *tz = NULL, *currency = NULL;
    long long max_users = 0;
    int status = -1, paper = -1;
    body_only_fields(r, fields);
    body_string(r, "name", 0, 1, 200, &name);
    body_enum(r, "status", 0, statuses, &status);
    body_enum(r, "paperSize", 0, papers, &paper);
    read_settings(r, &tz, &currency, &max_users);
    if (res_check_fields(r) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_EXISTS, DB_ARGS(DB_TEXT(id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such school.");
    long long version = db_get_int(&res, 0, 0);
    if (if_match(r, version, "school") != 0)
        return -1;
    if (shard_frozen(((worker_t *)r->thread)->catalog, id))
        return shard_freeze_fail(r); /* moving: its row on the source cluster must not change now */
    if (patch_is_empty(r))
        return respond_tenant(r, id, 200);
    if (db_begin(db) != 0)
        return db_fail(r, db);
    if (db_exec(db, &Q_UPDATE,
                DB_ARGS(DB_TEXT(id), DB_INT(version), DB_TEXT(name), DB_TEXT(status >= 0 ? statuses[status] : NULL),
                        DB_TEXT(tz), DB_TEXT(currency), max_users > 0 ? DB_INT(max_users) : DB_NULL,
                        DB_INT(clock_wall_ms()), DB_TEXT(paper >= 0 ? papers[paper] : NULL)),
                &r->arena, &res) != 0)
        goto db_error;
    if (res.changes == 0) {
        db_rollback(db);
        return stale_write(r, "school");
    }
    audit_event_t e = {.tenant_id = PLATFORM_TENANT_ID,
                       .actor_id = r->auth.user_id,
                       .actor_roles = r->auth.roles,
                       .action = status == 1 ? "tenant.suspend" : status == 0 ? "tenant.update_status" : "tenant.update",
                       .subject_type = "tenant",
                       .subject_id = id};
    if (audit_record(db, r, &e) != 0 || db_commit(db) != 0)
        goto db_error;
    cache_invalidate_tenant(id); /* its status, name or time zone: every session check and document of the school */
    /* the catalog's row is the school's; a copy its shard cannot take now is owed, taken before its next request */
    shard_sync_tenant(r, ((worker_t *)r->thread)->shards, db, id);
    return respond_tenant(r, id, 200);
db_error:
    db_rollback(db);
    return db_fail(r, db);
}
