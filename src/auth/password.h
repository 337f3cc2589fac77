/*
 * password.h - password hashing (argon2id through libsodium's crypto_pwhash_str)
 * and the password policy.
 *
 * Parameters: ERP_PASSWORD_HASH_MEMORY_KIB (default 65536, i.e. 64 MiB) and
 * ERP_PASSWORD_HASH_PASSES (default 2), libsodium's "interactive" level: about
 * 0.1 s per hash on one core here. Hashes carry their parameters, so raising
 * them later keeps old hashes verifiable; password_needs_rehash() says when a
 * stored hash should be replaced at the next successful login.
 */
#ifndef ERP_AUTH_PASSWORD_H
#define ERP_AUTH_PASSWORD_H

#include <stddef.h>

#define PASSWORD_HASH_MAX 128 /* crypto_pwhash_STRBYTES */
#define PASSWORD_MIN_CHARS 10
#define PASSWORD_MAX_CHARS 128

/* Sets the argon2id cost; call once at start-up. */
void password_setup(int memory_kib, int passes);

/* Hashes pw into out (PASSWORD_HASH_MAX bytes). Returns 0, or -1 when memory cannot be had. */
int password_hash(const char *pw, char out[PASSWORD_HASH_MAX]);

/* 1 when pw matches the stored hash, 0 otherwise (also for a malformed hash). */
int password_verify(const char *hash, const char *pw);

/* Spends the time of a verification without a hash, so unknown accounts answer as slowly as known ones. */
void password_verify_dummy(const char *pw);

/* Whether hash was made with other parameters than the current ones. */
int password_needs_rehash(const char *hash);

/* Why pw is not acceptable for the account email (a message for people), or NULL when it is. */
const char *password_policy(const char *pw, const char *email);

#endif
