#include "api/common.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/app.h"
#include "api/validate.h"
#include "auth/crypto.h"
#include "auth/policy.h"
#include "auth/roles.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/tz.h"
#include "core/utf8.h"
#include "http/etag.h"

const char *iso_time(arena_t *a, int64_t ms)
{
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char buf[32];
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    return arena_printf(a, "%s.%03dZ", buf, (int)(ms % 1000));
}

json_t *json_time_or_null(arena_t *a, const char *cell)
{
    return cell != NULL ? json_string(iso_time(a, strtoll(cell, NULL, 10))) : json_null();
}

const char *school_today(req_t *r)
{
    char *out = arena_alloc(&r->arena, TZ_DATE_LEN + 1);
    tz_local_date(r->auth.time_zone[0] ? r->auth.time_zone : "UTC", (int64_t)clock_wall_ms(), out);
    return out;
}

void set_etag(req_t *r, long long version)
{
    res_etag(r, version);
}

int if_match(req_t *r, long long current, const char *what)
{
    if (etag_if_match(r->hdr.if_match, current) == ETAG_MATCH)
        return 0;
    return res_fail(r, ERR_PRECONDITION_FAILED, "The %s was changed meanwhile (now version %lld); read it again.", what,
                    current);
}

int stale_write(req_t *r, const char *what)
{
    return res_fail(r, ERR_PRECONDITION_FAILED, "The %s was changed meanwhile; read it again.", what);
}

int patch_is_empty(const req_t *r)
{
    return r->json != NULL && json_object_size(r->json) == 0;
}

int page_read(req_t *r, page_t *p)
{
    memset(p, 0, sizeof(*p));
    p->limit = 50;
    const char *limit = req_query(r, "limit");
    long long n;
    if (limit != NULL) {
        if (query_int(r, "limit", limit, 1, 500, &n) != 0)
            return -1;
        p->limit = (int)n;
    }
    const char *cursor = req_query(r, "cursor");
    if (cursor != NULL) {
        if (page_cursor_decode(cursor, p->key, sizeof(p->key), p->id, sizeof(p->id)) != 0 ||
            !ids_uuid_valid(p->id, strlen(p->id)))
            return res_fail(r, ERR_MALFORMED, "The cursor is not one this server issued.");
        p->has_cursor = 1;
    }
    return 0;
}

int page_cursor_decode(const char *cursor, char *key, size_t keylen, char *id, size_t idlen)
{
    char raw[1536]; /* the JSON [key, id] with key escaped */
    long len = crypto_b64_decode(cursor, raw, sizeof(raw) - 1);
    if (len < 0)
        return -1;
    raw[len] = '\0';
    json_t *j = json_loads(raw, 0, NULL);
    const char *k, *i;
    int rc = j != NULL && json_unpack(j, "[ss]", &k, &i) == 0 && strlen(k) < keylen && strlen(i) < idlen ? 0 : -1;
    if (rc == 0) {
        snprintf(key, keylen, "%s", k);
        snprintf(id, idlen, "%s", i);
    }
    json_decref(j);
    return rc;
}

const char *page_cursor(arena_t *a, const char *key, const char *id)
{
    json_t *j = json_pack("[ss]", key != NULL ? key : "", id); /* NULL for a key that is not UTF-8 */
    char *raw = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (raw == NULL)
        return NULL;
    size_t n = strlen(raw);
    size_t outlen = n * 4 / 3 + 4;
    char *out = arena_alloc(a, outlen);
    crypto_b64_encode(raw, n, out, outlen);
    free(raw);
    return out;
}

int school_ref(req_t *r, stmt_t *st, const char *id, const char *what, const char *field, db_result_t *res)
{
    db_t *db = req_db(r);
    db_result_t tmp;
    if (res == NULL)
        res = &tmp;
    if (db_exec(db, st, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, res) != 0)
        return db_fail(r, db);
    if (res->nrows == 0) {
        if (field != NULL)
            res_fail(r, ERR_NOT_FOUND, "No such %s (%s).", what, field);
        else
            res_fail(r, ERR_NOT_FOUND, "No such %s.", what);
        return 0;
    }
    return 1;
}

json_t *page_json(req_t *r, const db_result_t *res, int limit, page_item_fn item, int key_col, page_key_fn key)
{
    json_t *items = json_array();
    int n = res->nrows > limit ? limit : res->nrows;
    for (int i = 0; i < n; i++)
        if (json_array_append_new(items, item(r, res, i)) != 0) {
            json_decref(items);
            return NULL;
        }
    const char *next = NULL;
    if (res->nrows > limit &&
        (next = page_cursor(&r->arena, key != NULL ? key(r, res, n - 1) : db_get(res, n - 1, key_col),
                            db_get(res, n - 1, 0))) == NULL) {
        json_decref(items);
        return NULL;
    }
    return page_result(items, next);
}

db_arg_t page_key_arg(req_t *r, const page_t *p, int numeric)
{
    if (!p->has_cursor)
        return DB_NULL;
    return numeric ? DB_INT(strtoll(p->key, NULL, 10)) : DB_TEXT(arena_strdup(&r->arena, p->key));
}

db_arg_t page_id_arg(const page_t *p)
{
    return DB_TEXT(p->has_cursor ? p->id : NULL);
}

json_t *page_result(json_t *items, const char *next_cursor)
{
    return json_pack("{s:o,s:o}", "items", items, "nextCursor",
                     next_cursor != NULL ? json_string(next_cursor) : json_null()); /* NULL items: NULL */
}

int list_teacher_scope(req_t *r, const char **own)
{
    *own = NULL;
    if (policy_sees_school(r))
        return 1;
    int rc = policy_teacher_id(r, own);
    if (rc <= 0)
        return rc < 0 ? -1 : res_json(r, 200, page_result(json_array(), NULL));
    return 1;
}

int sort_read(req_t *r, const char *const *names, int default_desc, int *desc)
{
    const char *v = req_query(r, "sort");
    *desc = default_desc;
    if (v == NULL)
        return 0;
    int d = v[0] == '-';
    for (int i = 0; names[i] != NULL; i++) {
        if (strcmp(v + d, names[i]) == 0) {
            *desc = d;
            return i;
        }
    }
    sbuf_t b;
    sbuf_init(&b, &r->arena, 64);
    for (int i = 0; names[i] != NULL; i++)
        sbuf_printf(&b, "%s%s", i ? ", " : "", names[i]);
    res_field_error(r, "sort", "must be one of %s (prefix '-' for descending)", b.p);
    return res_check_fields(r);
}

json_t *json_with(json_t *o, const char *key, json_t *v)
{
    if (o == NULL || v == NULL || json_object_set_new(o, key, v) != 0) { /* set_new releases v itself */
        if (o == NULL)
            json_decref(v);
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *json_push(json_t *a, json_t *v)
{
    if (a == NULL || v == NULL || json_array_append_new(a, v) != 0) {
        if (a == NULL)
            json_decref(v);
        json_decref(a);
        return NULL;
    }
    return a;
}

int duplicate(req_t *r, const char *field, const char *message)
{
    res_field_error(r, field, "%s", message);
    res_check_fields(r);
    r->err.code = ERR_CONFLICT;
    r->err.detail = arena_printf(&r->arena, "%c%s.", toupper((unsigned char)message[0]), message + 1);
    return -1;
}

json_t *roles_json(unsigned roles)
{
    json_t *a = json_array();
    for (int i = 0; i < ROLE_COUNT; i++)
        if ((roles & (1u << i)) && json_array_append_new(a, json_string(role_name(i))) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

int body_roles(req_t *r, const char *field, int required, unsigned allowed, unsigned *out)
{
    json_t *v = json_object_get(r->json, field);
    if (v == NULL || json_is_null(v)) {
        if (required) {
            res_field_error(r, field, "is required");
            return -1;
        }
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > ROLE_COUNT) {
        res_field_error(r, field, "must be a non-empty array of roles");
        return -1;
    }
    unsigned bits = 0;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        unsigned b = json_is_string(e) ? role_parse(json_string_value(e)) : 0;
        if (b == 0 || !(b & allowed)) {
            sbuf_t names;
            sbuf_init(&names, &r->arena, 64);
            for (int k = 0; k < ROLE_COUNT; k++)
                if (allowed & (1u << k))
                    sbuf_printf(&names, "%s%s", names.len ? ", " : "", role_name(k));
            res_field_error(r, field, "may contain only: %s", names.p);
            return -1;
        }
        bits |= b;
    }
    *out = bits;
    return 1;
}

int valid_email(const char *s, char *out, size_t outlen)
{
    size_t n = strlen(s);
    if (!utf8_valid(s, n))
        return 0;
    const char *at = strchr(s, '@');
    if (n < 3 || n > 254 || n >= outlen || at == NULL || at == s || strchr(at + 1, '@') != NULL)
        return 0;
    const char *dot = strrchr(at, '.');
    if (dot == NULL || dot == at + 1 || dot[1] == '\0')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == '"' || c == '(' || c == ')' || c == ',' || c == ':' || c == ';' || c == '<' ||
            c == '>' || c == '[' || c == ']' || c == '\\' || c == 0x7f)
            return 0;
        out[i] = (char)tolower(c);
    }
    out[n] = '\0';
    return 1;
}

int valid_slug(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

int valid_time_zone(const char *s)
{
    return tz_valid(s);
}

int valid_currency(const char *s)
{
    return strlen(s) == 3 && isupper((unsigned char)s[0]) && isupper((unsigned char)s[1]) &&
           isupper((unsigned char)s[2]);
}

int require_id(req_t *r, const char *id)
{
    if (id != NULL && ids_uuid_valid(id, strlen(id))) {
        for (char *p = (char *)id; *p != '\0'; p++) /* path parameters live in the request arena */
            *p = (char)tolower((unsigned char)*p);
        return 0;
    }
    return res_fail(r, ERR_NOT_FOUND, "No such resource.");
}
