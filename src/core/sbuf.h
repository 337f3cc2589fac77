/*
 * sbuf.h - a growable byte buffer that always keeps a terminating NUL.
 *
 * Backed by malloc unless created with an arena, in which case growth takes
 * new arena memory and nothing needs freeing. Appends never fail (out-of-memory
 * aborts, as everywhere).
 */
#ifndef ERP_CORE_SBUF_H
#define ERP_CORE_SBUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/arena.h"

typedef struct sbuf {
    char *p;
    size_t len;
    size_t cap;
    arena_t *arena; /* NULL: malloc-backed */
    int on_heap;    /* p came from malloc (and must be freed) */
} sbuf_t;

/* Empty buffer; arena may be NULL. */
void sbuf_init(sbuf_t *b, arena_t *arena, size_t initial);
/* Empty buffer that starts in caller memory (a stack array) and moves to the heap if it outgrows it. */
void sbuf_init_fixed(sbuf_t *b, char *mem, size_t size);
/* Releases heap memory the buffer holds; a no-op for arena-backed and caller memory. */
void sbuf_free(sbuf_t *b);
/* Makes room for n more bytes. */
void sbuf_reserve(sbuf_t *b, size_t n);
void sbuf_append(sbuf_t *b, const void *p, size_t n);
void sbuf_puts(sbuf_t *b, const char *s);
void sbuf_putc(sbuf_t *b, char c);
void sbuf_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_vprintf(sbuf_t *b, const char *fmt, va_list ap);
/* Appends s as the contents of a JSON string (quotes included), escaping as RFC 8259 requires. */
void sbuf_json_str(sbuf_t *b, const char *s, size_t n);
/*
 * Appends s as one field of PostgreSQL's COPY text format: backslash, tab,
 * newline and carriage return escaped, ill-formed UTF-8 as U+FFFD (the server
 * would refuse the whole stream). A NULL field is "\N", for the caller to write.
 */
void sbuf_copy_text(sbuf_t *b, const char *s, size_t n);
/* Empties the buffer, keeping its memory. */
static inline void sbuf_clear(sbuf_t *b)
{
    b->len = 0;
    if (b->p != NULL)
        b->p[0] = '\0';
}

#endif
