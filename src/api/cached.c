#include "api/cached.h"

#include "auth/sessions.h"

#define FLIGHT_WAIT_MS 500

/* The cache's answer under c's generations: 1 with r->res set, 0 on a miss. */
static int hit(req_t *r, cached_t *c, uint64_t *meta, int l1_only)
{
    const char *body;
    size_t len;
    if (!cache_get(c->tenant, c->family, c->key, &c->gens, &r->arena, &body, &len, meta, l1_only))
        return 0;
    res_body(r, 200, "application/json", body, len);
    return 1;
}

int cached_lookup(req_t *r, cache_family_t f, const char *key, cached_t *c, uint64_t *meta)
{
    return cached_lookup_part(r, f, NULL, key, c, meta);
}

int cached_lookup_part(req_t *r, cache_family_t f, const char *part, const char *key, cached_t *c, uint64_t *meta)
{
    int l1_only = r->thread == NULL;
    c->family = f;
    c->tenant = sessions_tenant_of(r);
    c->key = key;
    c->lead = 0;
    if (part != NULL)
        cache_generations_part(c->tenant, f, cache_part(part), l1_only, &c->gens);
    else
        cache_generations(c->tenant, f, l1_only, &c->gens);
    if (hit(r, c, meta, l1_only))
        return 1;
    if (l1_only)
        return -1;
    c->lead = cache_load_begin(c->tenant, f, key, FLIGHT_WAIT_MS);
    return !c->lead && hit(r, c, meta, 0) ? 1 : 0;
}

void cached_store(req_t *r, cached_t *c, uint64_t meta, uint32_t ttl_ms)
{
    if (r->res.status == 200 && r->err.code == ERR_NONE && r->res.body != NULL)
        cache_set(c->tenant, c->family, c->key, &c->gens, r->res.body, r->res.body_len, meta, ttl_ms);
    if (c->lead)
        cache_load_done(c->tenant, c->family, c->key);
    c->lead = 0;
}
