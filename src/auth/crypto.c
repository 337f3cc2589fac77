#include "auth/crypto.h"

#include <sodium.h>
#include <string.h>

int crypto_setup(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

void crypto_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, data, len);
    sodium_bin2hex(out, 65, d, sizeof(d));
}

char *crypto_b64_encode(const void *data, size_t len, char *out, size_t outlen)
{
    if (sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING) > outlen) {
        if (outlen > 0)
            out[0] = '\0';
        return out;
    }
    return sodium_bin2base64(out, outlen, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void crypto_random_b64(char *out, size_t outlen, size_t nbytes)
{
    unsigned char buf[64];
    if (nbytes > sizeof(buf))
        nbytes = sizeof(buf);
    randombytes_buf(buf, nbytes);
    crypto_b64_encode(buf, nbytes, out, outlen);
    sodium_memzero(buf, sizeof(buf));
}

long crypto_b64_decode(const char *text, void *out, size_t outlen)
{
    size_t len = 0;
    if (sodium_base642bin(out, outlen, text, strlen(text), NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return -1;
    return (long)len;
}

int crypto_equal(const void *a, const void *b, size_t len)
{
    return sodium_memcmp(a, b, len) == 0;
}
