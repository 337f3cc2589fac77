/* sigv4.c - AWS Signature Version 4 (see sigv4.h), HMAC-SHA256 and SHA-256 from libsodium. */
#include "blob/sigv4.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

static void hmac(const unsigned char *key, size_t keylen, const char *msg, unsigned char out[32])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, keylen);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, strlen(msg));
    crypto_auth_hmacsha256_final(&st, out);
}

/* The signing key: HMAC chain over "AWS4"+secret, day, region, "s3", "aws4_request". */
static int signing_key(const sigv4_in_t *in, const char *day, unsigned char k[32])
{
    size_t klen = strlen(in->secret_key) + 4;
    unsigned char *k0 = malloc(klen);
    if (k0 == NULL)
        return -1;
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, in->secret_key, klen - 4);
    hmac(k0, klen, day, k);
    sodium_memzero(k0, klen);
    free(k0);
    hmac(k, 32, in->region, k);
    hmac(k, 32, "s3", k);
    hmac(k, 32, "aws4_request", k);
    return 0;
}

int sigv4_sign(const sigv4_in_t *in, char amz_date[17], char *auth, size_t authlen)
{
    struct tm tm;
    gmtime_r(&in->when, &tm);
    char day[9];
    strftime(amz_date, 17, "%Y%m%dT%H%M%SZ", &tm);
    strftime(day, sizeof(day), "%Y%m%d", &tm);
    auth[0] = '\0';

    char canonical[2048], scope[128], to_sign[512], creq_hash[65];
    int n = snprintf(canonical, sizeof(canonical),
                     "%s\n%s\n%s\nhost:%s\nx-amz-content-sha256:%s\nx-amz-date:%s\n\n"
                     "host;x-amz-content-sha256;x-amz-date\n%s",
                     in->method, in->path, in->query, in->host, in->payload_hash, amz_date, in->payload_hash);
    if (n < 0 || (size_t)n >= sizeof(canonical))
        return -1;
    sigv4_sha256_hex(canonical, (size_t)n, creq_hash);
    snprintf(scope, sizeof(scope), "%s/%s/s3/aws4_request", day, in->region);
    snprintf(to_sign, sizeof(to_sign), "AWS4-HMAC-SHA256\n%s\n%s\n%s", amz_date, scope, creq_hash);

    unsigned char k[32], sig[32];
    if (signing_key(in, day, k) != 0)
        return -1;
    hmac(k, 32, to_sign, sig);
    sodium_memzero(k, sizeof(k));
    char sig_hex[65];
    sodium_bin2hex(sig_hex, sizeof(sig_hex), sig, sizeof(sig));
    n = snprintf(auth, authlen,
                 "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=%s",
                 in->access_key, scope, sig_hex);
    if (n < 0 || (size_t)n >= authlen) {
        auth[0] = '\0';
        return -1;
    }
    return 0;
}
