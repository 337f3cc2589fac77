/* Tests of src/core/strindex.c: positions found, absent keys, repeated keys, growth past the first table size. */
#include "../unit.h"

#include <stdio.h>
#include <string.h>

#include "core/strindex.h"

static void finds_every_key(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    enum { N = 500 };
    const char *keys[N];
    for (int i = 0; i < N; i++)
        keys[i] = arena_printf(&a, "0190c3a2-%04x-7000-8000-%012d", i, i * 7919);
    strindex_t x;
    strindex_init(&x, &a, keys, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(strindex_find(&x, keys[i]), i);
    char copy[64];
    snprintf(copy, sizeof(copy), "%s", keys[123]); /* equal text, another pointer */
    assert_int_equal(strindex_find(&x, copy), 123);
    assert_int_equal(strindex_find(&x, "0190c3a2-ffff-7000-8000-000000000000"), -1);
    assert_int_equal(strindex_find(&x, ""), -1);
    assert_int_equal(strindex_find(&x, NULL), -1);
    arena_destroy(&a);
}

static void repeated_and_missing_keys(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    const char *keys[] = {"b", NULL, "a", "b", "c"};
    strindex_t x;
    strindex_init(&x, &a, keys, 5);
    assert_int_equal(strindex_find(&x, "a"), 2);
    assert_int_equal(strindex_find(&x, "b"), 0); /* the first of equal keys */
    assert_int_equal(strindex_find(&x, "c"), 4);
    strindex_t empty;
    strindex_init(&empty, &a, keys, 0);
    assert_int_equal(strindex_find(&empty, "a"), -1);
    arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_every_key),
        cmocka_unit_test(repeated_and_missing_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
