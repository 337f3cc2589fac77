/*
 * flight.h - single-flight per key within a process.
 *
 * When many threads miss the same cache key at once, only one of them (the
 * leader) loads it from the database; the others wait until the leader is done
 * and then read the cache again. Usage on a miss:
 *
 *     if (flight_begin(f, key, klen, 200)) {
 *         ... load, l1_set() on success ...
 *         flight_done(f, key, klen);            // always, success or not
 *     } else if (!l1_get(...)) {
 *         ... load without leading (the leader failed or was slow) ...
 *     }
 *
 * Keys are spread over shards (a mutex and a list of the keys in flight each);
 * a waiter sleeps on its key's own condition variable, so a leader wakes only
 * the waiters of its key. Everything is thread-safe but create and destroy.
 */
#ifndef ERP_CACHE_FLIGHT_H
#define ERP_CACHE_FLIGHT_H

#include <stddef.h>
#include <stdint.h>

typedef struct flight flight_t;

/*
 * Creates an empty table of nshards shards (0 → 16). Returns NULL when nshards
 * is negative or above 1024; aborts on out-of-memory.
 */
flight_t *flight_create(int nshards);

/* Frees the table. NULL is ignored. No flight may be in progress and no thread waiting. */
void flight_destroy(flight_t *f);

/*
 * Returns 1 if the caller is now the leader for key: it must call flight_done()
 * when its load has finished, whether it succeeded or not. Otherwise waits
 * until the current leader calls flight_done(), at most wait_ms milliseconds
 * (0: not at all), and returns 0: the caller then re-reads the cache and, if
 * the value is still missing, loads it itself without leading. Never returns 1
 * to two callers at once for one key. Aborts on out-of-memory.
 */
int flight_begin(flight_t *f, const char *key, size_t klen, uint32_t wait_ms);

/* Ends the leader's flight for key and wakes its waiters. A key not in flight is ignored. */
void flight_done(flight_t *f, const char *key, size_t klen);

/* The number of flight_begin() calls that found a leader and waited (or would have, with wait_ms 0), for metrics. */
uint64_t flight_waits(const flight_t *f);

#endif
