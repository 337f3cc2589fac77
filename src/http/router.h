/*
 * router.h - the route table and path matching.
 *
 * Every endpoint of the product is one row of one static table (src/api/routes.c):
 * method, path template, handler, roles allowed, flags and the documentation the
 * OpenAPI document is generated from. The router compiles the templates once and
 * matches a request's method and path against them.
 */
#ifndef ERP_HTTP_ROUTER_H
#define ERP_HTTP_ROUTER_H

#include <stddef.h>

#include "http/handler.h"

typedef int (*handler_fn)(req_t *r);

enum {
    ROUTE_PUBLIC = 1u << 0,   /* no token needed */
    ROUTE_INLINE = 1u << 1,   /* cheap and non-blocking: runs on the loop thread, never on the pool */
    ROUTE_BODY = 1u << 2,     /* takes a JSON body (application/json), parsed before the handler */
    ROUTE_TEST = 1u << 3,     /* exists only with ERP_ENABLE_TEST_ROUTES=1 */
    ROUTE_NO_TENANT = 1u << 4, /* for callers without a school (platform admins) */
    ROUTE_IF_MATCH = 1u << 5,  /* a write of a versioned record: If-Match required (428), checked by the handler (412) */
    ROUTE_ETAG = 1u << 6,      /* a read of a versioned record: answers with its ETag, 304 for a matching If-None-Match */
    ROUTE_UPLOAD = 1u << 7,    /* takes a raw body (upload_types; the handler checks the media type, 415) of at most
                                  max_body bytes (413 beyond, before the handler) */
    ROUTE_HASH_ETAG = 1u << 8, /* answers with bytes whose ETag is their content hash (never reused for other bytes);
                                  the handler answers 304 for a matching If-None-Match */
};

/* A documented query parameter. */
typedef struct route_param {
    const char *name;
    const char *schema; /* JSON Schema text, e.g. "{\"type\":\"integer\",\"minimum\":1}" */
    const char *description;
    int required;
} route_param_t;

typedef struct route {
    http_method_t method;
    const char *path; /* "/api/v1/students/{id}" */
    handler_fn handler;
    unsigned roles;   /* ROLE_* bits allowed; ignored for ROUTE_PUBLIC */
    unsigned flags;   /* ROUTE_* */
    const char *summary;
    const char *tag;
    const char *request_schema;  /* components/schemas name of the body, NULL: none */
    const char *response_schema; /* components/schemas name of the success body, NULL: none */
    const char *response_type;   /* media type of the success body; NULL: application/json */
    int status;                  /* success status */
    const route_param_t *query;  /* terminated by a row with name NULL; may be NULL */
    const int *errors;           /* further error statuses, 0-terminated; may be NULL */
    /*
     * A GET's answer from the in-process cache, tried on the event loop before
     * the request goes to a handler thread (after the same access and query
     * checks). Returns 0 after setting the response, -1 to hand the request
     * to the pool unchanged. It never blocks, never touches the database
     * (r->thread is NULL) and answers exactly what the handler would. May be NULL.
     */
    handler_fn loop;
    size_t max_body;          /* ROUTE_UPLOAD: the body limit of this route (0: ERP_MAX_BODY_BYTES, as every other) */
    const char *upload_types; /* ROUTE_UPLOAD: the media types taken, comma-separated (documentation) */
} route_t;

typedef struct router router_t;

/* Builds a router over n routes (test routes only when include_test). Aborts on a malformed template. */
router_t *router_create(const route_t *routes, size_t n, int include_test);
void router_destroy(router_t *rt);

/* Number of routes the router serves, and the i-th of them (a stable index for metrics). */
size_t router_count(const router_t *rt);
const route_t *router_route(const router_t *rt, size_t i);
/* Index of a route within router_route() order. */
size_t router_index(const router_t *rt, const route_t *route);

/*
 * Matches method and path (no query). On success returns ERR_NONE with *route
 * set and path parameters (percent-decoded into arena a) in params[0..*nparams).
 * Returns ERR_NOT_FOUND when no template matches the path, ERR_METHOD when some
 * do but not for this method; *allow then holds the methods that would match.
 * HEAD matches GET routes.
 */
err_code_t router_match(const router_t *rt, http_method_t method, const char *path, size_t len, arena_t *a,
                        const route_t **route, const char **params, int *nparams, unsigned *allow);

/* Writes "GET, HEAD, POST" for a method set into arena memory. */
const char *router_allow_header(arena_t *a, unsigned methods);

#endif
