/*
 * hash.h - the 64-bit hash of cache keys, shared by l1.c and flight.c.
 *
 * A multiply-fold hash in the manner of wyhash (written here, not copied): each
 * 8-byte word is mixed by a 64x64→128-bit multiplication whose halves are
 * folded together, so every input bit reaches both the high bits (which pick a
 * shard) and the low bits (which pick a table slot). Not a defence against
 * hash flooding: keys are built by the server, not taken from clients.
 */
#ifndef ERP_CACHE_HASH_H
#define ERP_CACHE_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Multiplies a by b and folds the 128-bit product into 64 bits. */
static inline uint64_t cache_hash_fold(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Hash of the n bytes at key; pure, thread-safe. */
static inline uint64_t cache_hash(const char *key, size_t n)
{
    const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull, k2 = 0x8ebc6af09c88c6e3ull;
    uint64_t h = k0 ^ cache_hash_fold((uint64_t)n ^ k1, k2);
    const unsigned char *p = (const unsigned char *)key;
    while (n >= 16) {
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, 8);
        h = cache_hash_fold(a ^ k1, b ^ h);
        p += 16;
        n -= 16;
    }
    uint64_t a = 0, b = 0;
    if (n > 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, n - 8);
    } else if (n > 0) {
        memcpy(&a, p, n);
    }
    h = cache_hash_fold(a ^ k1, b ^ h ^ k2);
    return cache_hash_fold(h ^ k0, k2);
}

#endif
