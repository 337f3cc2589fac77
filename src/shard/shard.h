/*
 * shard.h - the tenant directory: which database cluster ("shard") holds a
 * school's rows, and the sessions that route a request or a job to it.
 *
 * The catalog is the database of ERP_DATABASE_URL; it is also the first shard,
 * "main". ERP_SHARDS (shard/spec.h) names the others; each is opened with the
 * store's own open path, so each has its primary, replicas and multi-host
 * failover exactly like the catalog. The directory is the catalog's
 * tenant_shards table; a school without a row lives on main, so a deployment
 * without ERP_SHARDS has no row and pays no lookup (shards_count() == 1 and
 * every call below returns the catalog's session at once).
 *
 * Each school's rows live on one shard only; the catalog also keeps a copy of
 * every school's row of `tenants` (slug, name, status: what login and the
 * platform's lists read) and the platform's own data (operators, platform
 * audit). A statement never spans two shards.
 *
 * Lookups are cached (L1, and L2 when Redis is configured) in the platform's
 * CACHE_SESSION family, keyed by the school's id (so a school's own
 * invalidations, frequent, leave them alone); shard_invalidate() drops them on
 * every instance.
 *
 * Placement: a new school goes to the shard ERP_SHARD_PLACEMENT names when set,
 * else to the one an operator names (tenant create --shard), else to the shard
 * holding the fewest schools, ties to the first by name (shard_place()).
 */
#ifndef ERP_SHARD_SHARD_H
#define ERP_SHARD_SHARD_H

#include "auth/identity.h"
#include "core/config.h"
#include "shard/spec.h"
#include "store/store.h"

/*
 * Reads ERP_SHARDS and ERP_SHARD_PLACEMENT and opens every shard beside the
 * catalog (which stays the caller's). 0, or -1 with a one-line reason naming
 * the variable. Without ERP_SHARDS there is one shard and nothing is opened.
 */
int shards_setup(const config_t *cfg, store_t *catalog, char *err, size_t errlen);
/* Closes the shards shards_setup() opened. */
void shards_shutdown(void);

/* Shards in all (main included); 1 without ERP_SHARDS. */
int shards_count(void);
const char *shards_name(int i);
store_t *shards_store(int i);
/* The index of a shard by name; -1 when there is none. */
int shards_index(const char *name);

/* A thread's sessions, one per shard, made on first use; db[0] is the catalog's (the caller's). */
typedef struct shard_sessions {
    db_t *db[SHARD_MAX];
    int n;
} shard_sessions_t;

/* NULL when there is one shard (callers keep their catalog session). */
shard_sessions_t *shard_sessions_new(db_t *catalog);
/* Closes the sessions it made (not the catalog's) and frees ss. */
void shard_sessions_free(shard_sessions_t *ss);
/* The session of shard i (made on first use). */
db_t *shard_sessions_get(shard_sessions_t *ss, int i);

/*
 * The shard holding a school, from the directory (cached). 0 (main) for the
 * platform, for a school without a row, and when there is one shard. -1 when
 * the catalog cannot be read (db_error(catalog) says why).
 */
int shard_of(db_t *catalog, const char *tenant_id);

/*
 * The session of the shard holding tenant_id (ss NULL: catalog itself). NULL
 * when the directory cannot be read (db_error(catalog) says why).
 */
db_t *shard_route(shard_sessions_t *ss, db_t *catalog, const char *tenant_id);

/* After shard_route() returned NULL: the request's 503 (or the catalog's failure); -1. */
int shard_fail(req_t *r, db_t *catalog);

/* Drops the cached directory entry of a school on every instance. */
void shard_invalidate(const char *tenant_id);

/*
 * Creates a school and its first admin on the shard named (NULL: the
 * placement rule) and registers it in the directory; the request's error is
 * set on failure (404 for an unknown shard name, 409 for a taken slug, as
 * identity_create_tenant()). With one shard this is identity_create_tenant().
 */
int shard_create_tenant(req_t *r, shard_sessions_t *ss, db_t *catalog, const tenant_in_t *t, const user_in_t *admin,
                        const char *shard, char tenant_id[40], char admin_id[40]);

/*
 * After the catalog's row of a school changed (platform update, committed): copies it to
 * the school's shard (shard_settle()). 0: a copy the shard cannot take now is owed and
 * taken before the school's next request (logged).
 */
int shard_sync_tenant(req_t *r, shard_sessions_t *ss, db_t *catalog, const char *tenant_id);

/*
 * The number of accounts of a school for the platform's views of schools: the
 * catalog's count (catalog_count) for a school on main, else one count on its
 * shard (the catalog's when that fails, logged).
 */
long long shard_user_count(req_t *r, shard_sessions_t *ss, db_t *catalog, const char *tenant_id,
                           long long catalog_count);

/*
 * The write freeze of a school being moved between clusters (shard/move.h):
 * its directory entry says so, every instance and worker reads it (cached,
 * invalidated by the mover), and the school's writes answer 503 with
 * Retry-After SHARD_FREEZE_RETRY_S while its reads go on. An instance whose
 * cached entry is stale is stopped on the source cluster itself (the fence).
 */
#define SHARD_FREEZE_RETRY_S 2
/* Whether the entry that the last shard_of()/shard_route() of this thread read is frozen. */
int shard_routed_frozen(void);
/* Whether a school's writes are frozen (its directory entry, cached); 0 when it cannot be read. */
int shard_frozen(db_t *catalog, const char *tenant_id);
/* The 503 of a write to a frozen school (Retry-After SHARD_FREEZE_RETRY_S); -1. */
int shard_freeze_fail(req_t *r);

/*
 * Writes that span the catalog and a school's shard (docs/DECISIONS.md, "Writes across the catalog and a
 * shard"). The catalog is written first and says what must hold: a new school's directory row is "pending"
 * until its rows exist on its shard, and copied_version records which version of the school's catalog row
 * its shard holds. shard_settle() brings one school in step, holding its directory row on the catalog
 * meanwhile: a pending school becomes active when its shard has it and is removed (slug freed) when not; an
 * older copy on the shard is replaced by the catalog's row (never older over newer). shard_route() settles a
 * school before any request or job reaches its shard, and answers 503 while it cannot: nothing is served
 * from a shard behind the catalog. 0 settled (or nothing to do), 1 another writer holds the row, -1 failed
 * (logged; the shard or the catalog is unreachable).
 */
int shard_settle(shard_sessions_t *ss, db_t *catalog, const char *tenant_id);

/* Settles every school that needs it (`school-erp tenant repair`); counts those settled and those left; 0 or -1. */
int shard_settle_all(shard_sessions_t *ss, db_t *catalog, int *settled, int *left);

#endif
