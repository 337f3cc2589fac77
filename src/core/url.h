/* url.h - percent-decoding of URL components (RFC 3986) and form data. */
#ifndef ERP_CORE_URL_H
#define ERP_CORE_URL_H

#include <stddef.h>

#include "core/arena.h"

enum {
    URL_PLUS_SPACE = 1, /* '+' means a space (query strings, forms) */
    URL_STRICT = 2,     /* a malformed escape or %00 fails instead of being kept as is */
};

/* Decodes n bytes of s into a NUL-terminated arena string; NULL only on failure under URL_STRICT. */
char *url_decode(arena_t *a, const char *s, size_t n, int flags);

/* Value 0-15 of a hex digit, or -1. */
int url_hexval(char c);

#endif
