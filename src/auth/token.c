#include "auth/token.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/crypto.h"
#include "core/arena.h"
#include "core/ids.h"

#define MAX_KEYS 8
#define ISSUER "school-erp"

typedef struct key {
    char kid[17];
    unsigned char *secret;
    int len;
} key_t_;

static key_t_ keys[MAX_KEYS];
static int nkeys;

static void add_key(const char *secret, size_t len)
{
    if (nkeys == MAX_KEYS)
        return;
    char digest[65];
    crypto_sha256_hex(secret, len, digest);
    memcpy(keys[nkeys].kid, digest, 16);
    keys[nkeys].kid[16] = '\0';
    keys[nkeys].secret = xmalloc(len);
    memcpy(keys[nkeys].secret, secret, len);
    keys[nkeys].len = (int)len;
    nkeys++;
}

/* Reads DATA_DIR/jwt-secret, creating it with a new random secret when missing. */
static int embedded_secret(const char *dir, char *out, size_t outlen, char *err, size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/jwt-secret", dir);
    mkdir(dir, 0750);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        char secret[96];
        crypto_random_b64(secret, sizeof(secret), 48);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            ssize_t w = write(fd, secret, strlen(secret));
            close(fd);
            if (w != (ssize_t)strlen(secret)) {
                snprintf(err, errlen, "cannot write %s", path);
                return -1;
            }
        }
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    ssize_t n = read(fd, out, outlen - 1);
    close(fd);
    if (n < 32) {
        snprintf(err, errlen, "%s holds no usable secret (32+ characters)", path);
        return -1;
    }
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = '\0';
    return 0;
}

int token_setup(const config_t *cfg, char *err, size_t errlen)
{
    for (int i = 0; i < nkeys; i++)
        free(keys[i].secret);
    nkeys = 0;
    if (cfg->jwt_secret != NULL) {
        add_key(cfg->jwt_secret, strlen(cfg->jwt_secret));
    } else if (config_is_sqlite(cfg)) {
        char secret[256];
        if (embedded_secret(cfg->data_dir, secret, sizeof(secret), err, errlen) != 0)
            return -1;
        add_key(secret, strlen(secret));
    } else {
        snprintf(err, errlen, "ERP_JWT_SECRET: required with PostgreSQL (every instance must sign with the same key)");
        return -1;
    }
    if (cfg->jwt_previous != NULL) {
        const char *p = cfg->jwt_previous;
        while (*p != '\0') {
            const char *comma = strchr(p, ',');
            size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
            add_key(p, len);
            p += len + (comma != NULL);
        }
    }
    return 0;
}

char *token_issue(const token_claims_t *c)
{
    jwt_t *j = NULL;
    char *out = NULL;
    if (nkeys == 0 || jwt_new(&j) != 0)
        return NULL;
    if (jwt_set_alg(j, JWT_ALG_HS256, keys[0].secret, keys[0].len) == 0 && jwt_add_header(j, "kid", keys[0].kid) == 0 &&
        jwt_add_grant(j, "iss", ISSUER) == 0 && jwt_add_grant(j, "sub", c->user_id) == 0 &&
        jwt_add_grant(j, "tid", c->tenant_id) == 0 && jwt_add_grant(j, "sid", c->session_id) == 0 &&
        jwt_add_grant(j, "jti", c->token_id) == 0 && jwt_add_grant_int(j, "rol", (long)c->roles) == 0 &&
        jwt_add_grant_int(j, "iat", (long)c->issued_at) == 0 && jwt_add_grant_int(j, "exp", (long)c->expires_at) == 0)
        out = jwt_encode_str(j);
    jwt_free(j);
    return out;
}

static const key_t_ *find_key(const char *kid)
{
    for (int i = 0; kid != NULL && i < nkeys; i++)
        if (strcmp(keys[i].kid, kid) == 0)
            return &keys[i];
    return NULL;
}

static int copy_id(const char *v, char out[40], int allow_empty)
{
    if (v == NULL)
        return -1;
    size_t n = strlen(v);
    if (n == 0 ? !allow_empty : !ids_uuid_valid(v, n))
        return -1;
    memcpy(out, v, n + 1);
    return 0;
}

/* Reads alg and kid from the token's (unverified) header segment; 0 or -1. */
static int read_header(const char *token, char alg[16], char kid[32])
{
    const char *dot = strchr(token, '.');
    char seg[512], raw[384];
    if (dot == NULL || (size_t)(dot - token) >= sizeof(seg))
        return -1;
    memcpy(seg, token, (size_t)(dot - token));
    seg[dot - token] = '\0';
    long n = crypto_b64_decode(seg, raw, sizeof(raw) - 1);
    if (n <= 0)
        return -1;
    json_t *h = json_loadb(raw, (size_t)n, 0, NULL);
    const char *a = json_string_value(json_object_get(h, "alg"));
    const char *k = json_string_value(json_object_get(h, "kid"));
    int ok = a != NULL && k != NULL && strlen(a) < 16 && strlen(k) < 32;
    if (ok) {
        memcpy(alg, a, strlen(a) + 1);
        memcpy(kid, k, strlen(k) + 1);
    }
    json_decref(h);
    return ok ? 0 : -1;
}

token_status_t token_verify(const char *token, int64_t now, token_claims_t *c)
{
    jwt_t *j = NULL;
    char alg[16], kid[32];
    /* The header names the key; only HS256 is accepted, never "none" or another algorithm. */
    if (token == NULL || strlen(token) > 4096 || read_header(token, alg, kid) != 0 || strcmp(alg, "HS256") != 0)
        return TOKEN_MALFORMED;
    const key_t_ *k = find_key(kid);
    if (k == NULL)
        return TOKEN_UNKNOWN_KEY;
    if (jwt_decode(&j, token, k->secret, k->len) != 0 || jwt_get_alg(j) != JWT_ALG_HS256) {
        jwt_free(j);
        return TOKEN_BAD_SIGNATURE;
    }
    token_status_t st = TOKEN_OK;
    const char *iss = jwt_get_grant(j, "iss");
    memset(c, 0, sizeof(*c));
    if (iss == NULL || strcmp(iss, ISSUER) != 0 || copy_id(jwt_get_grant(j, "sub"), c->user_id, 0) != 0 ||
        copy_id(jwt_get_grant(j, "tid"), c->tenant_id, 1) != 0 ||
        copy_id(jwt_get_grant(j, "sid"), c->session_id, 0) != 0 ||
        copy_id(jwt_get_grant(j, "jti"), c->token_id, 0) != 0) {
        st = TOKEN_MALFORMED;
    } else {
        errno = 0;
        long rol = jwt_get_grant_int(j, "rol");
        long iat = jwt_get_grant_int(j, "iat");
        long exp = jwt_get_grant_int(j, "exp");
        if (errno != 0 || rol <= 0 || exp <= 0)
            st = TOKEN_MALFORMED;
        else if (exp <= now)
            st = TOKEN_EXPIRED;
        c->roles = (unsigned)rol;
        c->issued_at = iat;
        c->expires_at = exp;
    }
    jwt_free(j);
    return st;
}

const char *token_status_text(token_status_t st)
{
    switch (st) {
    case TOKEN_OK: return "valid";
    case TOKEN_MALFORMED: return "The access token is malformed.";
    case TOKEN_UNKNOWN_KEY: return "The access token was signed with a key this server does not know.";
    case TOKEN_BAD_SIGNATURE: return "The access token's signature is not valid.";
    case TOKEN_EXPIRED: return "The access token has expired; refresh it.";
    }
    return "invalid token";
}

void refresh_token_new(const char *tenant_id, char out[REFRESH_TOKEN_MAX], char digest[65])
{
    char hex[33];
    size_t n = 0;
    for (const char *p = tenant_id; *p != '\0' && n < 32; p++)
        if (*p != '-')
            hex[n++] = *p;
    hex[n] = '\0';
    char rnd[64];
    crypto_random_b64(rnd, sizeof(rnd), 32);
    snprintf(out, REFRESH_TOKEN_MAX, "rt1.%s.%s", hex, rnd);
    crypto_sha256_hex(out, strlen(out), digest);
}

int refresh_token_parse(const char *token, char tenant_id[40], char digest[65])
{
    if (token == NULL || strncmp(token, "rt1.", 4) != 0 || strlen(token) >= REFRESH_TOKEN_MAX)
        return -1;
    const char *hex = token + 4;
    const char *dot = strchr(hex, '.');
    if (dot == NULL || dot - hex != 32 || strlen(dot + 1) != 43)
        return -1;
    size_t o = 0;
    for (int i = 0; i < 32; i++) {
        char ch = hex[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return -1;
        if (i == 8 || i == 12 || i == 16 || i == 20)
            tenant_id[o++] = '-';
        tenant_id[o++] = ch;
    }
    tenant_id[o] = '\0';
    crypto_sha256_hex(token, strlen(token), digest);
    return 0;
}
