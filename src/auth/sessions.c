#include "auth/sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/app.h"
#include "api/common.h"
#include "auth/audit.h"
#include "cache/cache.h"
#include "cache/l1.h"
#include "auth/password.h"
#include "auth/roles.h"
#include "auth/throttle.h"
#include "auth/token.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"

static int access_ttl = 900;
static int64_t refresh_ttl_ms = 2592000000LL;

#define BAD_CREDENTIALS "The school, email or password is not correct."

/*
 * Access tokens already verified, by their exact text: a signature is checked
 * (base64, JSON, HMAC) once per token and process, not on every request. Only
 * a token that verified is stored, and its expiry is checked on every use.
 */
static l1_t *verified;
#define VERIFIED_BYTES (8u << 20)
#define VERIFIED_TTL_MS 300000

void sessions_setup(const config_t *cfg)
{
    throttle_setup(cfg);
    access_ttl = cfg->access_ttl;
    refresh_ttl_ms = (int64_t)cfg->refresh_ttl * 1000;
    if (verified == NULL)
        verified = l1_create(VERIFIED_BYTES, 0);
}

/* token_verify() through the cache of verified tokens. */
static token_status_t verify(req_t *r, const char *tok, int64_t now, token_claims_t *c)
{
    size_t n = strlen(tok);
    const char *v;
    size_t len;
    if (verified != NULL && l1_get(verified, tok, n, &r->arena, &v, &len, NULL) && len == sizeof(*c)) {
        memcpy(c, v, sizeof(*c));
        return c->expires_at <= now ? TOKEN_EXPIRED : TOKEN_OK;
    }
    token_status_t st = token_verify(tok, now, c);
    if (st == TOKEN_OK && verified != NULL) {
        int64_t left_ms = (c->expires_at - now) * 1000;
        l1_set(verified, tok, n, c, sizeof(*c), 0, left_ms < VERIFIED_TTL_MS ? (uint32_t)left_ms : VERIFIED_TTL_MS);
    }
    return st;
}

/* ---- statements ---- */

/* Logins read the primary: a school or account made a moment ago must be found (the caller is anonymous). */
static stmt_t Q_TENANT_BY_SLUG = STMT("tenants.by_slug", 0, "SELECT id, status FROM tenants WHERE slug = $1");
static stmt_t Q_USER_BY_EMAIL = STMT("users.by_email", 0,
                                     "SELECT id, password_hash, status, roles, display_name, email"
                                     " FROM users WHERE tenant_id = $1 AND email = $2");
static stmt_t Q_USER_LOGGED_IN = STMT("users.login_ok", 0,
                                      "UPDATE users SET last_login_at = $3, password_hash = COALESCE($4, password_hash)"
                                      " WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_SESSION_INSERT = STMT("sessions.insert", 0,
                                      "INSERT INTO sessions (tenant_id, id, user_id, created_at, last_used_at,"
                                      " expires_at, remote_addr, user_agent) VALUES ($1, $2, $3, $4, $4, $5, $6, $7)");
static stmt_t Q_REFRESH_INSERT = STMT("refresh_tokens.insert", 0,
                                      "INSERT INTO refresh_tokens (tenant_id, token_hash, session_id, created_at,"
                                      " expires_at) VALUES ($1, $2, $3, $4, $5)");
static stmt_t Q_REFRESH_GET = STMT("refresh_tokens.get", 0,
                                   "SELECT r.session_id, r.status, r.expires_at, s.status, s.expires_at, s.user_id,"
                                   " u.status, u.roles, t.status"
                                   " FROM refresh_tokens r"
                                   " JOIN sessions s ON s.tenant_id = r.tenant_id AND s.id = r.session_id"
                                   " JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id"
                                   " JOIN tenants t ON t.id = s.tenant_id"
                                   " WHERE r.tenant_id = $1 AND r.token_hash = $2");
static stmt_t Q_REFRESH_USE = STMT("refresh_tokens.use", 0,
                                   "UPDATE refresh_tokens SET status = 'used', used_at = $3"
                                   " WHERE tenant_id = $1 AND token_hash = $2 AND status = 'active'");
static stmt_t Q_SESSION_TOUCH = STMT("sessions.touch", 0,
                                     "UPDATE sessions SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_SESSION_REVOKE = STMT("sessions.revoke", 0,
                                      "UPDATE sessions SET status = 'revoked', revoked_reason = $3"
                                      " WHERE tenant_id = $1 AND id = $2 AND status = 'active'");
static stmt_t Q_SESSION_REVOKE_OTHERS = STMT("sessions.revoke_others", 0,
                                             "UPDATE sessions SET status = 'revoked', revoked_reason = $4"
                                             " WHERE tenant_id = $1 AND user_id = $2 AND id <> $3"
                                             " AND status = 'active'");
static stmt_t Q_AUTH = STMT("sessions.authenticate", STMT_ACCESS,
                            "SELECT s.status, s.expires_at, u.status, u.roles, t.status, t.time_zone"
                            " FROM sessions s"
                            " JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id"
                            " JOIN tenants t ON t.id = s.tenant_id"
                            " WHERE s.tenant_id = $1 AND s.id = $2 AND s.user_id = $3");
static stmt_t Q_USER_PASSWORD = STMT("users.password_hash", 0,
                                     "SELECT u.password_hash, u.email, t.slug FROM users u"
                                     " JOIN tenants t ON t.id = u.tenant_id WHERE u.tenant_id = $1 AND u.id = $2");
static stmt_t Q_USER_SET_PASSWORD = STMT("users.set_password", 0,
                                         "UPDATE users SET password_hash = $3, password_changed_at = $4,"
                                         " updated_at = $4, version = version + 1 WHERE tenant_id = $1 AND id = $2");

/* ---- helpers ---- */

const char *sessions_tenant_of(const req_t *r)
{
    return r->auth.tenant_id[0] != '\0' ? r->auth.tenant_id : PLATFORM_TENANT_ID;
}

static void audit_login(db_t *db, req_t *r, const char *tenant_id, const char *user_id, unsigned roles,
                        const char *outcome, const char *detail)
{
    audit_event_t e = {.tenant_id = tenant_id,
                       .actor_id = user_id,
                       .actor_roles = roles,
                       .action = "auth.login",
                       .outcome = outcome,
                       .subject_type = user_id != NULL ? "user" : NULL,
                       .subject_id = user_id,
                       .detail = detail};
    if (audit_record(db, r, &e) != 0)
        log_warn("audit write failed", "auth.login: %s", db_error(db)->message);
}

/* The access token, refresh token and user document for a new or refreshed session. */
static int issue(req_t *r, db_t *db, const char *tenant_id, const char *user_id, const char *session_id,
                 unsigned roles, json_t *user, json_t **out)
{
    int64_t now_ms = (int64_t)clock_wall_ms();
    char refresh[REFRESH_TOKEN_MAX], digest[65];
    refresh_token_new(tenant_id, refresh, digest);
    if (db_exec(db, &Q_REFRESH_INSERT,
                DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(digest), DB_TEXT(session_id), DB_INT(now_ms),
                        DB_INT(now_ms + refresh_ttl_ms)),
                &r->arena, NULL) != 0)
        return -1;
    token_claims_t c = {0};
    snprintf(c.tenant_id, sizeof(c.tenant_id), "%s", strcmp(tenant_id, PLATFORM_TENANT_ID) == 0 ? "" : tenant_id);
    snprintf(c.user_id, sizeof(c.user_id), "%s", user_id);
    snprintf(c.session_id, sizeof(c.session_id), "%s", session_id);
    ids_uuid7(c.token_id);
    c.roles = roles;
    c.issued_at = now_ms / 1000;
    c.expires_at = c.issued_at + access_ttl;
    char *access = token_issue(&c);
    if (access == NULL) {
        json_decref(user);
        return res_fail(r, ERR_INTERNAL, "cannot sign an access token");
    }
    *out = json_pack("{s:s,s:s,s:s,s:i,s:o}", "accessToken", access, "refreshToken", refresh, "tokenType", "Bearer",
                     "expiresIn", access_ttl, "user", user);
    free(access);
    return 0;
}

static json_t *user_doc(const char *id, const char *tenant_id, const char *email, const char *name, unsigned roles)
{
    return json_pack("{s:s,s:o,s:s,s:s,s:o}", "id", id, "tenantId",
                     strcmp(tenant_id, PLATFORM_TENANT_ID) == 0 ? json_null() : json_string(tenant_id), "email",
                     email, "displayName", name, "roles", roles_json(roles));
}

/* ---- login ---- */

int sessions_login(req_t *r, db_t *catalog, const char *tenant, const char *email, const char *password, json_t **out)
{
    db_t *db = catalog; /* the school's shard once the directory has been read */
    int64_t now = (int64_t)clock_wall_ms();
    throttle_t th;
    if (throttle_begin(r, catalog, tenant, email, &th) != 0)
        return -1;

    const char *tenant_id = PLATFORM_TENANT_ID;
    int tenant_active = 1;
    db_result_t res;
    if (tenant != NULL && *tenant != '\0') {
        if (db_exec(db, &Q_TENANT_BY_SLUG, DB_ARGS(DB_TEXT(tenant)), &r->arena, &res) != 0)
            return db_fail(r, db);
        if (res.nrows == 0 || strcmp(tenant, "-platform-") == 0) {
            password_verify_dummy(password);
            return res_fail(r, ERR_UNAUTHENTICATED, BAD_CREDENTIALS);
        }
        tenant_id = db_get(&res, 0, 0);
        tenant_active = strcmp(db_get(&res, 0, 1), "active") == 0;
        if (app_route_tenant(r, tenant_id) != 0)
            return -1;
        db = req_db(r) != NULL ? req_db(r) : catalog;
    }
    if (db_exec(db, &Q_USER_BY_EMAIL, DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(email)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0) {
        password_verify_dummy(password);
        audit_login(db, r, tenant_id, NULL, 0, "failed", "unknown email");
        return res_fail(r, ERR_UNAUTHENTICATED, BAD_CREDENTIALS);
    }
    const char *user_id = db_get(&res, 0, 0);
    const char *hash = db_get(&res, 0, 1);
    int user_active = strcmp(db_get(&res, 0, 2), "active") == 0;
    unsigned roles = (unsigned)db_get_int(&res, 0, 3);
    const char *name = db_get(&res, 0, 4);
    const char *stored_email = db_get(&res, 0, 5);

    if (!password_verify(hash, password)) {
        audit_login(db, r, tenant_id, user_id, roles, "failed", "wrong password");
        return res_fail(r, ERR_UNAUTHENTICATED, BAD_CREDENTIALS);
    }
    if (throttle_succeeded(r, catalog, &th) != 0)
        return db_fail(r, catalog);
    /* The password is right: the owner may learn why they cannot come in. */
    if (!tenant_active) {
        audit_login(db, r, tenant_id, user_id, roles, "denied", "school suspended");
        return res_fail(r, ERR_UNAUTHENTICATED, "This school's access is suspended.");
    }
    if (!user_active) {
        audit_login(db, r, tenant_id, user_id, roles, "denied", "account disabled");
        return res_fail(r, ERR_UNAUTHENTICATED, "This account is disabled.");
    }

    char rehash[PASSWORD_HASH_MAX];
    int do_rehash = password_needs_rehash(hash) && password_hash(password, rehash) == 0;
    char session_id[UUID_STR_LEN + 1];
    ids_uuid7(session_id);
    /* the new session is this user's write: their next requests must find it, even on a lagging replica */
    snprintf(r->auth.actor, sizeof(r->auth.actor), "%s:%s", tenant_id, user_id);
    db_set_actor(db, r->auth.actor);
    if (db_begin(db) != 0)
        return db_fail(r, db);
    if (db_exec(db, &Q_USER_LOGGED_IN,
                DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(user_id), DB_INT(now), DB_TEXT(do_rehash ? rehash : NULL)),
                &r->arena, NULL) != 0 ||
        db_exec(db, &Q_SESSION_INSERT,
                DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(session_id), DB_TEXT(user_id), DB_INT(now),
                        DB_INT(now + refresh_ttl_ms), DB_TEXT(r->remote_addr[0] ? r->remote_addr : NULL),
                        DB_TEXT(r->hdr.user_agent)),
                &r->arena, NULL) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    json_t *user = user_doc(user_id, tenant_id, stored_email, name, roles);
    if (issue(r, db, tenant_id, user_id, session_id, roles, user, out) != 0) {
        db_status_t st = db_error(db)->status;
        db_rollback(db);
        return st != DB_OK ? db_fail(r, db) : -1;
    }
    audit_login(db, r, tenant_id, user_id, roles, "ok", NULL);
    if (db_commit(db) != 0) {
        json_decref(*out);
        *out = NULL;
        return db_fail(r, db);
    }
    cache_invalidate_family(tenant_id, CACHE_ACCOUNT); /* the account's last login */
    return 0;
}

/* ---- refresh ---- */

typedef struct refresh {
    req_t *r;
    char tenant_id[40];
    char digest[65];
    int reused;
    const char *why; /* a reason to refuse, after committing what the refusal changed */
    json_t *out;
} refresh_t;

static stmt_t Q_USER_DOC = STMT("users.doc", 0,
                                "SELECT email, display_name FROM users WHERE tenant_id = $1 AND id = $2");

static int do_refresh(db_t *db, void *ctx)
{
    refresh_t *f = ctx;
    req_t *r = f->r;
    int64_t now = (int64_t)clock_wall_ms();
    db_result_t res;
    f->reused = 0;
    f->why = NULL;
    if (db_exec(db, &Q_REFRESH_GET, DB_ARGS(DB_TEXT(f->tenant_id), DB_TEXT(f->digest)), &r->arena, &res) != 0)
        return -1;
    if (res.nrows == 0) {
        f->why = "The refresh token is not valid.";
        return 0;
    }
    const char *session_id = db_get(&res, 0, 0);
    const char *user_id = db_get(&res, 0, 5);
    unsigned roles = (unsigned)db_get_int(&res, 0, 7);
    int used = strcmp(db_get(&res, 0, 1), "used") == 0;
    db_result_t use;
    if (!used && db_exec(db, &Q_REFRESH_USE, DB_ARGS(DB_TEXT(f->tenant_id), DB_TEXT(f->digest), DB_INT(now)),
                         &r->arena, &use) != 0)
        return -1;
    if (used || use.changes != 1) {
        /* Spent before: someone else holds this session's tokens. End the session for both. */
        f->reused = 1;
        f->why = "The refresh token was already used; the session has been ended for safety.";
        if (db_exec(db, &Q_SESSION_REVOKE,
                    DB_ARGS(DB_TEXT(f->tenant_id), DB_TEXT(session_id), DB_TEXT("refresh token reuse")), &r->arena,
                    NULL) != 0)
            return -1;
        audit_event_t e = {.tenant_id = f->tenant_id,
                           .actor_id = user_id,
                           .actor_roles = roles,
                           .action = "session.revoke",
                           .outcome = "ok",
                           .subject_type = "session",
                           .subject_id = session_id,
                           .detail = "refresh token reuse"};
        return audit_record(db, r, &e);
    }
    if (db_get_int(&res, 0, 2) <= now || strcmp(db_get(&res, 0, 3), "active") != 0 || db_get_int(&res, 0, 4) <= now) {
        f->why = "The session has ended; log in again.";
        return 0;
    }
    if (strcmp(db_get(&res, 0, 6), "active") != 0 || strcmp(db_get(&res, 0, 8), "active") != 0) {
        f->why = "The account or its school is no longer active.";
        return 0;
    }
    if (db_exec(db, &Q_SESSION_TOUCH, DB_ARGS(DB_TEXT(f->tenant_id), DB_TEXT(session_id), DB_INT(now)), &r->arena,
                NULL) != 0)
        return -1;
    db_result_t u;
    if (db_exec(db, &Q_USER_DOC, DB_ARGS(DB_TEXT(f->tenant_id), DB_TEXT(user_id)), &r->arena, &u) != 0 || u.nrows != 1)
        return -1;
    json_decref(f->out);
    f->out = NULL;
    snprintf(r->auth.actor, sizeof(r->auth.actor), "%s:%s", f->tenant_id, user_id);
    db_set_actor(db, r->auth.actor);
    json_t *user = user_doc(user_id, f->tenant_id, db_get(&u, 0, 0), db_get(&u, 0, 1), roles);
    return issue(r, db, f->tenant_id, user_id, session_id, roles, user, &f->out);
}

int sessions_refresh(req_t *r, db_t *db, const char *refresh_token, json_t **out)
{
    refresh_t f = {.r = r};
    if (refresh_token_parse(refresh_token, f.tenant_id, f.digest) != 0)
        return res_fail(r, ERR_UNAUTHENTICATED, "The refresh token is not valid.");
    if (app_route_tenant(r, f.tenant_id) != 0)
        return -1;
    db = req_db(r) != NULL ? req_db(r) : db;
    if (db_transaction(db, do_refresh, &f) != 0) {
        json_decref(f.out);
        return db_error(db)->status != DB_OK ? db_fail(r, db) : -1;
    }
    if (f.reused)
        cache_invalidate_family(f.tenant_id, CACHE_SESSION); /* committed: the revoked session ends everywhere now */
    if (f.why != NULL) {
        json_decref(f.out);
        return res_fail(r, ERR_UNAUTHENTICATED, "%s", f.why);
    }
    *out = f.out;
    return 0;
}

/* ---- logout, password ---- */

int sessions_logout(req_t *r, db_t *db)
{
    const char *tenant_id = sessions_tenant_of(r);
    if (db_begin(db) != 0)
        return db_fail(r, db);
    audit_event_t e = {.tenant_id = tenant_id,
                       .actor_id = r->auth.user_id,
                       .actor_roles = r->auth.roles,
                       .action = "session.revoke",
                       .subject_type = "session",
                       .subject_id = r->auth.session_id,
                       .detail = "logout"};
    if (db_exec(db, &Q_SESSION_REVOKE,
                DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(r->auth.session_id), DB_TEXT("logout")), &r->arena, NULL) != 0 ||
        audit_record(db, r, &e) != 0 || db_commit(db) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    return 0;
}

int sessions_change_password(req_t *r, db_t *db, const char *current, const char *next)
{
    const char *tenant_id = sessions_tenant_of(r);
    db_result_t res;
    if (db_exec(db, &Q_USER_PASSWORD, DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(r->auth.user_id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows != 1)
        return res_fail(r, ERR_UNAUTHENTICATED, "The account no longer exists.");
    /* a stolen access token must not buy unlimited guesses of the password: the login's limits apply */
    const char *slug = r->auth.tenant_id[0] != '\0' ? db_get(&res, 0, 2) : "";
    throttle_t th;
    db_t *catalog = req_catalog(r) != NULL ? req_catalog(r) : db; /* where logins count their attempts */
    if (throttle_begin(r, catalog, slug, db_get(&res, 0, 1), &th) != 0)
        return -1;
    if (!password_verify(db_get(&res, 0, 0), current)) {
        res_field_error(r, "currentPassword", "is not correct");
        return res_check_fields(r);
    }
    if (throttle_succeeded(r, catalog, &th) != 0)
        return db_fail(r, catalog);
    if (strcmp(current, next) == 0) {
        res_field_error(r, "newPassword", "must differ from the current password");
        return res_check_fields(r);
    }
    char hash[PASSWORD_HASH_MAX];
    const char *why = password_policy(next, db_get(&res, 0, 1));
    if (why != NULL) {
        res_field_error(r, "newPassword", "%s", why);
        return res_check_fields(r);
    }
    if (password_hash(next, hash) != 0)
        return res_fail(r, ERR_UNAVAILABLE, "Not enough memory to hash the password; try again.");
    int64_t now = (int64_t)clock_wall_ms();
    audit_event_t e = {.tenant_id = tenant_id,
                       .actor_id = r->auth.user_id,
                       .actor_roles = r->auth.roles,
                       .action = "user.password_change",
                       .subject_type = "user",
                       .subject_id = r->auth.user_id,
                       .detail = "other sessions revoked"};
    if (db_begin(db) != 0)
        return db_fail(r, db);
    if (db_exec(db, &Q_USER_SET_PASSWORD,
                DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(r->auth.user_id), DB_TEXT(hash), DB_INT(now)), &r->arena,
                NULL) != 0 ||
        db_exec(db, &Q_SESSION_REVOKE_OTHERS,
                DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(r->auth.user_id), DB_TEXT(r->auth.session_id),
                        DB_TEXT("password changed")),
                &r->arena, NULL) != 0 ||
        audit_record(db, r, &e) != 0 || db_commit(db) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    return 0;
}

/* ---- every request ---- */

/* What decides whether a token's session still admits it (Q_AUTH's row). */
typedef struct session_row {
    int found;
    const char *status, *user_status, *tenant_status, *time_zone;
    long long expires_at;
    unsigned roles;
} session_row_t;

#define SESSION_TTL_MS 60000

/* Splits a cached row ("status\texpires\tuser status\troles\tschool status\ttime zone"); 0, or -1 if malformed. */
static int parse_row(char *v, session_row_t *out)
{
    char *f[6];
    for (int i = 0; i < 6; i++) {
        f[i] = v;
        char *tab = strchr(v, '\t');
        if ((tab == NULL) != (i == 5))
            return -1;
        if (tab != NULL) {
            *tab = '\0';
            v = tab + 1;
        }
    }
    out->found = 1;
    out->status = f[0];
    out->expires_at = atoll(f[1]);
    out->user_status = f[2];
    out->roles = (unsigned)strtoul(f[3], NULL, 10);
    out->tenant_status = f[4];
    out->time_zone = f[5];
    return 0;
}

/*
 * The session's row: from the cache (a logout, a disabled account, a role
 * change or a suspended school increments the generations it is stored
 * under, on every instance: cache/cache.h), else from the primary
 * (STMT_ACCESS). 0, or -1 after an error (set).
 */
static int session_row(req_t *r, const char *tenant_id, const token_claims_t *c, session_row_t *out)
{
    memset(out, 0, sizeof(*out));
    char key[2 * ID_MAX + 2];
    snprintf(key, sizeof(key), "%s:%s", c->session_id, c->user_id);
    cache_gens_t gens;
    cache_generations(tenant_id, CACHE_SESSION, r->thread == NULL, &gens);
    const char *val;
    size_t len;
    if (cache_get(tenant_id, CACHE_SESSION, key, &gens, &r->arena, &val, &len, NULL, r->thread == NULL) &&
        parse_row((char *)val, out) == 0)
        return 0;
    db_t *db = req_db(r);
    if (db == NULL)
        return res_fail(r, ERR_UNAVAILABLE, "the session check needs the database");
    db_result_t res;
    if (db_exec(db, &Q_AUTH, DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(c->session_id), DB_TEXT(c->user_id)), &r->arena,
                &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0)
        return 0;
    const char *row = arena_printf(&r->arena, "%s\t%lld\t%s\t%lld\t%s\t%s", db_get(&res, 0, 0),
                                   db_get_int(&res, 0, 1), db_get(&res, 0, 2), db_get_int(&res, 0, 3),
                                   db_get(&res, 0, 4), db_get(&res, 0, 5));
    cache_set(tenant_id, CACHE_SESSION, key, &gens, row, strlen(row), 0, SESSION_TTL_MS);
    return parse_row(arena_strdup(&r->arena, row), out) == 0 ? 0 : res_fail(r, ERR_INTERNAL, "session row");
}


static int unauthenticated(req_t *r, const char *detail)
{
    res_header(r, "www-authenticate", "Bearer realm=\"school-erp\"");
    return res_fail(r, ERR_UNAUTHENTICATED, "%s", detail);
}

int sessions_authenticate(req_t *r)
{
    const char *h = r->hdr.authorization;
    if (h == NULL)
        return unauthenticated(r, "This route needs an access token (Authorization: Bearer …).");
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return unauthenticated(r, "Use the Bearer scheme: Authorization: Bearer <accessToken>.");
    const char *tok = h + 7;
    while (*tok == ' ')
        tok++;
    token_claims_t c;
    token_status_t st = verify(r, tok, (int64_t)(clock_wall_ms() / 1000), &c);
    if (st != TOKEN_OK)
        return unauthenticated(r, token_status_text(st));

    principal_t *p = &r->auth;
    memcpy(p->tenant_id, c.tenant_id, sizeof(p->tenant_id));
    memcpy(p->user_id, c.user_id, sizeof(p->user_id));
    memcpy(p->session_id, c.session_id, sizeof(p->session_id));
    memcpy(p->token_id, c.token_id, sizeof(p->token_id));
    p->expires_at = c.expires_at;
    const char *tenant_id = sessions_tenant_of(r);
    snprintf(p->actor, sizeof(p->actor), "%s:%s", tenant_id, c.user_id);
    if (app_route_tenant(r, tenant_id) != 0) {
        memset(p, 0, sizeof(*p));
        return -1;
    }
    db_t *db = req_db(r);
    if (db != NULL)
        db_set_actor(db, p->actor);

    session_row_t row;
    if (session_row(r, tenant_id, &c, &row) != 0) {
        memset(p, 0, sizeof(*p));
        return -1;
    }
    const char *why = NULL;
    if (!row.found || strcmp(row.status, "active") != 0 || row.expires_at <= (long long)clock_wall_ms())
        why = "The session of this token has ended (logged out or revoked); log in again.";
    else if (strcmp(row.user_status, "active") != 0)
        why = "This account is disabled.";
    else if (strcmp(row.tenant_status, "active") != 0)
        why = "This school's access is suspended.";
    if (why != NULL) {
        memset(p, 0, sizeof(*p));
        return unauthenticated(r, why);
    }
    /* Roles as they are now, not as they were when the token was issued. */
    p->roles = row.roles;
    snprintf(p->time_zone, sizeof(p->time_zone), "%s", row.time_zone);
    p->authenticated = 1;
    return 0;
}
