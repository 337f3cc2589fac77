/*
 * cached.h - a GET's document from the cache, or loaded and then stored
 * (cache-aside with single flight), for handlers and their loop functions.
 *
 *     cached_t c;
 *     int rc = cached_lookup(r, CACHE_ROSTER, key, &c, &meta);
 *     if (rc != 0)
 *         return rc > 0 ? 0 : -1;         // answered from the cache (r->res set), or a loop miss
 *     rc = build_the_document(r);         // from the database: r->res set on success
 *     cached_store(r, &c, meta);          // always, whatever rc: ends the single flight
 *     return rc;
 *
 * The policy runs before cached_lookup(): a key names what the document
 * depends on besides its family, never who asked, so only documents that are
 * the same for every caller the policy admits are cached this way. The
 * generations are taken before the load, so a document loaded across an
 * invalidation is stored where nothing reads it.
 */
#ifndef ERP_API_CACHED_H
#define ERP_API_CACHED_H

#include <stdint.h>

#include "cache/cache.h"
#include "http/handler.h"

typedef struct cached {
    cache_family_t family;
    const char *tenant;
    const char *key;
    cache_gens_t gens;
    int lead; /* this request loads the key for the others of this process */
} cached_t;

/*
 * 1: the document was in the cache (r->res is a 200 with it; *meta, which may
 * be NULL, holds the word stored with it). 0: not there; load it and call
 * cached_store(). -1 on an event loop (r->thread NULL), which never loads.
 */
int cached_lookup(req_t *r, cache_family_t f, const char *key, cached_t *c, uint64_t *meta);

/* The same for a partitioned family (cache/cache.h): part names the key's part ("<class id>:<day>" of a sheet). */
int cached_lookup_part(req_t *r, cache_family_t f, const char *part, const char *key, cached_t *c, uint64_t *meta);

/* Stores r's response when it is a 200 (with meta, for ttl_ms) and ends the single flight. */
void cached_store(req_t *r, cached_t *c, uint64_t meta, uint32_t ttl_ms);

#endif
