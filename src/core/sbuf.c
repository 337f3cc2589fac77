#include "core/sbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_init(sbuf_t *b, arena_t *arena, size_t initial)
{
    b->arena = arena;
    b->len = 0;
    b->cap = initial < 16 ? 16 : initial;
    b->p = arena != NULL ? arena_alloc(arena, b->cap) : xmalloc(b->cap);
    b->on_heap = arena == NULL;
    b->p[0] = '\0';
}

void sbuf_init_fixed(sbuf_t *b, char *mem, size_t size)
{
    b->p = mem;
    b->len = 0;
    b->cap = size;
    b->arena = NULL;
    b->on_heap = 0;
    b->p[0] = '\0';
}

void sbuf_free(sbuf_t *b)
{
    if (b->on_heap)
        free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->on_heap = 0;
}

void sbuf_reserve(sbuf_t *b, size_t n)
{
    if (b->p != NULL && b->cap - b->len > n)
        return;
    size_t cap = b->cap < 16 ? 16 : b->cap;
    while (cap - b->len <= n) {
        if (cap > SIZE_MAX / 2)
            erp_oom();
        cap *= 2;
    }
    if (b->p == NULL) {
        b->p = xmalloc(cap);
        b->p[0] = '\0';
        b->len = 0;
        b->on_heap = 1;
        b->arena = NULL;
    } else if (b->arena != NULL) {
        char *p = arena_alloc(b->arena, cap);
        memcpy(p, b->p, b->len + 1);
        b->p = p;
    } else if (b->on_heap) {
        b->p = xrealloc(b->p, cap);
    } else {
        char *p = xmalloc(cap);
        memcpy(p, b->p, b->len + 1);
        b->p = p;
        b->on_heap = 1;
    }
    b->cap = cap;
}

void sbuf_append(sbuf_t *b, const void *p, size_t n)
{
    sbuf_reserve(b, n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void sbuf_puts(sbuf_t *b, const char *s)
{
    sbuf_append(b, s, strlen(s));
}

void sbuf_putc(sbuf_t *b, char c)
{
    sbuf_reserve(b, 1);
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
}

void sbuf_vprintf(sbuf_t *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, copy);
    va_end(copy);
    if (n < 0)
        return;
    if ((size_t)n >= b->cap - b->len) {
        sbuf_reserve(b, (size_t)n);
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    }
    b->len += (size_t)n;
}

void sbuf_printf(sbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sbuf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* Length of the well-formed UTF-8 sequence starting at s[0] (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned int min;
    unsigned int cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/*
 * Appends s[0..n), well-formed UTF-8 as it is, each ASCII byte that must_escape
 * and each byte of ill-formed UTF-8 written by put_escape instead (inlined
 * into each format with its own pair).
 */
static inline void escape_text(sbuf_t *b, const char *s, size_t n, int (*must_escape)(unsigned char c),
                               void (*put_escape)(sbuf_t *b, unsigned char c))
{
    const unsigned char *u = (const unsigned char *)s;
    size_t start = 0, i = 0;
    while (i < n) {
        unsigned char c = u[i];
        size_t len = c < 0x80 ? (size_t)!must_escape(c) : utf8_seq(u + i, n - i); /* 0: to escape */
        if (len != 0) {
            i += len;
            continue;
        }
        sbuf_append(b, s + start, i - start);
        put_escape(b, c);
        i++;
        start = i;
    }
    sbuf_append(b, s + start, n - start);
}

static int json_must_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

/* The escapes both formats write alike (backslash, tab, newline, carriage return); 0 for any other byte. */
static int shared_escape(sbuf_t *b, unsigned char c)
{
    const char *esc = c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : NULL;
    if (esc != NULL)
        sbuf_append(b, esc, 2);
    return esc != NULL;
}

static void json_escape(sbuf_t *b, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    if (c == '"') {
        sbuf_append(b, "\\\"", 2);
    } else if (!shared_escape(b, c)) {
        if (c >= 0x80) {
            sbuf_append(b, "\\ufffd", 6); /* ill-formed UTF-8 */
        } else {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sbuf_append(b, esc, 6);
        }
    }
}

void sbuf_json_str(sbuf_t *b, const char *s, size_t n)
{
    sbuf_reserve(b, n + 2);
    sbuf_putc(b, '"');
    escape_text(b, s, n, json_must_escape, json_escape);
    sbuf_putc(b, '"');
}

static int copy_must_escape(unsigned char c)
{
    return c == '\\' || c == '\t' || c == '\n' || c == '\r';
}

static void copy_escape(sbuf_t *b, unsigned char c)
{
    if (!shared_escape(b, c))
        sbuf_append(b, "\xef\xbf\xbd", 3); /* ill-formed UTF-8: U+FFFD */
}

void sbuf_copy_text(sbuf_t *b, const char *s, size_t n)
{
    sbuf_reserve(b, n);
    escape_text(b, s, n, copy_must_escape, copy_escape);
}
