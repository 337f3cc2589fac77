/* Tests of src/api/invalidate.c: every write route says what it makes stale, and only writes that succeeded invalidate. */
#include "../unit.h"

#include "api/api.h"
#include "api/invalidate.h"
#include "cache/cache.h"

static void every_write_route_has_a_row(void **state)
{
    (void)state;
    for (size_t i = 0; i < api_routes_count; i++) {
        const route_t *r = &api_routes[i];
        if (r->method & (HTTP_GET | HTTP_HEAD | HTTP_OPTIONS))
            continue;
        if (invalidate_families(r) < 0)
            fail_msg("%s %s has no row in src/api/invalidate.c", http_method_name(r->method), r->path);
    }
}

static void reads_have_no_row_to_match(void **state)
{
    (void)state;
    static const route_t unknown = {HTTP_POST, "/api/v1/nothing-like-this", NULL, 0, 0, NULL, NULL, NULL, NULL,
                                    NULL, 201, NULL, NULL};
    assert_int_equal(invalidate_families(&unknown), -1);
}

static void student_writes_reach_profiles_and_rosters(void **state)
{
    (void)state;
    for (size_t i = 0; i < api_routes_count; i++) {
        const route_t *r = &api_routes[i];
        if (r->method == HTTP_PATCH && strcmp(r->path, "/api/v1/students/{id}") == 0) {
            long f = invalidate_families(r);
            assert_true(f & (1L << CACHE_STUDENT));
            assert_true(f & (1L << CACHE_ROSTER));
            return;
        }
    }
    fail_msg("no PATCH /api/v1/students/{id} in the route table");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_write_route_has_a_row),
        cmocka_unit_test(reads_have_no_row_to_match),
        cmocka_unit_test(student_writes_reach_profiles_and_rosters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
