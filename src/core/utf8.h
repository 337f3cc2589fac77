/*
 * utf8.h - checks of UTF-8 text (RFC 3629): what may be stored and sent as a
 * JSON string. The API and the command line check every text the same way
 * with utf8_text_check(). Pure functions, no allocation.
 */
#ifndef ERP_CORE_UTF8_H
#define ERP_CORE_UTF8_H

#include <stddef.h>

/* Whether s[0..n) is well-formed UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF, no NUL. */
int utf8_valid(const char *s, size_t n);

/* Number of code points of well-formed UTF-8 text (continuation bytes are not counted). */
size_t utf8_chars(const char *s);

/*
 * Checks a text field of minlen..maxlen characters (code points): UTF-8, no
 * control characters but tab, line feed and carriage return, the length,
 * no whitespace at either end. Returns 0, or -1 with a field-error message
 * ("must be 1 to 100 characters long") in why.
 */
int utf8_text_check(const char *s, size_t minlen, size_t maxlen, char *why, size_t whylen);

#endif
