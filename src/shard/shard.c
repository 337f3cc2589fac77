/* shard.c - the tenant directory, per-shard sessions and placement (see shard.h). */
#include "shard/shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/common.h"
#include "auth/audit.h"
#include "cache/cache.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"

#define DIRECTORY_TTL_MS 300000

static struct {
    int n;
    char names[SHARD_MAX][SHARD_NAME_MAX];
    store_t *stores[SHARD_MAX]; /* [0]: the catalog, not ours */
    char placement[SHARD_NAME_MAX];
} g = {.n = 1, .names = {SHARD_MAIN}};

/* Opens one shard with the catalog's settings but its own URLs. */
static store_t *open_shard(const config_t *cfg, const shard_spec_t *sp, char *err, size_t errlen)
{
    config_t c = *cfg;
    c.database_url = sp->primary;
    c.n_read_urls = sp->nreads;
    for (int i = 0; i < sp->nreads; i++)
        c.read_urls[i] = sp->reads[i];
    char why[400];
    store_t *s = store_open(&c, why, sizeof(why));
    if (s == NULL)
        snprintf(err, errlen, "ERP_SHARDS: shard %s: %s", sp->name, why);
    else
        store_metrics_quiet(s); /* the catalog's store reports the statements of all */
    return s;
}

static int open_all(const config_t *cfg, shard_spec_t *specs, int n, char *err, size_t errlen)
{
    for (int i = 0; i < n; i++) {
        if (strncmp(specs[i].primary, "sqlite:", 7) == 0) {
            snprintf(err, errlen, "ERP_SHARDS: shard %s: shards are PostgreSQL clusters", specs[i].name);
            return -1;
        }
        store_t *s = open_shard(cfg, &specs[i], err, errlen);
        if (s == NULL)
            return -1;
        snprintf(g.names[g.n], SHARD_NAME_MAX, "%s", specs[i].name);
        g.stores[g.n++] = s;
    }
    return 0;
}

int shards_setup(const config_t *cfg, store_t *catalog, char *err, size_t errlen)
{
    g.n = 1;
    g.stores[0] = catalog;
    const char *text = getenv("ERP_SHARDS");
    const char *place = getenv("ERP_SHARD_PLACEMENT");
    g.placement[0] = '\0';
    if (text == NULL || *text == '\0')
        return 0;
    if (strcmp(store_engine(catalog), "sqlite") == 0) {
        snprintf(err, errlen, "ERP_SHARDS: needs a PostgreSQL catalog (ERP_DATABASE_URL); SQLite is one cluster");
        return -1;
    }
    shard_spec_t specs[SHARD_MAX - 1];
    int n = shard_spec_parse(text, specs, SHARD_MAX - 1, err, errlen);
    if (n < 0)
        return -1;
    int rc = open_all(cfg, specs, n, err, errlen);
    shard_spec_free(specs, n);
    if (rc == 0 && place != NULL && *place != '\0') {
        if (shards_index(place) < 0) {
            snprintf(err, errlen, "ERP_SHARD_PLACEMENT: no shard is named '%s'", place);
            rc = -1;
        } else {
            snprintf(g.placement, sizeof(g.placement), "%s", place);
        }
    }
    if (rc != 0)
        shards_shutdown();
    return rc;
}

void shards_shutdown(void)
{
    for (int i = 1; i < g.n; i++)
        store_close(g.stores[i]);
    g.n = 1;
}

int shards_count(void)
{
    return g.n;
}

const char *shards_name(int i)
{
    return g.names[i];
}

store_t *shards_store(int i)
{
    return g.stores[i];
}

int shards_index(const char *name)
{
    for (int i = 0; i < g.n; i++)
        if (strcmp(g.names[i], name) == 0)
            return i;
    return -1;
}

/* ---- sessions ---- */

shard_sessions_t *shard_sessions_new(db_t *catalog)
{
    if (g.n <= 1)
        return NULL;
    shard_sessions_t *ss = xcalloc(1, sizeof(*ss));
    ss->n = g.n;
    ss->db[0] = catalog;
    return ss;
}

void shard_sessions_free(shard_sessions_t *ss)
{
    if (ss == NULL)
        return;
    for (int i = 1; i < ss->n; i++)
        db_close(ss->db[i]);
    free(ss);
}

db_t *shard_sessions_get(shard_sessions_t *ss, int i)
{
    if (ss->db[i] == NULL)
        ss->db[i] = store_session(g.stores[i]);
    return ss->db[i];
}

/* ---- the directory ---- */

/* The second column says whether the school is settled: made on its shard, with its row's latest copy there. */
static stmt_t Q_LOOKUP = STMT("shards.lookup", STMT_ACCESS,
                              "SELECT d.shard || CASE WHEN d.frozen THEN ' frozen' ELSE '' END,"
                              " d.phase = 'active' AND d.copied_version >= t.version FROM tenant_shards d"
                              " JOIN tenants t ON t.id = d.tenant_id WHERE d.tenant_id = $1");

/* The directory's entry of a school, from the catalog: "NAME" or "NAME frozen"; NULL after an error. */
static const char *lookup(db_t *catalog, const char *tenant_id, arena_t *a, int *settled)
{
    db_result_t res;
    if (db_exec(catalog, &Q_LOOKUP, DB_ARGS(DB_TEXT(tenant_id)), a, &res) != 0)
        return NULL;
    *settled = res.nrows == 0 || db_get_bool(&res, 0, 1);
    return res.nrows == 1 ? db_get(&res, 0, 0) : SHARD_MAIN;
}

static __thread int entry_frozen; /* whether the last entry shard_of() read on this thread is frozen */

/* The shard's index of an entry ("NAME" or "NAME frozen"), noting its freeze; -1 when ERP_SHARDS lacks it. */
static int entry_index(const char *entry)
{
    char name[SHARD_NAME_MAX];
    size_t n = strcspn(entry, " ");
    entry_frozen = strcmp(entry + n, " frozen") == 0;
    snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1), entry);
    return shards_index(name);
}

/* shard_of(), and whether the school is settled (only settled entries are cached). */
static int directory_of(db_t *catalog, const char *tenant_id, int *settled)
{
    *settled = 1;
    entry_frozen = 0;
    if (g.n <= 1 || tenant_id == NULL || *tenant_id == '\0' || strcmp(tenant_id, PLATFORM_TENANT_ID) == 0)
        return 0;
    arena_t a;
    arena_init(&a);
    cache_gens_t gens;
    cache_generations(PLATFORM_TENANT_ID, CACHE_SESSION, 0, &gens);
    const char *name;
    size_t len;
    int idx;
    if (cache_get(PLATFORM_TENANT_ID, CACHE_SESSION, tenant_id, &gens, &a, &name, &len, NULL, 0)) {
        idx = entry_index(name);
    } else if ((name = lookup(catalog, tenant_id, &a, settled)) == NULL) {
        idx = -1;
    } else if ((idx = entry_index(name)) >= 0 && *settled) {
        cache_set(PLATFORM_TENANT_ID, CACHE_SESSION, tenant_id, &gens, name, strlen(name), 0, DIRECTORY_TTL_MS);
    }
    if (idx == -1 && name != NULL) {
        log_error("school on an unknown shard", "school %s is on shard %s, which ERP_SHARDS does not name", tenant_id,
                  name);
        idx = -2;
    }
    arena_destroy(&a);
    return idx;
}

int shard_of(db_t *catalog, const char *tenant_id)
{
    int settled;
    return directory_of(catalog, tenant_id, &settled);
}

static __thread int route_failure; /* the last failure on this thread: -1, -2, or -3 (not settled) */

db_t *shard_route(shard_sessions_t *ss, db_t *catalog, const char *tenant_id)
{
    if (ss == NULL)
        return catalog;
    int settled;
    int i = directory_of(catalog, tenant_id, &settled);
    if (i > 0 && !settled && shard_settle(ss, catalog, tenant_id) != 0)
        i = -3; /* never served from a shard that is behind the catalog */
    route_failure = i < 0 ? i : 0;
    return i < 0 ? NULL : shard_sessions_get(ss, i);
}

int shard_fail(req_t *r, db_t *catalog)
{
    if (route_failure == -1)
        return db_fail(r, catalog);
    r->err.retry_after = 5;
    if (route_failure == -3)
        return res_fail(r, ERR_UNAVAILABLE, "This school's database is being brought up to date; try again shortly.");
    return res_fail(r, ERR_UNAVAILABLE, "This school's database is not configured on this server.");
}

void shard_invalidate(const char *tenant_id)
{
    (void)tenant_id; /* the entries of every school go: a move is rare */
    cache_invalidate_family(PLATFORM_TENANT_ID, CACHE_SESSION);
}

/* ---- the write freeze of a school being moved (shard/move.h) ---- */

int shard_routed_frozen(void)
{
    return entry_frozen;
}

int shard_frozen(db_t *catalog, const char *tenant_id)
{
    return shard_of(catalog, tenant_id) >= 0 && entry_frozen;
}

int shard_freeze_fail(req_t *r)
{
    r->err.retry_after = SHARD_FREEZE_RETRY_S;
    return res_fail(r, ERR_UNAVAILABLE,
                    "This school is moving to another database cluster: its changes are paused for a few seconds; "
                    "try again.");
}
