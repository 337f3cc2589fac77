#include "core/strindex.h"

#include <stdint.h>
#include <string.h>

static size_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

void strindex_init(strindex_t *x, arena_t *a, const char *const *keys, int n)
{
    size_t size = 16;
    while (size < 2 * (size_t)(n > 0 ? n : 0))
        size <<= 1;
    x->keys = keys;
    x->mask = size - 1;
    x->slot = arena_calloc(a, size * sizeof(*x->slot));
    for (int i = 0; i < n; i++) {
        if (keys[i] == NULL || strindex_find(x, keys[i]) >= 0)
            continue;
        size_t h = hash(keys[i]) & x->mask;
        while (x->slot[h] != 0)
            h = (h + 1) & x->mask;
        x->slot[h] = i + 1;
    }
}

int strindex_find(const strindex_t *x, const char *key)
{
    if (key == NULL)
        return -1;
    for (size_t h = hash(key) & x->mask; x->slot[h] != 0; h = (h + 1) & x->mask)
        if (strcmp(x->keys[x->slot[h] - 1], key) == 0)
            return x->slot[h] - 1;
    return -1;
}
