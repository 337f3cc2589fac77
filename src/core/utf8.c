#include "core/utf8.h"

#include <stdio.h>
#include <string.h>

int utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        if (c == 0)
            return 0;
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t len;
        unsigned cp, min;
        if (c >= 0xc2 && c <= 0xdf)
            len = 2, cp = c & 0x1f, min = 0x80;
        else if (c >= 0xe0 && c <= 0xef)
            len = 3, cp = c & 0x0f, min = 0x800;
        else if (c >= 0xf0 && c <= 0xf4)
            len = 4, cp = c & 0x07, min = 0x10000;
        else
            return 0; /* a continuation byte first, 0xc0/0xc1 (overlong), or past 0xf4 */
        if ((size_t)(end - p) < len)
            return 0;
        for (size_t i = 1; i < len; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        p += len;
    }
    return 1;
}

size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static int space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int utf8_text_check(const char *s, size_t minlen, size_t maxlen, char *why, size_t whylen)
{
    size_t bytes = strlen(s);
    if (!utf8_valid(s, bytes)) {
        snprintf(why, whylen, "must be UTF-8 text");
        return -1;
    }
    for (size_t i = 0; i < bytes; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
            snprintf(why, whylen, "must not contain control characters");
            return -1;
        }
    }
    size_t n = utf8_chars(s);
    if (n < minlen || n > maxlen) {
        if (minlen > 0 && n == 0)
            snprintf(why, whylen, "must not be empty");
        else if (minlen == maxlen)
            snprintf(why, whylen, "must be exactly %zu characters long", minlen);
        else
            snprintf(why, whylen, "must be %zu to %zu characters long", minlen, maxlen);
        return -1;
    }
    if (bytes > 0 && (space((unsigned char)s[0]) || space((unsigned char)s[bytes - 1]))) {
        snprintf(why, whylen, "must not start or end with whitespace");
        return -1;
    }
    return 0;
}
