/*
 * clients.c - /api/v1/oauth-clients: the OAuth 2.0 clients a school admin
 * registers for the OneRoster binding (rest.h). The secret is answered once,
 * at creation, and kept as its SHA-256 digest.
 */
#include <string.h>

#include "api/app.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "auth/crypto.h"
#include "core/clock.h"
#include "core/ids.h"
#include "oneroster/rest/rest.h"

#define CLIENT_COLS "c.id, c.name, c.scopes, c.created_by, c.created_at, c.last_used_at, c.revoked_at"

static stmt_t Q_GET = STMT("oauth_clients.get", STMT_READ,
                           "SELECT " CLIENT_COLS " FROM oauth_clients c WHERE c.tenant_id = $1 AND c.id = $2");
static stmt_t Q_LIST = STMT("oauth_clients.list", STMT_READ,
                            "SELECT " CLIENT_COLS " FROM oauth_clients c WHERE c.tenant_id = $1"
                            " AND (c.id > $2 OR $2 IS NULL) ORDER BY c.id LIMIT $3");
static stmt_t Q_INSERT = STMT("oauth_clients.insert", 0,
                              "INSERT INTO oauth_clients (tenant_id, id, name, scopes, secret_digest, created_by,"
                              " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)");
static stmt_t Q_REVOKE = STMT("oauth_clients.revoke", 0,
                              "UPDATE oauth_clients SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2"
                              " AND revoked_at IS NULL");
static stmt_t Q_TOKENS_DELETE =
    STMT("oauth_clients.tokens_delete", 0, "DELETE FROM oauth_tokens WHERE tenant_id = $1 AND client_id = $2");

static json_t *scopes_json(unsigned bits)
{
    json_t *a = json_array();
    for (int i = 0; i < OR_SCOPE_COUNT && a != NULL; i++)
        if (bits & (1u << i)) {
            char uri[160];
            snprintf(uri, sizeof(uri), "%s%s", OR_SCOPE_PREFIX, or_scope_name(i));
            json_array_append_new(a, json_string(uri));
        }
    return a;
}

static json_t *client_json(req_t *r, const db_result_t *res, int row)
{
    const char *id = db_get(res, row, 0);
    return json_pack("{s:s,s:s,s:s,s:o,s:o,s:s,s:o,s:o,s:s}", "id", id, "clientId",
                     arena_printf(&r->arena, "%s.%s", r->auth.tenant_id, id), "name", db_get(res, row, 1), "scopes",
                     scopes_json((unsigned)db_get_int(res, row, 2)), "createdBy",
                     db_is_null(res, row, 3) ? json_null() : json_string(db_get(res, row, 3)), "createdAt",
                     iso_time(&r->arena, db_get_int(res, row, 4)), "lastUsedAt",
                     json_time_or_null(&r->arena, db_get(res, row, 5)), "revokedAt",
                     json_time_or_null(&r->arena, db_get(res, row, 6)), "status",
                     db_is_null(res, row, 6) ? "active" : "revoked");
}

static int load(req_t *r, const char *id, db_result_t *res)
{
    db_t *db = req_db(r);
    if (!ids_uuid_valid(id, strlen(id)))
        return res_fail(r, ERR_NOT_FOUND, "No such OAuth client.");
    if (db_exec(db, &Q_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, res) != 0)
        return db_fail(r, db);
    if (res->nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such OAuth client.");
    return 0;
}

/* Reads scopes: 1-6 scope URIs (or bare names such as "roster-core.readonly"). */
static unsigned read_scopes(req_t *r)
{
    json_t *a = json_object_get(r->json, "scopes");
    if (a == NULL) {
        res_field_error(r, "scopes", "is required");
        return 0;
    }
    if (!json_is_array(a) || json_array_size(a) < 1 || json_array_size(a) > OR_SCOPE_COUNT) {
        res_field_error(r, "scopes", "must be an array of 1 to %d OneRoster scope URIs", OR_SCOPE_COUNT);
        return 0;
    }
    unsigned bits = 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        unsigned b = 0;
        const char *bad = NULL;
        const char *s = json_string_value(v);
        if (s == NULL || strchr(s, ' ') != NULL || or_scopes_parse(&r->arena, s, &b, &bad) != 0 || b == 0)
            res_field_error(r, arena_printf(&r->arena, "scopes[%zu]", i), "must be one of %s + %s, %s, %s, %s, %s, %s",
                            OR_SCOPE_PREFIX, or_scope_name(0), or_scope_name(1), or_scope_name(2), or_scope_name(3),
                            or_scope_name(4), or_scope_name(5));
        bits |= b;
    }
    return bits;
}

int oauth_clients_create(req_t *r)
{
    static const char *const fields[] = {"name", "scopes", NULL};
    const char *name = NULL;
    body_only_fields(r, fields);
    body_string(r, "name", 1, 1, 100, &name);
    unsigned scopes = read_scopes(r);
    if (res_check_fields(r) != 0)
        return -1;
    char id[40], secret[64], digest[65];
    ids_uuid7(id);
    crypto_random_b64(secret, sizeof(secret), 32);
    crypto_sha256_hex(secret, strlen(secret), digest);
    db_t *db = req_db(r);
    if (db_begin(db) != 0)
        return db_fail(r, db);
    if (db_exec(db, &Q_INSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT(name), DB_INT(scopes), DB_TEXT(digest),
                        DB_TEXT(r->auth.user_id), DB_INT(clock_wall_ms())),
                &r->arena, NULL) != 0 ||
        audit_caller(db, r, "oauth_client.create", "oauth_client", id, or_scopes_text(&r->arena, scopes)) != 0 ||
        db_commit(db) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    db_result_t res;
    if (load(r, id, &res) != 0)
        return -1;
    json_t *body = client_json(r, &res, 0);
    if (body == NULL || json_object_set_new(body, "clientSecret", json_string(secret)) != 0 ||
        json_object_set_new(body, "tokenUrl", json_string(OR_BASE "/oauth/token")) != 0) {
        json_decref(body);
        return res_fail(r, ERR_INTERNAL, "client document");
    }
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/oauth-clients/%s", id));
    res_header(r, "cache-control", "no-store");
    return res_json(r, 201, body);
}

int oauth_clients_list(req_t *r)
{
    page_t page;
    if (page_read(r, &page) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_LIST, DB_ARGS(DB_TEXT(r->auth.tenant_id), page_id_arg(&page), DB_INT(page.limit + 1)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    return res_json(r, 200, page_json(r, &res, page.limit, client_json, 0, NULL));
}

int oauth_clients_get(req_t *r)
{
    db_result_t res;
    if (load(r, req_param(r, 0), &res) != 0)
        return -1;
    return res_json(r, 200, client_json(r, &res, 0));
}

int oauth_clients_revoke(req_t *r)
{
    const char *id = req_param(r, 0);
    db_result_t res;
    if (load(r, id, &res) != 0)
        return -1;
    db_t *db = req_db(r);
    if (db_begin(db) != 0)
        return db_fail(r, db);
    db_result_t up;
    if (db_exec(db, &Q_REVOKE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_INT(clock_wall_ms())), &r->arena,
                &up) != 0 ||
        db_exec(db, &Q_TOKENS_DELETE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, NULL) != 0 ||
        (up.changes > 0 && audit_caller(db, r, "oauth_client.revoke", "oauth_client", id, NULL) != 0) ||
        db_commit(db) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    return res_empty(r, 204);
}
