/*
 * strindex.h - positions of strings in an array, found in constant time.
 *
 * Built once over n keys (the caller's array, which must outlive the index)
 * in arena memory: open addressing over FNV-1a hashes, at most half full.
 * Finding a key gives its position in the array, or -1; of equal keys the
 * first is found. Used where a response joins rows by id in memory (a
 * gradebook's marks to its students and assessments) instead of scanning.
 */
#ifndef ERP_CORE_STRINDEX_H
#define ERP_CORE_STRINDEX_H

#include <stddef.h>

#include "core/arena.h"

typedef struct strindex {
    const char *const *keys;
    int *slot; /* position + 1; 0 is an empty slot */
    size_t mask;
} strindex_t;

void strindex_init(strindex_t *x, arena_t *a, const char *const *keys, int n);
/* key's position in the keys, or -1 (also for a NULL key) */
int strindex_find(const strindex_t *x, const char *key);

#endif
