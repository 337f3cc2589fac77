#include "http/handler.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/sbuf.h"
#include "core/url.h"

static const char *const method_names[HTTP_METHOD_COUNT] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

int http_method_index(http_method_t m)
{
    for (int i = 0; i < HTTP_METHOD_COUNT; i++)
        if ((unsigned)m == 1u << i)
            return i;
    return -1;
}

const char *http_method_name(http_method_t m)
{
    int i = http_method_index(m);
    return i < 0 ? "" : method_names[i];
}

http_method_t http_method_parse(const char *s, size_t len)
{
    for (int i = 0; i < HTTP_METHOD_COUNT; i++)
        if (strlen(method_names[i]) == len && memcmp(method_names[i], s, len) == 0)
            return (http_method_t)(1u << i);
    return 0;
}

const char *http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

void req_reset(req_t *r)
{
    arena_t keep = r->arena;
    memset(r, 0, sizeof(*r));
    r->arena = keep;
    r->query = "";
    r->q.n = -1;
}

void req_release(req_t *r)
{
    if (r->json != NULL) {
        json_decref(r->json);
        r->json = NULL;
    }
    arena_reset(&r->arena);
}

static void parse_query(req_t *r)
{
    int n = 0;
    for (size_t i = 0; i < r->query_len; i++)
        n += r->query[i] == '&';
    n += 1;
    r->q.keys = arena_alloc(&r->arena, sizeof(char *) * (size_t)n);
    r->q.values = arena_alloc(&r->arena, sizeof(char *) * (size_t)n);
    r->q.n = 0;
    const char *p = r->query, *end = r->query + r->query_len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp != NULL ? amp : end;
        if (stop > p) {
            const char *eq = memchr(p, '=', (size_t)(stop - p));
            const char *kend = eq != NULL ? eq : stop;
            r->q.keys[r->q.n] = url_decode(&r->arena, p, (size_t)(kend - p), URL_PLUS_SPACE);
            r->q.values[r->q.n] = eq != NULL ? url_decode(&r->arena, eq + 1, (size_t)(stop - eq - 1), URL_PLUS_SPACE) : "";
            r->q.n++;
        }
        p = stop + 1;
    }
}

const char *req_query(req_t *r, const char *name)
{
    if (r->q.n < 0)
        parse_query(r);
    for (int i = 0; i < r->q.n; i++)
        if (strcmp(r->q.keys[i], name) == 0)
            return r->q.values[i];
    return NULL;
}

int res_fail(req_t *r, err_code_t code, const char *fmt, ...)
{
    r->err.code = code;
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        r->err.detail = arena_vprintf(&r->arena, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void res_field_error(req_t *r, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = arena_vprintf(&r->arena, fmt, ap);
    va_end(ap);
    error_add_field(&r->err, arena_strdup(&r->arena, field), msg);
}

int res_check_fields(req_t *r)
{
    if (r->err.nfields == 0)
        return 0;
    if (r->err.code == ERR_NONE)
        r->err.code = ERR_VALIDATION;
    if (r->err.detail == NULL)
        r->err.detail = r->err.nfields == 1 ? "One field is invalid." : "Some fields are invalid.";
    return -1;
}

int res_body(req_t *r, int status, const char *content_type, const char *body, size_t len)
{
    r->res.status = status;
    r->res.content_type = content_type;
    r->res.body = body;
    r->res.body_len = len;
    return 0;
}

static int render_chunk(const char *chunk, size_t size, void *data)
{
    sbuf_append(data, chunk, size);
    return 0;
}

int json_render_to(sbuf_t *b, const json_t *body, size_t flags)
{
    return json_dump_callback(body, render_chunk, b, flags) == 0 ? 0 : -1;
}

char *json_render(arena_t *a, const json_t *body, size_t flags, size_t *len)
{
    sbuf_t b;
    sbuf_init(&b, a, 1024);
    if (json_render_to(&b, body, flags) != 0)
        return NULL;
    *len = b.len;
    return b.p;
}

int res_json(req_t *r, int status, json_t *body)
{
    if (body == NULL)
        return res_fail(r, ERR_INTERNAL, "response body could not be built");
    /* 15 significant digits: a real rounded to a few decimals (a rate 0.8333) prints as such, not 0.83330000000000004 */
    size_t len = 0;
    char *buf = json_render(&r->arena, body, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15), &len);
    json_decref(body);
    if (buf == NULL)
        return res_fail(r, ERR_INTERNAL, "response body could not be rendered");
    return res_body(r, status, "application/json", buf, len);
}

int res_empty(req_t *r, int status)
{
    return res_body(r, status, NULL, NULL, 0);
}

void res_etag(req_t *r, long long version)
{
    res_header(r, "etag", arena_printf(&r->arena, "\"%lld\"", version));
    r->res.etag = version;
}

void res_header(req_t *r, const char *name, const char *value)
{
    if (r->res.nheaders < RES_MAX_HEADERS) {
        r->res.headers[r->res.nheaders].name = name;
        r->res.headers[r->res.nheaders].value = value;
        r->res.nheaders++;
    }
}

void res_render_error(req_t *r)
{
    if (r->err.code == ERR_NONE)
        r->err.code = ERR_INTERNAL;
    sbuf_t b;
    sbuf_init(&b, &r->arena, 256);
    error_render(&r->err, r->request_id, &b);
    r->res.status = error_status(r->err.code);
    r->res.content_type = "application/problem+json";
    r->res.body = b.p;
    r->res.body_len = b.len;
    if (r->err.retry_after > 0)
        res_header(r, "retry-after", arena_printf(&r->arena, "%d", r->err.retry_after));
}
