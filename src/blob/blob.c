/*
 * blob.c - the port's entry points: picks the adapter from the URL, computes
 * content ids, checks ids and forwards to the adapter (see blob.h).
 */
#include "blob/blob.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID_PREFIX "sha256-"
#define ID_PREFIX_LEN 7

blob_t *blob_open(const char *url, char *err, size_t errlen)
{
    if (sodium_init() < 0) {
        snprintf(err, errlen, "ERP_BLOB_URL: libsodium could not start");
        return NULL;
    }
    if (url != NULL && strncmp(url, "file:", 5) == 0 && url[5] != '\0')
        return blob_file_open(url + 5, err, errlen);
    if (url != NULL && strncmp(url, "s3://", 5) == 0 && url[5] != '\0')
        return blob_s3_open(url + 5, err, errlen);
    snprintf(err, errlen, "ERP_BLOB_URL: expected file:DIR or s3://BUCKET?endpoint=…&region=…, got %s",
             url != NULL ? url : "nothing");
    return NULL;
}

void blob_close(blob_t *b)
{
    if (b != NULL)
        b->ops->destroy(b);
}

const char *blob_name(const blob_t *b)
{
    return b->ops->name;
}

void blob_id_of(const void *data, size_t len, char id[BLOB_ID_MAX])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    memcpy(id, ID_PREFIX, ID_PREFIX_LEN);
    sodium_bin2hex(id + ID_PREFIX_LEN, BLOB_ID_MAX - ID_PREFIX_LEN, h, sizeof(h));
}

int blob_id_valid(const char *s)
{
    if (s == NULL || strncmp(s, ID_PREFIX, ID_PREFIX_LEN) != 0)
        return 0;
    const char *h = s + ID_PREFIX_LEN;
    for (int i = 0; i < 64; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
            return 0;
    return h[64] == '\0';
}

int blob_fail(blob_err_t *e, int code, const char *fmt, ...)
{
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    return code;
}

static void ok(blob_err_t *e)
{
    e->code = 0;
    e->message[0] = '\0';
}

static int check_id(const char *id, blob_err_t *e)
{
    if (blob_id_valid(id))
        return 0;
    return blob_fail(e, BLOB_EINVAL, "not a blob id (sha256-<64 hex digits>): %.80s", id != NULL ? id : "NULL");
}

int blob_put(blob_t *b, const void *data, size_t len, const char *content_type, char id[BLOB_ID_MAX], int *existed,
             blob_err_t *e)
{
    int dummy;
    ok(e);
    blob_id_of(data, len, id);
    return b->ops->put(b, id, data, len, content_type, existed != NULL ? existed : &dummy, e);
}

/* Passes bytes on to the caller's sink, hashing them on the way. */
typedef struct verify {
    blob_sink_fn sink;
    void *ud;
    crypto_hash_sha256_state st;
} verify_t;

static int verify_sink(const void *data, size_t len, void *ud)
{
    verify_t *v = ud;
    crypto_hash_sha256_update(&v->st, data, len);
    return v->sink(data, len, v->ud);
}

int blob_get_stream(blob_t *b, const char *id, blob_sink_fn sink, void *ud, blob_err_t *e)
{
    ok(e);
    if (check_id(id, e) != 0)
        return e->code;
    verify_t v = {.sink = sink, .ud = ud};
    crypto_hash_sha256_init(&v.st);
    int rc = b->ops->get(b, id, verify_sink, &v, e);
    if (rc != 0)
        return rc;
    unsigned char h[crypto_hash_sha256_BYTES];
    char got[BLOB_ID_MAX];
    crypto_hash_sha256_final(&v.st, h);
    memcpy(got, ID_PREFIX, ID_PREFIX_LEN);
    sodium_bin2hex(got + ID_PREFIX_LEN, BLOB_ID_MAX - ID_PREFIX_LEN, h, sizeof(h));
    if (strcmp(got, id) != 0)
        return blob_fail(e, BLOB_EFAIL, "object %.20s… is damaged: its bytes hash to %.20s…", id, got);
    return 0;
}

typedef struct membuf {
    unsigned char *p;
    size_t len, cap;
} membuf_t;

static int to_memory(const void *data, size_t len, void *ud)
{
    membuf_t *m = ud;
    if (m->len + len + 1 > m->cap) {
        size_t cap = m->cap == 0 ? 65536 : m->cap;
        while (cap < m->len + len + 1)
            cap *= 2;
        unsigned char *p = realloc(m->p, cap);
        if (p == NULL)
            return -1;
        m->p = p;
        m->cap = cap;
    }
    memcpy(m->p + m->len, data, len);
    m->len += len;
    return 0;
}

int blob_get(blob_t *b, const char *id, void **data, size_t *len, blob_err_t *e)
{
    membuf_t m = {0};
    *data = NULL;
    *len = 0;
    int rc = blob_get_stream(b, id, to_memory, &m, e);
    if (rc == 0 && m.p == NULL && to_memory("", 0, &m) != 0)
        rc = blob_fail(e, BLOB_EFAIL, "out of memory");
    if (rc != 0) {
        if (e->code == 0 || (e->code == BLOB_EFAIL && e->message[0] == '\0'))
            blob_fail(e, BLOB_EFAIL, "out of memory reading %s", id);
        free(m.p);
        return e->code;
    }
    m.p[m.len] = '\0';
    *data = m.p;
    *len = m.len;
    return 0;
}

int blob_head(blob_t *b, const char *id, size_t *size, blob_err_t *e)
{
    ok(e);
    if (check_id(id, e) != 0)
        return e->code;
    return b->ops->head(b, id, size, e);
}

int blob_delete(blob_t *b, const char *id, blob_err_t *e)
{
    ok(e);
    if (check_id(id, e) != 0)
        return e->code;
    return b->ops->del(b, id, e);
}
