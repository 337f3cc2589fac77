/*
 * invalidate.h - what each write of the API makes stale in the cache.
 *
 * One table names, for every route that writes, the cache families of the
 * caller's school it affects (cache/cache.h). After a write succeeds (a 2xx
 * status; the transaction has committed by then) the dispatcher's end hook
 * increments those families' generations, here and, through Redis, on every
 * instance. Writes whose effect is not the caller's school (a platform
 * admin's change of a school) or that a public route makes (a refresh
 * token's reuse) invalidate where they happen, in their handlers.
 * A row may name partitioned families (CACHE_ATTENDANCE) of which only the
 * part named by the path's parameters ("<class id>:<day>") changes: an
 * attendance save invalidates its sheet's part, not the school's sheets. A test checks that every write route has a row.
 */
#ifndef ERP_API_INVALIDATE_H
#define ERP_API_INVALIDATE_H

#include "http/handler.h"
#include "http/router.h"

/* The families (1u << cache_family_t) a write route affects in the caller's school; -1 for a route without a row. */
long invalidate_families(const route_t *route);

/* After the handler: invalidates what r's route affects when it was a successful write. */
void invalidate_after(const req_t *r);

#endif
