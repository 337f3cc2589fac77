/*
 * formats_fuzz.c - the single-string formats of input fields: valid_email(),
 * valid_slug(), valid_currency() (src/api/common.c), role_parse()
 * (src/auth/roles.c), and the people formats and text forms of
 * src/domain/people.c: people_valid_name/phone/code(), people_like_pattern(),
 * people_search_text(), people_key_join() / people_key_split().
 *
 * Input: "S\nT": S is the string checked by every validator; S and T are the
 * two parts joined and split again, and the parts of a search text.
 * (The same validators also run on JSON members in json_body_fuzz; here the
 * fuzzer reaches them without having to write JSON.)
 *
 * Properties: what a validator accepts meets the format's definition
 * (lengths, characters); valid_email() writes the lower-case address inside
 * its buffer and refuses a buffer too small; a LIKE pattern unescapes to the
 * query; a joined key splits back into its parts; outputs that do not fit are
 * refused, never overrun (every output buffer is exactly the size given).
 */
#include "fuzz.h"

#include <ctype.h>

#include "api/common.h"
#include "auth/roles.h"
#include "domain/people.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

/* A malloc'd buffer of exactly n bytes (at least 1). */
static char *buf(size_t n)
{
    char *p = malloc(n > 0 ? n : 1);
    if (p == NULL)
        abort();
    return p;
}

static void email(const char *s, size_t n)
{
    char *out = buf(n + 1);
    if (valid_email(s, out, n + 1)) {
        FUZZ_CHECK(n >= 3 && n <= 254 && strlen(out) == n);
        FUZZ_CHECK(strchr(s, '@') != NULL && strchr(s, '@') == strrchr(s, '@') && s[0] != '@');
        for (size_t i = 0; i < n; i++) {
            FUZZ_CHECK(out[i] == (char)tolower((unsigned char)s[i]));
            FUZZ_CHECK((unsigned char)s[i] > ' ' && s[i] != 0x7f);
        }
        /* normalizing is idempotent */
        char *again = buf(n + 1);
        FUZZ_CHECK(valid_email(out, again, n + 1) && strcmp(out, again) == 0);
        free(again);
    }
    free(out);
    out = buf(n);
    FUZZ_CHECK(!valid_email(s, out, n));
    free(out);
}

static void single(const char *s, size_t n)
{
    email(s, n);
    if (valid_slug(s)) {
        FUZZ_CHECK(n >= 3 && n <= 63 && s[0] != '-' && s[n - 1] != '-');
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-');
    }
    if (valid_currency(s))
        FUZZ_CHECK(n == 3 && isupper((unsigned char)s[0]) && isupper((unsigned char)s[1]) &&
                   isupper((unsigned char)s[2]));
    unsigned role = role_parse(s);
    FUZZ_CHECK(role == 0 || (role & (role - 1)) == 0);
    if (people_valid_name(s))
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
    if (people_valid_phone(s)) {
        size_t digits = 0;
        for (size_t i = 0; i < n; i++)
            digits += s[i] >= '0' && s[i] <= '9';
        FUZZ_CHECK(n >= 3 && n <= 40 && digits >= 3 && strchr(s + 1, '+') == NULL);
    }
    if (people_valid_code(s)) {
        FUZZ_CHECK(n >= 1 && n <= 32 && isalnum((unsigned char)s[0]));
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(isalnum((unsigned char)s[i]) || strchr("._/-", s[i]) != NULL);
    }

    /* LIKE pattern: into a buffer just big enough for the worst case, and into ones too small */
    size_t big = 2 * n + 3;
    char *pat = buf(big);
    FUZZ_CHECK(people_like_pattern(pat, big, s) == 0);
    size_t plen = strlen(pat);
    FUZZ_CHECK(plen >= 2 && pat[0] == '%' && pat[plen - 1] == '%');
    size_t j = 1, k = 0;
    for (; j < plen - 1; j++, k++) {
        if (pat[j] == '\\') {
            j++;
            FUZZ_CHECK(pat[j] == '%' || pat[j] == '_' || pat[j] == '\\');
        } else {
            FUZZ_CHECK(pat[j] != '%' && pat[j] != '_');
        }
        FUZZ_CHECK(k < n && pat[j] == s[k]);
    }
    FUZZ_CHECK(k == n);
    free(pat);
    for (size_t small = 0; small < plen + 1 && small < 8; small++) {
        char *p = buf(small);
        FUZZ_CHECK(people_like_pattern(p, small, s) == -1);
        FUZZ_CHECK(small == 0 || p[0] == '\0');
        free(p);
    }
    char *exact = buf(plen + 1);
    FUZZ_CHECK(people_like_pattern(exact, plen + 1, s) == 0 && strlen(exact) == plen);
    free(exact);
}

static void pair(const char *a, size_t an, const char *b, size_t bn)
{
    size_t need = an + bn + 2;
    char *key = buf(need);
    FUZZ_CHECK(people_key_join(key, need, a, b) == 0);
    const char *x = NULL, *y = NULL;
    if (memchr(a, PEOPLE_KEY_SEP, an) == NULL) {
        FUZZ_CHECK(people_key_split(key, &x, &y) == 0);
        FUZZ_CHECK(strcmp(x, a) == 0 && strcmp(y, b) == 0);
    }
    free(key);
    char *tight = buf(need - 1);
    FUZZ_CHECK(people_key_join(tight, need - 1, a, b) == -1 && tight[0] == '\0');
    free(tight);

    size_t slen = an + bn + an + bn + 4; /* "a b a b" and its NUL: with a middle name */
    char *text = buf(slen);
    FUZZ_CHECK(people_search_text(text, slen, a, b, a, b) == 0 && strlen(text) == slen - 1);
    FUZZ_CHECK(people_search_text(text, slen - 1, a, b, a, b) == -1 && text[0] == '\0');
    FUZZ_CHECK(people_search_text(text, slen, a, NULL, a, b) == 0 && strlen(text) == an + an + bn + 2);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    char *s = fuzz_field(&in, '\n', NULL);
    char *t = fuzz_field(&in, '\n', NULL);
    size_t sn = strlen(s), tn = strlen(t);
    single(s, sn);
    pair(s, sn, t, tn);
    free(s);
    free(t);
    return 0;
}
