/* Tests of src/core/arena.c: alignment, block handling, reset, string helpers. */
#include "../unit.h"

#include "core/arena.h"

static int setup(void **state)
{
    arena_t *a = malloc(sizeof(*a));
    if (a == NULL)
        return -1;
    arena_init(a);
    *state = a;
    return 0;
}

static int teardown(void **state)
{
    arena_t *a = *state;
    arena_destroy(a);
    free(a);
    return 0;
}

static void assert_aligned(const void *p)
{
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 16, 0);
}

static void init_allocates_nothing(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    assert_null(a.head);
    assert_null(a.large);
    assert_int_equal(a.allocated, 0);
    arena_destroy(&a); /* destroying an unused arena is fine */
    assert_null(a.head);
}

static void every_size_is_aligned_to_16(void **state)
{
    arena_t *a = *state;
    for (size_t n = 0; n <= 3 * ARENA_BLOCK_SIZE; n += (n < 64 ? 1 : 61)) {
        unsigned char *p = arena_alloc(a, n);
        assert_aligned(p);
        memset(p, 0x5a, n); /* ASan reports it if n bytes are not all ours */
    }
}

static void zero_bytes_gives_distinct_pointers(void **state)
{
    arena_t *a = *state;
    void *p = arena_alloc(a, 0);
    void *q = arena_alloc(a, 0);
    assert_aligned(p);
    assert_aligned(q);
    assert_ptr_not_equal(p, q);
}

/* Many small allocations span many blocks; none overlaps another. */
static void many_small_allocations_do_not_overlap(void **state)
{
    arena_t *a = *state;
    enum { N = 20000, SZ = 24 };
    unsigned char **ptrs = malloc(N * sizeof(*ptrs));
    assert_non_null(ptrs);
    for (int i = 0; i < N; i++) {
        ptrs[i] = arena_alloc(a, SZ);
        assert_aligned(ptrs[i]);
        memset(ptrs[i], (unsigned char)(i * 31 + 7), SZ);
    }
    for (int i = 0; i < N; i++)
        for (int k = 0; k < SZ; k++)
            assert_int_equal(ptrs[i][k], (unsigned char)(i * 31 + 7));
    assert_int_equal(a->allocated, (size_t)N * SZ);
    assert_null(a->large);
    free(ptrs);
}

/* Requests over a quarter block get blocks of their own and leave the current block alone. */
static void large_allocations_get_their_own_block(void **state)
{
    arena_t *a = *state;
    char *small1 = arena_alloc(a, 16);
    assert_null(a->large);

    char *quarter = arena_alloc(a, ARENA_BLOCK_SIZE / 4); /* still ordinary */
    assert_null(a->large);
    assert_aligned(quarter);

    char *big = arena_alloc(a, ARENA_BLOCK_SIZE / 4 + 1);
    assert_non_null(a->large);
    assert_aligned(big);
    memset(big, 1, ARENA_BLOCK_SIZE / 4 + 1);

    char *huge = arena_alloc(a, 10 * ARENA_BLOCK_SIZE);
    assert_aligned(huge);
    memset(huge, 2, 10 * ARENA_BLOCK_SIZE);

    /* the ordinary block continues right after the quarter-block allocation */
    char *small2 = arena_alloc(a, 16);
    assert_ptr_equal(small2, quarter + ARENA_BLOCK_SIZE / 4);
    assert_true(small2 > small1);

    for (size_t i = 0; i < ARENA_BLOCK_SIZE / 4 + 1; i++)
        assert_int_equal(big[i], 1);
    assert_int_equal(a->allocated, 16 + ARENA_BLOCK_SIZE / 4 + ARENA_BLOCK_SIZE / 4 + 1 + 10 * ARENA_BLOCK_SIZE + 16);
}

static void reset_frees_large_and_reuses_one_block(void **state)
{
    arena_t *a = *state;
    for (int i = 0; i < 1000; i++)
        arena_alloc(a, 100);
    arena_alloc(a, 5 * ARENA_BLOCK_SIZE);
    assert_non_null(a->large);

    arena_reset(a);
    assert_null(a->large);
    assert_non_null(a->head);
    assert_int_equal(a->allocated, 0);

    void *p1 = arena_alloc(a, 40);
    arena_reset(a);
    void *p2 = arena_alloc(a, 40);
    assert_ptr_equal(p1, p2); /* the kept block is carved from its start again */

    /* and the arena keeps working across many reset cycles */
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 300; i++) {
            char *p = arena_alloc(a, (size_t)(i % 97) + 1);
            assert_aligned(p);
            memset(p, round, (size_t)(i % 97) + 1);
        }
        arena_alloc(a, ARENA_BLOCK_SIZE);
        arena_reset(a);
        assert_int_equal(a->allocated, 0);
    }
}

static void reset_of_empty_arena(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    arena_reset(&a);
    assert_null(a.head);
    char *s = arena_strdup(&a, "after reset");
    assert_string_equal(s, "after reset");
    arena_destroy(&a);
    /* usable again after arena_init() */
    arena_init(&a);
    assert_string_equal(arena_strdup(&a, "again"), "again");
    arena_destroy(&a);
}

static void calloc_zeroes_reused_memory(void **state)
{
    arena_t *a = *state;
    unsigned char *p = arena_alloc(a, 1000);
    memset(p, 0xaa, 1000);
    unsigned char *big = arena_alloc(a, 4000);
    memset(big, 0xbb, 4000);
    arena_reset(a);
    unsigned char *z = arena_calloc(a, 1000);
    assert_ptr_equal(z, p); /* same memory as before the reset */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(z[i], 0);
    unsigned char *zb = arena_calloc(a, 4000);
    for (int i = 0; i < 4000; i++)
        assert_int_equal(zb[i], 0);
    assert_aligned(arena_calloc(a, 0));
}

static void strdup_strndup_memdup(void **state)
{
    arena_t *a = *state;
    const char *src = "hello, arena";
    char *s = arena_strdup(a, src);
    assert_string_equal(s, src);
    assert_ptr_not_equal(s, src);

    assert_string_equal(arena_strdup(a, ""), "");
    assert_null(arena_strdup(a, NULL));
    assert_null(arena_strndup(a, NULL, 5));

    assert_string_equal(arena_strndup(a, src, 5), "hello");
    assert_string_equal(arena_strndup(a, src, 0), "");
    /* strndup copies exactly n bytes, even past a non-terminated buffer's end */
    char raw[3] = {'a', 'b', 'c'};
    assert_string_equal(arena_strndup(a, raw, 3), "abc");

    const unsigned char bytes[] = {0, 1, 2, 0xff, 0, 7};
    unsigned char *m = arena_memdup(a, bytes, sizeof(bytes));
    assert_memory_equal(m, bytes, sizeof(bytes));
    assert_ptr_not_equal(m, bytes);
    assert_aligned(arena_memdup(a, NULL, 0));

    /* a large string goes to its own block and is still copied whole */
    char *longsrc = malloc(10000);
    assert_non_null(longsrc);
    memset(longsrc, 'x', 9999);
    longsrc[9999] = '\0';
    char *longdup = arena_strdup(a, longsrc);
    assert_string_equal(longdup, longsrc);
    free(longsrc);
}

static void printf_short_and_long(void **state)
{
    arena_t *a = *state;
    assert_string_equal(arena_printf(a, "%d-%s-%c", 42, "x", 'y'), "42-x-y");
    assert_string_equal(arena_printf(a, "%s", ""), "");

    /* around the 256-byte stack buffer used for the first attempt */
    for (size_t len = 250; len <= 262; len++) {
        char *want = malloc(len + 1);
        assert_non_null(want);
        for (size_t i = 0; i < len; i++)
            want[i] = (char)('a' + i % 26);
        want[len] = '\0';
        char *got = arena_printf(a, "%s", want);
        assert_int_equal(strlen(got), len);
        assert_string_equal(got, want);
        free(want);
    }

    /* much longer than a block, with several conversions */
    char *part = malloc(5001);
    assert_non_null(part);
    memset(part, 'q', 5000);
    part[5000] = '\0';
    char *got = arena_printf(a, "<%s|%d|%s>", part, -7, part);
    assert_int_equal(strlen(got), 5000 + 5000 + 6); /* "<", "|-7|", ">" */
    assert_int_equal(got[0], '<');
    assert_memory_equal(got + 5001, "|-7|", 4);
    assert_int_equal(got[strlen(got) - 1], '>');
    free(part);
}

static char *vprintf_helper(arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return s;
}

static void vprintf_long_uses_the_list_twice_safely(void **state)
{
    arena_t *a = *state;
    char buf[600];
    memset(buf, 'z', sizeof(buf) - 1);
    buf[sizeof(buf) - 1] = '\0';
    char *s = vprintf_helper(a, "%s%d", buf, 12345);
    assert_int_equal(strlen(s), sizeof(buf) - 1 + 5);
    assert_string_equal(s + sizeof(buf) - 1, "12345");
}

static void allocated_counts_requested_bytes(void **state)
{
    arena_t *a = *state;
    arena_alloc(a, 3);
    arena_alloc(a, 5000);
    arena_strdup(a, "abcd"); /* 5 with the NUL */
    assert_int_equal(a->allocated, 3 + 5000 + 5);
}

static void x_allocators(void **state)
{
    (void)state;
    char *p = xmalloc(0);
    assert_non_null(p);
    free(p);
    int *z = xcalloc(10, sizeof(int));
    for (int i = 0; i < 10; i++)
        assert_int_equal(z[i], 0);
    z = xrealloc(z, 1000 * sizeof(int));
    z[999] = 1;
    free(z);
    char *s = xstrdup("copy");
    assert_string_equal(s, "copy");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_allocates_nothing),
        cmocka_unit_test_setup_teardown(every_size_is_aligned_to_16, setup, teardown),
        cmocka_unit_test_setup_teardown(zero_bytes_gives_distinct_pointers, setup, teardown),
        cmocka_unit_test_setup_teardown(many_small_allocations_do_not_overlap, setup, teardown),
        cmocka_unit_test_setup_teardown(large_allocations_get_their_own_block, setup, teardown),
        cmocka_unit_test_setup_teardown(reset_frees_large_and_reuses_one_block, setup, teardown),
        cmocka_unit_test(reset_of_empty_arena),
        cmocka_unit_test_setup_teardown(calloc_zeroes_reused_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(strdup_strndup_memdup, setup, teardown),
        cmocka_unit_test_setup_teardown(printf_short_and_long, setup, teardown),
        cmocka_unit_test_setup_teardown(vprintf_long_uses_the_list_twice_safely, setup, teardown),
        cmocka_unit_test_setup_teardown(allocated_counts_requested_bytes, setup, teardown),
        cmocka_unit_test(x_allocators),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
