/* Tests of src/cache/cache.c without Redis (the embedded profile): exact local invalidation and isolation of keys. */
#include "../unit.h"

#include "cache/cache.h"
#include "core/config.h"

static const char *A = "0190a000-0000-7000-8000-00000000000a";
static const char *B = "0190a000-0000-7000-8000-00000000000b";

static int setup(void **state)
{
    (void)state;
    static config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.cache_mode = CACHE_MODE_ON;
    cfg.database_url = "sqlite::memory:";
    cfg.l1_bytes = 4u << 20;
    char err[256];
    return cache_setup(&cfg, err, sizeof(err));
}

static int teardown(void **state)
{
    (void)state;
    cache_shutdown();
    return 0;
}

/* Stores v under (tenant, family, key) with the generations of now. */
static void put(const char *tenant, cache_family_t f, const char *key, const char *v)
{
    cache_gens_t g;
    cache_generations(tenant, f, 0, &g);
    assert_true(g.known);
    cache_set(tenant, f, key, &g, v, strlen(v), 7, 60000);
}

/* The value under (tenant, family, key) now, or NULL. */
static const char *get(arena_t *a, const char *tenant, cache_family_t f, const char *key)
{
    cache_gens_t g;
    cache_generations(tenant, f, 0, &g);
    const char *v;
    size_t len;
    uint64_t meta;
    if (!cache_get(tenant, f, key, &g, a, &v, &len, &meta, 0))
        return NULL;
    assert_int_equal(meta, 7);
    assert_int_equal(strlen(v), len);
    return v;
}

static void set_then_get(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    put(A, CACHE_STUDENT, "s1", "{\"id\":\"s1\"}");
    assert_string_equal(get(&a, A, CACHE_STUDENT, "s1"), "{\"id\":\"s1\"}");
    assert_null(get(&a, A, CACHE_STUDENT, "s2"));
    assert_null(get(&a, B, CACHE_STUDENT, "s1"));     /* another school never sees it */
    assert_null(get(&a, A, CACHE_ROSTER, "s1"));      /* nor another family */
    arena_destroy(&a);
}

static void family_invalidation_is_exact(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    put(A, CACHE_STUDENT, "s1", "one");
    put(A, CACHE_ROSTER, "c1", "roster");
    put(B, CACHE_STUDENT, "s1", "other school");
    cache_invalidate_family(A, CACHE_STUDENT);
    assert_null(get(&a, A, CACHE_STUDENT, "s1"));
    assert_string_equal(get(&a, A, CACHE_ROSTER, "c1"), "roster");
    assert_string_equal(get(&a, B, CACHE_STUDENT, "s1"), "other school");
    arena_destroy(&a);
}

static void school_invalidation_reaches_every_family(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    put(A, CACHE_SESSION, "x", "session");
    put(A, CACHE_ROSTER, "c1", "roster");
    put(B, CACHE_SESSION, "x", "B session");
    cache_invalidate_tenant(A);
    assert_null(get(&a, A, CACHE_SESSION, "x"));
    assert_null(get(&a, A, CACHE_ROSTER, "c1"));
    assert_string_equal(get(&a, B, CACHE_SESSION, "x"), "B session");
    arena_destroy(&a);
}

static void a_load_begun_before_an_invalidation_is_not_served(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    cache_gens_t before;
    cache_generations(A, CACHE_STUDENT, 0, &before); /* a request starts loading … */
    cache_invalidate_family(A, CACHE_STUDENT);       /* … a write commits meanwhile … */
    cache_set(A, CACHE_STUDENT, "late", &before, "stale", 5, 7, 60000); /* … and the load stores what it read */
    assert_null(get(&a, A, CACHE_STUDENT, "late"));
    arena_destroy(&a);
}

/* Stores v under a part of the attendance family. */
static void put_part(const char *tenant, const char *name, const char *v)
{
    cache_gens_t g;
    cache_generations_part(tenant, CACHE_ATTENDANCE, cache_part(name), 0, &g);
    assert_true(g.known);
    assert_true(g.part != 0);
    cache_set(tenant, CACHE_ATTENDANCE, name, &g, v, strlen(v), 7, 60000);
}

static const char *get_part(arena_t *a, const char *tenant, const char *name)
{
    cache_gens_t g;
    cache_generations_part(tenant, CACHE_ATTENDANCE, cache_part(name), 0, &g);
    const char *v;
    size_t len;
    if (!cache_get(tenant, CACHE_ATTENDANCE, name, &g, a, &v, &len, NULL, 0))
        return NULL;
    return v;
}

static void a_part_invalidation_leaves_the_other_parts(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    const char *x = "0190a000-0000-7000-8000-0000000000c1:2026-03-02";
    /* a name in another part than x's */
    char y[64];
    int n = 0;
    do
        snprintf(y, sizeof(y), "0190a000-0000-7000-8000-0000000000c%d:2026-03-03", n++);
    while (cache_part(y) == cache_part(x));
    put_part(A, x, "sheet x");
    put_part(A, y, "sheet y");
    put_part(B, x, "B's sheet x");
    cache_invalidate_part(A, CACHE_ATTENDANCE, cache_part(x));
    assert_null(get_part(&a, A, x));
    assert_string_equal(get_part(&a, A, y), "sheet y");
    assert_string_equal(get_part(&a, B, x), "B's sheet x");
    /* the family still reaches every part */
    cache_invalidate_family(A, CACHE_ATTENDANCE);
    assert_null(get_part(&a, A, y));
    assert_string_equal(get_part(&a, B, x), "B's sheet x");
    arena_destroy(&a);
}

static void a_partitioned_family_is_only_used_by_part(void **state)
{
    (void)state;
    cache_gens_t g;
    cache_generations(A, CACHE_ATTENDANCE, 0, &g); /* without its part nothing is read or stored */
    assert_false(g.known);
    cache_generations_part(A, CACHE_STUDENT, 0, 0, &g); /* parts of a family that has none */
    assert_false(g.known);
    cache_generations_part(A, CACHE_ATTENDANCE, CACHE_PARTS, 0, &g);
    assert_false(g.known);
    assert_true(cache_partitioned(CACHE_ATTENDANCE));
    assert_false(cache_partitioned(CACHE_ROSTER));
    /* letter case does not move a name to another part */
    assert_int_equal(cache_part("0190A000-0000-7000-8000-0000000000C1:2026-03-02"),
                     cache_part("0190a000-0000-7000-8000-0000000000c1:2026-03-02"));
    /* parts spread: 4,096 names fill every part */
    int seen[CACHE_PARTS] = {0}, filled = 0;
    char name[64];
    for (int i = 0; i < 4096; i++) {
        snprintf(name, sizeof(name), "0190a000-0000-7000-8000-%012d:2026-03-02", i);
        int p = cache_part(name);
        assert_true(p >= 0 && p < CACHE_PARTS);
        filled += seen[p]++ == 0;
    }
    assert_int_equal(filled, CACHE_PARTS);
}

static void single_flight_leads_once(void **state)
{
    (void)state;
    assert_int_equal(cache_load_begin(A, CACHE_STUDENT, "k", 10), 1);
    assert_int_equal(cache_load_begin(A, CACHE_STUDENT, "k", 10), 0); /* waited 10 ms for the leader */
    cache_load_done(A, CACHE_STUDENT, "k");
    assert_int_equal(cache_load_begin(A, CACHE_STUDENT, "k", 10), 1);
    cache_load_done(A, CACHE_STUDENT, "k");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(set_then_get, setup, teardown),
        cmocka_unit_test_setup_teardown(family_invalidation_is_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(school_invalidation_reaches_every_family, setup, teardown),
        cmocka_unit_test_setup_teardown(a_load_begun_before_an_invalidation_is_not_served, setup, teardown),
        cmocka_unit_test_setup_teardown(a_part_invalidation_leaves_the_other_parts, setup, teardown),
        cmocka_unit_test_setup_teardown(a_partitioned_family_is_only_used_by_part, setup, teardown),
        cmocka_unit_test_setup_teardown(single_flight_leads_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
