#include "core/url.h"

#include <string.h>

int url_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *url_decode(arena_t *a, const char *s, size_t n, int flags)
{
    char *out = arena_alloc(a, n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+' && (flags & URL_PLUS_SPACE)) {
            *o++ = ' ';
            continue;
        }
        if (c == '%') {
            int hi = i + 2 < n ? url_hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? url_hexval(s[i + 2]) : -1;
            if (hi >= 0 && lo >= 0 && (hi | lo) != 0) {
                *o++ = (char)(hi * 16 + lo);
                i += 2;
                continue;
            }
            if (flags & URL_STRICT)
                return NULL;
        }
        *o++ = c;
    }
    *o = '\0';
    return out;
}
