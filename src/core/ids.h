/*
 * ids.h - identifiers: UUIDv7 (RFC 9562) for rows, random tokens for request ids.
 *
 * Randomness comes from a per-thread generator seeded from getrandom(2); it is
 * for uniqueness, not secrecy. Secrets (tokens, keys) use libsodium instead.
 */
#ifndef ERP_CORE_IDS_H
#define ERP_CORE_IDS_H

#include <stddef.h>
#include <stdint.h>

#define UUID_STR_LEN 36 /* without the NUL */

/*
 * Writes a new UUIDv7 in canonical lowercase form into out (37 bytes with NUL).
 * Ids made by one thread are strictly increasing, also within one millisecond.
 */
void ids_uuid7(char out[UUID_STR_LEN + 1]);

/* Whether s (of length len) is a canonical UUID of any version: 8-4-4-4-12 hex digits. */
int ids_uuid_valid(const char *s, size_t len);

/* Writes 2*nbytes random lowercase hex digits and a NUL into out. */
void ids_random_hex(char *out, size_t nbytes);

/* A 64-bit pseudo-random number from the thread's generator. */
uint64_t ids_rand64(void);

#endif
