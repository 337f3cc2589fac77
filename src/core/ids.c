#include "core/ids.h"

#include <string.h>
#include <sys/random.h>

#include "core/clock.h"

/* xoshiro256** state per thread, seeded on first use. */
static __thread uint64_t rng[4];
static __thread int rng_ready;

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static void rng_seed(void)
{
    size_t got = 0;
    while (got < sizeof(rng)) {
        ssize_t n = getrandom((char *)rng + got, sizeof(rng) - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < sizeof(rng)) { /* no entropy source: fall back to time and address */
        rng[0] = clock_mono_ns();
        rng[1] = clock_wall_ms() ^ (uint64_t)(uintptr_t)&rng;
        rng[2] = 0x9e3779b97f4a7c15u;
        rng[3] = 0xbf58476d1ce4e5b9u;
    }
    if ((rng[0] | rng[1] | rng[2] | rng[3]) == 0)
        rng[0] = 1;
    rng_ready = 1;
}

uint64_t ids_rand64(void)
{
    if (!rng_ready)
        rng_seed();
    uint64_t result = rotl(rng[1] * 5, 7) * 9;
    uint64_t t = rng[1] << 17;
    rng[2] ^= rng[0];
    rng[3] ^= rng[1];
    rng[1] ^= rng[2];
    rng[0] ^= rng[3];
    rng[2] ^= t;
    rng[3] = rotl(rng[3], 45);
    return result;
}

static const char hexdig[] = "0123456789abcdef";

void ids_random_hex(char *out, size_t nbytes)
{
    size_t i = 0;
    while (i < nbytes) {
        uint64_t r = ids_rand64();
        for (int k = 0; k < 8 && i < nbytes; k++, i++) {
            out[2 * i] = hexdig[(r >> 4) & 15];
            out[2 * i + 1] = hexdig[r & 15];
            r >>= 8;
        }
    }
    out[2 * nbytes] = '\0';
}

/*
 * Layout (RFC 9562, section 5.7): 48-bit Unix milliseconds, version 7, 12 bits
 * rand_a, variant 10, 62 bits rand_b. Within one millisecond a thread increments
 * the 74 random bits instead of drawing new ones (the "monotonic random" method),
 * so its ids sort in creation order.
 */
static __thread uint64_t last_ms;
static __thread uint64_t last_a; /* 12 bits */
static __thread uint64_t last_b; /* 62 bits */

void ids_uuid7(char out[UUID_STR_LEN + 1])
{
    uint64_t ms = clock_wall_ms();
    if (ms > last_ms) {
        uint64_t r = ids_rand64();
        last_ms = ms;
        last_a = r & 0xfff;
        last_b = ids_rand64() & 0x3fffffffffffffffu;
        /* leave headroom so increments rarely carry into rand_a */
        last_b &= 0x1fffffffffffffffu;
    } else {
        last_b = (last_b + 1 + (ids_rand64() & 0xff)) & 0x3fffffffffffffffu;
        if (last_b == 0 || last_b < 0x100) { /* wrapped: carry into rand_a, then into time */
            last_a = (last_a + 1) & 0xfff;
            if (last_a == 0)
                last_ms++;
        }
    }
    unsigned char b[16];
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(last_ms >> (40 - 8 * i));
    b[6] = (unsigned char)(0x70 | (last_a >> 8));
    b[7] = (unsigned char)(last_a & 0xff);
    b[8] = (unsigned char)(0x80 | (last_b >> 56));
    for (int i = 9; i < 16; i++)
        b[i] = (unsigned char)(last_b >> (8 * (15 - i)));
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hexdig[b[i] >> 4];
        *p++ = hexdig[b[i] & 15];
    }
    *p = '\0';
}

int ids_uuid_valid(const char *s, size_t len)
{
    if (len != UUID_STR_LEN)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return 0;
        }
    }
    return 1;
}
