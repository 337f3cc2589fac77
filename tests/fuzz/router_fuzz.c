/*
 * router_fuzz.c - request routing: router_match() (src/http/router.c) over the
 * product's real route table api_routes (src/api/routes.c), with and without
 * the test routes, any method (also values that are no method) and any path;
 * http_method_parse() of the method name and router_allow_header().
 *
 * Input: "METHOD PATH": METHOD a name for http_method_parse(), or, when it is
 * none, its first byte picks a method bit (including bits that are no method);
 * PATH the raw path bytes (no terminator). A first byte 't' before the method
 * uses the router without the test routes.
 *
 * Properties: ERR_NONE only with a route of the method asked (GET for HEAD)
 * whose template has as many segments as the path, its literal segments equal
 * to the path's, and one decoded parameter per {param}; ERR_METHOD only with an
 * allow set that lacks the method; ERR_NOT_FOUND with an empty allow set;
 * the route's index round-trips through router_index() / router_route().
 */
#include "fuzz.h"

#include "api/api.h"
#include "http/router.h"

static router_t *with_test, *without_test;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    with_test = router_create(api_routes, api_routes_count, 1);
    without_test = router_create(api_routes, api_routes_count, 0);
    return 0;
}

/* Number of {params} of a template. */
static int template_params(const char *t)
{
    int n = 0;
    for (const char *p = t; *p != '\0'; p++)
        n += *p == '{';
    return n;
}

/* Whether the path's literal segments equal the template's (parameters match anything). */
static int literals_match(const char *t, const char *path, size_t len)
{
    const char *p = path, *end = path + len;
    while (*t != '\0') {
        if (*t != '/' || p >= end || *p != '/')
            return 0;
        t++;
        p++;
        const char *tend = strchr(t, '/');
        size_t tl = tend != NULL ? (size_t)(tend - t) : strlen(t);
        const char *pend = memchr(p, '/', (size_t)(end - p));
        size_t pl = pend != NULL ? (size_t)(pend - p) : (size_t)(end - p);
        if (!(tl > 0 && t[0] == '{') && (tl != pl || memcmp(t, p, tl) != 0))
            return 0;
        t += tl;
        p += pl;
    }
    return p == end;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const router_t *rt = with_test;
    if (size > 0 && data[0] == 't') {
        rt = without_test;
        data++;
        size--;
    }
    const uint8_t *sp = memchr(data, ' ', size);
    size_t mlen = sp != NULL ? (size_t)(sp - data) : 0;
    http_method_t m = http_method_parse((const char *)data, mlen);
    if (m == 0)
        m = mlen > 0 ? (http_method_t)(1u << (data[0] % 9)) : HTTP_GET; /* bits 7 and 8 are no method */
    const uint8_t *path = sp != NULL ? sp + 1 : data;
    size_t plen = size - (size_t)(path - data);
    char *p = fuzz_memdup(path, plen);

    arena_t a;
    arena_init(&a);
    const route_t *route = (const route_t *)1;
    const char *params[REQ_MAX_PARAMS];
    int nparams = -1;
    unsigned allow = 0xdead;
    err_code_t e = router_match(rt, m, p, plen, &a, &route, params, &nparams, &allow);
    http_method_t want = m == HTTP_HEAD ? HTTP_GET : m;
    FUZZ_CHECK(nparams >= 0 && nparams <= REQ_MAX_PARAMS);
    FUZZ_CHECK((allow & ~((1u << HTTP_METHOD_COUNT) - 1)) == 0);
    if (e == ERR_NONE) {
        FUZZ_CHECK(route != NULL && route->method == want);
        FUZZ_CHECK(rt == with_test || !(route->flags & ROUTE_TEST));
        FUZZ_CHECK(allow & want);
        FUZZ_CHECK(nparams == template_params(route->path));
        FUZZ_CHECK(literals_match(route->path, p, plen));
        for (int i = 0; i < nparams; i++)
            FUZZ_CHECK(params[i] != NULL && strlen(params[i]) <= plen);
        size_t idx = router_index(rt, route);
        FUZZ_CHECK(idx < router_count(rt) && router_route(rt, idx) == route);
    } else if (e == ERR_METHOD) {
        FUZZ_CHECK(route == NULL && allow != 0 && !(allow & want) && nparams == 0);
    } else {
        FUZZ_CHECK(e == ERR_NOT_FOUND && route == NULL);
        /* also 404: a path a route of this method matches, but whose parameter does not decode strictly */
        FUZZ_CHECK(allow == 0 ? nparams == 0 : (allow & want) != 0);
    }
    const char *hdr = router_allow_header(&a, allow);
    FUZZ_CHECK(hdr != NULL && (allow == 0) == (hdr[0] == '\0'));
    arena_destroy(&a);
    free(p);
    return 0;
}
