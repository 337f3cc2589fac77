/*
 * l1.h - the in-process L1 cache: bounded, sharded, LRU, with per-entry expiry.
 *
 * Contract:
 * - Keys are byte strings (klen bytes, need not be NUL-terminated); values are
 *   opaque bytes. The cache keeps its own copy of both; a get copies the value
 *   out into the caller's arena, so nothing the caller holds points into the
 *   cache and entries may be replaced or evicted at any time.
 * - Bounded: the bytes held (the malloc'd size of every entry: header, key and
 *   value, as malloc_usable_size reports it) never exceed max_bytes. Each of the
 *   nshards shards holds at most max_bytes / nshards; a set evicts the shard's
 *   least recently used entries (a hit makes an entry the most recently used)
 *   until the new one fits. The hash tables' slot arrays (8 bytes a slot, at
 *   most 16 bytes an entry) and the fixed per-shard state are not counted.
 * - Expiry: every entry expires ttl_ms after its set (monotonic clock); an
 *   expired entry is never returned and is removed when a get finds it (or
 *   when LRU eviction reaches it). ttl_ms 0 means no expiry.
 * - Thread-safe: every function may be called from any thread, except
 *   l1_create/l1_destroy/l1_register_metrics/l1_set_clock (start-up and
 *   shut-down). A get takes one shard mutex for a lookup and a list move; the
 *   copy of the value, allocation and freeing happen outside the lock. No
 *   function does I/O, so the event-loop threads may answer hits directly.
 * - Out-of-memory: the cache object itself is allocated with xcalloc (aborts);
 *   an entry that cannot be allocated is simply not stored (l1_set returns 0).
 */
#ifndef ERP_CACHE_L1_H
#define ERP_CACHE_L1_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

typedef struct l1 l1_t;

/*
 * Creates an empty cache holding at most max_bytes, split over nshards shards
 * (0 → 16). Returns NULL (nothing allocated) when nshards is negative or above
 * 1024, or max_bytes / nshards is too small for any entry.
 */
l1_t *l1_create(size_t max_bytes, int nshards);

/* Frees the cache and every entry, and unregisters its metrics collector. NULL is ignored. No call may be running. */
void l1_destroy(l1_t *c);

/*
 * Looks key up. On a hit copies the value into memory from arena a (followed by
 * a NUL not counted in *len, so JSON can be used as a C string), sets *val and
 * *len, and *meta when meta != NULL; promotes the entry; returns 1. Returns 0 on
 * a miss or when the entry has expired (an expired entry is removed); the
 * outputs are then left untouched.
 */
int l1_get(l1_t *c, const char *key, size_t klen, arena_t *a, const char **val /* out */, size_t *len /* out */,
           uint64_t *meta /* out */);

/*
 * Stores a copy of key → val (len bytes) with the user word meta, replacing any
 * entry of that key, expiring ttl_ms from now (0: never). Evicts least recently
 * used entries of the shard until it is within its share of max_bytes. Returns
 * 1 if stored; 0 if the entry is larger than a shard's share or cannot be
 * allocated, in which case any older entry of that key has been removed (the
 * caller meant to replace it, so it must not be served).
 */
int l1_set(l1_t *c, const char *key, size_t klen, const void *val, size_t len, uint64_t meta, uint32_t ttl_ms);

/* Removes key's entry; returns 1 if there was one (expired or not), else 0. */
int l1_delete(l1_t *c, const char *key, size_t klen);

/*
 * Removes every entry whose key starts with the plen bytes of prefix (plen 0:
 * all). Walks every entry of every shard, one shard locked at a time, so it is
 * for rare, exact local invalidation (the embedded profile), not the hot path.
 * Returns the number removed.
 */
size_t l1_delete_prefix(l1_t *c, const char *prefix, size_t plen);

/* Removes every entry (counted neither as deletes nor evictions). */
void l1_clear(l1_t *c);

typedef struct l1_stats {
    uint64_t hits, misses; /* gets that returned 1 / 0 (an expired entry is a miss) */
    uint64_t sets;         /* entries stored */
    uint64_t evictions;    /* entries removed to make room */
    uint64_t expirations;  /* expired entries removed */
    uint64_t deletes;      /* entries removed by l1_delete and l1_delete_prefix */
    size_t bytes, entries; /* held now; bytes ≤ max_bytes */
} l1_stats_t;

/* Fills *out with counters since creation and the current size (each shard read under its lock). */
void l1_stats(l1_t *c, l1_stats_t *out /* out */);

/*
 * Exports the cache's metrics on /metrics: school_erp_cache_l1_bytes and
 * school_erp_cache_l1_entries (gauges) and school_erp_cache_l1_evictions_total
 * (counter), with the label level="<level_label>" (no label when NULL; give
 * each exported cache its own). One collector prints every exported cache, so
 * each family is declared once. Call at start-up; a second call only replaces
 * the label; beyond 8 exported caches the call is ignored. l1_destroy() takes
 * the cache off again.
 */
void l1_register_metrics(l1_t *c, const char *level_label);

/*
 * For tests: makes the cache read the time from now_ns(ud) (monotonic
 * nanoseconds) instead of clock_mono_ns(); NULL restores the real clock. Call
 * before the cache is shared between threads.
 */
void l1_set_clock(l1_t *c, uint64_t (*now_ns)(void *ud), void *ud);

#endif
