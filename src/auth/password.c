#include "auth/password.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

static unsigned long long opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
static size_t memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
static char dummy_hash[PASSWORD_HASH_MAX];

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

void password_setup(int memory_kib, int passes)
{
    opslimit = (unsigned long long)passes;
    memlimit = (size_t)memory_kib * 1024u;
}

static void make_dummy(void)
{
    if (password_hash("school-erp dummy password", dummy_hash) != 0)
        dummy_hash[0] = '\0';
}

int password_hash(const char *pw, char out[PASSWORD_HASH_MAX])
{
    return crypto_pwhash_str(out, pw, strlen(pw), opslimit, memlimit) == 0 ? 0 : -1;
}

int password_verify(const char *hash, const char *pw)
{
    if (hash == NULL || strncmp(hash, "$argon2id$", 10) != 0)
        return 0;
    return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

void password_verify_dummy(const char *pw)
{
    /* A fixed hash with the current parameters, made on first need. */
    pthread_once(&dummy_once, make_dummy);
    (void)password_verify(dummy_hash, pw);
}

int password_needs_rehash(const char *hash)
{
    return crypto_pwhash_str_needs_rehash(hash, opslimit, memlimit) != 0;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

const char *password_policy(const char *pw, const char *email)
{
    size_t n = utf8_chars(pw);
    if (n < PASSWORD_MIN_CHARS)
        return "must be at least 10 characters long";
    if (n > PASSWORD_MAX_CHARS)
        return "must be at most 128 characters long";
    int same = 1;
    for (const char *p = pw + 1; *p != '\0' && same; p++)
        same = *p == pw[0];
    if (same)
        return "must not repeat one character";
    if (email != NULL && *email != '\0') {
        const char *at = strchr(email, '@');
        size_t local = at != NULL ? (size_t)(at - email) : strlen(email);
        if (strcasecmp(pw, email) == 0)
            return "must not be the email address";
        if (local >= 4) {
            /* the account name inside the password, in any case */
            size_t plen = strlen(pw);
            for (size_t i = 0; i + local <= plen; i++)
                if (strncasecmp(pw + i, email, local) == 0)
                    return "must not contain the email address";
        }
    }
    return NULL;
}
