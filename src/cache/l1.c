/*
 * l1.c - the in-process cache (see l1.h for the contract).
 *
 * Each shard is a mutex, a chained hash table (slot = low bits of the hash;
 * the shard was chosen by the high bits) and an intrusive LRU list through
 * every entry, most recently used first. An entry is one allocation: header,
 * key, value. Entries never change once inserted (a set inserts a new one), so
 * a get only pins the entry (a reference count) under the lock and copies the
 * value after releasing it; whoever drops the last reference frees it. Entries
 * removed under a lock are chained up and released after it, so no free()
 * and no malloc() runs inside a critical section, except the rare table
 * growth's rehash (the new slot array is allocated outside).
 */
#include "cache/l1.h"

#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cache/hash.h"
#include "core/clock.h"
#include "obs/metrics.h"

enum { DEFAULT_SHARDS = 16, MAX_SHARDS = 1024, INITIAL_SLOTS = 64 };

typedef struct link {
    struct link *prev, *next;
} link_t;

typedef struct entry {
    link_t lru;          /* first member: a link_t * on the list is its entry */
    struct entry *chain; /* next in the slot; after removal, next in a to-free list */
    uint64_t hash;
    uint64_t expires_ns; /* 0: never */
    uint64_t meta;
    size_t vlen;
    size_t size; /* malloc_usable_size(): the bytes charged to the shard */
    uint32_t klen;
    int refs;    /* atomic: 1 while in the table, +1 per get copying it */
    char data[]; /* key (klen bytes), then value (vlen bytes) */
} entry_t;

typedef struct shard {
    pthread_mutex_t mu;
    entry_t **slots;
    size_t mask; /* slots - 1; the slot count is a power of two */
    size_t entries, bytes;
    link_t lru; /* sentinel: lru.next is the most recently used entry */
    uint64_t hits, misses, sets, evictions, expirations, deletes;
} __attribute__((aligned(64))) shard_t;

struct l1 {
    shard_t *shards;
    int nshards;
    size_t share; /* max_bytes / nshards: the bound of each shard */
    uint64_t (*now_ns)(void *ud);
    void *clock_ud;
    char *label;    /* the level label of the metrics, or NULL */
    int registered; /* among the caches whose metrics are exported */
};

static void unregister_metrics(l1_t *c);

static uint64_t mono_now(void *ud)
{
    (void)ud;
    return clock_mono_ns();
}

static shard_t *shard_for(const l1_t *c, uint64_t hash)
{
    /* The high 32 bits scaled onto [0, nshards): no division, any shard count. */
    return &c->shards[((hash >> 32) * (uint64_t)c->nshards) >> 32];
}

static int is_expired(const entry_t *e, uint64_t now)
{
    return e->expires_ns != 0 && now >= e->expires_ns;
}

/* The link that points at key's entry in its slot (*result NULL when absent). Lock held. */
static entry_t **find(shard_t *s, uint64_t hash, const char *key, size_t klen)
{
    entry_t **pp = &s->slots[hash & s->mask];
    while (*pp != NULL) {
        entry_t *e = *pp;
        if (e->hash == hash && e->klen == klen && memcmp(e->data, key, klen) == 0)
            break;
        pp = &e->chain;
    }
    return pp;
}

static void lru_remove(entry_t *e)
{
    e->lru.prev->next = e->lru.next;
    e->lru.next->prev = e->lru.prev;
}

static void lru_push_front(shard_t *s, entry_t *e)
{
    e->lru.prev = &s->lru;
    e->lru.next = s->lru.next;
    s->lru.next->prev = &e->lru;
    s->lru.next = &e->lru;
}

/*
 * Takes e (found at *pp) out of the table and the LRU list and pushes it on
 * *garbage, to be released once the lock is dropped. Lock held.
 */
static void detach(shard_t *s, entry_t **pp, entry_t *e, entry_t **garbage)
{
    *pp = e->chain;
    lru_remove(e);
    s->entries--;
    s->bytes -= e->size;
    e->chain = *garbage;
    *garbage = e;
}

/* As detach() for an entry reached through the LRU list rather than by key. Lock held. */
static void detach_entry(shard_t *s, entry_t *e, entry_t **garbage)
{
    entry_t **pp = &s->slots[e->hash & s->mask];
    while (*pp != e)
        pp = &(*pp)->chain;
    detach(s, pp, e, garbage);
}

/* Drops one reference; the last one frees the entry. */
static void release(entry_t *e)
{
    if (__atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(e);
}

/* Releases every entry of a to-free list. Called without the lock. */
static void release_all(entry_t *garbage)
{
    while (garbage != NULL) {
        entry_t *next = garbage->chain;
        release(garbage);
        garbage = next;
    }
}

/* Grows the slot array of s to nslots, unless another thread has already grown it. */
static void grow(shard_t *s, size_t nslots)
{
    entry_t **slots = calloc(nslots, sizeof(*slots));
    if (slots == NULL)
        return; /* longer chains, still correct */
    pthread_mutex_lock(&s->mu);
    entry_t **old = slots;
    if (s->mask + 1 < nslots) {
        for (link_t *l = s->lru.next; l != &s->lru; l = l->next) {
            entry_t *e = (entry_t *)l;
            entry_t **slot = &slots[e->hash & (nslots - 1)];
            e->chain = *slot;
            *slot = e;
        }
        old = s->slots;
        s->slots = slots;
        s->mask = nslots - 1;
    }
    pthread_mutex_unlock(&s->mu);
    free(old);
}

static uint64_t now_ns(const l1_t *c)
{
    return c->now_ns(c->clock_ud);
}

l1_t *l1_create(size_t max_bytes, int nshards)
{
    if (nshards == 0)
        nshards = DEFAULT_SHARDS;
    if (nshards < 0 || nshards > MAX_SHARDS || max_bytes / (size_t)nshards < sizeof(entry_t) + 16)
        return NULL;
    l1_t *c = xcalloc(1, sizeof(*c));
    c->nshards = nshards;
    c->share = max_bytes / (size_t)nshards;
    c->now_ns = mono_now;
    void *mem = NULL;
    if (posix_memalign(&mem, 64, sizeof(shard_t) * (size_t)nshards) != 0)
        erp_oom();
    c->shards = mem;
    memset(c->shards, 0, sizeof(shard_t) * (size_t)nshards);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    /* Spins briefly before sleeping: critical sections are a lookup and a list move. */
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
    for (int i = 0; i < nshards; i++) {
        shard_t *s = &c->shards[i];
        pthread_mutex_init(&s->mu, &attr);
        s->slots = xcalloc(INITIAL_SLOTS, sizeof(*s->slots));
        s->mask = INITIAL_SLOTS - 1;
        s->lru.next = s->lru.prev = &s->lru;
    }
    pthread_mutexattr_destroy(&attr);
    return c;
}

void l1_destroy(l1_t *c)
{
    if (c == NULL)
        return;
    if (c->registered)
        unregister_metrics(c);
    l1_clear(c);
    for (int i = 0; i < c->nshards; i++) {
        pthread_mutex_destroy(&c->shards[i].mu);
        free(c->shards[i].slots);
    }
    free(c->shards);
    free(c->label);
    free(c);
}

int l1_get(l1_t *c, const char *key, size_t klen, arena_t *a, const char **val, size_t *len, uint64_t *meta)
{
    uint64_t hash = cache_hash(key, klen);
    shard_t *s = shard_for(c, hash);
    uint64_t now = now_ns(c);
    entry_t *hit = NULL, *garbage = NULL;

    pthread_mutex_lock(&s->mu);
    entry_t **pp = find(s, hash, key, klen);
    entry_t *e = *pp;
    if (e != NULL && is_expired(e, now)) {
        detach(s, pp, e, &garbage);
        s->expirations++;
    } else if (e != NULL) {
        lru_remove(e);
        lru_push_front(s, e);
        __atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED); /* pinned: the copy is made unlocked */
        hit = e;
    }
    if (hit != NULL)
        s->hits++;
    else
        s->misses++;
    pthread_mutex_unlock(&s->mu);

    release_all(garbage);
    if (hit == NULL)
        return 0;
    char *p = arena_alloc(a, hit->vlen + 1);
    memcpy(p, hit->data + hit->klen, hit->vlen);
    p[hit->vlen] = '\0';
    *val = p;
    *len = hit->vlen;
    if (meta != NULL)
        *meta = hit->meta;
    release(hit);
    return 1;
}

/* A new entry for key → val, or NULL if it cannot be allocated or would exceed a shard's share. */
static entry_t *entry_new(const l1_t *c, uint64_t hash, const char *key, size_t klen, const void *val, size_t len)
{
    if (klen > UINT32_MAX || klen > c->share || len > c->share - klen)
        return NULL; /* also rules out overflow in the size below */
    size_t need = sizeof(entry_t) + klen + len;
    if (need > c->share)
        return NULL;
    entry_t *e = malloc(need);
    if (e == NULL)
        return NULL;
    e->size = malloc_usable_size(e);
    if (e->size > c->share) {
        free(e);
        return NULL;
    }
    e->hash = hash;
    e->klen = (uint32_t)klen;
    e->vlen = len;
    e->refs = 1;
    e->chain = NULL;
    memcpy(e->data, key, klen);
    if (len > 0)
        memcpy(e->data + klen, val, len);
    return e;
}

int l1_set(l1_t *c, const char *key, size_t klen, const void *val, size_t len, uint64_t meta, uint32_t ttl_ms)
{
    uint64_t hash = cache_hash(key, klen);
    shard_t *s = shard_for(c, hash);
    uint64_t now = now_ns(c);
    entry_t *e = entry_new(c, hash, key, klen, val, len);
    if (e != NULL) {
        e->meta = meta;
        e->expires_ns = ttl_ms == 0 ? 0 : now + (uint64_t)ttl_ms * 1000000u;
    }
    entry_t *garbage = NULL;
    size_t grow_to = 0;

    pthread_mutex_lock(&s->mu);
    entry_t **pp = find(s, hash, key, klen);
    if (*pp != NULL)
        detach(s, pp, *pp, &garbage); /* replaced, or removed if the new one cannot be stored */
    if (e != NULL) {
        while (s->bytes + e->size > c->share) {
            entry_t *victim = (entry_t *)s->lru.prev;
            if (is_expired(victim, now))
                s->expirations++;
            else
                s->evictions++;
            detach_entry(s, victim, &garbage);
        }
        entry_t **slot = &s->slots[hash & s->mask];
        e->chain = *slot;
        *slot = e;
        lru_push_front(s, e);
        s->entries++;
        s->bytes += e->size;
        s->sets++;
        if (s->entries > s->mask + 1)
            grow_to = (s->mask + 1) * 2;
    }
    pthread_mutex_unlock(&s->mu);

    release_all(garbage);
    if (grow_to != 0)
        grow(s, grow_to);
    return e != NULL;
}

int l1_delete(l1_t *c, const char *key, size_t klen)
{
    uint64_t hash = cache_hash(key, klen);
    shard_t *s = shard_for(c, hash);
    entry_t *garbage = NULL;

    pthread_mutex_lock(&s->mu);
    entry_t **pp = find(s, hash, key, klen);
    if (*pp != NULL) {
        detach(s, pp, *pp, &garbage);
        s->deletes++;
    }
    pthread_mutex_unlock(&s->mu);

    release_all(garbage);
    return garbage != NULL;
}

size_t l1_delete_prefix(l1_t *c, const char *prefix, size_t plen)
{
    size_t removed = 0;
    for (int i = 0; i < c->nshards; i++) {
        shard_t *s = &c->shards[i];
        entry_t *garbage = NULL;
        pthread_mutex_lock(&s->mu);
        for (link_t *l = s->lru.next, *next; l != &s->lru; l = next) {
            next = l->next;
            entry_t *e = (entry_t *)l;
            if (plen == 0 || (e->klen >= plen && memcmp(e->data, prefix, plen) == 0)) {
                detach_entry(s, e, &garbage);
                s->deletes++;
                removed++;
            }
        }
        pthread_mutex_unlock(&s->mu);
        release_all(garbage);
    }
    return removed;
}

void l1_clear(l1_t *c)
{
    for (int i = 0; i < c->nshards; i++) {
        shard_t *s = &c->shards[i];
        entry_t *garbage = NULL;
        pthread_mutex_lock(&s->mu);
        for (link_t *l = s->lru.next; l != &s->lru; l = l->next) {
            entry_t *e = (entry_t *)l;
            e->chain = garbage;
            garbage = e;
        }
        memset(s->slots, 0, (s->mask + 1) * sizeof(*s->slots));
        s->lru.next = s->lru.prev = &s->lru;
        s->entries = 0;
        s->bytes = 0;
        pthread_mutex_unlock(&s->mu);
        release_all(garbage);
    }
}

void l1_stats(l1_t *c, l1_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < c->nshards; i++) {
        shard_t *s = &c->shards[i];
        pthread_mutex_lock(&s->mu);
        out->hits += s->hits;
        out->misses += s->misses;
        out->sets += s->sets;
        out->evictions += s->evictions;
        out->expirations += s->expirations;
        out->deletes += s->deletes;
        out->bytes += s->bytes;
        out->entries += s->entries;
        pthread_mutex_unlock(&s->mu);
    }
}

/*
 * The caches whose metrics are exported. One collector prints them all, so
 * each family's HELP and TYPE lines appear once, followed by one sample per
 * cache (told apart by their level label). Changed only at start-up and
 * shut-down, when no render runs (the metrics_register contract).
 */
enum { MAX_REGISTERED = 8 };
static l1_t *registered[MAX_REGISTERED];
static int nregistered;

static void collect(sbuf_t *out, void *ud)
{
    static const struct {
        const char *name, *type, *help;
    } families[] = {
        {"school_erp_cache_l1_bytes", "gauge", "Bytes held by the in-process cache (entry headers, keys and values)."},
        {"school_erp_cache_l1_entries", "gauge", "Entries held by the in-process cache."},
        {"school_erp_cache_l1_evictions_total", "counter", "Entries the in-process cache evicted to make room."},
    };
    enum { NFAMILIES = sizeof(families) / sizeof(families[0]) };
    (void)ud;
    uint64_t values[MAX_REGISTERED][NFAMILIES];
    for (int i = 0; i < nregistered; i++) {
        l1_stats_t st;
        l1_stats(registered[i], &st);
        values[i][0] = st.bytes;
        values[i][1] = st.entries;
        values[i][2] = st.evictions;
    }
    for (int f = 0; f < NFAMILIES; f++) {
        metrics_family(out, families[f].name, families[f].type, families[f].help);
        for (int i = 0; i < nregistered; i++) {
            sbuf_puts(out, families[f].name);
            if (registered[i]->label != NULL) {
                sbuf_puts(out, "{level=\"");
                metrics_label_value(out, registered[i]->label);
                sbuf_puts(out, "\"}");
            }
            sbuf_printf(out, " %llu\n", (unsigned long long)values[i][f]);
        }
    }
}

/* Takes c off the exported caches; the last one out unregisters the collector. */
static void unregister_metrics(l1_t *c)
{
    for (int i = 0; i < nregistered; i++) {
        if (registered[i] == c) {
            memmove(&registered[i], &registered[i + 1], sizeof(registered[0]) * (size_t)(nregistered - i - 1));
            if (--nregistered == 0)
                metrics_unregister(collect, NULL);
            break;
        }
    }
    c->registered = 0;
}

void l1_register_metrics(l1_t *c, const char *level_label)
{
    free(c->label);
    c->label = level_label != NULL ? xstrdup(level_label) : NULL;
    if (c->registered || nregistered == MAX_REGISTERED)
        return;
    if (nregistered == 0)
        metrics_register(collect, NULL);
    registered[nregistered++] = c;
    c->registered = 1;
}

void l1_set_clock(l1_t *c, uint64_t (*now)(void *ud), void *ud)
{
    c->now_ns = now != NULL ? now : mono_now;
    c->clock_ud = now != NULL ? ud : NULL;
}
