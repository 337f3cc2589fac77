/* Tests of src/core/ids.c: UUIDv7 layout and ordering, UUID validation, random hex. */
#include "../unit.h"

#include <pthread.h>
#include <time.h>

#include "core/ids.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* uppercase is not canonical output */
}

static void assert_uuid7_format(const char *u)
{
    assert_int_equal(strlen(u), UUID_STR_LEN);
    for (int i = 0; i < UUID_STR_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(u[i], '-');
        else
            assert_true(hexval(u[i]) >= 0);
    }
    assert_int_equal(u[14], '7');               /* version nibble */
    assert_int_equal(hexval(u[19]) & 0xc, 0x8); /* variant 10xx: 8, 9, a or b */
    assert_true(ids_uuid_valid(u, strlen(u)));
}

static uint64_t uuid_ms(const char *u)
{
    uint64_t ms = 0;
    for (int i = 0; i < 13; i++)
        if (i != 8)
            ms = ms << 4 | (uint64_t)hexval(u[i]);
    return ms;
}

static void uuid7_layout(void **state)
{
    (void)state;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t before = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    char u[UUID_STR_LEN + 1];
    memset(u, 'X', sizeof(u));
    ids_uuid7(u);
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t after = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    assert_uuid7_format(u);
    /* the first 48 bits are the Unix time in milliseconds */
    assert_in_range(uuid_ms(u), before, after + 1);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void uuid7_strictly_increasing(void **state)
{
    (void)state;
    enum { N = 10000 };
    char(*ids)[UUID_STR_LEN + 1] = malloc(N * sizeof(*ids));
    assert_non_null(ids);
    for (int i = 0; i < N; i++) {
        ids_uuid7(ids[i]);
        assert_uuid7_format(ids[i]);
        if (i > 0 && strcmp(ids[i - 1], ids[i]) >= 0)
            fail_msg("id %d not above id %d: %s <= %s", i, i - 1, ids[i], ids[i - 1]);
    }
    /* strictly increasing implies unique; check it directly anyway */
    char **p = malloc(N * sizeof(*p));
    assert_non_null(p);
    for (int i = 0; i < N; i++)
        p[i] = ids[N - 1 - i];
    qsort(p, N, sizeof(*p), cmp_str);
    for (int i = 1; i < N; i++)
        assert_true(strcmp(p[i - 1], p[i]) < 0);
    free(p);
    free(ids);
}

enum { THREADS = 4, PER_THREAD = 10000 };

static void *make_ids(void *arg)
{
    char(*ids)[UUID_STR_LEN + 1] = arg;
    for (int i = 0; i < PER_THREAD; i++)
        ids_uuid7(ids[i]);
    return NULL;
}

/* Each thread's ids increase; all threads' ids together are unique. */
static void uuid7_unique_across_threads(void **state)
{
    (void)state;
    char(*ids)[UUID_STR_LEN + 1] = malloc(THREADS * PER_THREAD * sizeof(*ids));
    assert_non_null(ids);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, make_ids, ids + i * PER_THREAD), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    char **p = malloc(THREADS * PER_THREAD * sizeof(*p));
    assert_non_null(p);
    for (int i = 0; i < THREADS * PER_THREAD; i++) {
        assert_uuid7_format(ids[i]);
        if (i % PER_THREAD != 0)
            assert_true(strcmp(ids[i - 1], ids[i]) < 0);
        p[i] = ids[i];
    }
    qsort(p, THREADS * PER_THREAD, sizeof(*p), cmp_str);
    for (int i = 1; i < THREADS * PER_THREAD; i++)
        if (strcmp(p[i - 1], p[i]) == 0)
            fail_msg("duplicate id %s", p[i]);
    free(p);
    free(ids);
}

static void uuid_valid(void **state)
{
    (void)state;
    static const char *const good[] = {
        "01890a5d-ac96-774b-bcce-b302099a8057", "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff", "01890A5D-AC96-774B-BCCE-B302099A8057", /* any version, either case */
        "123e4567-e89b-12d3-a456-426614174000",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(ids_uuid_valid(good[i], strlen(good[i])));

    static const char *const bad[] = {
        "",
        "01890a5d-ac96-774b-bcce-b302099a805",   /* 35 */
        "01890a5d-ac96-774b-bcce-b302099a80571", /* 37 */
        "01890a5dac96-774b-bcce-b302099a80577",  /* hyphen missing / moved */
        "01890a5d-ac96-774b-bcceb-302099a8057",
        "01890a5d_ac96_774b_bcce_b302099a8057",
        "01890a5g-ac96-774b-bcce-b302099a8057", /* not hex */
        "01890a5d-ac96-774b-bcce-b302099a805 ",
        " 1890a5d-ac96-774b-bcce-b302099a8057",
        "{1890a5d-ac96-774b-bcce-b302099a8057",
        "01890a5d-ac96-774b-bcce-b302099a805\xc3",
        "------------------------------------",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (ids_uuid_valid(bad[i], strlen(bad[i])))
            fail_msg("accepted \"%s\"", bad[i]);

    /* len is what counts, not the NUL */
    const char *longer = "01890a5d-ac96-774b-bcce-b302099a8057trailing";
    assert_true(ids_uuid_valid(longer, UUID_STR_LEN));
    assert_false(ids_uuid_valid(longer, strlen(longer)));
    assert_false(ids_uuid_valid(good[0], UUID_STR_LEN - 1));
}

static void random_hex(void **state)
{
    (void)state;
    char buf[200];
    static const size_t sizes[] = {0, 1, 7, 8, 9, 16, 32, 64};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        size_t n = sizes[s];
        memset(buf, '#', sizeof(buf));
        ids_random_hex(buf, n);
        assert_int_equal(strlen(buf), 2 * n);
        for (size_t i = 0; i < 2 * n; i++)
            assert_true(hexval(buf[i]) >= 0);
        assert_int_equal(buf[2 * n + 1], '#'); /* nothing written past the NUL */
    }

    /* over many draws every digit shows up, and two draws differ */
    int seen[16] = {0};
    char prev[33] = "";
    for (int k = 0; k < 200; k++) {
        ids_random_hex(buf, 16);
        assert_string_not_equal(buf, prev);
        for (int i = 0; i < 32; i++)
            seen[hexval(buf[i])]++;
        memcpy(prev, buf, 33);
    }
    for (int d = 0; d < 16; d++)
        assert_true(seen[d] > 0);

    uint64_t a = ids_rand64(), b = ids_rand64();
    assert_true(a != b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(uuid7_layout),
        cmocka_unit_test(uuid7_strictly_increasing),
        cmocka_unit_test(uuid7_unique_across_threads),
        cmocka_unit_test(uuid_valid),
        cmocka_unit_test(random_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
