#include "api/idempotency.h"

#include <string.h>

#include "api/app.h"
#include "api/common.h"
#include "auth/crypto.h"
#include "auth/sessions.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/router.h"


static long long ttl_ms = 86400000LL;

void idempotency_setup(const config_t *cfg)
{
    ttl_ms = (long long)cfg->idempotency_ttl_seconds * 1000;
}

/*
 * the key for this request, unless a live one is there already: an expired one ($6), or one whose request
 * was still running long after any request ends ($7: the server that ran it went away), is taken over
 */
static stmt_t Q_RESERVE =
    STMT("idempotency.reserve", 0,
         "INSERT INTO idempotency_keys (tenant_id, user_id, key, fingerprint, created_at)"
         " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, user_id, key) DO UPDATE SET"
         " fingerprint = $4, created_at = $5, status = 0, content_type = NULL, location = NULL,"
         " etag = NULL, body = NULL WHERE idempotency_keys.created_at <= $6"
         " OR (idempotency_keys.status = 0 AND idempotency_keys.created_at <= $7)"
         " RETURNING created_at");
#define ABANDONED_MS 120000 /* a request still "running" after this long died with its server */
static stmt_t Q_GET = STMT("idempotency.get", 0,
                           "SELECT fingerprint, status, content_type, location, etag, body FROM idempotency_keys"
                           " WHERE tenant_id = $1 AND user_id = $2 AND key = $3");
static stmt_t Q_KEEP = STMT("idempotency.keep", 0,
                            "UPDATE idempotency_keys SET status = $5, content_type = $6, location = $7, etag = $8,"
                            " body = $9 WHERE tenant_id = $1 AND user_id = $2 AND key = $3 AND created_at = $4");
static stmt_t Q_RELEASE = STMT("idempotency.release", 0,
                               "DELETE FROM idempotency_keys WHERE tenant_id = $1 AND user_id = $2 AND key = $3"
                               " AND created_at = $4");
static stmt_t Q_PURGE = STMT("idempotency.purge", 0, "DELETE FROM idempotency_keys WHERE created_at <= $1");

/* Whether the request takes part: an authenticated POST that carries a key. */
static int applies(const req_t *r)
{
    return r->method == HTTP_POST && r->hdr.idempotency_key != NULL && r->route != NULL &&
           !(r->route->flags & ROUTE_PUBLIC) && r->auth.authenticated;
}

int idempotency_key_valid(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > IDEMPOTENCY_KEY_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e)
            return 0;
    return 1;
}

/* SHA-256 of what makes the request this request: method, path, query and body, NUL between them. */
static void fingerprint(req_t *r, char out[65])
{
    sbuf_t b;
    sbuf_init(&b, &r->arena, r->path_len + r->query_len + r->body_len + 16);
    sbuf_puts(&b, http_method_name(r->method));
    sbuf_putc(&b, '\0');
    sbuf_append(&b, r->path, r->path_len);
    sbuf_putc(&b, '\0');
    sbuf_append(&b, r->query, r->query_len);
    sbuf_putc(&b, '\0');
    if (r->body_len > 0)
        sbuf_append(&b, r->body, r->body_len);
    crypto_sha256_hex(b.p, b.len, out);
}

int idempotency_begin(req_t *r)
{
    if (!applies(r))
        return 0;
    const char *key = r->hdr.idempotency_key;
    if (!idempotency_key_valid(key))
        return res_fail(r, ERR_MALFORMED, "Idempotency-Key must be 1 to %d visible ASCII characters.", IDEMPOTENCY_KEY_MAX);
    db_t *db = req_db(r);
    long long now = (long long)clock_wall_ms();
    const char *tenant = sessions_tenant_of(r);
    char fp[65];
    fingerprint(r, fp);
    /* now and then, forget keys past their time (one indexed range delete) */
    if (now % 64 == 0 && db_exec(db, &Q_PURGE, DB_ARGS(DB_INT(now - ttl_ms)), &r->arena, NULL) != 0)
        log_warn("idempotency keys not purged", "%s", db_error(db)->message);
    db_result_t res;
    if (db_exec(db, &Q_RESERVE,
                DB_ARGS(DB_TEXT(tenant), DB_TEXT(r->auth.user_id), DB_TEXT(key), DB_TEXT(fp), DB_INT(now),
                        DB_INT(now - ttl_ms), DB_INT(now - ABANDONED_MS)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 1) {
        r->idempotency_at = db_get_int(&res, 0, 0);
        return 0; /* ours: run the request */
    }
    if (db_exec(db, &Q_GET, DB_ARGS(DB_TEXT(tenant), DB_TEXT(r->auth.user_id), DB_TEXT(key)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0) {
        /* released between the two statements: the client may simply send it again */
        r->err.retry_after = 1;
        return res_fail(r, ERR_CONFLICT, "A request with this Idempotency-Key was just being processed; retry it.");
    }
    if (strcmp(db_get(&res, 0, 0), fp) != 0)
        return res_fail(r, ERR_VALIDATION,
                        "This Idempotency-Key was used with another request (method, path or body); use a new key.");
    if (db_get_int(&res, 0, 1) == 0) {
        r->err.retry_after = 1;
        return res_fail(r, ERR_CONFLICT, "A request with this Idempotency-Key is still being processed; retry shortly.");
    }
    const char *body = db_get(&res, 0, 5);
    res_body(r, (int)db_get_int(&res, 0, 1), db_get(&res, 0, 2), body, body != NULL ? strlen(body) : 0);
    if (db_get(&res, 0, 3) != NULL)
        res_header(r, "location", db_get(&res, 0, 3));
    if (db_get(&res, 0, 4) != NULL)
        res_header(r, "etag", db_get(&res, 0, 4));
    res_header(r, "idempotent-replayed", "true");
    return 1;
}

/* A response header the handler set, or NULL. */
static const char *header(const req_t *r, const char *name)
{
    for (int i = 0; i < r->res.nheaders; i++)
        if (strcmp(r->res.headers[i].name, name) == 0)
            return r->res.headers[i].value;
    return NULL;
}

void idempotency_end(req_t *r)
{
    if (r->idempotency_at == 0)
        return;
    db_t *db = req_db(r);
    const char *tenant = sessions_tenant_of(r);
    const char *key = r->hdr.idempotency_key;
    int ok = r->res.status >= 200 && r->res.status < 300 && r->err.code == ERR_NONE;
    int rc;
    if (ok)
        rc = db_exec(db, &Q_KEEP,
                     DB_ARGS(DB_TEXT(tenant), DB_TEXT(r->auth.user_id), DB_TEXT(key), DB_INT(r->idempotency_at),
                             DB_INT(r->res.status), DB_TEXT(r->res.content_type), DB_TEXT(header(r, "location")),
                             DB_TEXT(header(r, "etag")),
                             DB_TEXT(r->res.body != NULL ? arena_strndup(&r->arena, r->res.body, r->res.body_len)
                                                         : NULL)),
                     &r->arena, NULL);
    else
        rc = db_exec(db, &Q_RELEASE,
                     DB_ARGS(DB_TEXT(tenant), DB_TEXT(r->auth.user_id), DB_TEXT(key), DB_INT(r->idempotency_at)),
                     &r->arena, NULL);
    if (rc != 0) /* the key stays reserved: its requests answer 409 until it expires */
        log_warn("idempotency key not settled", "request %s: %s", r->request_id, db_error(db)->message);
}
