#include "cache/cache.h"

#include <hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/flight.h"
#include "cache/hash.h"
#include "cache/l1.h"
#include "cache/redis.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "obs/metrics.h"

#define CHANNEL "school-erp:invalidate"
#define TENANT_MAX 40
#define GEN_SHARDS 16
#define GEN_BUCKETS 256 /* per shard */
#define PENDING_MAX 4096

static const char *const family_names[CACHE_FAMILIES] = {
    "session", "account", "student", "roster", "timetable", "calendar", "school", "attendance", "gradebook"};

/*
 * A school's generations, flat: the school's own (G_TENANT), one per family
 * (G_FAMILY(f)), then CACHE_PARTS per partitioned family (G_PART(f, p)). In
 * Redis they are the fields "t", "f<family>" and "p<family>.<part>" of the
 * school's generation hash.
 */
static const int part_slot[CACHE_FAMILIES] = {[CACHE_ATTENDANCE] = 1}; /* 1 + index among the partitioned; 0: not */
#define PARTITIONED 1
#define NGENS (1 + CACHE_FAMILIES + PARTITIONED * CACHE_PARTS)
#define G_TENANT 0
#define G_FAMILY(f) (1 + (int)(f))
#define G_PART(f, p) (1 + CACHE_FAMILIES + (part_slot[f] - 1) * CACHE_PARTS + (p))

/* A school's generations as this instance knows them. */
typedef struct gens {
    struct gens *next;
    char tenant[TENANT_MAX];
    uint64_t gen[NGENS];
    uint64_t confirmed_ns; /* when they were last read from Redis (or 0: to read again) */
    uint64_t epoch;        /* counts invalidations heard of: a read of Redis that one raced is not trusted */
    /* parts whose invalidation was heard of while the rest stays confirmed: only their field is read again */
    uint8_t stale[(PARTITIONED * CACHE_PARTS + 7) / 8];
} gens_t;

typedef struct gen_shard {
    pthread_mutex_t mu;
    gens_t *buckets[GEN_BUCKETS];
} gen_shard_t;

/* An increment that could not reach Redis, replayed when it is back. */
typedef struct pending {
    char tenant[TENANT_MAX];
    int gen; /* G_TENANT, G_FAMILY(f) or G_PART(f, p) */
} pending_t;

enum { LVL_L1, LVL_L2, NLEVELS };

static struct {
    int ready;
    int on;
    l1_t *l1;
    redis_t *l2;
    flight_t *flights;
    gen_shard_t shards[GEN_SHARDS];
    pthread_mutex_t pending_mu;
    pending_t pending[PENDING_MAX];
    int npending;
    uint64_t lost_pending;
    uint64_t hits[NLEVELS], misses[NLEVELS], sets[NLEVELS], errors[NLEVELS];
    uint64_t invalidations[3]; /* family, school, part */
    uint64_t bypassed;        /* lookups without confirmed generations (Redis unreachable) */
    int redis_down;           /* 1 after a failure, until a command succeeds (for the log) */
} c;

static void count(uint64_t *n)
{
    __atomic_fetch_add(n, 1, __ATOMIC_RELAXED);
}

/* ---- generations ---- */

static int is_part(int i)
{
    return i > CACHE_FAMILIES && i < NGENS;
}

static int stale_part(const gens_t *g, int i)
{
    int bit = i - 1 - CACHE_FAMILIES;
    return (g->stale[bit / 8] >> (bit % 8)) & 1;
}

static void mark_part(gens_t *g, int i, int stale)
{
    int bit = i - 1 - CACHE_FAMILIES;
    if (stale)
        g->stale[bit / 8] |= (uint8_t)(1u << (bit % 8));
    else
        g->stale[bit / 8] &= (uint8_t)~(1u << (bit % 8));
}

static gen_shard_t *shard_of(const char *tenant, size_t n, size_t *bucket)
{
    uint64_t h = cache_hash(tenant, n);
    *bucket = (size_t)(h & (GEN_BUCKETS - 1));
    return &c.shards[(h >> 32) % GEN_SHARDS];
}

/* The entry of a school (created with generations 1 when create); call with the shard locked. */
static gens_t *gens_find(gen_shard_t *s, size_t b, const char *tenant, int create)
{
    for (gens_t *g = s->buckets[b]; g != NULL; g = g->next)
        if (strcmp(g->tenant, tenant) == 0)
            return g;
    if (!create)
        return NULL;
    gens_t *g = xcalloc(1, sizeof(*g));
    snprintf(g->tenant, sizeof(g->tenant), "%s", tenant);
    for (int i = 0; i < NGENS; i++)
        g->gen[i] = 1;
    g->next = s->buckets[b];
    s->buckets[b] = g;
    return g;
}

static void gen_key(char *out, size_t len, const char *tenant)
{
    snprintf(out, len, "{t:%s}:gen", tenant);
}

/* The field of generation i in the school's generation hash. */
static void gen_field(char out[16], int i)
{
    if (i == G_TENANT) {
        snprintf(out, 16, "t");
    } else if (i <= CACHE_FAMILIES) {
        snprintf(out, 16, "f%d", i - 1);
    } else {
        int slot = (i - 1 - CACHE_FAMILIES) / CACHE_PARTS, f = 0;
        while (f < CACHE_FAMILIES && part_slot[f] != slot + 1)
            f++;
        snprintf(out, 16, "p%d.%d", f, (i - 1 - CACHE_FAMILIES) % CACHE_PARTS);
    }
}

static void redis_failed(const char *what)
{
    count(&c.errors[LVL_L2]);
    if (!__atomic_exchange_n(&c.redis_down, 1, __ATOMIC_RELAXED))
        log_warn("cache: Redis unreachable; serving from L1 and the database", "%s", what);
}

static void redis_ok(void)
{
    if (__atomic_exchange_n(&c.redis_down, 0, __ATOMIC_RELAXED))
        log_info("cache: Redis reachable again", NULL);
}

/* A new generation: random, so a generation never comes back after Redis loses its data (a restart, a flush). */
static uint64_t new_gen(void)
{
    uint64_t g = ids_rand64() >> 1;
    return g != 0 ? g : 1;
}

/* Sets generation i in Redis to a new value and announces it; the value, or 0 when Redis failed. */
static uint64_t redis_bump(const char *tenant, int i)
{
    char key[64], field[16], value[24], msg[96];
    gen_key(key, sizeof(key), tenant);
    gen_field(field, i);
    uint64_t v = new_gen();
    snprintf(value, sizeof(value), "%llu", (unsigned long long)v);
    const char *argv[] = {"HSET", key, field, value};
    size_t lens[] = {4, strlen(key), strlen(field), strlen(value)};
    redisReply *rep = NULL;
    if (redis_command(c.l2, key, 4, argv, lens, &rep) != 0 || rep->type != REDIS_REPLY_INTEGER) {
        if (rep != NULL)
            freeReplyObject(rep);
        redis_failed("HSET");
        return 0;
    }
    freeReplyObject(rep);
    snprintf(msg, sizeof(msg), "%s %s", tenant, field);
    const char *pargv[] = {"PUBLISH", CHANNEL, msg};
    size_t plens[] = {7, sizeof(CHANNEL) - 1, strlen(msg)};
    /* a keyless command: any node; PUBLISH reaches every node of a Cluster */
    if (redis_command(c.l2, NULL, 3, pargv, plens, &rep) == 0) {
        freeReplyObject(rep);
        /* Redis may write PUBLISH's reply before the message to the subscribers (in one pass of its
         * event loop, and it can be preempted in between). The reply to a second command, read on a
         * later pass, means that pass is over: the message is in every subscriber's socket before
         * this write's response leaves (standalone; through a Cluster's bus, see OPERATIONS.md). */
        const char *pingv[] = {"PING"};
        size_t pinglen[] = {4};
        if (redis_command(c.l2, NULL, 1, pingv, pinglen, &rep) == 0)
            freeReplyObject(rep);
    }
    redis_ok();
    return v;
}

/* Replays the increments that could not reach Redis; 0 when none is left. */
static int replay_pending(void)
{
    pthread_mutex_lock(&c.pending_mu);
    while (c.npending > 0) {
        pending_t p = c.pending[c.npending - 1];
        if (redis_bump(p.tenant, p.gen) == 0) {
            pthread_mutex_unlock(&c.pending_mu);
            return -1;
        }
        c.npending--;
    }
    pthread_mutex_unlock(&c.pending_mu);
    return 0;
}

static void add_pending(const char *tenant, int gen)
{
    pthread_mutex_lock(&c.pending_mu);
    int dup = 0;
    for (int i = 0; i < c.npending && !dup; i++)
        dup = c.pending[i].gen == gen && strcmp(c.pending[i].tenant, tenant) == 0;
    if (!dup) {
        if (c.npending < PENDING_MAX) {
            snprintf(c.pending[c.npending].tenant, TENANT_MAX, "%s", tenant);
            c.pending[c.npending].gen = gen;
            c.npending++;
        } else {
            c.lost_pending++; /* the school's entries in Redis still expire by their TTL */
        }
    }
    pthread_mutex_unlock(&c.pending_mu);
}

/* A decimal number of at most 3 digits at *p, advancing *p; -1 when there is none. */
static int small_number(const char **p, const char *end)
{
    int v = 0, digits = 0;
    for (; *p < end && **p >= '0' && **p <= '9' && digits < 3; (*p)++, digits++)
        v = v * 10 + (**p - '0');
    return digits > 0 ? v : -1;
}

/* The generation a message's field names ("t", "f3", "p7.12": gen_field()'s names); -1 when it names none. */
static int gen_of_field(const char *field, size_t len)
{
    const char *p = field + 1, *end = field + len;
    if (len == 1 && field[0] == 't')
        return G_TENANT;
    if (len < 2 || (field[0] != 'f' && field[0] != 'p'))
        return -1;
    int f = small_number(&p, end);
    if (f < 0 || f >= CACHE_FAMILIES)
        return -1;
    if (field[0] == 'f')
        return p == end ? G_FAMILY(f) : -1;
    if (part_slot[f] == 0 || p == end || *p++ != '.')
        return -1;
    int part = small_number(&p, end);
    return part >= 0 && part < CACHE_PARTS && p == end ? G_PART(f, part) : -1;
}

/*
 * HGETALL of a school's generations: 1 when all were there, 0 when one is missing, -1 when Redis failed. Not HMGET:
 * Redis keeps a hash this small as one list (hash-max-listpack-entries) and looks each field up in it from the
 * start, so asking for its 266 fields by name costs a quadratic scan (0.5 ms a call); HGETALL walks it once.
 */
static int read_gens(const char *key, uint64_t *gen)
{
    const char *argv[] = {"HGETALL", key};
    size_t lens[] = {7, strlen(key)};
    redisReply *rep = NULL;
    if (redis_command(c.l2, key, 2, argv, lens, &rep) != 0 || rep->type != REDIS_REPLY_ARRAY ||
        rep->elements % 2 != 0) {
        if (rep != NULL)
            freeReplyObject(rep);
        redis_failed("HGETALL");
        return -1;
    }
    memset(gen, 0, sizeof(uint64_t) * NGENS);
    for (size_t i = 0; i + 1 < rep->elements; i += 2) {
        const redisReply *f = rep->element[i], *v = rep->element[i + 1];
        int g = f->type == REDIS_REPLY_STRING ? gen_of_field(f->str, f->len) : -1;
        if (g >= 0 && v->type == REDIS_REPLY_STRING)
            gen[g] = strtoull(v->str, NULL, 10);
    }
    freeReplyObject(rep);
    int complete = 1;
    for (int i = 0; i < NGENS; i++)
        complete &= gen[i] != 0;
    return complete;
}

/* HGET of one generation of a school: 1 with *v, 0 when it is missing, -1 when Redis failed. */
static int read_gen(const char *tenant, int i, uint64_t *v)
{
    char key[64], field[16];
    gen_key(key, sizeof(key), tenant);
    gen_field(field, i);
    const char *argv[] = {"HGET", key, field};
    size_t lens[] = {4, strlen(key), strlen(field)};
    redisReply *rep = NULL;
    if (redis_command(c.l2, key, 3, argv, lens, &rep) != 0) {
        if (rep != NULL)
            freeReplyObject(rep);
        redis_failed("HGET");
        return -1;
    }
    *v = rep->type == REDIS_REPLY_STRING ? strtoull(rep->str, NULL, 10) : 0;
    freeReplyObject(rep);
    return *v != 0;
}

/*
 * Reads a school's generations from Redis; a missing one (a school not seen
 * yet, or Redis lost its data) is created with a new random value (HSETNX:
 * the first instance to create it wins). 0, or -1 when Redis failed.
 */
static int fetch_gens(const char *tenant, uint64_t *gen)
{
    if (__atomic_load_n(&c.npending, __ATOMIC_RELAXED) > 0 && replay_pending() != 0)
        return -1;
    char key[64];
    gen_key(key, sizeof(key), tenant);
    int rc = read_gens(key, gen);
    if (rc != 0) {
        if (rc > 0)
            redis_ok();
        return rc > 0 ? 0 : -1;
    }
    for (int i = 0; i < NGENS; i++) {
        if (gen[i] != 0)
            continue;
        char field[16], value[24];
        gen_field(field, i);
        snprintf(value, sizeof(value), "%llu", (unsigned long long)new_gen());
        const char *argv[] = {"HSETNX", key, field, value};
        size_t lens[] = {6, strlen(key), strlen(field), strlen(value)};
        redisReply *rep = NULL;
        if (redis_command(c.l2, key, 4, argv, lens, &rep) != 0) {
            redis_failed("HSETNX");
            return -1;
        }
        freeReplyObject(rep);
    }
    if (read_gens(key, gen) != 1)
        return -1;
    redis_ok();
    return 0;
}

/* The generations under which entries of f (in part, or -1) are kept. */
static void take(const uint64_t *gen, cache_family_t f, int part, cache_gens_t *out)
{
    out->tenant = gen[G_TENANT];
    out->family = gen[G_FAMILY(f)];
    out->part = part >= 0 ? gen[G_PART(f, part)] : 0;
    out->known = 1;
}

/*
 * The generations to use now; known = 0 when they cannot be confirmed (Redis unreachable, or l1_only and stale).
 * part: for a partitioned family, the part of the key (cache_part()); -1 otherwise.
 */
static void generations(const char *tenant, cache_family_t f, int part, int l1_only, cache_gens_t *out)
{
    size_t n = strnlen(tenant, TENANT_MAX), b;
    out->known = 0;
    if (n == 0 || n >= TENANT_MAX)
        return;
    gen_shard_t *s = shard_of(tenant, n, &b);
    uint64_t now = clock_mono_ns();
    /* an invalidation already on its way to this instance (in the subscription's socket) is not missed */
    int pending = c.l2 != NULL && redis_subscription_pending(c.l2);
    int gi = part >= 0 ? G_PART(f, part) : -1, one = 0;
    pthread_mutex_lock(&s->mu);
    gens_t *g = gens_find(s, b, tenant, 1);
    if (c.l2 == NULL ||
        (!pending && g->confirmed_ns != 0 && now - g->confirmed_ns < (uint64_t)CACHE_GEN_TTL_MS * 1000000u)) {
        if (c.l2 == NULL || gi < 0 || !stale_part(g, gi))
            take(g->gen, f, part, out);
        else
            one = 1; /* the rest is confirmed: read the part's own generation */
    }
    uint64_t epoch = g->epoch;
    pthread_mutex_unlock(&s->mu);
    if (out->known || l1_only)
        return;
    uint64_t v;
    if (one && __atomic_load_n(&c.npending, __ATOMIC_RELAXED) == 0 && read_gen(tenant, gi, &v) == 1) {
        pthread_mutex_lock(&s->mu);
        g->gen[gi] = v;
        if (g->epoch == epoch) /* else an invalidation heard of meanwhile may be newer: read again next time */
            mark_part(g, gi, 0);
        take(g->gen, f, part, out);
        pthread_mutex_unlock(&s->mu);
        return;
    }
    uint64_t gen[NGENS];
    if (fetch_gens(tenant, gen) != 0) {
        count(&c.bypassed);
        return;
    }
    pthread_mutex_lock(&s->mu);
    memcpy(g->gen, gen, sizeof(gen));
    /* an invalidation heard of meanwhile may be newer than what was read: read again next time */
    g->confirmed_ns = g->epoch == epoch ? now : 0;
    if (g->epoch == epoch)
        memset(g->stale, 0, sizeof(g->stale));
    take(gen, f, part, out);
    pthread_mutex_unlock(&s->mu);
}

void cache_generations(const char *tenant, cache_family_t f, int l1_only, cache_gens_t *out)
{
    out->known = 0;
    /* a partitioned family's entries need their part: without it nothing is read or stored */
    if (cache_enabled(f) && part_slot[f] == 0)
        generations(tenant, f, -1, l1_only, out);
}

void cache_generations_part(const char *tenant, cache_family_t f, int part, int l1_only, cache_gens_t *out)
{
    out->known = 0;
    if (cache_enabled(f) && part_slot[f] != 0 && part >= 0 && part < CACHE_PARTS)
        generations(tenant, f, part, l1_only, out);
}

int cache_partitioned(cache_family_t f)
{
    return part_slot[f] != 0;
}

int cache_part(const char *name)
{
    /* FNV-1a over the name in lower case: an id's spellings fall in one part */
    uint32_t h = 2166136261u;
    for (const char *p = name; *p != '\0'; p++) {
        unsigned char ch = (unsigned char)*p;
        h = (h ^ (ch >= 'A' && ch <= 'Z' ? ch + 32u : ch)) * 16777619u;
    }
    return (int)(h % CACHE_PARTS);
}

/* Forgets what this instance knows of a school's generations (NULL: of every school). */
static void unconfirm(const char *tenant)
{
    for (int i = 0; i < GEN_SHARDS; i++) {
        gen_shard_t *s = &c.shards[i];
        pthread_mutex_lock(&s->mu);
        for (int b = 0; b < GEN_BUCKETS; b++)
            for (gens_t *g = s->buckets[b]; g != NULL; g = g->next)
                if (tenant == NULL || strcmp(g->tenant, tenant) == 0) {
                    g->confirmed_ns = 0;
                    g->epoch++;
                }
        pthread_mutex_unlock(&s->mu);
    }
}

static void on_message(void *ud, const char *msg, size_t len)
{
    (void)ud;
    char tenant[TENANT_MAX];
    const char *sp = memchr(msg, ' ', len);
    size_t n = sp != NULL ? (size_t)(sp - msg) : len;
    if (n == 0 || n >= sizeof(tenant))
        return;
    memcpy(tenant, msg, n);
    tenant[n] = '\0';
    int i = sp != NULL ? gen_of_field(sp + 1, len - n - 1) : -1;
    size_t b;
    gen_shard_t *s = shard_of(tenant, n, &b);
    pthread_mutex_lock(&s->mu);
    gens_t *g = gens_find(s, b, tenant, 1);
    if (is_part(i))
        mark_part(g, i, 1); /* the rest of the school's generations stay confirmed */
    else
        g->confirmed_ns = 0;
    g->epoch++;
    pthread_mutex_unlock(&s->mu);
}

static void on_resync(void *ud)
{
    (void)ud;
    unconfirm(NULL);
}

/* Gives generation i of a school a new value, here and in Redis; scope counts it (0 family, 1 school, 2 part). */
static void invalidate(const char *tenant, int i, int scope)
{
    size_t n = strnlen(tenant, TENANT_MAX), b;
    if (!c.ready || n == 0 || n >= TENANT_MAX)
        return;
    count(&c.invalidations[scope]);
    gen_shard_t *s = shard_of(tenant, n, &b);
    /* here at once: entries stored under the old generations are unreachable from now on */
    pthread_mutex_lock(&s->mu);
    gens_t *g = gens_find(s, b, tenant, 1);
    g->gen[i] = new_gen();
    if (is_part(i))
        mark_part(g, i, 1); /* only the part's field is read again */
    else
        g->confirmed_ns = 0;
    g->epoch++;
    pthread_mutex_unlock(&s->mu);
    if (c.l2 != NULL && redis_bump(tenant, i) == 0)
        add_pending(tenant, i);
}

void cache_invalidate_family(const char *tenant, cache_family_t f)
{
    invalidate(tenant, G_FAMILY(f), 0);
}

void cache_invalidate_tenant(const char *tenant)
{
    invalidate(tenant, G_TENANT, 1);
}

void cache_invalidate_part(const char *tenant, cache_family_t f, int part)
{
    if (part_slot[f] == 0 || part < 0 || part >= CACHE_PARTS)
        invalidate(tenant, G_FAMILY(f), 0); /* not partitioned: the whole family */
    else
        invalidate(tenant, G_PART(f, part), 2);
}

/* ---- entries ---- */

#define KEY_MAX 512

static int full_key(char *out, const char *tenant, cache_family_t f, const cache_gens_t *g, const char *key)
{
    int n = g->part != 0 ? snprintf(out, KEY_MAX, "{t:%s}:%s:%llu.%llu.%llu:%s", tenant, family_names[f],
                                    (unsigned long long)g->tenant, (unsigned long long)g->family,
                                    (unsigned long long)g->part, key)
                         : snprintf(out, KEY_MAX, "{t:%s}:%s:%llu.%llu:%s", tenant, family_names[f],
                                    (unsigned long long)g->tenant, (unsigned long long)g->family, key);
    return n > 0 && n < KEY_MAX ? n : -1;
}

int cache_enabled(cache_family_t f)
{
    return c.ready && (c.on || f == CACHE_SESSION);
}

int cache_get(const char *tenant, cache_family_t f, const char *key, const cache_gens_t *gens, arena_t *a,
              const char **val, size_t *len, uint64_t *meta, int l1_only)
{
    char k[KEY_MAX];
    int kn;
    if (!cache_enabled(f) || !gens->known || (kn = full_key(k, tenant, f, gens, key)) < 0)
        return 0;
    uint64_t m = 0;
    if (l1_get(c.l1, k, (size_t)kn, a, val, len, &m)) {
        count(&c.hits[LVL_L1]);
        if (meta != NULL)
            *meta = m;
        return 1;
    }
    count(&c.misses[LVL_L1]);
    if (l1_only || c.l2 == NULL)
        return 0;
    const char *argv[] = {"GET", k};
    size_t lens[] = {3, (size_t)kn};
    redisReply *rep = NULL;
    if (redis_command(c.l2, k, 2, argv, lens, &rep) != 0) {
        redis_failed("GET");
        return 0;
    }
    int hit = rep->type == REDIS_REPLY_STRING && rep->len >= 8;
    if (hit) {
        memcpy(&m, rep->str, 8);
        size_t n = rep->len - 8;
        char *copy = arena_alloc(a, n + 1);
        memcpy(copy, rep->str + 8, n);
        copy[n] = '\0';
        *val = copy;
        *len = n;
        if (meta != NULL)
            *meta = m;
        /* in L1 for at most the generations' confirmation window's worth of a default TTL */
        l1_set(c.l1, k, (size_t)kn, copy, n, m, 60000);
        count(&c.hits[LVL_L2]);
    } else {
        count(&c.misses[LVL_L2]);
    }
    freeReplyObject(rep);
    return hit;
}

void cache_set(const char *tenant, cache_family_t f, const char *key, const cache_gens_t *gens, const void *val,
               size_t len, uint64_t meta, uint32_t ttl_ms)
{
    if (!cache_enabled(f) || !gens->known)
        return;
    char k[KEY_MAX];
    int kn = full_key(k, tenant, f, gens, key);
    if (kn < 0)
        return;
    if (l1_set(c.l1, k, (size_t)kn, val, len, meta, ttl_ms))
        count(&c.sets[LVL_L1]);
    if (c.l2 == NULL)
        return;
    char *buf = malloc(len + 8);
    if (buf == NULL)
        return;
    memcpy(buf, &meta, 8);
    memcpy(buf + 8, val, len);
    char ttl[16];
    snprintf(ttl, sizeof(ttl), "%u", ttl_ms);
    const char *argv[] = {"SET", k, buf, "PX", ttl};
    size_t lens[] = {3, (size_t)kn, len + 8, 2, strlen(ttl)};
    redisReply *rep = NULL;
    if (redis_command(c.l2, k, 5, argv, lens, &rep) == 0) {
        count(&c.sets[LVL_L2]);
        freeReplyObject(rep);
    } else {
        redis_failed("SET");
    }
    free(buf);
}

/* ---- single flight ---- */

static int flight_key(char *out, const char *tenant, cache_family_t f, const char *key)
{
    int n = snprintf(out, KEY_MAX, "%s:%d:%s", tenant, (int)f, key);
    return n > 0 && n < KEY_MAX ? n : -1;
}

int cache_load_begin(const char *tenant, cache_family_t f, const char *key, uint32_t wait_ms)
{
    char k[KEY_MAX];
    int n;
    if (!cache_enabled(f) || (n = flight_key(k, tenant, f, key)) < 0)
        return 0;
    return flight_begin(c.flights, k, (size_t)n, wait_ms);
}

void cache_load_done(const char *tenant, cache_family_t f, const char *key)
{
    char k[KEY_MAX];
    int n;
    if (!cache_enabled(f) || (n = flight_key(k, tenant, f, key)) < 0)
        return;
    flight_done(c.flights, k, (size_t)n);
}

/* ---- set-up, metrics ---- */

static void collect(sbuf_t *out, void *ud)
{
    (void)ud;
    static const char *const levels[NLEVELS] = {"l1", "l2"};
    metrics_family(out, "school_erp_cache_requests_total", "counter", "Cache lookups by level and result.");
    for (int l = 0; l < NLEVELS; l++) {
        sbuf_printf(out, "school_erp_cache_requests_total{level=\"%s\",result=\"hit\"} %llu\n", levels[l],
                    (unsigned long long)__atomic_load_n(&c.hits[l], __ATOMIC_RELAXED));
        sbuf_printf(out, "school_erp_cache_requests_total{level=\"%s\",result=\"miss\"} %llu\n", levels[l],
                    (unsigned long long)__atomic_load_n(&c.misses[l], __ATOMIC_RELAXED));
    }
    metrics_family(out, "school_erp_cache_sets_total", "counter", "Values stored, by level.");
    for (int l = 0; l < NLEVELS; l++)
        sbuf_printf(out, "school_erp_cache_sets_total{level=\"%s\"} %llu\n", levels[l],
                    (unsigned long long)__atomic_load_n(&c.sets[l], __ATOMIC_RELAXED));
    metrics_family(out, "school_erp_cache_errors_total", "counter", "Cache operations that failed, by level.");
    for (int l = 0; l < NLEVELS; l++)
        sbuf_printf(out, "school_erp_cache_errors_total{level=\"%s\"} %llu\n", levels[l],
                    (unsigned long long)__atomic_load_n(&c.errors[l], __ATOMIC_RELAXED));
    metrics_family(out, "school_erp_cache_invalidations_total", "counter",
                   "Generations incremented, of a family of a school, of the whole school or of a part of a family.");
    sbuf_printf(out, "school_erp_cache_invalidations_total{scope=\"family\"} %llu\n",
                (unsigned long long)__atomic_load_n(&c.invalidations[0], __ATOMIC_RELAXED));
    sbuf_printf(out, "school_erp_cache_invalidations_total{scope=\"school\"} %llu\n",
                (unsigned long long)__atomic_load_n(&c.invalidations[1], __ATOMIC_RELAXED));
    sbuf_printf(out, "school_erp_cache_invalidations_total{scope=\"part\"} %llu\n",
                (unsigned long long)__atomic_load_n(&c.invalidations[2], __ATOMIC_RELAXED));
    metrics_family(out, "school_erp_cache_bypassed_total", "counter",
                   "Lookups sent to the database because the school's generations could not be confirmed in Redis.");
    sbuf_printf(out, "school_erp_cache_bypassed_total %llu\n",
                (unsigned long long)__atomic_load_n(&c.bypassed, __ATOMIC_RELAXED));
    metrics_family(out, "school_erp_cache_pending_invalidations", "gauge",
                   "Invalidations waiting for Redis to come back.");
    sbuf_printf(out, "school_erp_cache_pending_invalidations %d\n", __atomic_load_n(&c.npending, __ATOMIC_RELAXED));
    metrics_family(out, "school_erp_cache_single_flight_waits_total", "counter",
                   "Requests that waited for another to load the same entry.");
    sbuf_printf(out, "school_erp_cache_single_flight_waits_total %llu\n",
                (unsigned long long)flight_waits(c.flights));
}

int cache_setup(const config_t *cfg, char *err, size_t errlen)
{
    if (c.ready)
        return 0;
    /*
     * Instances sharing a PostgreSQL database without Redis could not hear of
     * each other's writes: a cached session check would outlive a logout on
     * another instance. There the cache stays off unless the operator says
     * there is only one instance (ERP_CACHE=on).
     */
    int coherent = cfg->redis_url != NULL || config_is_sqlite(cfg) || cfg->cache_mode == CACHE_MODE_ON;
    if (!coherent) {
        log_info("cache off", "PostgreSQL without ERP_REDIS_URL: instances could not invalidate each other's "
                 "entries (ERP_CACHE=on for a single instance)");
        return 0;
    }
    c.on = cfg->cache_mode != CACHE_MODE_OFF;
    c.l1 = l1_create(cfg->l1_bytes, 0);
    c.flights = flight_create(0);
    if (c.l1 == NULL || c.flights == NULL) {
        snprintf(err, errlen, "ERP_L1_BYTES: the cache could not be created with %zu bytes", cfg->l1_bytes);
        return -1;
    }
    for (int i = 0; i < GEN_SHARDS; i++)
        pthread_mutex_init(&c.shards[i].mu, NULL);
    pthread_mutex_init(&c.pending_mu, NULL);
    if (cfg->redis_url != NULL) {
        c.l2 = redis_create(cfg->redis_url, err, errlen);
        if (c.l2 == NULL)
            return -1;
        if (redis_subscribe(c.l2, CHANNEL, on_message, on_resync, NULL) != 0) {
            snprintf(err, errlen, "ERP_REDIS_URL: cannot subscribe to invalidations");
            return -1;
        }
    }
    l1_register_metrics(c.l1, "l1");
    metrics_register(collect, NULL);
    c.ready = 1;
    return 0;
}

void cache_shutdown(void)
{
    if (!c.ready)
        return;
    c.ready = 0;
    metrics_unregister(collect, NULL);
    if (c.l2 != NULL)
        redis_destroy(c.l2);
    c.l2 = NULL;
    for (int i = 0; i < GEN_SHARDS; i++) {
        for (int b = 0; b < GEN_BUCKETS; b++) {
            gens_t *g = c.shards[i].buckets[b];
            while (g != NULL) {
                gens_t *next = g->next;
                free(g);
                g = next;
            }
            c.shards[i].buckets[b] = NULL;
        }
    }
    flight_destroy(c.flights);
    l1_destroy(c.l1);
    c.flights = NULL;
    c.l1 = NULL;
}
