/*
 * token.c - the OAuth 2.0 token endpoint of the OneRoster binding (RFC 6749
 * §4.4, client credentials) and the check of its bearer tokens (rest.h).
 */
#include <sodium.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "api/app.h"
#include "auth/audit.h"
#include "auth/crypto.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/url.h"
#include "oneroster/rest/rest.h"

static const char *const scope_names[OR_SCOPE_COUNT] = {
    "roster-core.readonly", "roster.readonly",     "roster-demographics.readonly",
    "gradebook.readonly",   "gradebook.createput", "gradebook.delete",
};

static stmt_t Q_CLIENT = STMT("oneroster.token_client", STMT_ACCESS,
                              "SELECT c.secret_digest, c.scopes, c.revoked_at, t.status FROM oauth_clients c"
                              " JOIN tenants t ON t.id = c.tenant_id WHERE c.tenant_id = $1 AND c.id = $2");
static stmt_t Q_TOKEN_INSERT = STMT("oneroster.token_insert", 0,
                                    "INSERT INTO oauth_tokens (tenant_id, digest, client_id, scopes, created_at,"
                                    " expires_at) VALUES ($1, $2, $3, $4, $5, $6)");
static stmt_t Q_TOKEN_PRUNE =
    STMT("oneroster.token_prune", 0, "DELETE FROM oauth_tokens WHERE tenant_id = $1 AND client_id = $2 AND expires_at < $3");
static stmt_t Q_CLIENT_USED =
    STMT("oneroster.client_used", 0, "UPDATE oauth_clients SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_TOKEN_AUTH = STMT("oneroster.token_auth", STMT_ACCESS,
                                  "SELECT k.client_id, k.scopes, k.expires_at, c.revoked_at, t.status, t.time_zone"
                                  " FROM oauth_tokens k JOIN oauth_clients c ON c.tenant_id = k.tenant_id"
                                  " AND c.id = k.client_id JOIN tenants t ON t.id = k.tenant_id"
                                  " WHERE k.tenant_id = $1 AND k.digest = $2");

/* ------------------------------------------------------------------ scopes */

const char *or_scope_name(int i)
{
    return i >= 0 && i < OR_SCOPE_COUNT ? scope_names[i] : NULL;
}

static int scope_bit(const char *s, size_t n)
{
    size_t pre = strlen(OR_SCOPE_PREFIX);
    if (n > pre && strncmp(s, OR_SCOPE_PREFIX, pre) == 0) {
        s += pre;
        n -= pre;
    }
    for (int i = 0; i < OR_SCOPE_COUNT; i++)
        if (strlen(scope_names[i]) == n && strncmp(scope_names[i], s, n) == 0)
            return i;
    return -1;
}

int or_scopes_parse(arena_t *a, const char *list, unsigned *bits, const char **bad)
{
    *bits = 0;
    for (const char *p = list; *p != '\0';) {
        p += strspn(p, " ");
        size_t n = strcspn(p, " ");
        if (n == 0)
            break;
        int b = scope_bit(p, n);
        if (b < 0) {
            *bad = arena_printf(a, "%.*s", (int)(n > 200 ? 200 : n), p);
            return -1;
        }
        *bits |= 1u << b;
        p += n;
    }
    return 0;
}

const char *or_scopes_text(arena_t *a, unsigned bits)
{
    sbuf_t b;
    sbuf_init(&b, a, 256);
    for (int i = 0; i < OR_SCOPE_COUNT; i++)
        if (bits & (1u << i))
            sbuf_printf(&b, "%s%s%s", b.len ? " " : "", OR_SCOPE_PREFIX, scope_names[i]);
    return b.len ? b.p : "";
}

/* ------------------------------------------------------------------ imsx errors */

int or_error(req_t *r, int status, const char *code_minor, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *desc = arena_vprintf(&r->arena, fmt, ap);
    va_end(ap);
    json_t *body = json_pack("{s:[{s:s,s:s,s:s,s:s}]}", "statusInfoSet", "imsx_codeMajor", "failure",
                             "imsx_severity", "error", "imsx_codeMinor", code_minor, "imsx_description", desc);
    if (body == NULL)
        return res_fail(r, ERR_INTERNAL, "imsx error document");
    return res_json(r, status, body);
}

/* ------------------------------------------------------------------ the token endpoint */

/* An RFC 6749 §5.2 error: 400, or 401 with WWW-Authenticate for invalid_client. Returns 0. */
static int oauth_error(req_t *r, const char *error, const char *description)
{
    int status = strcmp(error, "invalid_client") == 0 ? 401 : 400;
    if (status == 401)
        res_header(r, "www-authenticate", "Basic realm=\"school-erp OneRoster\"");
    res_header(r, "cache-control", "no-store");
    json_t *body = json_pack("{s:s,s:s}", "error", error, "error_description", description);
    if (body == NULL)
        return res_fail(r, ERR_INTERNAL, "oauth error document");
    return res_json(r, status, body);
}

typedef struct token_request {
    const char *grant_type, *scope, *client_id, *client_secret;
    int basic;     /* credentials came by HTTP Basic */
    int repeated;  /* a parameter given twice (RFC 6749 §3.2: invalid_request) */
    int malformed; /* a bad escape, or the Basic header unreadable */
} token_request_t;

static void form_set(token_request_t *t, const char *key, const char *value)
{
    static const char *const names[] = {"grant_type", "scope", "client_id", "client_secret"};
    const char **slots[] = {&t->grant_type, &t->scope, &t->client_id, &t->client_secret};
    for (int i = 0; i < 4; i++)
        if (strcmp(key, names[i]) == 0) {
            if (*slots[i] != NULL)
                t->repeated = 1;
            *slots[i] = value;
        }
}

/* Reads the application/x-www-form-urlencoded body. */
static void read_form(req_t *r, token_request_t *t)
{
    const char *p = r->body != NULL ? r->body : "", *end = p + (r->body != NULL ? r->body_len : 0);
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (eq != NULL) {
            char *k = url_decode(&r->arena, p, (size_t)(eq - p), URL_PLUS_SPACE | URL_STRICT);
            char *v = url_decode(&r->arena, eq + 1, (size_t)(stop - eq - 1), URL_PLUS_SPACE | URL_STRICT);
            if (k == NULL || v == NULL)
                t->malformed = 1;
            else if (*v != '\0') /* RFC 6749 §3.1: a parameter without a value is as if omitted */
                form_set(t, k, v);
        }
        p = stop + 1;
    }
}

/* Reads Authorization: Basic base64(urlencode(id):urlencode(secret)) (RFC 6749 §2.3.1). */
static void read_basic(req_t *r, token_request_t *t)
{
    const char *h = r->hdr.authorization;
    if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
        return;
    h += 6;
    while (*h == ' ')
        h++;
    size_t n = strlen(h), len = 0;
    unsigned char *bin = arena_alloc(&r->arena, n + 1);
    if (n > 2048 || sodium_base642bin(bin, n, h, n, NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
        t->malformed = 1;
        return;
    }
    const unsigned char *colon = memchr(bin, ':', len);
    if (colon == NULL) {
        t->malformed = 1;
        return;
    }
    char *id = url_decode(&r->arena, (const char *)bin, (size_t)(colon - bin), URL_PLUS_SPACE | URL_STRICT);
    char *secret = url_decode(&r->arena, (const char *)colon + 1, len - (size_t)(colon + 1 - bin),
                              URL_PLUS_SPACE | URL_STRICT);
    if (id == NULL || secret == NULL) {
        t->malformed = 1;
        return;
    }
    if (t->client_id != NULL || t->client_secret != NULL)
        t->repeated = 1; /* RFC 6749 §2.3: one authentication method per request */
    t->client_id = id;
    t->client_secret = secret;
    t->basic = 1;
}

/* Splits a client id "<school id>.<client id>"; 0, or -1 when it is not one of ours. */
static int split_client_id(const char *cid, char tenant[ID_MAX], char id[ID_MAX])
{
    if (strlen(cid) != 2 * UUID_STR_LEN + 1 || cid[UUID_STR_LEN] != '.' || !ids_uuid_valid(cid, UUID_STR_LEN) ||
        !ids_uuid_valid(cid + UUID_STR_LEN + 1, UUID_STR_LEN))
        return -1;
    memcpy(tenant, cid, UUID_STR_LEN);
    tenant[UUID_STR_LEN] = '\0';
    memcpy(id, cid + UUID_STR_LEN + 1, UUID_STR_LEN + 1);
    return 0;
}

/* The client's event (as the actor) in its school's audit trail. */
static int audit_token(db_t *db, req_t *r, const char *tenant, const char *client, const char *outcome,
                       const char *detail)
{
    audit_event_t e = {.tenant_id = tenant, .actor_id = client, .action = "oauth.token", .outcome = outcome,
                       .subject_type = "oauth_client", .subject_id = client, .detail = detail};
    return audit_record(db, r, &e);
}

/* Checks the client's credentials; 1 when good, 0 after answering invalid_client, -1 on a database error. */
static int check_client(req_t *r, db_t *db, const token_request_t *t, const char *tenant, const char *id,
                        unsigned *allowed)
{
    db_result_t res;
    if (db_exec(db, &Q_CLIENT, DB_ARGS(DB_TEXT(tenant), DB_TEXT(id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    char digest[65];
    crypto_sha256_hex(t->client_secret, strlen(t->client_secret), digest);
    int ok = res.nrows == 1 && strlen(db_get(&res, 0, 0)) == 64 && crypto_equal(digest, db_get(&res, 0, 0), 64) &&
             db_is_null(&res, 0, 2) && strcmp(db_get(&res, 0, 3), "active") == 0;
    if (!ok) {
        if (res.nrows == 1 && audit_token(db, r, tenant, id, "failed", "bad secret, revoked client or suspended school") != 0)
            return db_fail(r, db);
        oauth_error(r, "invalid_client", "Unknown client, wrong secret, or a revoked client.");
        return 0;
    }
    *allowed = (unsigned)db_get_int(&res, 0, 1);
    return 1;
}

/* Stores a new token and answers it. */
static int issue(req_t *r, db_t *db, const char *tenant, const char *id, unsigned scopes)
{
    char secret[64], digest[65];
    crypto_random_b64(secret, sizeof(secret), 32);
    const char *token = arena_printf(&r->arena, "or1.%s.%s", tenant, secret);
    crypto_sha256_hex(token, strlen(token), digest);
    int64_t now = (int64_t)clock_wall_ms();
    if (db_begin(db) != 0)
        return db_fail(r, db);
    if (db_exec(db, &Q_TOKEN_PRUNE, DB_ARGS(DB_TEXT(tenant), DB_TEXT(id), DB_INT(now)), &r->arena, NULL) != 0 ||
        db_exec(db, &Q_TOKEN_INSERT,
                DB_ARGS(DB_TEXT(tenant), DB_TEXT(digest), DB_TEXT(id), DB_INT(scopes), DB_INT(now),
                        DB_INT(now + OR_TOKEN_TTL * 1000LL)),
                &r->arena, NULL) != 0 ||
        db_exec(db, &Q_CLIENT_USED, DB_ARGS(DB_TEXT(tenant), DB_TEXT(id), DB_INT(now)), &r->arena, NULL) != 0 ||
        audit_token(db, r, tenant, id, "ok", or_scopes_text(&r->arena, scopes)) != 0 || db_commit(db) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    res_header(r, "cache-control", "no-store");
    res_header(r, "pragma", "no-cache");
    json_t *body = json_pack("{s:s,s:s,s:i,s:s}", "access_token", token, "token_type", "bearer", "expires_in",
                             OR_TOKEN_TTL, "scope", or_scopes_text(&r->arena, scopes));
    return body != NULL ? res_json(r, 200, body) : res_fail(r, ERR_INTERNAL, "token document");
}

static int form_type(const char *ct)
{
    static const char form[] = "application/x-www-form-urlencoded";
    if (ct == NULL)
        return 0;
    while (*ct == ' ')
        ct++;
    if (strncasecmp(ct, form, sizeof(form) - 1) != 0)
        return 0;
    ct += sizeof(form) - 1;
    return *ct == '\0' || *ct == ';' || *ct == ' ';
}

int oneroster_token(req_t *r)
{
    if (!form_type(r->hdr.content_type))
        return oauth_error(r, "invalid_request", "Send the parameters as application/x-www-form-urlencoded.");
    token_request_t t = {0};
    read_form(r, &t);
    read_basic(r, &t);
    if (t.malformed || t.repeated)
        return oauth_error(r, "invalid_request", t.malformed ? "A parameter or the Basic credentials are malformed."
                                                             : "A parameter or the client's credentials are given twice.");
    if (t.grant_type == NULL)
        return oauth_error(r, "invalid_request", "grant_type is required.");
    if (t.client_id == NULL || t.client_secret == NULL)
        return oauth_error(r, "invalid_client", "Authenticate the client by HTTP Basic or client_id and client_secret.");
    char tenant[ID_MAX], id[ID_MAX];
    if (split_client_id(t.client_id, tenant, id) != 0)
        return oauth_error(r, "invalid_client", "Unknown client, wrong secret, or a revoked client.");
    if (app_route_tenant(r, tenant) != 0) /* the client's school's shard */
        return -1;
    db_t *db = req_db(r);
    unsigned allowed = 0;
    int ok = check_client(r, db, &t, tenant, id, &allowed);
    if (ok <= 0)
        return ok < 0 ? -1 : 0;
    if (strcmp(t.grant_type, "client_credentials") != 0)
        return oauth_error(r, "unsupported_grant_type", "Only grant_type=client_credentials is supported.");
    unsigned wanted = allowed;
    const char *bad = NULL;
    if (t.scope != NULL && or_scopes_parse(&r->arena, t.scope, &wanted, &bad) != 0)
        return oauth_error(r, "invalid_scope", arena_printf(&r->arena, "Unknown scope %s.", bad));
    if (wanted == 0)
        wanted = allowed;
    if ((wanted & ~allowed) != 0)
        return oauth_error(r, "invalid_scope",
                           arena_printf(&r->arena, "This client may not ask for %s.",
                                        or_scopes_text(&r->arena, wanted & ~allowed)));
    return issue(r, db, tenant, id, wanted);
}

/* ------------------------------------------------------------------ bearer tokens */

/* 1 for a response set (rc 0), -1 for a failure to answer. */
static int answered(int rc)
{
    return rc == 0 ? 1 : -1;
}

static int unauthorized(req_t *r, const char *error, const char *why)
{
    res_header(r, "www-authenticate",
               arena_printf(&r->arena, "Bearer realm=\"school-erp OneRoster\", error=\"%s\"", error));
    return or_error(r, 401, "unauthorized", "%s", why);
}

int or_authenticate(req_t *r, unsigned any_of)
{
    const char *h = r->hdr.authorization;
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
        return answered(unauthorized(r, "invalid_request", "Send Authorization: Bearer <access_token> from " OR_BASE "/oauth/token."));
    const char *tok = h + 7;
    while (*tok == ' ')
        tok++;
    size_t n = strlen(tok);
    if (n < 4 + UUID_STR_LEN + 2 || strncmp(tok, "or1.", 4) != 0 || tok[4 + UUID_STR_LEN] != '.' ||
        !ids_uuid_valid(tok + 4, UUID_STR_LEN))
        return answered(unauthorized(r, "invalid_token", "The access token is not one of this server's."));
    char tenant[ID_MAX], digest[65];
    memcpy(tenant, tok + 4, UUID_STR_LEN);
    tenant[UUID_STR_LEN] = '\0';
    crypto_sha256_hex(tok, n, digest);
    if (app_route_tenant(r, tenant) != 0) /* the token's school's shard */
        return answered(-1);
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_TOKEN_AUTH, DB_ARGS(DB_TEXT(tenant), DB_TEXT(digest)), &r->arena, &res) != 0) {
        db_fail(r, db);
        return -1;
    }
    if (res.nrows == 0 || db_get_int(&res, 0, 2) <= (long long)clock_wall_ms() || !db_is_null(&res, 0, 3) ||
        strcmp(db_get(&res, 0, 4), "active") != 0)
        return answered(unauthorized(r, "invalid_token", "The access token is unknown, expired or revoked."));
    unsigned scopes = (unsigned)db_get_int(&res, 0, 1);
    if ((scopes & any_of) == 0) {
        res_header(r, "www-authenticate",
                   arena_printf(&r->arena, "Bearer realm=\"school-erp OneRoster\", error=\"insufficient_scope\", scope=\"%s\"",
                                or_scopes_text(&r->arena, any_of)));
        return answered(or_error(r, 403, "unauthorized", "This token's scopes do not include %s.",
                        or_scopes_text(&r->arena, any_of)));
    }
    principal_t *p = &r->auth;
    p->authenticated = 1;
    snprintf(p->tenant_id, sizeof(p->tenant_id), "%s", tenant);
    snprintf(p->user_id, sizeof(p->user_id), "%s", db_get(&res, 0, 0));
    snprintf(p->actor, sizeof(p->actor), "%s:%s", tenant, p->user_id);
    snprintf(p->time_zone, sizeof(p->time_zone), "%s", db_get(&res, 0, 5));
    p->roles = 0;
    return 0;
}
