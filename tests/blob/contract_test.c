/*
 * contract_test.c - the blob port's contract (src/blob/blob.h), run unchanged
 * on every adapter.
 *
 * ERP_TEST_BLOB_URL names the store: file:DIR (an empty directory) or
 * s3://BUCKET?endpoint=http://127.0.0.1:PORT&region=us-east-1 on a running
 * s3rver (tests/blob/run_s3.py starts one), with credentials in the
 * environment. Unset, the program fails.
 *
 * On S3 two more tests run: an unknown access key gives BLOB_EAUTH with the
 * service's reason (a wrong secret cannot be tested here: s3rver accepts any
 * V4 signature; tests/unit/blob/sigv4_test.c checks ours against AWS's example), and an endpoint where nothing listens gives
 * BLOB_EUNAVAILABLE at once. The first line of output says how many tests run.
 */
#include "../unit/unit.h"

#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "blob/blob.h"

static const char *URL;
static blob_t *B;

#define assert_blob_ok(call, e)                                                                                        \
    do {                                                                                                               \
        int rc_ = (call);                                                                                              \
        if (rc_ != 0)                                                                                                  \
            fail_msg("%s: %d: %s", #call, rc_, (e).message);                                                          \
    } while (0)

static int is_s3(void)
{
    return strncmp(URL, "s3://", 5) == 0;
}

/* Bytes that differ from run to run (so a put really writes) and from test to test. */
static unsigned char *fresh_bytes(size_t len, const char *salt)
{
    unsigned char *p = malloc(len + 1);
    assert_non_null(p);
    static unsigned seq;
    unsigned x = (unsigned)time(NULL) ^ (unsigned)getpid() * 2654435761u ^ (++seq * 40503u);
    for (const char *s = salt; *s != '\0'; s++)
        x = x * 31 + (unsigned char)*s;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (unsigned char)(x >> 16);
    }
    return p;
}

/* Fresh bytes (fresh_bytes), stored; returns them (the caller frees) with their id in id. */
static unsigned char *stored(size_t len, const char *salt, char id[BLOB_ID_MAX])
{
    unsigned char *data = fresh_bytes(len, salt);
    blob_err_t e;
    assert_blob_ok(blob_put(B, data, len, NULL, id, NULL, &e), e);
    return data;
}

static void round_trip(size_t len, const char *salt)
{
    unsigned char *data = fresh_bytes(len, salt);
    char id[BLOB_ID_MAX], want[BLOB_ID_MAX];
    blob_err_t e;
    int existed = -1;
    assert_blob_ok(blob_put(B, data, len, "application/octet-stream", id, &existed, &e), e);
    blob_id_of(data, len, want);
    assert_string_equal(id, want);
    assert_true(blob_id_valid(id));
    assert_int_equal(existed, 0);
    size_t size = 0;
    assert_blob_ok(blob_head(B, id, &size, &e), e);
    assert_int_equal(size, len);
    void *got = NULL;
    size_t got_len = 0;
    assert_blob_ok(blob_get(B, id, &got, &got_len, &e), e);
    assert_int_equal(got_len, len);
    assert_memory_equal(got, data, len);
    free(got);
    free(data);
}

static void put_get_round_trip(void **state)
{
    (void)state;
    round_trip(1000, "small");
    round_trip(1, "one");
}

static void large_object(void **state)
{
    (void)state;
    round_trip(8u << 20, "large");
}

static void empty_object(void **state)
{
    (void)state;
    char id[BLOB_ID_MAX];
    blob_err_t e;
    int existed = -1;
    assert_blob_ok(blob_put(B, "", 0, "text/plain", id, &existed, &e), e);
    assert_string_equal(id, "sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    void *got = NULL;
    size_t len = 99;
    assert_blob_ok(blob_get(B, id, &got, &len, &e), e);
    assert_int_equal(len, 0);
    assert_non_null(got);
    free(got);
}

/* A put of stored bytes changes nothing: the same id, existed = 1, the object unchanged. */
static void same_content_same_id(void **state)
{
    (void)state;
    unsigned char *data = fresh_bytes(5000, "dedup");
    char id1[BLOB_ID_MAX], id2[BLOB_ID_MAX];
    blob_err_t e;
    int existed = -1;
    assert_blob_ok(blob_put(B, data, 5000, "image/png", id1, &existed, &e), e);
    assert_int_equal(existed, 0);
    assert_blob_ok(blob_put(B, data, 5000, "image/png", id2, &existed, &e), e);
    assert_int_equal(existed, 1);
    assert_string_equal(id1, id2);
    data[0] ^= 1; /* other bytes: another id */
    assert_blob_ok(blob_put(B, data, 5000, "image/png", id2, &existed, &e), e);
    assert_int_equal(existed, 0);
    assert_string_not_equal(id1, id2);
    void *got = NULL;
    size_t len = 0;
    assert_blob_ok(blob_get(B, id1, &got, &len, &e), e);
    data[0] ^= 1;
    assert_int_equal(len, 5000);
    assert_memory_equal(got, data, 5000);
    free(got);
    free(data);
}

static void missing_object(void **state)
{
    (void)state;
    char id[BLOB_ID_MAX];
    unsigned char *data = fresh_bytes(64, "never stored");
    blob_id_of(data, 64, id);
    free(data);
    blob_err_t e;
    void *got = (void *)1;
    size_t len = 7, size = 7;
    assert_int_equal(blob_get(B, id, &got, &len, &e), BLOB_ENOTFOUND);
    assert_null(got);
    assert_int_equal(e.code, BLOB_ENOTFOUND);
    assert_non_null(strstr(e.message, id));
    assert_int_equal(blob_head(B, id, &size, &e), BLOB_ENOTFOUND);
    assert_int_equal(blob_delete(B, id, &e), 0);
}

static void malformed_ids(void **state)
{
    (void)state;
    const char *bad[] = {"", "sha256-", "../../etc/passwd", "sha256-../../../../etc/passwd",
                         "sha256-E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
                         "sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8550", NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        blob_err_t e;
        void *got;
        size_t len;
        assert_int_equal(blob_get(B, bad[i], &got, &len, &e), BLOB_EINVAL);
        assert_int_equal(blob_head(B, bad[i], &len, &e), BLOB_EINVAL);
        assert_int_equal(blob_delete(B, bad[i], &e), BLOB_EINVAL);
    }
}

static void delete_removes(void **state)
{
    (void)state;
    char id[BLOB_ID_MAX];
    unsigned char *data = stored(300, "delete", id);
    blob_err_t e;
    assert_blob_ok(blob_delete(B, id, &e), e);
    size_t size;
    assert_int_equal(blob_head(B, id, &size, &e), BLOB_ENOTFOUND);
    free(data);
}

/* A sink that stops: the get fails and says so, nothing crashes. */
static int stop_after_first(const void *data, size_t len, void *ud)
{
    (void)data;
    (void)len;
    (*(int *)ud)++;
    return 1;
}

static void sink_stops(void **state)
{
    (void)state;
    char id[BLOB_ID_MAX];
    unsigned char *data = stored(300000, "sink", id);
    blob_err_t e;
    int calls = 0;
    assert_int_equal(blob_get_stream(B, id, stop_after_first, &calls, &e), BLOB_EFAIL);
    assert_int_equal(calls, 1);
    free(data);
}

/*
 * Eight threads put and read back their own objects and put again and read
 * shared ones at once. The shared ones are stored first: s3rver writes an
 * object in place, so a concurrent first put of the same bytes may be read
 * half written there (S3 itself replaces objects atomically).
 */
#define THREADS 8
typedef struct worker {
    int idx;
    int failures;
    char message[256];
} worker_t;

static void *salted(const char *salt, size_t len);

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    for (int i = 0; i < 10; i++) {
        char salt[32];
        snprintf(salt, sizeof(salt), "%s-%d", i % 2 ? "shared" : "own", i % 2 ? i : w->idx * 100 + i);
        size_t len = 20000 + (size_t)i;
        unsigned char *data = salted(salt, len);
        if (data == NULL) {
            w->failures++;
            continue;
        }
        char id[BLOB_ID_MAX];
        blob_err_t e;
        void *got = NULL;
        size_t got_len = 0;
        if (blob_put(B, data, len, NULL, id, NULL, &e) != 0 || blob_get(B, id, &got, &got_len, &e) != 0 ||
            got_len != len || memcmp(got, data, len) != 0) {
            w->failures++;
            snprintf(w->message, sizeof(w->message), "%s: %s (read %zu of %zu bytes)", salt, e.message, got_len,
                     len);
        }
        free(got);
        free(data);
    }
    return NULL;
}

/* The bytes worker_main uses for salt. */
static void *salted(const char *salt, size_t len)
{
    unsigned char *data = malloc(len);
    if (data != NULL)
        for (size_t k = 0; k < len; k++)
            data[k] = (unsigned char)(salt[k % strlen(salt)] + k);
    return data;
}

static void threads_share_one_store(void **state)
{
    (void)state;
    for (int i = 1; i < 10; i += 2) {
        char salt[32], id[BLOB_ID_MAX];
        snprintf(salt, sizeof(salt), "shared-%d", i);
        void *data = salted(salt, 20000 + (size_t)i);
        blob_err_t e;
        assert_non_null(data);
        assert_blob_ok(blob_put(B, data, 20000 + (size_t)i, NULL, id, NULL, &e), e);
        free(data);
    }
    pthread_t t[THREADS];
    worker_t w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker_t){.idx = i};
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        if (w[i].failures != 0)
            fail_msg("thread %d: %d failures (%s)", i, w[i].failures, w[i].message);
}

/*
 * An object whose bytes do not hash to its id (damaged on disk, or written
 * half-way by a store that does not replace atomically) fails the get. The
 * check is the port's, the same for every adapter; the damage is made on the
 * file adapter's disk, so on S3 the test reads a sound object.
 */
static void damaged_object(void **state)
{
    (void)state;
    char id[BLOB_ID_MAX];
    unsigned char *data = stored(4000, "damaged", id);
    blob_err_t e;
    int damaged = 0;
    if (!is_s3()) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%.2s/%.2s/%s", URL + 5, id + 7, id + 9, id);
        FILE *f = fopen(path, "r+b");
        assert_non_null(f);
        int c = fgetc(f); /* flipped, so the byte surely changes */
        assert_true(c != EOF);
        assert_int_equal(fseek(f, 0, SEEK_SET), 0);
        assert_int_equal(fputc(c ^ 0x5a, f), c ^ 0x5a);
        assert_int_equal(fclose(f), 0);
        damaged = 1;
    }
    void *got = NULL;
    size_t len;
    int rc = blob_get(B, id, &got, &len, &e);
    if (damaged) {
        assert_int_equal(rc, BLOB_EFAIL);
        assert_null(got);
        assert_non_null(strstr(e.message, "damaged"));
    } else {
        assert_blob_ok(rc, e);
        free(got);
    }
    free(data);
}

/* ---- S3 only ---- */

/* The URL with its endpoint's port replaced (port 0: keep), into out. */
static void url_with_port(int port, char *out, size_t outlen)
{
    const char *ep = strstr(URL, "endpoint=");
    assert_non_null(ep);
    const char *colon = strchr(ep + strlen("endpoint=http://"), ':');
    assert_non_null(colon);
    const char *rest = colon + 1 + strspn(colon + 1, "0123456789");
    snprintf(out, outlen, "%.*s:%d%s", (int)(colon - URL), URL, port, rest);
}

static void bad_credentials(void **state)
{
    (void)state;
    const char *ak = getenv("ERP_S3_ACCESS_KEY");
    char *saved = ak != NULL ? strdup(ak) : NULL;
    setenv("ERP_S3_ACCESS_KEY", "NOT-A-KEY", 1);
    char err[256];
    blob_t *bad = blob_open(URL, err, sizeof(err));
    if (saved != NULL)
        setenv("ERP_S3_ACCESS_KEY", saved, 1);
    free(saved);
    assert_non_null(bad);
    unsigned char *data = fresh_bytes(100, "creds");
    char id[BLOB_ID_MAX];
    blob_err_t e;
    assert_int_equal(blob_put(bad, data, 100, NULL, id, NULL, &e), BLOB_EAUTH);
    print_message("wrong key: %s\n", e.message);
    assert_non_null(strstr(e.message, "InvalidAccessKeyId"));
    size_t size;
    assert_int_equal(blob_head(bad, id, &size, &e), BLOB_EAUTH);
    blob_close(bad);
    free(data);
}

static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void service_down(void **state)
{
    (void)state;
    char url[1024], err[256];
    url_with_port(closed_port(), url, sizeof(url));
    blob_t *down = blob_open(url, err, sizeof(err));
    assert_non_null(down);
    char id[BLOB_ID_MAX];
    blob_err_t e;
    assert_int_equal(blob_put(down, "x", 1, NULL, id, NULL, &e), BLOB_EUNAVAILABLE);
    print_message("down: %s\n", e.message);
    void *got;
    size_t len;
    assert_int_equal(blob_get(down, id, &got, &len, &e), BLOB_EUNAVAILABLE);
    assert_null(got);
    blob_close(down);
}

static void bad_urls(void **state)
{
    (void)state;
    const char *bad[] = {"", "ftp://x", "file:", "s3://", "s3://Bad_Bucket?endpoint=http://127.0.0.1:1",
                         "s3://b?endpoint=127.0.0.1:9000", "s3://b?endpoint=http://h:1/path", NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        char err[256] = "";
        blob_t *b = blob_open(bad[i], err, sizeof(err));
        if (b != NULL)
            fail_msg("blob_open(%s) succeeded", bad[i]);
        assert_non_null(strstr(err, "ERP_BLOB_URL"));
    }
}

static int setup(void **state)
{
    (void)state;
    char err[256];
    B = blob_open(URL, err, sizeof(err));
    if (B == NULL) {
        fprintf(stderr, "blob_open(%s): %s\n", URL, err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    blob_close(B);
    return 0;
}

int main(void)
{
    URL = getenv("ERP_TEST_BLOB_URL");
    if (URL == NULL || *URL == '\0') {
        fprintf(stderr, "contract_test: set ERP_TEST_BLOB_URL (file:DIR or s3://BUCKET?endpoint=…)\n");
        return 1;
    }
    /* one group (tests/run counts the last summary): the S3-only tests at the end, run on S3 only */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(put_get_round_trip), cmocka_unit_test(large_object),   cmocka_unit_test(empty_object),
        cmocka_unit_test(same_content_same_id), cmocka_unit_test(missing_object), cmocka_unit_test(malformed_ids),
        cmocka_unit_test(delete_removes),     cmocka_unit_test(sink_stops),     cmocka_unit_test(threads_share_one_store),
        cmocka_unit_test(bad_urls),           cmocka_unit_test(damaged_object),
        cmocka_unit_test(bad_credentials),    cmocka_unit_test(service_down),
    };
    size_t n = sizeof(tests) / sizeof(tests[0]);
    if (!is_s3())
        n -= 2;
    printf("blob contract on %s: %zu tests (%s)\n", URL, n, is_s3() ? "with the S3 credential and outage tests" : "file");
    int failed = _cmocka_run_group_tests("blob contract", tests, n, setup, teardown);
    return failed == 0 ? 0 : 1;
}
