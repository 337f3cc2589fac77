/*
 * Tests of src/cache/l1.c: get/set/replace/delete, prefix deletion, expiry, LRU
 * order, the byte bound under a random workload, metrics, and values read by
 * concurrent threads.
 */
#include "../unit.h"

#include <pthread.h>
#include <time.h>

#include "cache/l1.h"
#include "core/clock.h"
#include "core/sbuf.h"
#include "obs/metrics.h"

/* A clock the test moves by hand (l1_set_clock). */
static uint64_t fake_now(void *ud)
{
    return *(const uint64_t *)ud;
}

/* Sets key (a C string) to the C string val. */
static int set_str(l1_t *c, const char *key, const char *val, uint64_t meta, uint32_t ttl_ms)
{
    return l1_set(c, key, strlen(key), val, strlen(val), meta, ttl_ms);
}

/* Whether key is present, without counting on its value. */
static int has(l1_t *c, const char *key)
{
    arena_t a;
    arena_init(&a);
    const char *v;
    size_t n;
    int r = l1_get(c, key, strlen(key), &a, &v, &n, NULL);
    arena_destroy(&a);
    return r;
}

/* Asserts that key holds the C string want (and meta want_meta). */
static void assert_value(l1_t *c, const char *key, const char *want, uint64_t want_meta)
{
    arena_t a;
    arena_init(&a);
    const char *v = NULL;
    size_t n = 0;
    uint64_t meta = 0;
    assert_int_equal(l1_get(c, key, strlen(key), &a, &v, &n, &meta), 1);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(v, want, n);
    assert_int_equal(v[n], '\0');
    assert_int_equal(meta, want_meta);
    arena_destroy(&a);
}

static void create_checks_its_arguments(void **state)
{
    (void)state;
    assert_null(l1_create(1 << 20, -1));
    assert_null(l1_create(1 << 20, 1025));
    assert_null(l1_create(0, 1));
    assert_null(l1_create(16 * 64, 16)); /* 64 bytes a shard: no entry fits */
    l1_t *c = l1_create(1 << 20, 0);
    assert_non_null(c);
    l1_stats_t st;
    l1_stats(c, &st);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.bytes, 0);
    l1_destroy(c);
    l1_destroy(NULL);
}

static void set_get_replace_delete(void **state)
{
    (void)state;
    l1_t *c = l1_create(1 << 20, 4);
    assert_false(has(c, "{t:1}:g1:student:7:f1"));
    assert_int_equal(set_str(c, "{t:1}:g1:student:7:f1", "{\"name\":\"Ada\"}", 42, 0), 1);
    assert_value(c, "{t:1}:g1:student:7:f1", "{\"name\":\"Ada\"}", 42);

    /* The output arguments are left alone on a miss; meta may be NULL. */
    arena_t a;
    arena_init(&a);
    const char *v = "untouched";
    size_t n = 99;
    assert_int_equal(l1_get(c, "{t:1}:g1:student:8:f1", 21, &a, &v, &n, NULL), 0);
    assert_string_equal(v, "untouched");
    assert_int_equal(n, 99);
    arena_destroy(&a);

    assert_int_equal(set_str(c, "{t:1}:g1:student:7:f1", "{\"name\":\"Ada Lovelace\"}", 43, 0), 1);
    assert_value(c, "{t:1}:g1:student:7:f1", "{\"name\":\"Ada Lovelace\"}", 43);

    /* An empty value and a key that is a prefix of another are entries of their own. */
    assert_int_equal(set_str(c, "{t:1}:g1:student:7", "", 0, 0), 1);
    assert_value(c, "{t:1}:g1:student:7", "", 0);
    assert_value(c, "{t:1}:g1:student:7:f1", "{\"name\":\"Ada Lovelace\"}", 43);

    l1_stats_t st;
    l1_stats(c, &st);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.sets, 3);

    assert_int_equal(l1_delete(c, "{t:1}:g1:student:7:f1", 21), 1);
    assert_int_equal(l1_delete(c, "{t:1}:g1:student:7:f1", 21), 0);
    assert_false(has(c, "{t:1}:g1:student:7:f1"));
    assert_true(has(c, "{t:1}:g1:student:7"));

    l1_stats(c, &st);
    assert_int_equal(st.entries, 1);
    assert_int_equal(st.deletes, 1);
    assert_int_equal(st.hits, 5);
    assert_int_equal(st.misses, 3);

    l1_clear(c);
    l1_stats(c, &st);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.bytes, 0);
    assert_false(has(c, "{t:1}:g1:student:7"));
    l1_destroy(c);
}

static void keys_are_bytes_not_strings(void **state)
{
    (void)state;
    l1_t *c = l1_create(1 << 20, 2);
    const char k1[] = {'a', '\0', 'b'}, k2[] = {'a', '\0', 'c'};
    assert_int_equal(l1_set(c, k1, 3, "one", 3, 1, 0), 1);
    assert_int_equal(l1_set(c, k2, 3, "two", 3, 2, 0), 1);
    arena_t a;
    arena_init(&a);
    const char *v;
    size_t n;
    uint64_t meta;
    assert_int_equal(l1_get(c, k1, 3, &a, &v, &n, &meta), 1);
    assert_memory_equal(v, "one", 3);
    assert_int_equal(meta, 1);
    assert_int_equal(l1_get(c, k2, 3, &a, &v, &n, &meta), 1);
    assert_memory_equal(v, "two", 3);
    assert_int_equal(l1_get(c, "a", 1, &a, &v, &n, &meta), 0);
    arena_destroy(&a);
    l1_destroy(c);
}

static void delete_prefix_removes_exactly_the_prefix(void **state)
{
    (void)state;
    l1_t *c = l1_create(1 << 20, 8);
    char key[64];
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof(key), "{t:A}:g1:student:%d", i);
        assert_int_equal(set_str(c, key, "x", 0, 0), 1);
        snprintf(key, sizeof(key), "{t:B}:g1:student:%d", i);
        assert_int_equal(set_str(c, key, "x", 0, 0), 1);
    }
    assert_int_equal(set_str(c, "{t:A}", "x", 0, 0), 1);    /* shorter than the prefix */
    assert_int_equal(set_str(c, "{t:A}x:1", "x", 0, 0), 1); /* shares all but the last byte */

    assert_int_equal(l1_delete_prefix(c, "{t:A}:", 6), 300);
    assert_int_equal(l1_delete_prefix(c, "{t:A}:", 6), 0);
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof(key), "{t:A}:g1:student:%d", i);
        assert_false(has(c, key));
        snprintf(key, sizeof(key), "{t:B}:g1:student:%d", i);
        assert_true(has(c, key));
    }
    assert_true(has(c, "{t:A}"));
    assert_true(has(c, "{t:A}x:1"));
    l1_stats_t st;
    l1_stats(c, &st);
    assert_int_equal(st.entries, 302);
    assert_int_equal(st.deletes, 300);

    assert_int_equal(l1_delete_prefix(c, "", 0), 302); /* the empty prefix matches everything */
    l1_stats(c, &st);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.bytes, 0);
    l1_destroy(c);
}

static void entries_expire_after_their_ttl(void **state)
{
    (void)state;
    uint64_t now = 1000000000ull;
    l1_t *c = l1_create(1 << 20, 2);
    l1_set_clock(c, fake_now, &now);
    assert_int_equal(set_str(c, "short", "v", 0, 100), 1);
    assert_int_equal(set_str(c, "long", "v", 0, 5000), 1);
    assert_int_equal(set_str(c, "never", "v", 0, 0), 1);

    now += 99 * 1000000ull;
    assert_true(has(c, "short"));
    now += 1000000ull; /* exactly 100 ms after the set */
    assert_false(has(c, "short"));
    assert_true(has(c, "long"));

    l1_stats_t st;
    l1_stats(c, &st);
    assert_int_equal(st.expirations, 1);
    assert_int_equal(st.entries, 2); /* the expired one was removed by the get */

    /* A replace starts a new TTL. */
    assert_int_equal(set_str(c, "long", "v2", 0, 100), 1);
    now += 4950 * 1000000ull;
    assert_false(has(c, "long"));
    now += 365ull * 24 * 3600 * 1000000000ull;
    assert_true(has(c, "never"));
    l1_destroy(c);
}

static void expiry_follows_the_real_clock(void **state)
{
    (void)state;
    l1_t *c = l1_create(1 << 20, 1);
    assert_int_equal(set_str(c, "k", "v", 0, 200), 1); /* long enough not to expire before the first get */
    assert_true(has(c, "k"));
    struct timespec ts = {.tv_nsec = 250 * 1000000L};
    nanosleep(&ts, NULL);
    assert_false(has(c, "k"));
    l1_destroy(c);
}

/* The bytes one entry of key and value length (charged size), measured on a scratch cache. */
static size_t entry_bytes(const char *key, size_t vlen)
{
    l1_t *c = l1_create(1 << 20, 1);
    char *v = calloc(1, vlen + 1);
    assert_non_null(v);
    assert_int_equal(l1_set(c, key, strlen(key), v, vlen, 0, 0), 1);
    l1_stats_t st;
    l1_stats(c, &st);
    free(v);
    l1_destroy(c);
    return st.bytes;
}

static void least_recently_used_goes_first(void **state)
{
    (void)state;
    size_t one = entry_bytes("k0", 100);
    l1_t *c = l1_create(4 * one + one / 2, 1); /* room for four */
    char val[101];
    memset(val, 'v', 100);
    val[100] = '\0';
    assert_int_equal(set_str(c, "k0", val, 0, 0), 1);
    assert_int_equal(set_str(c, "k1", val, 0, 0), 1);
    assert_int_equal(set_str(c, "k2", val, 0, 0), 1);
    assert_int_equal(set_str(c, "k3", val, 0, 0), 1);
    assert_true(has(c, "k0")); /* k0 is now the most recently used; k1 the least */

    assert_int_equal(set_str(c, "k4", val, 0, 0), 1);
    assert_false(has(c, "k1"));
    assert_true(has(c, "k0"));
    assert_true(has(c, "k2")); /* order now k3 k4 k0 k2 (least first) */

    assert_int_equal(set_str(c, "k5", val, 0, 0), 1);
    assert_false(has(c, "k3"));
    assert_int_equal(set_str(c, "k2", val, 0, 0), 1); /* a replace also makes k2 the most recent */
    assert_int_equal(set_str(c, "k6", val, 0, 0), 1);
    assert_false(has(c, "k4"));
    assert_true(has(c, "k0"));
    assert_true(has(c, "k2"));
    assert_true(has(c, "k5"));
    assert_true(has(c, "k6"));

    l1_stats_t st;
    l1_stats(c, &st);
    assert_int_equal(st.entries, 4);
    assert_int_equal(st.evictions, 3);
    assert_true(st.bytes <= 4 * one + one / 2);

    /* A value that needs the room of two evicts two. */
    char big[301];
    memset(big, 'b', 300);
    big[300] = '\0';
    assert_int_equal(set_str(c, "k7", big, 0, 0), 1);
    l1_stats(c, &st);
    assert_int_equal(st.entries, 3);
    assert_false(has(c, "k0"));
    assert_false(has(c, "k2"));
    l1_destroy(c);
}

static void oversized_value_is_refused(void **state)
{
    (void)state;
    enum { MAX = 64 * 1024, SHARDS = 4 };
    l1_t *c = l1_create(MAX, SHARDS);
    char *big = calloc(1, MAX);
    assert_non_null(big);
    assert_int_equal(set_str(c, "k", "small", 0, 0), 1);
    assert_int_equal(l1_set(c, "k", 1, big, MAX / SHARDS, 0, 0), 0); /* the share, plus header and key */
    assert_false(has(c, "k")); /* the old value is not served after a replace that failed */
    assert_int_equal(l1_set(c, "k", 1, big, MAX, 0, 0), 0);
    assert_int_equal(l1_set(c, "k", 1, big, (size_t)-1, 0, 0), 0); /* no overflow in the size */
    assert_int_equal(l1_set(c, "k", 1, big, MAX / SHARDS - 256, 0, 0), 1);
    l1_stats_t st;
    l1_stats(c, &st);
    assert_int_equal(st.entries, 1);
    assert_true(st.bytes <= MAX / SHARDS);
    free(big);
    l1_destroy(c);
}

static void tables_grow_and_keep_every_entry(void **state)
{
    (void)state;
    enum { N = 20000 };
    l1_t *c = l1_create(64u << 20, 1);
    char key[32], val[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        snprintf(val, sizeof(val), "val:%d", i);
        assert_int_equal(set_str(c, key, val, (uint64_t)i, 0), 1);
    }
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        snprintf(val, sizeof(val), "val:%d", i);
        assert_value(c, key, val, (uint64_t)i);
    }
    l1_stats_t st;
    l1_stats(c, &st);
    assert_int_equal(st.entries, N);
    assert_int_equal(st.evictions, 0);
    l1_destroy(c);
}

/* xorshift64*: reproducible randomness for the workloads. */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

/* Fills buf with len bytes determined by (key, version): what a reader can check. */
static void fill_value(char *buf, size_t len, uint64_t key, uint64_t version)
{
    uint64_t s = (key * 0x9e3779b97f4a7c15ull) ^ (version + 1);
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)('a' + next_rand(&s) % 26);
}

static void bytes_stay_bounded_under_a_random_workload(void **state)
{
    (void)state;
    enum { OPS = 100000, KEYS = 2000, MAX = 256 * 1024, SHARDS = 4, MAXVAL = 80 * 1024 };
    l1_t *c = l1_create(MAX, SHARDS);
    char *val = malloc(MAXVAL);
    char *want = malloc(MAXVAL);
    assert_non_null(val);
    assert_non_null(want);
    uint64_t rng = 12345;
    arena_t a;
    arena_init(&a);
    long stored = 0, refused = 0, hits = 0;
    for (int op = 0; op < OPS; op++) {
        uint64_t k = next_rand(&rng) % KEYS;
        char key[48];
        int klen =
            snprintf(key, sizeof(key), "{t:%llu}:g1:student:%llu", (unsigned long long)(k % 7), (unsigned long long)k);
        unsigned what = (unsigned)(next_rand(&rng) % 10);
        if (what < 5) {
            /* Mostly JSON-sized values, some large, a few over a shard's share. */
            size_t len = next_rand(&rng) % 4 == 0 ? next_rand(&rng) % MAXVAL : next_rand(&rng) % 2048;
            uint64_t version = next_rand(&rng);
            fill_value(val, len, k, version);
            if (l1_set(c, key, (size_t)klen, val, len, version, 0))
                stored++;
            else
                refused++;
        } else if (what < 9) {
            const char *v;
            size_t n;
            uint64_t version;
            if (l1_get(c, key, (size_t)klen, &a, &v, &n, &version)) {
                fill_value(want, n, k, version);
                assert_memory_equal(v, want, n);
                hits++;
            }
        } else {
            l1_delete(c, key, (size_t)klen);
        }
        l1_stats_t st;
        l1_stats(c, &st);
        if (st.bytes > MAX)
            fail_msg("op %d: %zu bytes held, bound %d", op, st.bytes, MAX);
        if ((op & 1023) == 0)
            arena_reset(&a);
    }
    assert_true(stored > 0);
    assert_true(refused > 0);
    assert_true(hits > 0);
    l1_stats_t st;
    l1_stats(c, &st);
    assert_true(st.evictions > 0);
    arena_destroy(&a);
    free(val);
    free(want);
    l1_destroy(c);
}

/* How many times needle occurs in haystack. */
static int count_of(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(haystack, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void metrics_are_printed_until_destroy(void **state)
{
    (void)state;
    l1_t *c = l1_create(1 << 20, 2);
    l1_t *d = l1_create(1 << 20, 2);
    l1_register_metrics(c, "l1");
    l1_register_metrics(c, "l1"); /* once only */
    l1_register_metrics(d, "embedded \"x\"");
    assert_int_equal(set_str(c, "a", "1", 0, 0), 1);
    assert_int_equal(set_str(c, "b", "2", 0, 0), 1);
    l1_stats_t st;
    l1_stats(c, &st);

    sbuf_t out;
    sbuf_init(&out, NULL, 256);
    metrics_render(&out);
    char line[128];
    snprintf(line, sizeof(line), "school_erp_cache_l1_bytes{level=\"l1\"} %zu\n", st.bytes);
    assert_non_null(strstr(out.p, line));
    assert_non_null(strstr(out.p, "school_erp_cache_l1_entries{level=\"l1\"} 2\n"));
    assert_non_null(strstr(out.p, "school_erp_cache_l1_evictions_total{level=\"l1\"} 0\n"));
    assert_non_null(strstr(out.p, "school_erp_cache_l1_entries{level=\"embedded \\\"x\\\"\"} 0\n"));
    /* Each family is declared once, with one sample per cache. */
    assert_int_equal(count_of(out.p, "# TYPE school_erp_cache_l1_bytes gauge\n"), 1);
    assert_int_equal(count_of(out.p, "# TYPE school_erp_cache_l1_entries gauge\n"), 1);
    assert_int_equal(count_of(out.p, "# TYPE school_erp_cache_l1_evictions_total counter\n"), 1);
    assert_int_equal(count_of(out.p, "\nschool_erp_cache_l1_entries{"), 2);

    l1_destroy(c);
    sbuf_clear(&out);
    metrics_render(&out);
    assert_null(strstr(out.p, "level=\"l1\""));
    assert_int_equal(count_of(out.p, "\nschool_erp_cache_l1_entries{"), 1);

    l1_destroy(d);
    sbuf_clear(&out);
    metrics_render(&out);
    assert_null(strstr(out.p, "school_erp_cache_l1"));
    sbuf_free(&out);
}

/* The shared state of the concurrency test. */
typedef struct race {
    l1_t *c;
    uint64_t deadline;
    uint64_t seed;
    long gets, hits, sets, bad; /* per thread, summed after */
    char why[160];
} race_t;

enum { RACE_KEYS = 256, RACE_MAXVAL = 6000 };

/* A value encodes its key and a version: "key#version#" and bytes derived from both. */
static size_t make_value(char *buf, size_t cap, uint64_t k, uint64_t version, size_t pad)
{
    int n = snprintf(buf, cap, "%llu#%llu#", (unsigned long long)k, (unsigned long long)version);
    fill_value(buf + n, pad, k, version);
    return (size_t)n + pad;
}

static void *race_main(void *arg)
{
    race_t *r = arg;
    char *val = malloc(RACE_MAXVAL + 64);
    char *want = malloc(RACE_MAXVAL + 64);
    if (val == NULL || want == NULL)
        abort();
    arena_t a;
    arena_init(&a);
    uint64_t rng = r->seed;
    while (clock_mono_ns() < r->deadline) {
        for (int i = 0; i < 256; i++) {
            uint64_t k = next_rand(&rng) % RACE_KEYS;
            char key[32];
            int klen = snprintf(key, sizeof(key), "{t:1}:race:%llu", (unsigned long long)k);
            unsigned what = (unsigned)(next_rand(&rng) % 16);
            if (what < 10) {
                const char *v;
                size_t n;
                uint64_t meta;
                r->gets++;
                if (!l1_get(r->c, key, (size_t)klen, &a, &v, &n, &meta))
                    continue;
                r->hits++;
                unsigned long long vk, vv;
                int pos = 0;
                if (sscanf(v, "%llu#%llu#%n", &vk, &vv, &pos) != 2 || pos == 0 || vk != k || vv != meta) {
                    snprintf(r->why, sizeof(r->why), "key %llu: value of another key or version: %.40s",
                             (unsigned long long)k, v);
                    r->bad++;
                    continue;
                }
                if (n - (size_t)pos > RACE_MAXVAL) {
                    snprintf(r->why, sizeof(r->why), "key %llu version %llu: %zu bytes", vk, vv, n);
                    r->bad++;
                    continue;
                }
                size_t wn = make_value(want, RACE_MAXVAL + 64, k, vv, n - (size_t)pos);
                if (wn != n || memcmp(v, want, n) != 0) {
                    snprintf(r->why, sizeof(r->why), "key %llu version %llu: damaged value", vk, vv);
                    r->bad++;
                }
            } else if (what < 15) {
                uint64_t version = next_rand(&rng) >> 1;
                size_t n = make_value(val, RACE_MAXVAL + 64, k, version, next_rand(&rng) % RACE_MAXVAL);
                l1_set(r->c, key, (size_t)klen, val, n, version, (uint32_t)(next_rand(&rng) % 50));
                r->sets++;
            } else {
                l1_delete(r->c, key, (size_t)klen);
            }
        }
        arena_reset(&a);
    }
    arena_destroy(&a);
    free(val);
    free(want);
    return NULL;
}

static void concurrent_readers_see_only_written_values(void **state)
{
    (void)state;
    enum { THREADS = 8 };
    l1_t *c = l1_create(256 * 1024, 8); /* small: evictions and expiry race with the reads */
    race_t r[THREADS];
    pthread_t tid[THREADS];
    uint64_t deadline = clock_mono_ns() + 1000000000ull;
    for (int i = 0; i < THREADS; i++) {
        r[i] = (race_t){.c = c, .deadline = deadline, .seed = 0x1234567ull * (uint64_t)(i + 1)};
        assert_int_equal(pthread_create(&tid[i], NULL, race_main, &r[i]), 0);
    }
    long gets = 0, hits = 0, sets = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(tid[i], NULL);
        if (r[i].bad != 0)
            fail_msg("thread %d: %ld bad reads, e.g. %s", i, r[i].bad, r[i].why);
        gets += r[i].gets;
        hits += r[i].hits;
        sets += r[i].sets;
    }
    print_message("%ld gets (%ld hits), %ld sets in 1 s from %d threads\n", gets, hits, sets, THREADS);
    assert_true(hits > 0);
    l1_stats_t st;
    l1_stats(c, &st);
    assert_true(st.bytes <= 256 * 1024);
    assert_int_equal(st.hits, hits);
    l1_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_checks_its_arguments),
        cmocka_unit_test(set_get_replace_delete),
        cmocka_unit_test(keys_are_bytes_not_strings),
        cmocka_unit_test(delete_prefix_removes_exactly_the_prefix),
        cmocka_unit_test(entries_expire_after_their_ttl),
        cmocka_unit_test(expiry_follows_the_real_clock),
        cmocka_unit_test(least_recently_used_goes_first),
        cmocka_unit_test(oversized_value_is_refused),
        cmocka_unit_test(tables_grow_and_keep_every_entry),
        cmocka_unit_test(bytes_stay_bounded_under_a_random_workload),
        cmocka_unit_test(metrics_are_printed_until_destroy),
        cmocka_unit_test(concurrent_readers_see_only_written_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
