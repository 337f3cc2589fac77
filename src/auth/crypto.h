/*
 * crypto.h - the few cryptographic helpers the product needs, all on libsodium:
 * secure random tokens, SHA-256 digests, base64url, constant-time comparison.
 */
#ifndef ERP_AUTH_CRYPTO_H
#define ERP_AUTH_CRYPTO_H

#include <stddef.h>

/* Initializes libsodium; call once at start-up. Returns 0 or -1. */
int crypto_setup(void);

/* SHA-256 of data as 64 lowercase hex digits and a NUL. */
void crypto_sha256_hex(const void *data, size_t len, char out[65]);

/* nbytes of secure random data as base64url without padding, NUL-terminated (out: at least 4*nbytes/3+3). */
void crypto_random_b64(char *out, size_t outlen, size_t nbytes);

/* base64url (no padding) of data into out; returns out. */
char *crypto_b64_encode(const void *data, size_t len, char *out, size_t outlen);

/* Decodes base64url (no padding); returns the length, or -1 when malformed or too long for out. */
long crypto_b64_decode(const char *text, void *out, size_t outlen);

/* Constant-time equality of two equally long buffers. */
int crypto_equal(const void *a, const void *b, size_t len);

#endif
