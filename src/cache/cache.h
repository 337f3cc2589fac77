/*
 * cache.h - the multi-level cache: L1 in this process, L2 in Redis (optional).
 *
 * Values are bytes (rendered JSON, a session's row) stored under a school, a
 * family (what kind of thing) and a key. Reads look in L1, then in L2 (an L2
 * hit is copied into L1), then the caller loads from the database and stores
 * (cache-aside). Every write of the database invalidates what it affects,
 * after it commits, with cache_invalidate_family() or cache_invalidate_tenant().
 *
 * Keys and isolation. Every key is "{t:<school>}:<family>:<generations>:<key>":
 * the hash tag puts all of a school's keys in one Redis Cluster slot, so no
 * command ever spans two slots; the key part names everything the value
 * depends on besides the family (the record's id, the day, the caller's scope
 * when the value is a per-caller view), so one caller's view never answers
 * another's.
 *
 * Invalidation without scans. Each school has a generation, and each family of
 * a school one too; both are part of every key. Invalidating is one HSET of a
 * new random generation in the school's generation hash in Redis (locally
 * without Redis): old entries become unreachable at once and expire by TTL.
 * Random, not incremented: a generation never comes back after Redis loses its
 * data (a restart without persistence). A partitioned family (CACHE_ATTENDANCE)
 * has CACHE_PARTS parts too, each with a generation in the keys that fall in it
 * (an attendance sheet falls in the part of its class and day): a save of one
 * sheet invalidates its part alone, 1/CACHE_PARTS of the school's sheets, and
 * the others stay; invalidating the family still reaches every part. The change is published on the channel
 * "school-erp:invalidate"; every other instance then reads the school's
 * generations again before its next use of them. Redis puts the message on
 * every subscription before it answers the PUBLISH (so before the write's
 * response), and a lookup first asks whether its subscription holds a message
 * not yet delivered (redis_subscription_pending()): if so it reads the
 * generations from Redis, so no read after a write's response is stale. An instance re-reads a school's
 * generations from Redis when it has not heard of them for CACHE_GEN_TTL_MS,
 * and forgets all of them when its subscription reconnects (messages may have
 * been lost): a lost message is observable for at most CACHE_GEN_TTL_MS.
 * Without Redis (the embedded profile) invalidation is exact and local.
 *
 * Redis is shared state, not a dependency: when it cannot be reached, reads
 * use L1 entries whose generations were confirmed within CACHE_GEN_TTL_MS and
 * otherwise go to the database; writes invalidate locally and retry the
 * increment in Redis when it is back (a warning, with backoff, in the log).
 *
 * All functions are thread-safe. Failures of the cache are never errors of
 * the request: a get that cannot be answered is a miss, a set that cannot be
 * stored is dropped.
 */
#ifndef ERP_CACHE_CACHE_H
#define ERP_CACHE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/config.h"

/* What is cached; each family has its own generation per school. */
typedef enum {
    CACHE_SESSION,   /* the session/account/school check of every request */
    CACHE_ACCOUNT,   /* /me: the caller's account and school */
    CACHE_STUDENT,   /* a student's profile (record, current class, guardians) */
    CACHE_ROSTER,    /* class rosters */
    CACHE_TIMETABLE, /* timetables of classes, teachers, students */
    CACHE_CALENDAR,  /* the academic years, terms and holidays: today's year and term */
    CACHE_SCHOOL,    /* the school's own settings */
    CACHE_ATTENDANCE, /* a class's attendance sheet of a day */
    CACHE_GRADEBOOK,  /* a class's gradebook of a subject and term */
    CACHE_FAMILIES
} cache_family_t;

#define CACHE_GEN_TTL_MS 1000 /* longest use of a school's generations without hearing of them */

/*
 * Reads ERP_CACHE (on|off: off keeps only the session check), ERP_L1_BYTES
 * and ERP_REDIS_URL, creates L1, prepares L2 and subscribes to invalidations.
 * Redis need not be up. Returns 0, or -1 with a message in err.
 */
int cache_setup(const config_t *cfg, char *err, size_t errlen);

/* Stops the subscriber and frees everything (after the server stopped). */
void cache_shutdown(void);

/* Whether a family is cached (ERP_CACHE=off turns off all but CACHE_SESSION). */
int cache_enabled(cache_family_t f);

/*
 * The generations of a school's family to read and store under. Take them
 * before loading a value from the database, so a value loaded before an
 * invalidation is never stored under the new generations. out->known = 0 when
 * they cannot be confirmed (Redis unreachable; or l1_only, for the event
 * loop, which never waits for Redis, and they are due to be read again): the
 * caller then neither reads nor stores.
 */
typedef struct cache_gens {
    uint64_t tenant, family, part; /* part: 0 for a family that is not partitioned */
    int known;
} cache_gens_t;
void cache_generations(const char *tenant, cache_family_t f, int l1_only, cache_gens_t *out);

/*
 * Parts. A partitioned family's entries are read and stored under the
 * generations of their part (cache_generations() answers known = 0 for such a
 * family), and cache_invalidate_part() makes only that part's entries
 * unreachable. cache_part() is the part a name falls in (an attendance sheet's
 * "<class id>:<day>"; letter case does not matter). An instance that hears of
 * a part's invalidation reads that part's generation alone (HGET) before its
 * next use; any other invalidation, or a second without news, makes it read
 * all of the school's (HGETALL).
 */
#define CACHE_PARTS 256
int cache_partitioned(cache_family_t f);
int cache_part(const char *name);
void cache_generations_part(const char *tenant, cache_family_t f, int part, int l1_only, cache_gens_t *out);

/*
 * Looks up a value under gens: L1, then (unless l1_only) L2, whose hit is
 * copied into L1. On a hit returns 1 with a copy in a's memory (*val, *len;
 * NUL-terminated) and the 64-bit word stored with it in *meta (may be NULL);
 * 0 on a miss.
 */
int cache_get(const char *tenant, cache_family_t f, const char *key, const cache_gens_t *gens, arena_t *a,
              const char **val, size_t *len, uint64_t *meta, int l1_only);

/* Stores a value (and a 64-bit word) under gens in L1 and L2 for ttl_ms. */
void cache_set(const char *tenant, cache_family_t f, const char *key, const cache_gens_t *gens, const void *val,
               size_t len, uint64_t meta, uint32_t ttl_ms);

/* Makes every entry of a school's family (or of the whole school) unreachable, here and on every instance. */
void cache_invalidate_family(const char *tenant, cache_family_t f);
void cache_invalidate_tenant(const char *tenant);
/* Makes one part of a partitioned family unreachable (the whole family when f is not partitioned). */
void cache_invalidate_part(const char *tenant, cache_family_t f, int part);

/*
 * Single flight: when several requests of this process miss one key at once,
 * the first (return 1) loads it and must call cache_load_done(); the others
 * wait for it (at most wait_ms) and get 0: they look again, then load
 * themselves if it is still missing.
 */
int cache_load_begin(const char *tenant, cache_family_t f, const char *key, uint32_t wait_ms);
void cache_load_done(const char *tenant, cache_family_t f, const char *key);

#endif
