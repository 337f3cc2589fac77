/*
 * settle.h - the steps of a write that spans the catalog and a school's shard, shared by placement (place.c)
 * and settling (settle.c). Internal to src/shard/; callers use shard.h. Each runs inside the caller's
 * transaction on the catalog; 0, or -1 with db_error(catalog).
 */
#ifndef ERP_SHARD_SETTLE_H
#define ERP_SHARD_SETTLE_H

#include "store/store.h"

/* Locks the school's directory row (none in row when another writer holds it): shard, phase, copied, version. */
int shard_hold(db_t *catalog, const char *tenant_id, arena_t *a, db_result_t *row);
/* A pending school made on its shard: active, its row's copy current. */
int shard_activate(db_t *catalog, const char *tenant_id, arena_t *a);
/* A pending school never made on its shard: its directory row and catalog row go (the slug is free). */
int shard_abandon(db_t *catalog, const char *tenant_id, arena_t *a);

#endif
