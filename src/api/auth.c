/* auth.c - /auth/login, /auth/refresh, /auth/logout, /auth/password and /me. */
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/sessions.h"
#include "api/cached.h"

int auth_login(req_t *r)
{
    static const char *const fields[] = {"tenant", "email", "password", NULL};
    const char *tenant = NULL, *email = NULL, *password = NULL;
    body_only_fields(r, fields);
    json_t *t = json_object_get(r->json, "tenant");
    if (t != NULL && !json_is_null(t) && !(json_is_string(t) && json_string_length(t) == 0))
        body_string(r, "tenant", 0, 1, 63, &tenant);
    body_string(r, "email", 1, 1, 254, &email);
    body_string(r, "password", 1, 1, 1024, &password);
    if (res_check_fields(r) != 0)
        return -1;
    char normalized[256];
    if (!valid_email(email, normalized, sizeof(normalized))) {
        res_field_error(r, "email", "must be an email address");
        return res_check_fields(r);
    }
    json_t *out = NULL;
    if (sessions_login(r, req_db(r), tenant, normalized, password, &out) != 0)
        return -1;
    res_header(r, "cache-control", "no-store");
    return res_json(r, 200, out);
}

int auth_refresh(req_t *r)
{
    static const char *const fields[] = {"refreshToken", NULL};
    const char *token = NULL;
    body_only_fields(r, fields);
    body_string(r, "refreshToken", 1, 1, 200, &token);
    if (res_check_fields(r) != 0)
        return -1;
    json_t *out = NULL;
    if (sessions_refresh(r, req_db(r), token, &out) != 0)
        return -1;
    res_header(r, "cache-control", "no-store");
    return res_json(r, 200, out);
}

int auth_logout(req_t *r)
{
    if (sessions_logout(r, req_db(r)) != 0)
        return -1;
    return res_empty(r, 204);
}

int auth_password(req_t *r)
{
    static const char *const fields[] = {"currentPassword", "newPassword", NULL};
    const char *current = NULL, *next = NULL;
    body_only_fields(r, fields);
    body_string(r, "currentPassword", 1, 1, 1024, &current);
    body_string(r, "newPassword", 1, 1, 1024, &next);
    if (res_check_fields(r) != 0)
        return -1;
    if (sessions_change_password(r, req_db(r), current, next) != 0)
        return -1;
    return res_empty(r, 204);
}

static int me_load(req_t *r);

static stmt_t Q_ME = STMT("users.me", STMT_READ,
                          "SELECT u.email, u.display_name, u.last_login_at, t.id, t.slug, t.name, t.time_zone,"
                          " t.currency, u.phone, u.preferred_language FROM users u JOIN tenants t ON t.id = u.tenant_id"
                          " WHERE u.tenant_id = $1 AND u.id = $2");

#define ME_TTL_MS 60000

/*
 * The document depends on the account and school rows (CACHE_ACCOUNT; a
 * login, an account change or the school's change invalidates it) and on
 * what the token and the session check say (in the key).
 */
/* The cache key of the caller's /me document. */
static const char *me_key(req_t *r)
{
    return arena_printf(&r->arena, "%s:%s:%lld:%u", r->auth.user_id, r->auth.session_id,
                        (long long)r->auth.expires_at, r->auth.roles);
}

int auth_me(req_t *r)
{
    cached_t c;
    if (cached_lookup(r, CACHE_ACCOUNT, me_key(r), &c, NULL) > 0)
        return 0;
    int rc = me_load(r);
    cached_store(r, &c, 0, ME_TTL_MS);
    return rc;
}

int auth_me_loop(req_t *r)
{
    cached_t c;
    return cached_lookup(r, CACHE_ACCOUNT, me_key(r), &c, NULL) > 0 ? 0 : -1;
}

static int me_load(req_t *r)
{
    db_result_t res;
    db_t *db = req_db(r);
    if (db_exec(db, &Q_ME, DB_ARGS(DB_TEXT(sessions_tenant_of(r)), DB_TEXT(r->auth.user_id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows != 1)
        return res_fail(r, ERR_UNAUTHENTICATED, "The account no longer exists.");
    json_t *tenant = json_null();
    if (r->auth.tenant_id[0] != '\0')
        tenant = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", db_get(&res, 0, 3), "slug", db_get(&res, 0, 4), "name",
                           db_get(&res, 0, 5), "timeZone", db_get(&res, 0, 6), "currency", db_get(&res, 0, 7));
    json_t *user = json_pack("{s:s,s:o,s:s,s:s,s:o,s:o,s:s?,s:s?}", "id", r->auth.user_id, "tenantId",
                             r->auth.tenant_id[0] ? json_string(r->auth.tenant_id) : json_null(), "email",
                             db_get(&res, 0, 0), "displayName", db_get(&res, 0, 1), "roles", roles_json(r->auth.roles),
                             "lastLoginAt", json_time_or_null(&r->arena, db_get(&res, 0, 2)), "phone",
                             db_get(&res, 0, 8), "preferredLanguage", db_get(&res, 0, 9));
    json_t *session = json_pack("{s:s,s:s}", "id", r->auth.session_id, "accessTokenExpiresAt",
                                iso_time(&r->arena, r->auth.expires_at * 1000));
    return res_json(r, 200, json_pack("{s:o,s:o,s:o}", "user", user, "tenant", tenant, "session", session));
}
