/*
 * config_fuzz.c - configuration: config_load() (src/core/config.c) over a
 * fuzzed set of variables, with its URL checks (ERP_DATABASE_URL,
 * ERP_DATABASE_READ_URLS, ERP_REDIS_URL, ERP_BLOB_URL), ERP_LISTEN, the
 * secrets, the integer ranges and flags; and config_load_env(), the same over
 * the process environment.
 *
 * Input: lines "NAME=VALUE" (the first one of a name counts); a line
 * "ncpu=N" sets the core count the defaults scale with.
 *
 * The getter reads only the parsed input, so nothing leaks from one run to the
 * next. For config_load_env() the harness points environ at an array of the
 * input's variables for the duration of the call (and restores it), and stops
 * the test clock config_load_env() may start (ERP_TEST_CLOCK) again; both loads
 * must agree on success and on the message. The message buffer is exactly
 * errlen bytes.
 *
 * Properties: on success every field is in its documented range and the
 * strings are set; on failure the one-line message starts with the variable's
 * name and never shows a secret (ERP_JWT_SECRET, ERP_JWT_PREVIOUS_SECRETS, the
 * password of a "scheme://user:password@" URL, or libpq's "password=…" as a
 * conninfo keyword or URI query parameter).
 */
#include "fuzz.h"

#include "core/clock.h"
#include "core/config.h"

extern char **environ;

#define MAX_VARS 64

typedef struct vars {
    char *name[MAX_VARS];
    char *value[MAX_VARS];
    int n;
} vars_t;

static const char *get(const char *name, void *ud)
{
    const vars_t *v = ud;
    for (int i = 0; i < v->n; i++)
        if (strcmp(v->name[i], name) == 0)
            return v->value[i];
    return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

/* Whether needle occurs in s. */
static int contains(const char *s, const char *needle, size_t n)
{
    return n > 0 && memmem(s, strlen(s), needle, n) != NULL;
}

/* Whether a secret of n bytes also occurs in some value other than var's (the message may then quote it legitimately).
 */
static int elsewhere(const vars_t *v, const char *var, const char *secret, size_t n)
{
    for (int i = 0; i < v->n; i++)
        if (strcmp(v->name[i], var) != 0 && get(v->name[i], (void *)v) == v->value[i] &&
            contains(v->value[i], secret, n))
            return 1;
    return 0;
}

/*
 * The secrets in v that a message must not show: each at least 8 bytes, not
 * found in another variable. Only the quoted value is searched ("NAME: expected
 * …, got \"VALUE\""): a secret may well spell some words of the fixed text.
 */
static void check_no_secret(const vars_t *v, const char *msg)
{
    const char *err = strstr(msg, ", got \"");
    if (err == NULL)
        return;
    err += 7;
    const char *s = get("ERP_JWT_SECRET", (void *)v);
    if (s != NULL && strlen(s) >= 8 && !elsewhere(v, "ERP_JWT_SECRET", s, strlen(s)))
        FUZZ_CHECK(!contains(err, s, strlen(s)));
    const char *prev = get("ERP_JWT_PREVIOUS_SECRETS", (void *)v);
    for (const char *p = prev; p != NULL && *p != '\0';) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (len >= 8 && !elsewhere(v, "ERP_JWT_PREVIOUS_SECRETS", p, len))
            FUZZ_CHECK(!contains(err, p, len));
        p += len + (comma != NULL);
    }
    /* "scheme://user:password@host": the password, followed by '@', is masked in URL variables */
    static const char *const urls[] = {"ERP_DATABASE_URL", "ERP_DATABASE_READ_URLS", "ERP_REDIS_URL"};
    for (size_t u = 0; u < sizeof(urls) / sizeof(urls[0]); u++) {
        const char *val = get(urls[u], (void *)v);
        for (const char *p = val; p != NULL && (p = strstr(p, "://")) != NULL; p += 3) {
            const char *user = p + 3;
            size_t ulen = strcspn(user, ":@,/");
            if (user[ulen] != ':')
                continue;
            const char *pw = user + ulen + 1;
            size_t plen = strcspn(pw, ":@,/");
            if (pw[plen] != '@' || plen < 8)
                continue;
            char needle[512];
            if (plen + 2 > sizeof(needle))
                continue;
            memcpy(needle, pw, plen);
            needle[plen] = '@';
            needle[plen + 1] = '\0';
            /* only a password that shows nowhere else in any value (not in a part that is no URL either) */
            const char *again = memmem(pw + 1, strlen(pw + 1), needle, plen + 1);
            if (again == NULL && memmem(val, (size_t)(pw - val), needle, plen + 1) == NULL &&
                !elsewhere(v, urls[u], needle, plen + 1))
                FUZZ_CHECK(!contains(err, needle, plen + 1));
        }
        /* libpq's "password=secret", a conninfo keyword or a URI query parameter, is masked too */
        for (const char *p = val; p != NULL && (p = strcasestr(p, "password=")) != NULL; p += 9) {
            if (p != val && strchr(" \t?&,", p[-1]) == NULL)
                continue;
            const char *pw = p + 9;
            size_t plen = strcspn(pw, " \t,&'\"");
            if (plen < 8 || memmem(pw + 1, strlen(pw + 1), pw, plen) != NULL ||
                memmem(val, (size_t)(pw - val), pw, plen) != NULL || elsewhere(v, urls[u], pw, plen))
                continue;
            FUZZ_CHECK(!contains(err, pw, plen));
        }
    }
}

static void check_loaded(const config_t *c)
{
    FUZZ_CHECK(c->listen_host[0] != '\0' && memchr(c->listen_host, '\0', sizeof(c->listen_host)) != NULL);
    FUZZ_CHECK(c->listen_port >= 0 && c->listen_port <= 65535);
    FUZZ_CHECK(c->database_url != NULL && c->blob_url != NULL && c->data_dir != NULL && c->queue_name != NULL);
    FUZZ_CHECK(c->n_read_urls >= 0 && c->n_read_urls <= CONFIG_MAX_READ_URLS);
    if (config_is_sqlite(c))
        FUZZ_CHECK(c->n_read_urls == 0);
    for (int i = 0; i < c->n_read_urls; i++)
        FUZZ_CHECK(c->read_urls[i] != NULL && c->read_urls[i][0] != '\0' &&
                   strncmp(c->read_urls[i], "sqlite:", 7) != 0);
    FUZZ_CHECK(c->jwt_secret == NULL || strlen(c->jwt_secret) >= 32);
    FUZZ_CHECK(c->access_ttl >= 30 && c->access_ttl <= 900);
    FUZZ_CHECK(c->refresh_ttl >= 300 && c->refresh_ttl <= 31622400);
    FUZZ_CHECK(c->password_memory_kib >= 8192 && c->password_memory_kib <= 4194304);
    FUZZ_CHECK(c->password_passes >= 1 && c->password_passes <= 20);
    FUZZ_CHECK(c->threads >= 1 && c->threads <= 256 && c->pool_size >= 1 && c->pool_size <= 1024);
    FUZZ_CHECK(c->pool_queue >= 1 && c->drain_seconds >= 0 && c->drain_seconds <= 3600);
    FUZZ_CHECK(c->max_body_bytes >= 1024 && c->max_header_bytes >= 1024 && c->client_timeout_ms >= 1000);
    FUZZ_CHECK(c->access_log == 0 || c->access_log == 1);
    FUZZ_CHECK(c->test_routes == 0 || c->test_routes == 1);
    FUZZ_CHECK(strlen(c->queue_name) >= 1 && strlen(c->queue_name) <= 64);
    /* ERP_TEST_CLOCK: only with the test routes, an instant of 2000-01-01 to 2099-12-31 */
    FUZZ_CHECK(c->test_clock_ms == 0 ||
               (c->test_routes && c->test_clock_ms >= 946684800000LL && c->test_clock_ms < 4102444800000LL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vars_t v = {.n = 0};
    int ncpu = 2;
    fuzz_in_t in = {data, size};
    while (in.n > 0 && v.n < MAX_VARS) {
        char *line = fuzz_field(&in, '\n', NULL);
        char *eq = strchr(line, '=');
        if (eq == NULL) {
            free(line);
            continue;
        }
        *eq = '\0';
        if (strcmp(line, "ncpu") == 0) {
            ncpu = atoi(eq + 1);
            free(line);
            continue;
        }
        v.name[v.n] = line; /* the value shares the allocation */
        v.value[v.n] = eq + 1;
        v.n++;
    }

    size_t errlen = size % 4 == 0 ? 1 + size % 61 : 512; /* mostly whole messages, sometimes cut short */
    char *err = malloc(errlen);
    if (err == NULL)
        abort();
    err[0] = '\0';
    config_t c;
    int rc = config_load(&c, get, &v, ncpu, err, errlen);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(memchr(err, '\0', errlen) != NULL);
    if (rc == 0) {
        check_loaded(&c);
    } else if (errlen > 16) {
        FUZZ_CHECK(strncmp(err, "ERP_", 4) == 0 || strncmp(err, "QUEUE_NAME", 10) == 0);
        check_no_secret(&v, err);
    }
    config_free(&c);

    /*
     * The same through the environment: for the call, environ is an array of
     * the input's variables only (first value of each name), so nothing from
     * outside or from another input is seen, and nothing is left behind (setenv()
     * would keep every value ever set).
     */
    char *entries[MAX_VARS + 1];
    int ne = 0;
    for (int i = 0; i < v.n; i++) {
        if (get(v.name[i], &v) != v.value[i] || v.name[i][0] == '\0')
            continue;
        size_t len = strlen(v.name[i]) + strlen(v.value[i]) + 2;
        entries[ne] = malloc(len);
        if (entries[ne] == NULL)
            abort();
        snprintf(entries[ne], len, "%s=%s", v.name[i], v.value[i]);
        ne++;
    }
    entries[ne] = NULL;
    char *err2 = malloc(errlen);
    if (err2 == NULL)
        abort();
    err2[0] = '\0';
    config_t c2;
    char **saved = environ;
    environ = entries;
    int rc2 = config_load_env(&c2, err2, errlen);
    environ = saved;
    clock_shift_ms = 0; /* config_load_env() starts the test clock for the process; stop it again */
    FUZZ_CHECK(rc2 == rc);
    if (rc != 0)
        FUZZ_CHECK(strcmp(err, err2) == 0);
    config_free(&c2);
    for (int i = 0; i < ne; i++)
        free(entries[i]);

    free(err);
    free(err2);
    for (int i = 0; i < v.n; i++)
        free(v.name[i]);
    return 0;
}
