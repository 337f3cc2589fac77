/* Tests of src/core/config.c: defaults, every variable's accepted forms and bounds, error messages. */
#include "../unit.h"

#include "core/config.h"
#include "core/log.h"

/* A fake environment: name/value pairs, terminated by a NULL name. */
typedef struct var {
    const char *name;
    const char *value;
} var_t;

static const char *fake_get(const char *name, void *ud)
{
    for (const var_t *v = ud; v != NULL && v->name != NULL; v++)
        if (strcmp(v->name, name) == 0)
            return v->value;
    return NULL;
}

static char err[512];

/* Loads from vars with ncpu cores; returns config_load's result. */
static int load(config_t *c, const var_t *vars, int ncpu)
{
    err[0] = '\0';
    return config_load(c, fake_get, (void *)vars, ncpu, err, sizeof(err));
}

/* Loads one variable; expects success. */
static void load_ok(config_t *c, const char *name, const char *value)
{
    const var_t vars[] = {{name, value}, {NULL, NULL}};
    int rc = load(c, vars, 2);
    if (rc != 0)
        print_error("%s=%s: unexpected failure: %s\n", name, value, err);
    assert_int_equal(rc, 0);
    assert_string_equal(err, "");
}

/* Loads one variable; expects failure with a message "NAME: expected …" that names the value. */
static void load_bad(const char *name, const char *value)
{
    config_t c;
    const var_t vars[] = {{name, value}, {NULL, NULL}};
    int rc = load(&c, vars, 2);
    if (rc == 0)
        print_error("%s=%s: accepted, expected a failure\n", name, value);
    assert_int_equal(rc, -1);
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "%s: expected ", name);
    if (!starts_with(err, prefix))
        print_error("message \"%s\" does not start with \"%s\"\n", err, prefix);
    assert_true(starts_with(err, prefix));
    assert_null(strchr(err, '\n'));
    config_free(&c);
}

static void defaults(void **state)
{
    (void)state;
    config_t c;
    const var_t none[] = {{NULL, NULL}};
    assert_int_equal(load(&c, none, 3), 0);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 8080);
    assert_string_equal(c.data_dir, "./var");
    assert_string_equal(c.database_url, "sqlite:./var/erp.db");
    assert_true(config_is_sqlite(&c));
    assert_int_equal(c.n_read_urls, 0);
    assert_null(c.redis_url);
    assert_string_equal(c.blob_url, "file:./var/blobs");
    assert_null(c.jwt_secret);
    assert_int_equal(c.threads, 3);
    assert_int_equal(c.pool_size, 12);
    assert_int_equal(c.pool_queue, 16384);
    assert_int_equal(c.drain_seconds, 25);
    assert_int_equal(c.max_body_bytes, 1024 * 1024);
    assert_int_equal(c.max_header_bytes, 16 * 1024);
    assert_int_equal(c.client_timeout_ms, 10000);
    assert_int_equal(c.log_level, LOG_INFO);
    assert_int_equal(c.access_log, 1);
    assert_int_equal(c.replica_max_lag_ms, 1000);
    assert_string_equal(c.queue_name, "default");
    assert_int_equal(c.worker_concurrency, 4);
    assert_int_equal(c.test_routes, 0);
    config_free(&c);
    assert_null(c.database_url); /* config_free leaves a zeroed struct */

    /* a NULL getter table is the same as an empty one; ncpu below 1 counts as 1 */
    assert_int_equal(load(&c, NULL, 0), 0);
    assert_int_equal(c.threads, 1);
    assert_int_equal(c.pool_size, 4);
    config_free(&c);
    assert_int_equal(load(&c, NULL, 16), 0);
    assert_int_equal(c.threads, 16);
    assert_int_equal(c.pool_size, 64);
    config_free(&c);
}

/* Empty values are the same as unset ones. */
static void empty_values_mean_default(void **state)
{
    (void)state;
    const var_t vars[] = {
        {"ERP_LISTEN", ""},     {"ERP_DATABASE_URL", ""}, {"ERP_THREADS", ""},
        {"ERP_ACCESS_LOG", ""}, {"ERP_REDIS_URL", ""},    {"ERP_JWT_SECRET", ""},
        {"QUEUE_NAME", ""},     {"ERP_LOG_LEVEL", ""},    {NULL, NULL},
    };
    config_t c;
    assert_int_equal(load(&c, vars, 2), 0);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 8080);
    assert_string_equal(c.database_url, "sqlite:./var/erp.db");
    assert_int_equal(c.threads, 2);
    assert_int_equal(c.access_log, 1);
    assert_null(c.redis_url);
    assert_null(c.jwt_secret);
    assert_string_equal(c.queue_name, "default");
    config_free(&c);
}

static void listen_forms(void **state)
{
    (void)state;
    config_t c;
    load_ok(&c, "ERP_LISTEN", "0.0.0.0:80");
    assert_string_equal(c.listen_host, "0.0.0.0");
    assert_int_equal(c.listen_port, 80);
    config_free(&c);

    load_ok(&c, "ERP_LISTEN", "[::1]:80");
    assert_string_equal(c.listen_host, "::1");
    assert_int_equal(c.listen_port, 80);
    config_free(&c);

    load_ok(&c, "ERP_LISTEN", "[::]:8443");
    assert_string_equal(c.listen_host, "::");
    assert_int_equal(c.listen_port, 8443);
    config_free(&c);

    load_ok(&c, "ERP_LISTEN", "127.0.0.1:0"); /* any free port */
    assert_int_equal(c.listen_port, 0);
    config_free(&c);

    load_ok(&c, "ERP_LISTEN", "localhost:65535");
    assert_string_equal(c.listen_host, "localhost");
    assert_int_equal(c.listen_port, 65535);
    config_free(&c);

    /* the longest host that fits listen_host */
    char host[300];
    memset(host, 'h', 255);
    snprintf(host + 255, sizeof(host) - 255, ":1");
    load_ok(&c, "ERP_LISTEN", host);
    assert_int_equal(strlen(c.listen_host), 255);
    config_free(&c);
    memset(host, 'h', 256);
    snprintf(host + 256, sizeof(host) - 256, ":1");
    load_bad("ERP_LISTEN", host);
}

static void listen_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "127.0.0.1",       /* no port */
        "127.0.0.1:",      /* empty port */
        ":8080",           /* no host */
        "127.0.0.1:70000", /* port out of range */
        "127.0.0.1:65536",
        "127.0.0.1:-1",
        "127.0.0.1:80x",
        "127.0.0.1:99999999999999999999",
        "abc",
        "::1:80", /* IPv6 without brackets */
        "[::1]",  /* brackets, no port */
        "[::1]:",
        "[::1]80",
        "[::1:80",
        "[]:80",
        "host:port",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        load_bad("ERP_LISTEN", bad[i]);

    config_t c;
    const var_t vars[] = {{"ERP_LISTEN", "abc"}, {NULL, NULL}};
    assert_int_equal(load(&c, vars, 1), -1);
    assert_string_equal(err, "ERP_LISTEN: expected HOST:PORT (for example 127.0.0.1:8080 or [::1]:8080), got \"abc\"");
    config_free(&c);
}

/* Reads an int field of config_t by variable name. */
static long field_of(const config_t *c, const char *name)
{
    if (strcmp(name, "ERP_THREADS") == 0)
        return c->threads;
    if (strcmp(name, "ERP_POOL_SIZE") == 0)
        return c->pool_size;
    if (strcmp(name, "ERP_POOL_QUEUE") == 0)
        return c->pool_queue;
    if (strcmp(name, "ERP_DRAIN_SECONDS") == 0)
        return c->drain_seconds;
    if (strcmp(name, "ERP_MAX_BODY_BYTES") == 0)
        return (long)c->max_body_bytes;
    if (strcmp(name, "ERP_MAX_HEADER_BYTES") == 0)
        return (long)c->max_header_bytes;
    if (strcmp(name, "ERP_CLIENT_TIMEOUT_SECONDS") == 0)
        return c->client_timeout_ms / 1000;
    if (strcmp(name, "ERP_REPLICA_MAX_LAG_MS") == 0)
        return c->replica_max_lag_ms;
    if (strcmp(name, "ERP_DB_STATEMENT_TIMEOUT_MS") == 0)
        return c->statement_timeout_ms;
    if (strcmp(name, "ERP_WORKER_CONCURRENCY") == 0)
        return c->worker_concurrency;
    fail_msg("no field for %s", name);
    return -1;
}

static void integer_bounds(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        long lo, hi;
    } ints[] = {
        {"ERP_THREADS", 1, 256},
        {"ERP_POOL_SIZE", 1, 1024},
        {"ERP_POOL_QUEUE", 1, 1000000},
        {"ERP_DRAIN_SECONDS", 0, 3600},
        {"ERP_MAX_BODY_BYTES", 1024, 1L << 30},
        {"ERP_MAX_HEADER_BYTES", 1024, 262144},
        {"ERP_CLIENT_TIMEOUT_SECONDS", 1, 3600},
        {"ERP_REPLICA_MAX_LAG_MS", 0, 3600000},
        {"ERP_DB_STATEMENT_TIMEOUT_MS", 100, 3600000},
        {"ERP_WORKER_CONCURRENCY", 1, 256},
    };
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        const char *name = ints[i].name;
        char v[64];
        config_t c;
        long ok[] = {ints[i].lo, ints[i].hi, (ints[i].lo + ints[i].hi) / 2};
        for (size_t k = 0; k < 3; k++) {
            snprintf(v, sizeof(v), "%ld", ok[k]);
            load_ok(&c, name, v);
            assert_int_equal(field_of(&c, name), ok[k]);
            config_free(&c);
        }
        long bad[] = {ints[i].lo - 1, ints[i].hi + 1};
        for (size_t k = 0; k < 2; k++) {
            snprintf(v, sizeof(v), "%ld", bad[k]);
            load_bad(name, v);
        }
        load_bad(name, "abc");
        load_bad(name, "12abc");
        load_bad(name, "1.5");
        load_bad(name, "0x10");
        load_bad(name, "99999999999999999999999");

        /* the message names the variable, the range and the value */
        const var_t vars[] = {{name, "abc"}, {NULL, NULL}};
        assert_int_equal(load(&c, vars, 1), -1);
        char want[256];
        snprintf(want, sizeof(want), "%s: expected an integer from %ld to %ld, got \"abc\"", name, ints[i].lo,
                 ints[i].hi);
        assert_string_equal(err, want);
        config_free(&c);
    }

    config_t c;
    load_ok(&c, "ERP_CLIENT_TIMEOUT_SECONDS", "30");
    assert_int_equal(c.client_timeout_ms, 30000);
    config_free(&c);
}

/*
 * The defaults scale with the cores but are not held to the bounds an explicit
 * value must meet: with 300 cores ERP_THREADS defaults to 300 although
 * ERP_THREADS=300 is rejected (max 256), and ERP_POOL_SIZE to 1200 (max 1024).
 */
static void defaults_stay_within_bounds(void **state)
{
    (void)state;
    config_t c;
    assert_int_equal(load(&c, NULL, 300), 0);
    assert_in_range(c.threads, 1, 256);
    assert_in_range(c.pool_size, 1, 1024);
    config_free(&c);
}

static void booleans(void **state)
{
    (void)state;
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    config_t c;
    for (size_t i = 0; i < 4; i++) {
        load_ok(&c, "ERP_ACCESS_LOG", no[i]);
        assert_int_equal(c.access_log, 0);
        config_free(&c);
        load_ok(&c, "ERP_ACCESS_LOG", yes[i]);
        assert_int_equal(c.access_log, 1);
        config_free(&c);
        load_ok(&c, "ERP_ENABLE_TEST_ROUTES", yes[i]);
        assert_int_equal(c.test_routes, 1);
        config_free(&c);
        load_ok(&c, "ERP_ENABLE_TEST_ROUTES", no[i]);
        assert_int_equal(c.test_routes, 0);
        config_free(&c);
    }
    static const char *const bad[] = {"2", "maybe", "enabled", "y", "-1", " on"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        load_bad("ERP_ACCESS_LOG", bad[i]);
        load_bad("ERP_ENABLE_TEST_ROUTES", bad[i]);
    }
    const var_t vars[] = {{"ERP_ACCESS_LOG", "maybe"}, {NULL, NULL}};
    assert_int_equal(load(&c, vars, 1), -1);
    assert_string_equal(err, "ERP_ACCESS_LOG: expected one of on/off/true/false/1/0, got \"maybe\"");
    config_free(&c);
}

static void log_level(void **state)
{
    (void)state;
    config_t c;
    static const struct {
        const char *name;
        int level;
    } ok[] = {{"debug", LOG_DEBUG}, {"info", LOG_INFO}, {"warn", LOG_WARN}, {"error", LOG_ERROR}};
    for (size_t i = 0; i < 4; i++) {
        load_ok(&c, "ERP_LOG_LEVEL", ok[i].name);
        assert_int_equal(c.log_level, ok[i].level);
        config_free(&c);
    }
    load_bad("ERP_LOG_LEVEL", "verbose");
    load_bad("ERP_LOG_LEVEL", "fatal");
    load_bad("ERP_LOG_LEVEL", "INFO");
}

static void database_url_forms(void **state)
{
    (void)state;
    config_t c;
    load_ok(&c, "ERP_DATABASE_URL", "sqlite:/tmp/erp.db");
    assert_string_equal(c.database_url, "sqlite:/tmp/erp.db");
    assert_true(config_is_sqlite(&c));
    config_free(&c);

    static const char *const pg[] = {
        "postgres://erp:pw@db:5432/erp",
        "postgresql://db1:5432,db2:5432/erp?target_session_attrs=read-write",
        "host=db dbname=erp user=erp",
    };
    for (size_t i = 0; i < 3; i++) {
        load_ok(&c, "ERP_DATABASE_URL", pg[i]);
        assert_string_equal(c.database_url, pg[i]);
        assert_false(config_is_sqlite(&c));
        config_free(&c);
    }
    load_bad("ERP_DATABASE_URL", "sqlite:");
    load_bad("ERP_DATABASE_URL", "mysql://db/erp");
    load_bad("ERP_DATABASE_URL", "erp.db");
    load_bad("ERP_DATABASE_URL", "postgres:/db");

    /* the default follows ERP_DATA_DIR, and so does the blob store */
    load_ok(&c, "ERP_DATA_DIR", "/srv/erp");
    assert_string_equal(c.data_dir, "/srv/erp");
    assert_string_equal(c.database_url, "sqlite:/srv/erp/erp.db");
    assert_string_equal(c.blob_url, "file:/srv/erp/blobs");
    config_free(&c);
}

static void read_urls(void **state)
{
    (void)state;
    config_t c;
    const var_t two[] = {
        {"ERP_DATABASE_URL", "postgres://primary/erp"},
        {"ERP_DATABASE_READ_URLS", "postgres://r1/erp,postgresql://r2/erp"},
        {NULL, NULL},
    };
    assert_int_equal(load(&c, two, 1), 0);
    assert_int_equal(c.n_read_urls, 2);
    assert_string_equal(c.read_urls[0], "postgres://r1/erp");
    assert_string_equal(c.read_urls[1], "postgresql://r2/erp");
    config_free(&c);

    const var_t conninfo[] = {
        {"ERP_DATABASE_URL", "host=primary dbname=erp"},
        {"ERP_DATABASE_READ_URLS", "host=r1 dbname=erp"},
        {NULL, NULL},
    };
    assert_int_equal(load(&c, conninfo, 1), 0);
    assert_int_equal(c.n_read_urls, 1);
    assert_string_equal(c.read_urls[0], "host=r1 dbname=erp");
    config_free(&c);

    /* up to 16; the 17th fails, and the 16 already copied are freed by config_free (ASan checks) */
    char list[2048] = "";
    size_t len = 0;
    for (int i = 0; i < 17; i++)
        len += (size_t)snprintf(list + len, sizeof(list) - len, "%spostgres://r%d/erp", i ? "," : "", i);
    char *comma17 = strrchr(list, ',');
    *comma17 = '\0';
    const var_t sixteen[] = {{"ERP_DATABASE_URL", "postgres://p/erp"}, {"ERP_DATABASE_READ_URLS", list}, {NULL, NULL}};
    assert_int_equal(load(&c, sixteen, 1), 0);
    assert_int_equal(c.n_read_urls, CONFIG_MAX_READ_URLS);
    assert_string_equal(c.read_urls[15], "postgres://r15/erp");
    config_free(&c);
    *comma17 = ',';
    const var_t seventeen[] = {
        {"ERP_DATABASE_URL", "postgres://p/erp"}, {"ERP_DATABASE_READ_URLS", list}, {NULL, NULL}};
    assert_int_equal(load(&c, seventeen, 1), -1);
    assert_true(starts_with(err, "ERP_DATABASE_READ_URLS: expected "));
    config_free(&c);

    static const char *const bad[] = {
        ",postgres://r1/erp",
        "postgres://r1/erp,,postgres://r2/erp",
        "postgres://r1/erp,mysql://r2",
        "postgres://r1/erp,sqlite:/tmp/x.db",
        "sqlite:/tmp/x.db",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const var_t vars[] = {
            {"ERP_DATABASE_URL", "postgres://p/erp"}, {"ERP_DATABASE_READ_URLS", bad[i]}, {NULL, NULL}};
        int rc = load(&c, vars, 1);
        if (rc != -1)
            print_error("ERP_DATABASE_READ_URLS=%s accepted\n", bad[i]);
        assert_int_equal(rc, -1);
        assert_true(starts_with(err, "ERP_DATABASE_READ_URLS: expected "));
        config_free(&c);
    }

    /* replicas make no sense with the embedded engine, whether SQLite is the default or explicit */
    const var_t with_default[] = {{"ERP_DATABASE_READ_URLS", "postgres://r1/erp"}, {NULL, NULL}};
    assert_int_equal(load(&c, with_default, 1), -1);
    assert_true(starts_with(err, "ERP_DATABASE_READ_URLS: expected no value with a sqlite: ERP_DATABASE_URL"));
    config_free(&c);
    const var_t with_sqlite[] = {
        {"ERP_DATABASE_URL", "sqlite:/tmp/x.db"}, {"ERP_DATABASE_READ_URLS", "postgres://r1/erp"}, {NULL, NULL}};
    assert_int_equal(load(&c, with_sqlite, 1), -1);
    assert_true(starts_with(err, "ERP_DATABASE_READ_URLS: "));
    config_free(&c);
}

/* An empty element is rejected in front and in the middle of the list, but not at its end. */
static void read_urls_trailing_comma(void **state)
{
    (void)state;
    config_t c;
    const var_t vars[] = {
        {"ERP_DATABASE_URL", "postgres://p/erp"}, {"ERP_DATABASE_READ_URLS", "postgres://r1/erp,"}, {NULL, NULL}};
    assert_int_equal(load(&c, vars, 1), -1);
    config_free(&c);
}

/*
 * A message about a URL variable never shows a password: a URL's user password,
 * and libpq's password and sslpassword keywords, in a conninfo or in a URI's
 * query (found by tests/fuzz/config_fuzz: tests/fuzz/findings/config-conninfo-password,
 * config-password-around-url).
 */
static void url_messages_mask_passwords(void **state)
{
    (void)state;
    static const struct {
        const char *value, *shown;
    } cases[] = {
        {"postgres://u:hunter2secret@r1/erp,,", "postgres://u:***@r1/erp,,"},
        {"host=r1 password=hunter2secret,,", "host=r1 password=***,,"},
        {"host=r1 PASSWORD = hunter2secret,,", "host=r1 PASSWORD = ***,,"},
        {"host=r1 password='hunter2 \\'secret' port=5433,,", "host=r1 password=*** port=5433,,"},
        {"postgres://r1/erp?password=hunter2secret&sslmode=require,,",
         "postgres://r1/erp?password=***&sslmode=require,,"},
        {"host=r1 sslpassword=hunter2secret,,", "host=r1 sslpassword=***,,"},
        {"password=hunter2secret,,", "password=***,,"},
        {"host=r1 passwordx=1,,", "host=r1 passwordx=1,,"}, /* another keyword: shown as is */
        /* a password value that holds the start of a URL's user: both hidden (findings/config-password-around-url) */
        {"postgres://h/db?password=pw://u:&hunter2secret@h,,", "postgres://h/db?password=***@h,,"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        config_t c;
        const var_t vars[] = {
            {"ERP_DATABASE_URL", "postgres://p/erp"}, {"ERP_DATABASE_READ_URLS", cases[i].value}, {NULL, NULL}};
        assert_int_equal(load(&c, vars, 1), -1);
        char want[256];
        snprintf(want, sizeof(want), "got \"%s\"", cases[i].shown);
        if (strstr(err, want) == NULL || strstr(err, "hunter2") != NULL)
            print_error("%s: message \"%s\", want %s\n", cases[i].value, err, want);
        assert_non_null(strstr(err, want));
        assert_null(strstr(err, "hunter2"));
        config_free(&c);
    }
}

static void redis_and_blob_urls(void **state)
{
    (void)state;
    config_t c;
    load_ok(&c, "ERP_REDIS_URL", "redis://localhost:6379");
    assert_string_equal(c.redis_url, "redis://localhost:6379");
    config_free(&c);
    load_ok(&c, "ERP_REDIS_URL", "redis+cluster://a:7000,b:7001");
    assert_string_equal(c.redis_url, "redis+cluster://a:7000,b:7001");
    config_free(&c);
    load_bad("ERP_REDIS_URL", "redis://");
    load_bad("ERP_REDIS_URL", "redis+cluster://");
    load_bad("ERP_REDIS_URL", "localhost:6379");
    load_bad("ERP_REDIS_URL", "http://localhost");

    load_ok(&c, "ERP_BLOB_URL", "file:/data/blobs");
    assert_string_equal(c.blob_url, "file:/data/blobs");
    config_free(&c);
    load_ok(&c, "ERP_BLOB_URL", "s3://bucket?endpoint=http://minio:9000&region=us-east-1");
    config_free(&c);
    load_bad("ERP_BLOB_URL", "file:");
    load_bad("ERP_BLOB_URL", "s3://");
    load_bad("ERP_BLOB_URL", "/data/blobs");
}

static void jwt_secret(void **state)
{
    (void)state;
    config_t c;
    const char *ok = "0123456789abcdef0123456789abcdef"; /* 32 */
    load_ok(&c, "ERP_JWT_SECRET", ok);
    assert_string_equal(c.jwt_secret, ok);
    config_free(&c);

    const char *shortsecret = "s3cr3t-0123456789abcdef-0123456"; /* 31 */
    const var_t vars[] = {{"ERP_JWT_SECRET", shortsecret}, {NULL, NULL}};
    assert_int_equal(load(&c, vars, 1), -1);
    assert_true(starts_with(err, "ERP_JWT_SECRET: expected at least 32 characters"));
    assert_null(strstr(err, shortsecret)); /* the secret is never printed */
    assert_null(strstr(err, "s3cr3t"));
    config_free(&c);
    load_bad("ERP_JWT_SECRET", "x");
}

static void queue_name(void **state)
{
    (void)state;
    config_t c;
    load_ok(&c, "QUEUE_NAME", "reports-2_a");
    assert_string_equal(c.queue_name, "reports-2_a");
    config_free(&c);
    char name[80];
    memset(name, 'q', 64);
    name[64] = '\0';
    load_ok(&c, "QUEUE_NAME", name);
    assert_int_equal(strlen(c.queue_name), 64);
    config_free(&c);
    name[64] = 'q';
    name[65] = '\0';
    load_bad("QUEUE_NAME", name);
    load_bad("QUEUE_NAME", "Reports");
    load_bad("QUEUE_NAME", "a b");
    load_bad("QUEUE_NAME", "a.b");
    load_bad("QUEUE_NAME", "a/b");
    load_bad("QUEUE_NAME", "caf\xc3\xa9");
    const var_t vars[] = {{"QUEUE_NAME", "A"}, {NULL, NULL}};
    assert_int_equal(load(&c, vars, 1), -1);
    assert_string_equal(err, "QUEUE_NAME: expected 1-64 characters of a-z, 0-9, '-' and '_', got \"A\"");
    config_free(&c);
}

/* ERP_TEST_CLOCK: only with the test routes, a date (noon UTC) or a UTC time, 2000-2099. */
static void test_clock(void **state)
{
    (void)state;
    config_t c;
    const var_t date[] = {{"ERP_ENABLE_TEST_ROUTES", "1"}, {"ERP_TEST_CLOCK", "2027-08-01"}, {NULL, NULL}};
    assert_int_equal(load(&c, date, 1), 0);
    assert_int_equal(c.test_clock_ms, 1817121600000LL); /* 2027-08-01T12:00:00Z */
    config_free(&c);
    const var_t instant[] = {{"ERP_ENABLE_TEST_ROUTES", "1"}, {"ERP_TEST_CLOCK", "2028-02-29T23:59:58Z"}, {NULL, NULL}};
    assert_int_equal(load(&c, instant, 1), 0);
    assert_int_equal(c.test_clock_ms, 1835481598000LL);
    config_free(&c);
    load_bad("ERP_TEST_CLOCK", "2027-08-01"); /* a production server refuses it */
    static const char *const bad[] = {"2027-8-01",  "2027-02-29", "1999-12-31", "2100-01-01", "2027-08-01T10:00:00",
                                      "+027-08-01", "2027-08-01 ", " 2027-08-01", "2027-08-01T24:00:00Z", "tomorrow"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const var_t vars[] = {{"ERP_ENABLE_TEST_ROUTES", "1"}, {"ERP_TEST_CLOCK", bad[i]}, {NULL, NULL}};
        if (load(&c, vars, 1) != -1)
            fail_msg("ERP_TEST_CLOCK=%s accepted", bad[i]);
        assert_true(starts_with(err, "ERP_TEST_CLOCK: expected "));
        config_free(&c);
    }
}

/* ERP_METRICS_LISTEN, ERP_CORS_ORIGINS, ERP_TRUSTED_PROXIES. */
static void listeners_origins_and_proxies(void **state)
{
    (void)state;
    config_t c;
    load_ok(&c, "ERP_METRICS_LISTEN", "127.0.0.1:9100");
    assert_int_equal(c.metrics_listen, 1);
    assert_string_equal(c.metrics_host, "127.0.0.1");
    assert_int_equal(c.metrics_port, 9100);
    config_free(&c);
    load_ok(&c, "ERP_LISTEN", "127.0.0.1:8080");
    assert_int_equal(c.metrics_listen, 0);
    config_free(&c);
    load_bad("ERP_METRICS_LISTEN", "9100");
    load_bad("ERP_METRICS_LISTEN", "[::1:9100");

    load_ok(&c, "ERP_CORS_ORIGINS", "https://app.example.org, http://localhost:5173,https://[::1]:8443");
    assert_int_equal(c.n_cors_origins, 3);
    assert_string_equal(c.cors_origins[0], "https://app.example.org");
    assert_string_equal(c.cors_origins[1], "http://localhost:5173");
    assert_string_equal(c.cors_origins[2], "https://[::1]:8443");
    config_free(&c);
    static const char *const bad_origins[] = {"*", "https://app.example/", "app.example", "https://App.example",
                                              "ftp://app.example", "https://app.example:0", "https://app.example:70000",
                                              "https://a.example,,https://b.example", "https://", "https://.a",
                                              "https://[]", "https://a.example:08080"};
    for (size_t i = 0; i < sizeof(bad_origins) / sizeof(bad_origins[0]); i++)
        load_bad("ERP_CORS_ORIGINS", bad_origins[i]);
    char many[2048] = "";
    for (int i = 0; i <= CONFIG_MAX_ORIGINS; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%shttps://a%d.example", i ? "," : "", i);
    load_bad("ERP_CORS_ORIGINS", many);

    load_ok(&c, "ERP_TRUSTED_PROXIES", "10.0.0.0/8, ::1");
    assert_int_equal(c.n_trusted_proxies, 2);
    assert_true(cidr_contains(c.trusted_proxies, c.n_trusted_proxies, "10.9.8.7"));
    config_free(&c);
    load_bad("ERP_TRUSTED_PROXIES", "10.0.0.0/33");
    load_bad("ERP_TRUSTED_PROXIES", "proxy.internal");
}

/* A failure late in the load leaves allocated strings that config_free releases (ASan checks for leaks). */
static void free_after_failures(void **state)
{
    (void)state;
    const char *late[][2] = {
        {"QUEUE_NAME", "BAD"},
        {"ERP_ENABLE_TEST_ROUTES", "bad"},
        {"ERP_WORKER_CONCURRENCY", "0"},
        {"ERP_LOG_LEVEL", "loud"},
        {"ERP_THREADS", "0"},
        {"ERP_JWT_SECRET", "short"},
        {"ERP_BLOB_URL", "nope"},
        {"ERP_REDIS_URL", "nope"},
        {"ERP_DATABASE_READ_URLS", "postgres://r1/erp,bad"},
        {"ERP_DATABASE_URL", "nope"},
        {"ERP_LISTEN", "nope"},
        {"ERP_CORS_ORIGINS", "https://ok.example,*"},
        {"ERP_METRICS_LISTEN", "nope"},
    };
    for (size_t i = 0; i < sizeof(late) / sizeof(late[0]); i++) {
        /* everything valid except the one variable */
        var_t vars[] = {
            {"ERP_DATABASE_URL", "postgres://p/erp"},
            {"ERP_DATABASE_READ_URLS", "postgres://r1/erp,postgres://r2/erp"},
            {"ERP_REDIS_URL", "redis://r:6379"},
            {"ERP_BLOB_URL", "file:/b"},
            {"ERP_JWT_SECRET", "0123456789abcdef0123456789abcdef"},
            {"QUEUE_NAME", "q"},
            {NULL, NULL},
            {NULL, NULL},
        };
        size_t k = 0;
        while (vars[k].name != NULL && strcmp(vars[k].name, late[i][0]) != 0)
            k++;
        vars[k].name = late[i][0];
        vars[k].value = late[i][1];
        config_t c;
        assert_int_equal(load(&c, vars, 2), -1);
        assert_true(starts_with(err, late[i][0]));
        config_free(&c);
        config_free(&c); /* freeing twice is harmless: the first one zeroes */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(empty_values_mean_default),
        cmocka_unit_test(listen_forms),
        cmocka_unit_test(listen_rejects),
        cmocka_unit_test(integer_bounds),
        cmocka_unit_test(defaults_stay_within_bounds),
        cmocka_unit_test(booleans),
        cmocka_unit_test(log_level),
        cmocka_unit_test(database_url_forms),
        cmocka_unit_test(read_urls),
        cmocka_unit_test(read_urls_trailing_comma),
        cmocka_unit_test(url_messages_mask_passwords),
        cmocka_unit_test(redis_and_blob_urls),
        cmocka_unit_test(jwt_secret),
        cmocka_unit_test(queue_name),
        cmocka_unit_test(test_clock),
        cmocka_unit_test(listeners_origins_and_proxies),
        cmocka_unit_test(free_after_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
