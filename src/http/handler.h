/*
 * handler.h - what a route handler sees: the request and the response it fills.
 *
 * Handlers are plain synchronous functions `int fn(req_t *r)` that know nothing
 * of HTTP libraries, so they can be called from tests directly. The server copies
 * what a handler may read out of the connection's request before the handler
 * runs (on a handler-pool thread, or inline on the loop thread for routes marked
 * ROUTE_INLINE), and sends what the handler left in r->res afterwards.
 *
 * A handler returns 0 after setting a response (res_json(), res_body(), …), or
 * -1 after recording an error with res_fail() / res_invalid(); the error becomes
 * an application/problem+json response. All memory a handler needs comes from
 * r->arena and is released with the request.
 */
#ifndef ERP_HTTP_HANDLER_H
#define ERP_HTTP_HANDLER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/sbuf.h"
#include "core/error.h"

typedef enum {
    HTTP_GET = 1u << 0,
    HTTP_HEAD = 1u << 1,
    HTTP_POST = 1u << 2,
    HTTP_PUT = 1u << 3,
    HTTP_PATCH = 1u << 4,
    HTTP_DELETE = 1u << 5,
    HTTP_OPTIONS = 1u << 6,
} http_method_t;

#define HTTP_METHOD_COUNT 7

/* "GET", "POST", …; "" for an unknown value. */
const char *http_method_name(http_method_t m);
/* Index 0..6 of a method bit (for tables). */
int http_method_index(http_method_t m);
/* Method bit for a name, or 0. */
http_method_t http_method_parse(const char *s, size_t len);
/* Reason phrase of a status ("Not Found"). */
const char *http_reason(int status);

#define REQ_MAX_PARAMS 4
#define RES_MAX_HEADERS 8
#define REQUEST_ID_MAX 64
#define ID_MAX 40

/* Who is calling, from the verified access token. */
typedef struct principal {
    int authenticated;
    char tenant_id[ID_MAX]; /* "" for platform admins */
    char user_id[ID_MAX];
    char token_id[ID_MAX];
    char session_id[ID_MAX];
    char actor[2 * ID_MAX];  /* "tenant:user", the key of read-your-writes */
    char time_zone[64];      /* the school's IANA time zone ("UTC" for platform admins) */
    unsigned roles;          /* ROLE_* bits */
    int64_t expires_at;      /* Unix seconds */
    /* the caller's own teacher/guardian/student records, looked up on first need (auth/policy.c) */
    const char *own[3];
    unsigned own_looked;     /* bit i: own[i] looked up */
} principal_t;

typedef struct res_header {
    const char *name;
    const char *value;
} res_header_t;

typedef struct response {
    int status;               /* 0 until set */
    const char *content_type; /* NULL: no Content-Type */
    const char *body;         /* arena memory or static */
    size_t body_len;
    res_header_t headers[RES_MAX_HEADERS];
    int nheaders;
    long long etag;           /* the version the ETag header names; 0: none (see res_etag()) */
} response_t;

struct route;

typedef struct req {
    arena_t arena;
    const struct route *route;
    http_method_t method;
    const char *path; /* without the query; NUL-terminated */
    size_t path_len;
    const char *query; /* raw, without '?'; "" when none */
    size_t query_len;
    const char *params[REQ_MAX_PARAMS]; /* path parameters, percent-decoded, in template order */
    int nparams;
    struct {
        const char *authorization;
        const char *content_type;
        const char *if_match;
        const char *if_none_match;
        const char *idempotency_key;
        const char *user_agent;
        const char *origin;
        const char *webhook_signature; /* Stripe-Signature: "t=<unix seconds>,v1=<hex HMAC-SHA256>" */
        const char *accept_encoding;   /* read for the web app's files only */
    } hdr;                /* NULL when absent */
    const char *cors_origin; /* the request's Origin when ERP_CORS_ORIGINS allows it (echoed back); else NULL */
    long long idempotency_at; /* the Idempotency-Key this request reserved (its time), 0: none (api/idempotency.h) */
    const char *body;     /* NULL when none */
    size_t body_len;
    json_t *json;         /* parsed body of ROUTE_BODY routes; released with the request */
    char request_id[REQUEST_ID_MAX + 1];
    char remote_addr[48];
    principal_t auth;
    void *thread;         /* the running thread's resources (database connections); NULL on loop threads */
    problem_t err;
    response_t res;
    struct {
        const char **keys, **values;
        int n; /* -1: not parsed yet */
    } q;
} req_t;

/* Zeroes every field for a new request but the arena, which is kept as it is (req_release() empties it). */
void req_reset(req_t *r);
/* Releases what the request holds (parsed JSON, arena blocks). */
void req_release(req_t *r);

/* Path parameter by position. */
static inline const char *req_param(const req_t *r, int i)
{
    return i < r->nparams ? r->params[i] : NULL;
}

/* Decoded value of the first query parameter called name, or NULL. */
const char *req_query(req_t *r, const char *name);

/* Records an error; returns -1 so handlers can `return res_fail(...)`. fmt may be NULL. */
int res_fail(req_t *r, err_code_t code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Adds a field error (422 unless another code is set later); the message is formatted into the arena. */
void res_field_error(req_t *r, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Ends validation: -1 with ERR_VALIDATION if any field error was added, else 0. */
int res_check_fields(req_t *r);

/* Sets a JSON response from a jansson value (any type); steals the reference. Returns 0, or -1 (500) for NULL. */
int res_json(req_t *r, int status, json_t *body);
/*
 * body rendered once, with jansson's dump flags, into arena memory (NUL-terminated); *len
 * its length. NULL if jansson refused it. The value is not released.
 */
char *json_render(arena_t *a, const json_t *body, size_t flags, size_t *len);
/* As json_render(), appending to b; 0, or -1 if jansson refused it (b then holds part of it). */
int json_render_to(sbuf_t *b, const json_t *body, size_t flags);
/* Sets a response with a body already in arena or static memory. Returns 0. */
int res_body(req_t *r, int status, const char *content_type, const char *body, size_t len);
/* Sets a response without a body (204, or 202 without details). Returns 0. */
int res_empty(req_t *r, int status);
/* Adds a response header; both strings must outlive the request (arena or static). */
void res_header(req_t *r, const char *name, const char *value);
/*
 * Sets ETag: "<version>" for a versioned record. On a GET the dispatcher then
 * answers 304 when If-None-Match names that version.
 */
void res_etag(req_t *r, long long version);

/*
 * Turns r->err into the problem+json response (status, body, Retry-After).
 * Called by the dispatcher; handlers never need it.
 */
void res_render_error(req_t *r);

#endif
