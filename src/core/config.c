#include "core/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"

static int fail(char *err, size_t errlen, const char *name, const char *expected, const char *got)
{
    snprintf(err, errlen, "%s: expected %s, got \"%.80s\"", name, expected, got);
    return -1;
}

/* Length of a libpq password value at v: 'quoted' (with \ escapes), else up to a blank, ',' or '&'. */
static size_t secret_len(const char *v)
{
    size_t n = 0;
    if (v[0] == '\'') {
        for (n = 1; v[n] != '\0' && v[n] != '\''; n++)
            if (v[n] == '\\' && v[n + 1] != '\0')
                n++;
        return v[n] == '\'' ? n + 1 : n;
    }
    while (v[n] != '\0' && v[n] != ' ' && v[n] != '\t' && v[n] != ',' && v[n] != '&')
        n++;
    return n;
}

/*
 * The value of a "password" or "sslpassword" keyword at p (conninfo "password = x",
 * URI query "?password=x"), when p starts one: *keep gets the length of the
 * keyword, the '=' and the blanks around it. NULL otherwise.
 */
static const char *password_at(const char *got, const char *p, size_t *keep)
{
    const char *kw = p;
    if (strncasecmp(p, "sslpassword", 11) == 0)
        p += 11;
    else if (strncasecmp(p, "password", 8) == 0)
        p += 8;
    else
        return NULL;
    if (kw != got && strchr(" \t?&,", kw[-1]) == NULL)
        return NULL;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p++ != '=')
        return NULL;
    while (*p == ' ' || *p == '\t')
        p++;
    *keep = (size_t)(p - kw);
    return p;
}

/*
 * As fail(), with the passwords of the value masked: the one of a URL's user
 * ("//user:secret@") and libpq's password and sslpassword keywords (conninfo
 * "password=secret", URI query "?password=secret"). What to hide is decided
 * over the whole value first, so one rule's secret never hides the start of
 * the other's.
 */
static int fail_url(char *err, size_t errlen, const char *name, const char *expected, const char *got)
{
    size_t n = strlen(got);
    unsigned char *hide = xcalloc(n + 1, 1);
    for (size_t i = 0; i < n; i++) {
        if (got[i] == '/' && got[i + 1] == '/') {
            const char *at = strpbrk(got + i + 2, "@,/");
            const char *colon = strchr(got + i + 2, ':');
            if (at != NULL && *at == '@' && colon != NULL && colon < at)
                memset(hide + (colon + 1 - got), 1, (size_t)(at - colon - 1));
        }
        size_t keep;
        const char *secret = password_at(got, got + i, &keep);
        if (secret != NULL)
            memset(hide + (secret - got), 1, secret_len(secret));
    }
    char masked[128];
    size_t o = 0;
    for (size_t i = 0; i < n && o < sizeof(masked) - 4;) {
        if (hide[i]) {
            memcpy(masked + o, "***", 3);
            o += 3;
            while (i < n && hide[i])
                i++;
        } else {
            masked[o++] = got[i++];
        }
    }
    free(hide);
    masked[o] = '\0';
    return fail(err, errlen, name, expected, masked);
}

/* An integer in [lo, hi] from var name; def when unset. */
static int get_int(config_getter_t get, void *ud, const char *name, long lo, long hi, long def, long *out, char *err,
                   size_t errlen)
{
    const char *v = get(name, ud);
    if (v == NULL || *v == '\0') {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    int digits_only = (v[0] >= '0' && v[0] <= '9') || (v[0] == '-' && v[1] >= '0' && v[1] <= '9');
    if (!digits_only || errno != 0 || *end != '\0' || n < lo || n > hi) {
        char expected[96];
        snprintf(expected, sizeof(expected), "an integer from %ld to %ld", lo, hi);
        return fail(err, errlen, name, expected, v);
    }
    *out = n;
    return 0;
}

static int get_bool(config_getter_t get, void *ud, const char *name, int def, int *out, char *err, size_t errlen)
{
    const char *v = get(name, ud);
    if (v == NULL || *v == '\0') {
        *out = def;
        return 0;
    }
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(v, yes[i]) == 0)
            return *out = 1, 0;
        if (strcmp(v, no[i]) == 0)
            return *out = 0, 0;
    }
    return fail(err, errlen, name, "one of on/off/true/false/1/0", v);
}

/* "YYYY-MM-DD" (noon UTC) or "YYYY-MM-DDTHH:MM:SSZ", years 2000-2099, as Unix milliseconds. */
static int parse_instant(const char *v, int64_t *out)
{
    int y, mo, d, h = 12, mi = 0, s = 0, n = 0;
    size_t len = strlen(v);
    if (len == 10) {
        if (sscanf(v, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
            return -1;
    } else if (len == 20) {
        if (sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 || n != 20)
            return -1;
    } else {
        return -1;
    }
    for (size_t i = 0; i < len; i++) /* sscanf would take signs and spaces */
        if (!((v[i] >= '0' && v[i] <= '9') || ((i == 4 || i == 7) && v[i] == '-') || (i == 10 && v[i] == 'T') ||
              ((i == 13 || i == 16) && v[i] == ':') || (i == 19 && v[i] == 'Z')))
            return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = y % 4 == 0; /* exact for 2000-2099 */
    if (y < 2000 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
        h > 23 || mi > 59 || s > 59)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
    *out = (int64_t)timegm(&tm) * 1000;
    return 0;
}

/* HOST:PORT of a listener named by variable name, into host (hostlen bytes) and *port. */
static int parse_listen(const char *name, char *hostout, size_t hostoutlen, int *portout, const char *v, char *err,
                        size_t errlen)
{
    static const char expected[] = "HOST:PORT (for example 127.0.0.1:8080 or [::1]:8080)";
    const char *host = v, *colon;
    size_t hostlen;
    if (v[0] == '[') {
        const char *close = strchr(v, ']');
        if (close == NULL || close[1] != ':')
            return fail(err, errlen, name, expected, v);
        host = v + 1;
        hostlen = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(v, ':');
        if (colon == NULL || memchr(v, ':', (size_t)(colon - v)) != NULL)
            return fail(err, errlen, name, expected, v);
        hostlen = (size_t)(colon - v);
    }
    if (hostlen == 0 || hostlen >= hostoutlen)
        return fail(err, errlen, name, expected, v);
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 || port < 0 || port > 65535)
        return fail(err, errlen, name, expected, v);
    memcpy(hostout, host, hostlen);
    hostout[hostlen] = '\0';
    *portout = (int)port;
    return 0;
}

/* Whether v[0..n) is an origin: http(s)://host[:port], without path, in lower case (as browsers send it). */
static int valid_origin(const char *v, size_t n)
{
    size_t i = n > 8 && strncmp(v, "https://", 8) == 0 ? 8 : n > 7 && strncmp(v, "http://", 7) == 0 ? 7 : 0;
    if (i == 0 || n - i > 253)
        return 0;
    size_t start = i;
    if (v[i] == '[') { /* an IPv6 literal */
        for (i++; i < n && v[i] != ']'; i++)
            if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f') || v[i] == ':' || v[i] == '.'))
                return 0;
        if (i == n || i == start + 1)
            return 0;
        i++;
    } else {
        while (i < n && ((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '-' || v[i] == '.'))
            i++;
        if (i == start || v[start] == '.' || v[i - 1] == '.')
            return 0;
    }
    if (i < n && v[i] == ':') {
        size_t digits = ++i;
        long port = 0;
        while (i < n && v[i] >= '0' && v[i] <= '9' && i - digits < 5)
            port = port * 10 + (v[i++] - '0');
        if (i == digits || v[digits] == '0' || port > 65535)
            return 0;
    }
    return i == n;
}

static int valid_db_url(const char *v)
{
    if (strncmp(v, "sqlite:", 7) == 0)
        return v[7] != '\0';
    if (strncmp(v, "postgres://", 11) == 0 || strncmp(v, "postgresql://", 13) == 0)
        return 1;
    /* libpq key=value conninfo */
    return strchr(v, '=') != NULL;
}

static int valid_redis_url(const char *v)
{
    return (strncmp(v, "redis://", 8) == 0 && v[8] != '\0') ||
           (strncmp(v, "redis+cluster://", 16) == 0 && v[16] != '\0');
}

static int valid_blob_url(const char *v)
{
    return (strncmp(v, "file:", 5) == 0 && v[5] != '\0') || (strncmp(v, "s3://", 5) == 0 && v[5] != '\0');
}

static char *dup_or(config_getter_t get, void *ud, const char *name, const char *def)
{
    const char *v = get(name, ud);
    if (v == NULL || *v == '\0')
        return def == NULL ? NULL : xstrdup(def);
    return xstrdup(v);
}

/* ERP_INSTANCE_NAME: 1-64 characters a header value carries as they are (a host or pod name). */
static int load_instance_name(config_t *c, config_getter_t get, void *ud, char *err, size_t errlen)
{
    const char *name = get("ERP_INSTANCE_NAME", ud);
    if (name == NULL || *name == '\0')
        return 0;
    for (const char *p = name; *p != '\0'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.' || *p == ':') ||
            p - name >= 64)
            return fail(err, errlen, "ERP_INSTANCE_NAME", "1-64 characters of A-Z, a-z, 0-9, '-', '_', '.' and ':'",
                        name);
    c->instance_name = xstrdup(name);
    return 0;
}

/* Appends an origin of len bytes at p to the CORS origins (room checked by the caller). */
static void add_origin(config_t *c, const char *p, size_t len)
{
    char *o = xmalloc(len + 1);
    memcpy(o, p, len);
    o[len] = '\0';
    c->cors_origins[c->n_cors_origins++] = o;
}

/*
 * ERP_PUBLIC_URL: the address people open the web app at (https://app.example.org/, or a CDN's).
 * Its origin (scheme, host, port) joins the CORS origins unless listed already.
 */
static int public_url(config_t *c, const char *v, char *err, size_t errlen)
{
    if (v == NULL || *v == '\0')
        return 0;
    const char *scheme_end = strstr(v, "://");
    size_t len = strlen(v);
    if (scheme_end != NULL) {
        const char *path = strchr(scheme_end + 3, '/');
        if (path != NULL)
            len = (size_t)(path - v);
    }
    if (scheme_end == NULL || !valid_origin(v, len))
        return fail(err, errlen, "ERP_PUBLIC_URL",
                    "the web app's address such as https://app.example.org/ (http or https, lower-case host)", v);
    c->public_url = xstrdup(v);
    for (int i = 0; i < c->n_cors_origins; i++)
        if (strlen(c->cors_origins[i]) == len && strncmp(c->cors_origins[i], v, len) == 0)
            return 0;
    if (c->n_cors_origins == CONFIG_MAX_ORIGINS)
        return fail(err, errlen, "ERP_PUBLIC_URL", "room for its origin beside the 16 of ERP_CORS_ORIGINS", v);
    add_origin(c, v, len);
    return 0;
}

int config_load(config_t *c, config_getter_t get, void *ud, int ncpu, char *err, size_t errlen)
{
    long n;
    memset(c, 0, sizeof(*c));
    if (ncpu < 1)
        ncpu = 1;

    const char *listen = get("ERP_LISTEN", ud);
    if (parse_listen("ERP_LISTEN", c->listen_host, sizeof(c->listen_host), &c->listen_port,
                     listen != NULL && *listen != '\0' ? listen : "127.0.0.1:8080", err, errlen) != 0)
        return -1;
    const char *metrics = get("ERP_METRICS_LISTEN", ud);
    if (metrics != NULL && *metrics != '\0') {
        if (parse_listen("ERP_METRICS_LISTEN", c->metrics_host, sizeof(c->metrics_host), &c->metrics_port, metrics,
                         err, errlen) != 0)
            return -1;
        c->metrics_listen = 1;
    }
    const char *origins = get("ERP_CORS_ORIGINS", ud);
    if (origins != NULL && *origins != '\0') {
        for (const char *p = origins;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
            while (len > 0 && *p == ' ')
                p++, len--;
            while (len > 0 && p[len - 1] == ' ')
                len--;
            if (c->n_cors_origins == CONFIG_MAX_ORIGINS || !valid_origin(p, len))
                return fail(err, errlen, "ERP_CORS_ORIGINS",
                            "a comma-separated list of up to 16 origins such as https://app.example.org (exact, "
                            "lower case, no path; * is not accepted)",
                            origins);
            add_origin(c, p, len);
            if (comma == NULL)
                break;
            p = comma + 1;
        }
    }

    if (public_url(c, get("ERP_PUBLIC_URL", ud), err, errlen) != 0)
        return -1;
    const char *web = get("ERP_WEB_DIR", ud);
    c->web_dir = web != NULL ? xstrdup(web) : NULL;
    c->data_dir = dup_or(get, ud, "ERP_DATA_DIR", "./var");
    const char *db = get("ERP_DATABASE_URL", ud);
    if (db != NULL && *db != '\0') {
        if (!valid_db_url(db))
            return fail_url(err, errlen, "ERP_DATABASE_URL", "sqlite:PATH, postgres://… or a libpq conninfo", db);
        c->database_url = xstrdup(db);
    } else {
        size_t len = strlen(c->data_dir) + 16;
        c->database_url = xmalloc(len);
        snprintf(c->database_url, len, "sqlite:%s/erp.db", c->data_dir);
    }

    const char *reads = get("ERP_DATABASE_READ_URLS", ud);
    if (reads != NULL && *reads != '\0') {
        if (config_is_sqlite(c))
            return fail_url(err, errlen, "ERP_DATABASE_READ_URLS", "no value with a sqlite: ERP_DATABASE_URL", reads);
        const char *p = reads;
        while (*p != '\0') {
            const char *comma = strchr(p, ',');
            size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
            char *u = xmalloc(len + 1);
            memcpy(u, p, len);
            u[len] = '\0';
            if (c->n_read_urls == CONFIG_MAX_READ_URLS || len == 0 || !valid_db_url(u) || strncmp(u, "sqlite:", 7) == 0) {
                free(u);
                return fail_url(err, errlen, "ERP_DATABASE_READ_URLS",
                                "a comma-separated list of up to 16 PostgreSQL URLs", reads);
            }
            c->read_urls[c->n_read_urls++] = u;
            p += len;
            if (*p == ',') {
                p++;
                if (*p == '\0')
                    return fail_url(err, errlen, "ERP_DATABASE_READ_URLS",
                                    "a comma-separated list of up to 16 PostgreSQL URLs", reads);
            }
        }
    }

    const char *redis = get("ERP_REDIS_URL", ud);
    if (redis != NULL && *redis != '\0') {
        if (!valid_redis_url(redis))
            return fail_url(err, errlen, "ERP_REDIS_URL", "redis://HOST:PORT or redis+cluster://H1:P1,H2:P2,…", redis);
        c->redis_url = xstrdup(redis);
    }

    const char *blob = get("ERP_BLOB_URL", ud);
    if (blob != NULL && *blob != '\0') {
        if (!valid_blob_url(blob))
            return fail(err, errlen, "ERP_BLOB_URL", "file:DIR or s3://BUCKET?endpoint=…&region=…", blob);
        c->blob_url = xstrdup(blob);
    } else {
        size_t len = strlen(c->data_dir) + 16;
        c->blob_url = xmalloc(len);
        snprintf(c->blob_url, len, "file:%s/blobs", c->data_dir);
    }

    const char *secret = get("ERP_JWT_SECRET", ud);
    if (secret != NULL && *secret != '\0') {
        if (strlen(secret) < 32)
            return fail(err, errlen, "ERP_JWT_SECRET", "at least 32 characters", "(hidden)");
        c->jwt_secret = xstrdup(secret);
    }

    const char *fsecret = get("ERP_FILE_URL_SECRET", ud);
    if (fsecret != NULL && *fsecret != '\0') {
        if (strlen(fsecret) < 32)
            return fail(err, errlen, "ERP_FILE_URL_SECRET", "at least 32 characters", "(hidden)");
        c->file_url_secret = xstrdup(fsecret);
    }
    const char *wsecret = get("ERP_PAYMENT_WEBHOOK_SECRET", ud);
    if (wsecret != NULL && *wsecret != '\0')
        c->payment_webhook_secret = xstrdup(wsecret);
    if (get_int(get, ud, "ERP_FILE_URL_TTL", 10, 86400, 300, &n, err, errlen) != 0)
        return -1;
    c->file_url_ttl = (int)n;

    const char *prev = get("ERP_JWT_PREVIOUS_SECRETS", ud);
    if (prev != NULL && *prev != '\0') {
        for (const char *p = prev; *p != '\0';) {
            const char *comma = strchr(p, ',');
            size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
            if (len < 32)
                return fail(err, errlen, "ERP_JWT_PREVIOUS_SECRETS", "comma-separated secrets of at least 32 characters",
                            "(hidden)");
            p += len + (comma != NULL);
        }
        c->jwt_previous = xstrdup(prev);
    }
    if (get_int(get, ud, "ERP_ACCESS_TOKEN_TTL_SECONDS", 30, 900, 900, &n, err, errlen) != 0)
        return -1;
    c->access_ttl = (int)n;
    if (get_int(get, ud, "ERP_REFRESH_TOKEN_TTL_SECONDS", 300, 31622400, 2592000, &n, err, errlen) != 0)
        return -1;
    c->refresh_ttl = (int)n;
    if (get_int(get, ud, "ERP_PASSWORD_HASH_MEMORY_KIB", 8192, 4194304, 65536, &n, err, errlen) != 0)
        return -1;
    c->password_memory_kib = (int)n;
    if (get_int(get, ud, "ERP_PASSWORD_HASH_PASSES", 1, 20, 2, &n, err, errlen) != 0)
        return -1;
    c->password_passes = (int)n;
    if (get_int(get, ud, "ERP_LOGIN_MAX_FAILURES", 1, 1000, 5, &n, err, errlen) != 0)
        return -1;
    c->login_max_failures = (int)n;
    if (get_int(get, ud, "ERP_LOGIN_IP_MAX_FAILURES", 1, 100000, 50, &n, err, errlen) != 0)
        return -1;
    c->login_ip_max_failures = (int)n;
    if (get_int(get, ud, "ERP_LOGIN_LOCKOUT_SECONDS", 1, 86400, 900, &n, err, errlen) != 0)
        return -1;
    c->login_lockout_seconds = (int)n;

    if (get_int(get, ud, "ERP_THREADS", 1, 256, ncpu < 256 ? ncpu : 256, &n, err, errlen) != 0)
        return -1;
    c->threads = (int)n;
    if (get_int(get, ud, "ERP_POOL_SIZE", 1, 1024, 4L * ncpu < 1024 ? 4L * ncpu : 1024, &n, err, errlen) != 0)
        return -1;
    c->pool_size = (int)n;
    if (get_int(get, ud, "ERP_POOL_QUEUE", 1, 1000000, 16384, &n, err, errlen) != 0)
        return -1;
    c->pool_queue = (int)n;
    if (get_int(get, ud, "ERP_QUEUE_TARGET_MS", 1, 60000, 100, &n, err, errlen) != 0)
        return -1;
    c->queue_target_ms = (int)n;
    if (get_int(get, ud, "ERP_QUEUE_INTERVAL_MS", 1, 60000, 1000, &n, err, errlen) != 0)
        return -1;
    c->queue_interval_ms = (int)n;
    if (get_int(get, ud, "ERP_QUEUE_MAX_WAIT_MS", 1, 600000, 5000, &n, err, errlen) != 0)
        return -1;
    c->queue_max_wait_ms = (int)n;
    if (get_int(get, ud, "ERP_DRAIN_SECONDS", 0, 3600, 25, &n, err, errlen) != 0)
        return -1;
    c->drain_seconds = (int)n;
    if (get_int(get, ud, "ERP_MAX_BODY_BYTES", 1024, 1L << 30, 1L << 20, &n, err, errlen) != 0)
        return -1;
    c->max_body_bytes = (size_t)n;
    if (get_int(get, ud, "ERP_MAX_HEADER_BYTES", 1024, 262144, 16384, &n, err, errlen) != 0)
        return -1;
    c->max_header_bytes = (size_t)n;
    if (get_int(get, ud, "ERP_CLIENT_TIMEOUT_SECONDS", 1, 3600, 10, &n, err, errlen) != 0)
        return -1;
    c->client_timeout_ms = (int)n * 1000;
    if (get_int(get, ud, "ERP_REPLICA_MAX_LAG_MS", 0, 3600000, 1000, &n, err, errlen) != 0)
        return -1;
    c->replica_max_lag_ms = (int)n;
    if (get_int(get, ud, "ERP_DB_STATEMENT_TIMEOUT_MS", 100, 3600000, 30000, &n, err, errlen) != 0)
        return -1;
    c->statement_timeout_ms = (int)n;
    if (get_int(get, ud, "ERP_IDEMPOTENCY_TTL_SECONDS", 1, 604800, 86400, &n, err, errlen) != 0)
        return -1;
    c->idempotency_ttl_seconds = (int)n;
    if (get_int(get, ud, "ERP_AUDIT_BUFFER", 1, 1000000, 16384, &n, err, errlen) != 0)
        return -1;
    c->audit_buffer = (int)n;
    if (get_int(get, ud, "ERP_L1_BYTES", 1L << 20, 1L << 40, 64L << 20, &n, err, errlen) != 0)
        return -1;
    c->l1_bytes = (size_t)n;
    const char *cache = get("ERP_CACHE", ud);
    c->cache_mode = CACHE_MODE_AUTO;
    if (cache != NULL && *cache != '\0') {
        if (strcmp(cache, "on") == 0)
            c->cache_mode = CACHE_MODE_ON;
        else if (strcmp(cache, "off") == 0)
            c->cache_mode = CACHE_MODE_OFF;
        else if (strcmp(cache, "auto") != 0)
            return fail(err, errlen, "ERP_CACHE", "one of auto, on, off", cache);
    }
    if (get_int(get, ud, "ERP_WORKER_CONCURRENCY", 1, 256, 4, &n, err, errlen) != 0)
        return -1;
    c->worker_concurrency = (int)n;

    const char *level = get("ERP_LOG_LEVEL", ud);
    c->log_level = LOG_INFO;
    if (level != NULL && *level != '\0') {
        int l = log_level_parse(level);
        if (l < 0)
            return fail(err, errlen, "ERP_LOG_LEVEL", "one of debug, info, warn, error", level);
        c->log_level = l;
    }
    if (get_bool(get, ud, "ERP_ACCESS_LOG", 1, &c->access_log, err, errlen) != 0)
        return -1;
    if (get_bool(get, ud, "ERP_ENABLE_TEST_ROUTES", 0, &c->test_routes, err, errlen) != 0)
        return -1;
    const char *proxies = get("ERP_TRUSTED_PROXIES", ud);
    if (proxies != NULL && *proxies != '\0' &&
        cidr_parse_list(proxies, c->trusted_proxies, CIDR_MAX, &c->n_trusted_proxies) != 0)
        return fail(err, errlen, "ERP_TRUSTED_PROXIES",
                    "a comma-separated list of up to 32 addresses or networks (10.0.0.0/8, ::1)", proxies);
    const char *clock = get("ERP_TEST_CLOCK", ud);
    if (clock != NULL && *clock != '\0') {
        if (!c->test_routes)
            return fail(err, errlen, "ERP_TEST_CLOCK", "no value outside the test suite (it needs ERP_ENABLE_TEST_ROUTES=1)",
                        clock);
        if (parse_instant(clock, &c->test_clock_ms) != 0)
            return fail(err, errlen, "ERP_TEST_CLOCK", "a date YYYY-MM-DD or a UTC time YYYY-MM-DDTHH:MM:SSZ from 2000 to 2099",
                        clock);
    }

    if (load_instance_name(c, get, ud, err, errlen) != 0)
        return -1;
    const char *queue = get("QUEUE_NAME", ud);
    if (queue != NULL && *queue != '\0') {
        for (const char *p = queue; *p != '\0'; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_') ||
                p - queue >= 64)
                return fail(err, errlen, "QUEUE_NAME", "1-64 characters of a-z, 0-9, '-' and '_'", queue);
        c->queue_name = xstrdup(queue);
    } else {
        c->queue_name = xstrdup("default");
    }
    return 0;
}

static const char *env_get(const char *name, void *ud)
{
    (void)ud;
    return getenv(name);
}

int config_load_env(config_t *c, char *err, size_t errlen)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int rc = config_load(c, env_get, NULL, ncpu > 0 && ncpu < INT_MAX ? (int)ncpu : 1, err, errlen);
    if (rc == 0 && c->test_clock_ms != 0)
        clock_start_at(c->test_clock_ms);
    return rc;
}

void config_free(config_t *c)
{
    free(c->database_url);
    for (int i = 0; i < c->n_read_urls; i++)
        free(c->read_urls[i]);
    free(c->redis_url);
    free(c->blob_url);
    free(c->jwt_secret);
    free(c->file_url_secret);
    free(c->payment_webhook_secret);
    free(c->jwt_previous);
    free(c->data_dir);
    free(c->queue_name);
    free(c->instance_name);
    for (int i = 0; i < c->n_cors_origins; i++)
        free(c->cors_origins[i]);
    free(c->public_url);
    free(c->web_dir);
    memset(c, 0, sizeof(*c));
}

int config_is_sqlite(const config_t *c)
{
    return strncmp(c->database_url, "sqlite:", 7) == 0;
}
