#include "core/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct arena_block {
    arena_block_t *next;
    size_t size; /* usable bytes in data */
    size_t used;
    _Alignas(16) unsigned char data[];
};

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)

void erp_oom(void)
{
    static const char msg[] = "{\"level\":\"fatal\",\"msg\":\"out of memory\"}\n";
    ssize_t r = write(2, msg, sizeof(msg) - 1);
    (void)r;
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        erp_oom();
    return p;
}

void *xcalloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (p == NULL)
        erp_oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        erp_oom();
    return q;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

static arena_block_t *block_new(size_t size)
{
    if (size > SIZE_MAX - sizeof(arena_block_t))
        erp_oom();
    arena_block_t *b = xmalloc(sizeof(*b) + size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

static void free_chain(arena_block_t *b)
{
    while (b != NULL) {
        arena_block_t *next = b->next;
        free(b);
        b = next;
    }
}

void arena_init(arena_t *a)
{
    a->head = NULL;
    a->large = NULL;
    a->allocated = 0;
}

void arena_destroy(arena_t *a)
{
    free_chain(a->head);
    free_chain(a->large);
    arena_init(a);
}

void arena_reset(arena_t *a)
{
    free_chain(a->large);
    a->large = NULL;
    if (a->head != NULL) {
        free_chain(a->head->next);
        a->head->next = NULL;
        a->head->used = 0;
    }
    a->allocated = 0;
}

void *arena_alloc(arena_t *a, size_t n)
{
    size_t need = ALIGN16(n ? n : 1);
    if (need < n)
        erp_oom();
    a->allocated += n;
    if (need > ARENA_BLOCK_SIZE / 4) {
        arena_block_t *b = block_new(need);
        b->used = need;
        b->next = a->large;
        a->large = b;
        return b->data;
    }
    if (a->head == NULL || a->head->size - a->head->used < need) {
        arena_block_t *b = block_new(ARENA_BLOCK_SIZE);
        b->next = a->head;
        a->head = b;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += need;
    return p;
}

void *arena_calloc(arena_t *a, size_t n)
{
    return memset(arena_alloc(a, n), 0, n);
}

void *arena_memdup(arena_t *a, const void *p, size_t n)
{
    void *q = arena_alloc(a, n);
    if (n != 0)
        memcpy(q, p, n);
    return q;
}

char *arena_strndup(arena_t *a, const char *s, size_t n)
{
    if (s == NULL)
        return NULL;
    char *q = arena_alloc(a, n + 1);
    memcpy(q, s, n);
    q[n] = '\0';
    return q;
}

char *arena_strdup(arena_t *a, const char *s)
{
    return s == NULL ? NULL : arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(arena_t *a, const char *fmt, va_list ap)
{
    char small[256];
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(small, sizeof(small), fmt, copy);
    va_end(copy);
    if (n < 0)
        return arena_strdup(a, "");
    if ((size_t)n < sizeof(small))
        return arena_strndup(a, small, (size_t)n);
    char *q = arena_alloc(a, (size_t)n + 1);
    vsnprintf(q, (size_t)n + 1, fmt, ap);
    return q;
}

char *arena_printf(arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return s;
}
