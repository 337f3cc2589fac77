#include "http/etag.h"

#include <stdio.h>
#include <string.h>

static int ows(char c)
{
    return c == ' ' || c == '\t';
}

static int etagc(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

/* Compares a header against a version; weak_ok: weak comparison. */
static int match(const char *h, long long version, int weak_ok)
{
    if (h == NULL)
        return ETAG_MALFORMED;
    char want[24];
    int wlen = snprintf(want, sizeof(want), "%lld", version);
    const char *p = h;
    while (ows(*p))
        p++;
    if (*p == '*') {
        p++;
        while (ows(*p))
            p++;
        if (*p != '\0')
            return ETAG_MALFORMED;
        return version > 0 ? ETAG_MATCH : ETAG_NO_MATCH;
    }
    int found = 0, tags = 0;
    for (;;) {
        while (ows(*p) || *p == ',')
            p++;
        if (*p == '\0')
            break;
        int weak = 0;
        if (p[0] == 'W' && p[1] == '/') {
            weak = 1;
            p += 2;
        }
        if (*p != '"')
            return ETAG_MALFORMED;
        const char *open = ++p;
        while (etagc((unsigned char)*p))
            p++;
        if (*p != '"')
            return ETAG_MALFORMED;
        size_t len = (size_t)(p - open);
        p++;
        tags++;
        if ((!weak || weak_ok) && version > 0 && len == (size_t)wlen && memcmp(open, want, len) == 0)
            found = 1;
        while (ows(*p))
            p++;
        if (*p != ',' && *p != '\0')
            return ETAG_MALFORMED;
    }
    if (tags == 0)
        return ETAG_MALFORMED;
    return found ? ETAG_MATCH : ETAG_NO_MATCH;
}

int etag_if_match(const char *header, long long version)
{
    return match(header, version, 0);
}

int etag_if_none_match(const char *header, long long version)
{
    return match(header, version, 1);
}
