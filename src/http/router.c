#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sbuf.h"
#include "core/url.h"

#define MAX_SEGMENTS 12

typedef struct segment {
    const char *lit; /* NULL for a parameter */
    size_t len;
} segment_t;

typedef struct compiled {
    const route_t *route;
    segment_t seg[MAX_SEGMENTS];
    int nseg;
    int nparams;
} compiled_t;

struct router {
    compiled_t *routes;
    size_t n;
    const route_t *table; /* the array given to router_create() */
    size_t table_n;
    size_t *index_of; /* table position -> compiled index (n when excluded) */
};

static void compile(compiled_t *c, const route_t *r)
{
    const char *p = r->path;
    c->route = r;
    c->nseg = 0;
    c->nparams = 0;
    if (p[0] != '/') {
        fprintf(stderr, "route %s: template must start with '/'\n", r->path);
        abort();
    }
    while (*p == '/') {
        p++;
        const char *end = strchr(p, '/');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (c->nseg == MAX_SEGMENTS || len == 0) {
            fprintf(stderr, "route %s: empty segment or too many segments\n", r->path);
            abort();
        }
        segment_t *s = &c->seg[c->nseg++];
        if (p[0] == '{' && p[len - 1] == '}') {
            s->lit = NULL;
            if (++c->nparams > REQ_MAX_PARAMS) {
                fprintf(stderr, "route %s: too many parameters\n", r->path);
                abort();
            }
        } else {
            s->lit = p;
        }
        s->len = len;
        p += len;
    }
}

router_t *router_create(const route_t *routes, size_t n, int include_test)
{
    router_t *rt = xcalloc(1, sizeof(*rt));
    rt->routes = xcalloc(n, sizeof(compiled_t));
    rt->table = routes;
    rt->table_n = n;
    rt->index_of = xcalloc(n, sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        rt->index_of[i] = n;
        if ((routes[i].flags & ROUTE_TEST) && !include_test)
            continue;
        rt->index_of[i] = rt->n;
        compile(&rt->routes[rt->n++], &routes[i]);
    }
    return rt;
}

void router_destroy(router_t *rt)
{
    if (rt != NULL) {
        free(rt->routes);
        free(rt->index_of);
        free(rt);
    }
}

size_t router_count(const router_t *rt)
{
    return rt->n;
}

const route_t *router_route(const router_t *rt, size_t i)
{
    return i < rt->n ? rt->routes[i].route : NULL;
}

size_t router_index(const router_t *rt, const route_t *route)
{
    if (route < rt->table || route >= rt->table + rt->table_n)
        return rt->n;
    size_t i = rt->index_of[route - rt->table];
    return i < rt->table_n ? i : rt->n;
}

err_code_t router_match(const router_t *rt, http_method_t method, const char *path, size_t len, arena_t *a,
                        const route_t **route, const char **params, int *nparams, unsigned *allow)
{
    const char *seg[MAX_SEGMENTS];
    size_t seglen[MAX_SEGMENTS];
    int nseg = 0;
    size_t i = 0;
    *allow = 0;
    *route = NULL;
    *nparams = 0;
    if (len == 0 || path[0] != '/')
        return ERR_NOT_FOUND;
    while (i < len) {
        if (path[i] != '/')
            return ERR_NOT_FOUND;
        i++;
        size_t start = i;
        while (i < len && path[i] != '/')
            i++;
        if (i == start || nseg == MAX_SEGMENTS)
            return ERR_NOT_FOUND; /* empty segment (trailing or double slash) or too deep */
        seg[nseg] = path + start;
        seglen[nseg] = i - start;
        nseg++;
    }
    http_method_t want = method == HTTP_HEAD ? HTTP_GET : method;
    const compiled_t *found = NULL;
    unsigned best = 0; /* literal segments win over parameters, earlier segments first */
    for (size_t r = 0; r < rt->n; r++) {
        const compiled_t *c = &rt->routes[r];
        if (c->nseg != nseg)
            continue;
        int ok = 1;
        for (int k = 0; k < nseg && ok; k++)
            if (c->seg[k].lit != NULL && (c->seg[k].len != seglen[k] || memcmp(c->seg[k].lit, seg[k], seglen[k]) != 0))
                ok = 0;
        if (!ok)
            continue;
        *allow |= c->route->method;
        if (c->route->method == HTTP_GET)
            *allow |= HTTP_HEAD;
        if (c->route->method == want) {
            unsigned score = 1;
            for (int k = 0; k < nseg; k++)
                if (c->seg[k].lit != NULL)
                    score |= 1u << (MAX_SEGMENTS - k);
            if (found == NULL || score > best) {
                found = c;
                best = score;
            }
        }
    }
    if (found == NULL)
        return *allow ? ERR_METHOD : ERR_NOT_FOUND;
    for (int k = 0; k < nseg; k++) {
        if (found->seg[k].lit != NULL)
            continue;
        const char *v = url_decode(a, seg[k], seglen[k], URL_STRICT);
        if (v == NULL)
            return ERR_NOT_FOUND;
        params[(*nparams)++] = v;
    }
    *route = found->route;
    return ERR_NONE;
}

const char *router_allow_header(arena_t *a, unsigned methods)
{
    sbuf_t b;
    sbuf_init(&b, a, 64);
    for (int i = 0; i < HTTP_METHOD_COUNT; i++) {
        if (methods & (1u << i)) {
            if (b.len)
                sbuf_puts(&b, ", ");
            sbuf_puts(&b, http_method_name((http_method_t)(1u << i)));
        }
    }
    return b.p;
}
