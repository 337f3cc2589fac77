/*
 * arena.h - per-request memory.
 *
 * An arena hands out memory from large blocks and frees it all at once. Request
 * code allocates from the request's arena and never frees; the arena is
 * destroyed when the response has been sent. Allocation never fails: on
 * out-of-memory the process aborts with a message (the policy of nginx pools
 * and PostgreSQL's palloc), so callers need not check for NULL.
 */
#ifndef ERP_CORE_ARENA_H
#define ERP_CORE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct arena_block arena_block_t;

typedef struct arena {
    arena_block_t *head;  /* block currently carved from */
    arena_block_t *large; /* blocks of oversized allocations */
    size_t allocated;     /* bytes requested so far, for metrics and tests */
} arena_t;

/* Size of an ordinary block; larger requests get a block of their own. */
#define ARENA_BLOCK_SIZE 8192

/* Prepares an empty arena; allocates nothing until first use. */
void arena_init(arena_t *a);

/* Frees every block. The arena may be used again after arena_init(). */
void arena_destroy(arena_t *a);

/* Frees everything but keeps one ordinary block for reuse. */
void arena_reset(arena_t *a);

/* Returns n bytes aligned to 16; never NULL (aborts on out-of-memory). */
void *arena_alloc(arena_t *a, size_t n);

/* As arena_alloc(), zero-filled. */
void *arena_calloc(arena_t *a, size_t n);

/* Copies of strings owned by the arena; NULL in gives NULL out. */
char *arena_strdup(arena_t *a, const char *s);
char *arena_strndup(arena_t *a, const char *s, size_t n);
void *arena_memdup(arena_t *a, const void *p, size_t n);

/* printf into arena memory. */
char *arena_printf(arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(arena_t *a, const char *fmt, va_list ap);

/* Prints a message and aborts; the out-of-memory path for every allocator. */
void erp_oom(void) __attribute__((noreturn));

/* malloc/realloc/calloc that abort on failure, for long-lived objects. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
