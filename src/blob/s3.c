/*
 * s3.c - the blob port on an S3-compatible service (s3://BUCKET?endpoint=…&region=…).
 *
 * Requests go over libcurl with path-style addresses (ENDPOINT/BUCKET/ID),
 * signed with AWS Signature Version 4 (HMAC-SHA256 from libsodium): Debian 12's
 * libs3 (2.0) signs with Version 2 only, which AWS regions opened since 2014
 * refuse (docs/DECISIONS.md). Without endpoint the service is AWS's regional
 * one, https://s3.REGION.amazonaws.com.
 *
 * Every call uses its own curl easy handle, so any thread may call at any time.
 * A put asks HEAD first and writes only a missing object (ids are content
 * hashes: an existing one already holds these bytes).
 */
#include "blob/blob.h"
#include "blob/sigv4.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CONNECT_TIMEOUT_MS 3000L
#define TIMEOUT_S 120L

typedef struct s3_blob {
    blob_t base;
    char *bucket;
    char *endpoint; /* scheme://host[:port], no trailing slash */
    char *host;     /* host[:port] as sent in Host and signed */
    char *region;
    char *access_key;
    char *secret_key;
} s3_blob_t;

/* ---- Signature Version 4 ---- */

typedef struct signed_req {
    char amz_date[17];
    char payload_hash[65];
    char authorization[600]; /* "Authorization: …" */
} signed_req_t;

/* Signs METHOD path (sigv4.h) at the current time. */
static void sign(const s3_blob_t *s, const char *method, const char *path, const void *payload, size_t len,
                 signed_req_t *out)
{
    sigv4_sha256_hex(payload != NULL ? payload : "", len, out->payload_hash);
    sigv4_in_t in = {.method = method, .path = path, .query = "", .host = s->host, .region = s->region,
                     .access_key = s->access_key, .secret_key = s->secret_key, .payload_hash = out->payload_hash,
                     .when = time(NULL)};
    char auth[512];
    if (sigv4_sign(&in, out->amz_date, auth, sizeof(auth)) != 0)
        auth[0] = '\0'; /* the request goes unsigned and the service refuses it */
    snprintf(out->authorization, sizeof(out->authorization), "Authorization: %s", auth);
}

/* ---- one request ---- */

typedef struct call {
    CURL *curl;
    blob_sink_fn sink; /* 2xx body goes here; NULL: dropped */
    void *ud;
    int sink_failed;
    int delivered; /* some bytes went to the sink */
    char errbody[1024]; /* the start of an error reply (S3's XML) */
    size_t errlen;
    const unsigned char *up; /* upload bytes */
    size_t up_len, up_off;
} call_t;

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
    call_t *c = ud;
    size_t len = size * n;
    long status = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
        c->delivered = 1;
        if (c->sink != NULL && c->sink(p, len, c->ud) != 0) {
            c->sink_failed = 1;
            return 0;
        }
        return len;
    }
    size_t room = sizeof(c->errbody) - 1 - c->errlen;
    size_t take = len < room ? len : room;
    memcpy(c->errbody + c->errlen, p, take);
    c->errlen += take;
    c->errbody[c->errlen] = '\0';
    return len;
}

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
    call_t *c = ud;
    size_t room = size * n, left = c->up_len - c->up_off;
    size_t take = left < room ? left : room;
    memcpy(p, c->up + c->up_off, take);
    c->up_off += take;
    return take;
}

/* The text between <tag> and </tag> in an S3 error document, into out ("" when absent). */
static void xml_field(const char *doc, const char *tag, char *out, size_t outlen)
{
    char open[40], close[40];
    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    out[0] = '\0';
    const char *a = strstr(doc, open);
    const char *z = a != NULL ? strstr(a, close) : NULL;
    if (a == NULL || z == NULL)
        return;
    a += strlen(open);
    snprintf(out, outlen, "%.*s", (int)(z - a), a);
}

/* Maps a finished request's status onto 0 or a BLOB_E* code with a message. */
static int outcome(const s3_blob_t *s, const char *what, const char *id, call_t *c, CURLcode cc, blob_err_t *e)
{
    if (c->sink_failed)
        return blob_fail(e, BLOB_EFAIL, "the reader of %s stopped", id);
    if (cc != CURLE_OK) {
        int code = cc == CURLE_COULDNT_CONNECT || cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_COULDNT_RESOLVE_HOST ||
                           cc == CURLE_GOT_NOTHING || cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR
                       ? BLOB_EUNAVAILABLE
                       : BLOB_EFAIL;
        return blob_fail(e, code, "S3 %s %s at %s: %s", what, id, s->endpoint, curl_easy_strerror(cc));
    }
    long status = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300)
        return 0;
    char code[64], msg[160];
    xml_field(c->errbody, "Code", code, sizeof(code));
    xml_field(c->errbody, "Message", msg, sizeof(msg));
    if (status == 404)
        return blob_fail(e, BLOB_ENOTFOUND, "no object %s (S3 %s)", id, code[0] ? code : "404");
    int kind = status == 401 || status == 403 ? BLOB_EAUTH : status >= 500 ? BLOB_EUNAVAILABLE : BLOB_EFAIL;
    return blob_fail(e, kind, "S3 %s %s: HTTP %ld %s%s%s%s", what, id, status, code[0] ? code : "",
                     msg[0] ? " (" : "", msg, msg[0] ? ")" : "");
}

/* The request's fixed parts. */
typedef struct op {
    const char *method;
    const char *id;
    const void *body; /* PUT */
    size_t len;
    const char *content_type;
    const char *extra; /* one more header line, or NULL */
} op_t;

static struct curl_slist *headers(const s3_blob_t *s, const op_t *o, const signed_req_t *sr)
{
    char host[300], date[64], hash[100], ctype[200];
    snprintf(host, sizeof(host), "Host: %s", s->host);
    snprintf(date, sizeof(date), "x-amz-date: %s", sr->amz_date);
    snprintf(hash, sizeof(hash), "x-amz-content-sha256: %s", sr->payload_hash);
    snprintf(ctype, sizeof(ctype), "Content-Type: %s", o->content_type != NULL ? o->content_type : "application/octet-stream");
    const char *lines[] = {host, date, hash, sr->authorization, "Expect:", o->body != NULL ? ctype : NULL, o->extra};
    struct curl_slist *h = NULL, *t;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        if (lines[i] == NULL)
            continue;
        t = curl_slist_append(h, lines[i]);
        if (t == NULL) {
            curl_slist_free_all(h);
            return NULL;
        }
        h = t;
    }
    return h;
}

/* One attempt of o; *retry says whether a failure may be retried (a 5xx or a dropped connection, no byte delivered). */
static int attempt(const s3_blob_t *s, const op_t *o, blob_sink_fn sink, void *ud, size_t *size, int *retry,
                   blob_err_t *e)
{
    char path[256], url[1024];
    snprintf(path, sizeof(path), "/%s/%s", s->bucket, o->id);
    snprintf(url, sizeof(url), "%s%s", s->endpoint, path);
    signed_req_t sr;
    sign(s, o->method, path, o->body, o->len, &sr);
    call_t c = {.sink = sink, .ud = ud, .up = o->body, .up_len = o->len};
    c.curl = curl_easy_init();
    struct curl_slist *h = headers(s, o, &sr);
    if (c.curl == NULL || h == NULL) {
        curl_slist_free_all(h);
        curl_easy_cleanup(c.curl);
        return blob_fail(e, BLOB_EFAIL, "out of memory");
    }
    curl_easy_setopt(c.curl, CURLOPT_URL, url);
    curl_easy_setopt(c.curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c.curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c.curl, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c.curl, CURLOPT_TIMEOUT, TIMEOUT_S);
    curl_easy_setopt(c.curl, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c.curl, CURLOPT_WRITEDATA, &c);
    if (strcmp(o->method, "HEAD") == 0) {
        curl_easy_setopt(c.curl, CURLOPT_NOBODY, 1L);
    } else if (strcmp(o->method, "PUT") == 0) {
        curl_easy_setopt(c.curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c.curl, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c.curl, CURLOPT_READDATA, &c);
        curl_easy_setopt(c.curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)o->len);
    } else if (strcmp(o->method, "GET") != 0) {
        curl_easy_setopt(c.curl, CURLOPT_CUSTOMREQUEST, o->method);
    }
    CURLcode cc = curl_easy_perform(c.curl);
    int rc = outcome(s, o->method, o->id, &c, cc, e);
    *retry = rc == BLOB_EUNAVAILABLE && !c.delivered && cc != CURLE_COULDNT_CONNECT;
    if (rc == 0 && size != NULL) {
        curl_off_t cl = -1;
        curl_easy_getinfo(c.curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        *size = cl < 0 ? 0 : (size_t)cl;
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c.curl);
    return rc;
}

/*
 * Runs o on /bucket/id: a 2xx reply's body to sink, *size (may be NULL) its
 * Content-Length. A 5xx or a dropped connection is tried again twice (after
 * 100 and 400 ms) when no byte reached the sink, as the AWS SDKs do; a
 * refused connection is not (the service is down: fail at once).
 */
static int request(const s3_blob_t *s, const op_t *o, blob_sink_fn sink, void *ud, size_t *size, blob_err_t *e)
{
    int rc = 0, retry = 0;
    for (int i = 0; i < 3; i++) {
        if (i > 0) {
            struct timespec ts = {0, 100000000L << (2 * (i - 1))};
            nanosleep(&ts, NULL);
        }
        rc = attempt(s, o, sink, ud, size, &retry, e);
        if (rc == 0 || !retry)
            break;
    }
    return rc;
}

/* ---- the adapter ---- */

static int s3_head(blob_t *b, const char *id, size_t *size, blob_err_t *e)
{
    const s3_blob_t *s = (const s3_blob_t *)b;
    op_t o = {.method = "HEAD", .id = id};
    int rc = request(s, &o, NULL, NULL, size, e);
    if (rc != BLOB_EAUTH && rc != BLOB_EFAIL)
        return rc;
    /* a HEAD reply has no body: ask for one byte to learn the service's reason */
    blob_err_t why;
    op_t g = {.method = "GET", .id = id, .extra = "Range: bytes=0-0"};
    if (request(s, &g, NULL, NULL, NULL, &why) == rc)
        *e = why;
    return rc;
}

static int s3_put(blob_t *b, const char *id, const void *data, size_t len, const char *content_type, int *existed,
                  blob_err_t *e)
{
    size_t size;
    int rc = s3_head(b, id, &size, e);
    if (rc == 0) {
        *existed = 1;
        return 0;
    }
    if (rc != BLOB_ENOTFOUND)
        return rc;
    *existed = 0;
    e->code = 0;
    op_t o = {.method = "PUT", .id = id, .body = data != NULL ? data : "", .len = len, .content_type = content_type};
    return request((const s3_blob_t *)b, &o, NULL, NULL, NULL, e);
}

static int s3_get(blob_t *b, const char *id, blob_sink_fn sink, void *ud, blob_err_t *e)
{
    op_t o = {.method = "GET", .id = id};
    return request((const s3_blob_t *)b, &o, sink, ud, NULL, e);
}

static int s3_del(blob_t *b, const char *id, blob_err_t *e)
{
    op_t o = {.method = "DELETE", .id = id};
    int rc = request((const s3_blob_t *)b, &o, NULL, NULL, NULL, e);
    return rc == BLOB_ENOTFOUND ? (e->code = 0) : rc;
}

static void s3_destroy(blob_t *b)
{
    s3_blob_t *s = (s3_blob_t *)b;
    free(s->bucket);
    free(s->endpoint);
    free(s->host);
    free(s->region);
    if (s->secret_key != NULL)
        sodium_memzero(s->secret_key, strlen(s->secret_key));
    free(s->access_key);
    free(s->secret_key);
    free(s);
}

static const blob_ops_t s3_ops = {
    .name = "s3",
    .put = s3_put,
    .get = s3_get,
    .head = s3_head,
    .del = s3_del,
    .destroy = s3_destroy,
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ready;

static void curl_start(void)
{
    curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

/* The value of name= in a query string (percent-decoding not needed for these values), malloc'd, or NULL. */
static char *query_value(const char *query, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = query; p != NULL && *p != '\0';) {
        const char *end = strchr(p, '&');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=')
            return strndup(p + n + 1, len - n - 1);
        p = end != NULL ? end + 1 : NULL;
    }
    return NULL;
}

static const char *env2(const char *a, const char *b)
{
    const char *v = getenv(a);
    if (v == NULL || *v == '\0')
        v = getenv(b);
    return v != NULL && *v != '\0' ? v : NULL;
}

/* Fills the bucket, endpoint, host and region of s from "BUCKET?endpoint=…&region=…"; -1 with err. */
static int parse_spec(s3_blob_t *s, const char *spec, char *err, size_t errlen)
{
    const char *q = strchr(spec, '?');
    size_t blen = q != NULL ? (size_t)(q - spec) : strlen(spec);
    s->bucket = strndup(spec, blen);
    s->region = q != NULL ? query_value(q + 1, "region") : NULL;
    if (s->region == NULL)
        s->region = strdup("us-east-1");
    s->endpoint = q != NULL ? query_value(q + 1, "endpoint") : NULL;
    if (s->endpoint == NULL && s->region != NULL) {
        size_t len = strlen(s->region) + 32;
        s->endpoint = malloc(len);
        if (s->endpoint != NULL)
            snprintf(s->endpoint, len, "https://s3.%s.amazonaws.com", s->region);
    }
    if (s->bucket == NULL || s->region == NULL || s->endpoint == NULL) {
        snprintf(err, errlen, "ERP_BLOB_URL: out of memory");
        return -1;
    }
    size_t el = strlen(s->endpoint);
    while (el > 0 && s->endpoint[el - 1] == '/')
        s->endpoint[--el] = '\0';
    const char *hp = strstr(s->endpoint, "://");
    if (blen == 0 || strspn(s->bucket, "abcdefghijklmnopqrstuvwxyz0123456789.-") != blen || hp == NULL ||
        hp[3] == '\0' || strchr(hp + 3, '/') != NULL || s->region[0] == '\0') {
        snprintf(err, errlen,
                 "ERP_BLOB_URL: expected s3://BUCKET?endpoint=http(s)://HOST[:PORT]&region=REGION "
                 "(bucket: lowercase letters, digits, '.', '-'), got s3://%s",
                 spec);
        return -1;
    }
    s->host = strdup(hp + 3);
    if (s->host == NULL) {
        snprintf(err, errlen, "ERP_BLOB_URL: out of memory");
        return -1;
    }
    return 0;
}

blob_t *blob_s3_open(const char *spec, char *err, size_t errlen)
{
    pthread_once(&curl_once, curl_start);
    if (!curl_ready) {
        snprintf(err, errlen, "ERP_BLOB_URL: libcurl could not start");
        return NULL;
    }
    s3_blob_t *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(err, errlen, "ERP_BLOB_URL: out of memory");
        return NULL;
    }
    s->base.ops = &s3_ops;
    if (parse_spec(s, spec, err, errlen) != 0) {
        s3_destroy(&s->base);
        return NULL;
    }
    const char *ak = env2("ERP_S3_ACCESS_KEY", "AWS_ACCESS_KEY_ID");
    const char *sk = env2("ERP_S3_SECRET_KEY", "AWS_SECRET_ACCESS_KEY");
    if (ak == NULL || sk == NULL) {
        snprintf(err, errlen, "ERP_S3_ACCESS_KEY and ERP_S3_SECRET_KEY (or AWS_ACCESS_KEY_ID and "
                              "AWS_SECRET_ACCESS_KEY) must be set for an s3:// ERP_BLOB_URL");
        s3_destroy(&s->base);
        return NULL;
    }
    s->access_key = strdup(ak);
    s->secret_key = strdup(sk);
    if (s->access_key == NULL || s->secret_key == NULL) {
        snprintf(err, errlen, "ERP_BLOB_URL: out of memory");
        s3_destroy(&s->base);
        return NULL;
    }
    return &s->base;
}
