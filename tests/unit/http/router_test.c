/* Tests of src/http/router.c over a test route table: matching, parameters, 404/405, test routes. */
#include "../unit.h"

#include "api/api.h"
#include "http/router.h"

static int h(req_t *r)
{
    (void)r;
    return 0;
}

#define ROW(m, p, f)                                                                                                   \
    {                                                                                                                  \
        m, p, h, 0, f, NULL, NULL, NULL, NULL, NULL, 200, NULL, NULL                                                   \
    }

static const route_t table[] = {
    ROW(HTTP_GET, "/a", ROUTE_PUBLIC),        /* 0 */
    ROW(HTTP_POST, "/a", 0),                  /* 1 */
    ROW(HTTP_GET, "/a/{id}", 0),              /* 2 */
    ROW(HTTP_PUT, "/a/{id}", ROUTE_BODY),     /* 3 */
    ROW(HTTP_DELETE, "/a/{id}", 0),           /* 4 */
    ROW(HTTP_POST, "/a/new", 0),              /* 5: literal after a parameter route */
    ROW(HTTP_GET, "/a/{id}/b/{bid}", 0),      /* 6 */
    ROW(HTTP_POST, "/only-post", 0),          /* 7 */
    ROW(HTTP_GET, "/t/x", ROUTE_TEST),        /* 8 */
    ROW(HTTP_PATCH, "/x/{a}/{b}/{c}/{d}", 0), /* 9: REQ_MAX_PARAMS parameters */
    ROW(HTTP_GET, "/v1/items/export", 0),     /* 10: literal before a parameter route */
    ROW(HTTP_GET, "/v1/items/{id}", 0),       /* 11 */
    ROW(HTTP_GET, "/t/{p}", ROUTE_TEST),      /* 12 */
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

typedef struct fixture {
    router_t *rt;
    arena_t arena;
    const route_t *route;
    const char *params[REQ_MAX_PARAMS];
    int nparams;
    unsigned allow;
} fixture_t;

static int setup_with(void **state, int include_test)
{
    fixture_t *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    f->rt = router_create(table, NTABLE, include_test);
    arena_init(&f->arena);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, 0);
}

static int setup_test_routes(void **state)
{
    return setup_with(state, 1);
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    router_destroy(f->rt);
    arena_destroy(&f->arena);
    free(f);
    return 0;
}

static err_code_t match(fixture_t *f, http_method_t m, const char *path)
{
    f->route = (const route_t *)1; /* must be overwritten */
    f->nparams = -1;
    f->allow = 0xdead;
    return router_match(f->rt, m, path, strlen(path), &f->arena, &f->route, f->params, &f->nparams, &f->allow);
}

static void expect_route(fixture_t *f, http_method_t m, const char *path, size_t row)
{
    err_code_t rc = match(f, m, path);
    if (rc != ERR_NONE || f->route != &table[row])
        fail_msg("%s %s: rc %d, route %ld, want row %zu", http_method_name(m), path, (int)rc,
                 f->route != NULL ? (long)(f->route - table) : -1L, row);
}

static void expect_404(fixture_t *f, http_method_t m, const char *path)
{
    err_code_t rc = match(f, m, path);
    if (rc != ERR_NOT_FOUND)
        fail_msg("%s \"%s\": rc %d, want 404", http_method_name(m), path, (int)rc);
    assert_null(f->route);
}

static void exact_match(void **state)
{
    fixture_t *f = *state;
    expect_route(f, HTTP_GET, "/a", 0);
    assert_int_equal(f->nparams, 0);
    expect_route(f, HTTP_POST, "/a", 1);
    expect_route(f, HTTP_POST, "/only-post", 7);
    expect_route(f, HTTP_GET, "/v1/items/export", 10);
    expect_route(f, HTTP_GET, "/v1/items/exports", 11);
    assert_string_equal(f->params[0], "exports");
    /* a literal later in the table is still found for its own method */
    expect_route(f, HTTP_POST, "/a/new", 5);
    assert_int_equal(f->nparams, 0);
    expect_404(f, HTTP_GET, "/b");
    expect_404(f, HTTP_GET, "/a/1/b");
    expect_404(f, HTTP_GET, "/a/1/c/2");
    expect_404(f, HTTP_GET, "/A");
    expect_404(f, HTTP_GET, "/aa");
}

static void length_not_nul_bounds_the_path(void **state)
{
    fixture_t *f = *state;
    const char *path = "/a/42/rest-is-ignored";
    assert_int_equal(router_match(f->rt, HTTP_GET, path, 5, &f->arena, &f->route, f->params, &f->nparams, &f->allow),
                     ERR_NONE);
    assert_ptr_equal(f->route, &table[2]);
    assert_string_equal(f->params[0], "42");
}

static void params_are_percent_decoded(void **state)
{
    fixture_t *f = *state;
    expect_route(f, HTTP_GET, "/a/42", 2);
    assert_int_equal(f->nparams, 1);
    assert_string_equal(f->params[0], "42");

    expect_route(f, HTTP_GET, "/a/hello%20world", 2);
    assert_string_equal(f->params[0], "hello world");
    expect_route(f, HTTP_GET, "/a/caf%C3%A9", 2);
    assert_string_equal(f->params[0], "caf\xc3\xa9");
    expect_route(f, HTTP_GET, "/a/caf%c3%a9", 2);
    assert_string_equal(f->params[0], "caf\xc3\xa9");
    expect_route(f, HTTP_GET, "/a/a%2Fb", 2); /* an encoded slash stays inside the segment */
    assert_string_equal(f->params[0], "a/b");
    expect_route(f, HTTP_GET, "/a/a+b", 2); /* '+' is not a space in a path */
    assert_string_equal(f->params[0], "a+b");
    expect_route(f, HTTP_GET, "/a/%41", 2); /* an escape at the very end */
    assert_string_equal(f->params[0], "A");

    expect_route(f, HTTP_GET, "/a/x%201/b/y%2Fz", 6);
    assert_int_equal(f->nparams, 2);
    assert_string_equal(f->params[0], "x 1");
    assert_string_equal(f->params[1], "y/z");

    expect_route(f, HTTP_PATCH, "/x/1/2/3/4", 9);
    assert_int_equal(f->nparams, 4);
    assert_string_equal(f->params[3], "4");
}

static void bad_escapes_are_404(void **state)
{
    fixture_t *f = *state;
    static const char *const bad[] = {
        "/a/%00", "/a/x%00y", "/a/%", "/a/%4", "/a/x%", "/a/%zz", "/a/%g1", "/a/%1g", "/a/%%41", "/a/1/b/%00",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_404(f, HTTP_GET, bad[i]);
    /* a bad escape is a 404 for every method of the template, not only GET */
    expect_404(f, HTTP_PUT, "/a/%00");
}

static void slashes(void **state)
{
    fixture_t *f = *state;
    static const char *const bad[] = {
        "",     "/",     "//",    "a",         "a/",        "/a/",       "//a",
        "/a//", "/a//1", "/a/1/", "/a/1//b/2", "/a/1/b/2/", "/a/1/b//2", "/only-post/",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_404(f, HTTP_GET, bad[i]);
        expect_404(f, HTTP_POST, bad[i]);
    }
    /* deeper than any route can be */
    expect_404(f, HTTP_GET, "/1/2/3/4/5/6/7/8/9/10/11/12/13/14");
}

static void method_not_allowed(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(match(f, HTTP_DELETE, "/a"), ERR_METHOD);
    assert_null(f->route);
    assert_int_equal(f->allow, HTTP_GET | HTTP_HEAD | HTTP_POST);
    assert_string_equal(router_allow_header(&f->arena, f->allow), "GET, HEAD, POST");

    assert_int_equal(match(f, HTTP_PATCH, "/a/1"), ERR_METHOD);
    assert_int_equal(f->allow, HTTP_GET | HTTP_HEAD | HTTP_PUT | HTTP_DELETE);
    assert_string_equal(router_allow_header(&f->arena, f->allow), "GET, HEAD, PUT, DELETE");

    /* /a/new matches the parameter template too: its methods are allowed as well */
    assert_int_equal(match(f, HTTP_PATCH, "/a/new"), ERR_METHOD);
    assert_int_equal(f->allow, HTTP_GET | HTTP_HEAD | HTTP_PUT | HTTP_DELETE | HTTP_POST);

    /* no HEAD where there is no GET */
    assert_int_equal(match(f, HTTP_GET, "/only-post"), ERR_METHOD);
    assert_int_equal(f->allow, HTTP_POST);
    assert_int_equal(match(f, HTTP_HEAD, "/only-post"), ERR_METHOD);
    assert_int_equal(f->allow, HTTP_POST);
    assert_int_equal(match(f, HTTP_OPTIONS, "/only-post"), ERR_METHOD);
    assert_string_equal(router_allow_header(&f->arena, f->allow), "POST");

    /* 404 leaves allow empty */
    assert_int_equal(match(f, HTTP_GET, "/nothing"), ERR_NOT_FOUND);
    assert_int_equal(f->allow, 0);
}

static void head_matches_get(void **state)
{
    fixture_t *f = *state;
    expect_route(f, HTTP_HEAD, "/a", 0);
    assert_int_equal(f->route->method, HTTP_GET);
    expect_route(f, HTTP_HEAD, "/a/%7E", 2);
    assert_string_equal(f->params[0], "~");
}

static void test_routes_excluded(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(router_count(f->rt), NTABLE - 2);
    expect_404(f, HTTP_GET, "/t/x");
    expect_404(f, HTTP_GET, "/t/y");
    assert_int_equal(router_index(f->rt, &table[8]), router_count(f->rt));
    assert_int_equal(router_index(f->rt, &table[12]), router_count(f->rt));
    for (size_t i = 0; i < router_count(f->rt); i++)
        assert_false(router_route(f->rt, i)->flags & ROUTE_TEST);
}

static void test_routes_included(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(router_count(f->rt), NTABLE);
    expect_route(f, HTTP_GET, "/t/x", 8);
    expect_route(f, HTTP_GET, "/t/y", 12);
    assert_string_equal(f->params[0], "y");
}

static void index_is_stable(void **state)
{
    fixture_t *f = *state;
    size_t n = router_count(f->rt);
    size_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        const route_t *r = router_route(f->rt, i);
        assert_non_null(r);
        assert_int_equal(router_index(f->rt, r), i);
        /* router order is table order */
        assert_true(i == 0 || (size_t)(r - table) > prev);
        prev = (size_t)(r - table);
    }
    assert_null(router_route(f->rt, n));
    assert_null(router_route(f->rt, n + 100));
    /* a route of another table is not ours */
    route_t other = table[0];
    assert_int_equal(router_index(f->rt, &other), n);
    /* the index a match gives is the same across calls and routers */
    expect_route(f, HTTP_GET, "/v1/items/1", 11);
    size_t idx = router_index(f->rt, f->route);
    router_t *again = router_create(table, NTABLE, 0);
    assert_int_equal(router_index(again, f->route), idx);
    router_destroy(again);
}

static void allow_header_text(void **state)
{
    fixture_t *f = *state;
    assert_string_equal(router_allow_header(&f->arena, 0), "");
    assert_string_equal(router_allow_header(&f->arena, HTTP_GET), "GET");
    assert_string_equal(router_allow_header(&f->arena, HTTP_DELETE | HTTP_GET), "GET, DELETE");
    assert_string_equal(router_allow_header(&f->arena, 0x7f), "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
}

/* Every route of the product's table is reachable at its own template. */
static void product_table(void **state)
{
    (void)state;
    router_t *rt = router_create(api_routes, api_routes_count, 1);
    arena_t a;
    arena_init(&a);
    assert_int_equal(router_count(rt), api_routes_count);
    for (size_t i = 0; i < api_routes_count; i++) {
        const route_t *want = &api_routes[i];
        /* replace {param} by "p1" */
        char path[256];
        size_t n = 0;
        for (const char *p = want->path; *p != '\0' && n < sizeof(path) - 3; p++) {
            if (*p == '{') {
                memcpy(path + n, "p1", 2);
                n += 2;
                p = strchr(p, '}');
                continue;
            }
            path[n++] = *p;
        }
        path[n] = '\0';
        const route_t *got;
        const char *params[REQ_MAX_PARAMS];
        int np;
        unsigned allow;
        assert_int_equal(router_match(rt, want->method, path, n, &a, &got, params, &np, &allow), ERR_NONE);
        if (got != want)
            fail_msg("%s %s reaches %s", http_method_name(want->method), want->path, got->path);
        assert_int_equal(router_index(rt, got), i);
    }
    router_destroy(rt);
    arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(exact_match, setup, teardown),
        cmocka_unit_test_setup_teardown(length_not_nul_bounds_the_path, setup, teardown),
        cmocka_unit_test_setup_teardown(params_are_percent_decoded, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_escapes_are_404, setup, teardown),
        cmocka_unit_test_setup_teardown(slashes, setup, teardown),
        cmocka_unit_test_setup_teardown(method_not_allowed, setup, teardown),
        cmocka_unit_test_setup_teardown(head_matches_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_routes_excluded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_routes_included, setup_test_routes, teardown),
        cmocka_unit_test_setup_teardown(index_is_stable, setup, teardown),
        cmocka_unit_test_setup_teardown(allow_header_text, setup, teardown),
        cmocka_unit_test(product_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
