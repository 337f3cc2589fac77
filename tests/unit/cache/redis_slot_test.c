/*
 * Tests of src/cache/redis.c that need no server: Cluster key slots (the values of a real
 * server's CLUSTER KEYSLOT) and the URLs redis_create accepts or refuses.
 */
#include "../unit.h"

#include "cache/redis.h"
#include "core/sbuf.h"
#include "obs/metrics.h"

static unsigned slot(const char *key)
{
    return redis_key_slot(key, strlen(key));
}

static void key_slots_match_cluster_keyslot(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        unsigned slot;
    } known[] = {
        {"123456789", 12739}, {"foo", 12182},          {"{user1000}.following", 3443},
        {"foo{}{bar}", 8363}, {"foo{{bar}}zap", 4015}, {"foo{bar}{zap}", 5061},
        {"", 0},              {"{}", 15257},           {"a{b", 13340},
        {"tenant:42", 10956},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (slot(known[i].key) != known[i].slot)
            fail_msg("slot of \"%s\": %u, CLUSTER KEYSLOT says %u", known[i].key, slot(known[i].key), known[i].slot);
}

static void hash_tags(void **state)
{
    (void)state;
    assert_int_equal(slot("{user1000}.following"), slot("{user1000}.followers"));
    assert_int_equal(slot("{tenant:42}:students"), slot("tenant:42"));
    assert_int_equal(slot("foo{{bar}}zap"), slot("{bar"));      /* up to the first '}' after the first '{' */
    assert_int_equal(slot("foo{bar}{zap}"), slot("bar"));       /* the first tag only */
    assert_int_not_equal(slot("foo{}{bar}"), slot("bar"));      /* an empty tag: the whole key */
    assert_int_equal(redis_key_slot("{ab}cd", 3), slot("{ab")); /* the length given, not the NUL, ends the key */
    unsigned max = 0;
    for (int i = 0; i < 100000; i++) {
        char k[32];
        snprintf(k, sizeof(k), "key:%d", i);
        unsigned s = slot(k);
        if (s > max)
            max = s;
    }
    assert_true(max <= 16383 && max > 16000);
}

static void urls(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        int cluster;
    } good[] = {
        {"redis://127.0.0.1:6379", 0},
        {"redis://localhost", 0},
        {"redis://:secret@127.0.0.1:6380/3", 0},
        {"redis://app:p%40ss@127.0.0.1:6380/0", 0},
        {"redis://[::1]:6379/", 0},
        {"redis+cluster://127.0.0.1:7000", 1},
        {"redis+cluster://:pw@127.0.0.1:7000,127.0.0.1:7001,[::1]:7002", 1},
    };
    char err[256];
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        err[0] = '\0';
        redis_t *r = redis_create(good[i].url, err, sizeof(err));
        if (r == NULL)
            fail_msg("refused %s: %s", good[i].url, err);
        assert_int_equal(redis_is_cluster(r), good[i].cluster);
        assert_int_equal(redis_healthy(r), 1); /* nothing was tried yet */
        redis_destroy(r);
    }
    static const char *const bad[] = {
        "",
        "http://127.0.0.1:6379",
        "redis://",
        "redis://127.0.0.1:",
        "redis://127.0.0.1:0",
        "redis://127.0.0.1:65536",
        "redis://127.0.0.1:12x",
        "redis://127.0.0.1:6379/x",
        "redis://127.0.0.1:6379/-1",
        "redis://127.0.0.1:6379,127.0.0.1:6380",
        "redis://127.0.0.1:6379?timeout=1",
        "redis://secret@127.0.0.1:6379",
        "redis://user:@127.0.0.1:6379",
        "redis://:p%zz@127.0.0.1:6379",
        "redis://[::1:6379",
        "redis://[]:6379",
        "redis://::1:6379",
        "redis+cluster://127.0.0.1:7000/1",
        "redis+cluster://127.0.0.1:7000,",
        "redis+cluster://,127.0.0.1:7000",
        "redis+cluster://127.0.0.1:7000,,127.0.0.1:7001",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        redis_t *r = redis_create(bad[i], err, sizeof(err));
        if (r != NULL) {
            redis_destroy(r);
            fail_msg("accepted [%s]", bad[i]);
        }
        if (!starts_with(err, "redis URL: ") || strchr(err, '\n') != NULL)
            fail_msg("[%s]: message \"%s\"", bad[i], err);
    }
}

/* A second client of a process (the job queue's) may leave the metrics to the first. */
static void metrics_once_per_process(void **state)
{
    (void)state;
    char err[200], mem[256];
    redis_opts_t quiet = {.no_metrics = 1};
    redis_t *a = redis_create("redis://127.0.0.1:6399", err, sizeof(err));
    redis_t *b = redis_create_opts("redis://127.0.0.1:6399", &quiet, err, sizeof(err));
    assert_non_null(a);
    assert_non_null(b);
    sbuf_t out;
    sbuf_init_fixed(&out, mem, sizeof(mem));
    metrics_render(&out);
    const char *first = strstr(out.p, "# TYPE school_erp_redis_up");
    assert_non_null(first);
    assert_null(strstr(first + 1, "# TYPE school_erp_redis_up"));
    sbuf_free(&out);
    redis_destroy(b);
    redis_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_slots_match_cluster_keyslot),
        cmocka_unit_test(hash_tags),
        cmocka_unit_test(urls),
        cmocka_unit_test(metrics_once_per_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
