/*
 * flight.c - single-flight per key (see flight.h).
 *
 * A key in flight is a record on its shard's list, made by the leader. Waiters
 * count themselves on the record and sleep on its condition variable. The
 * leader's flight_done() takes the record off the list (so the next caller
 * leads afresh), marks it done and wakes the waiters; the last one out of the
 * record (the leader when nobody waits, else the last waiter to wake or time
 * out) frees it.
 */
#include "cache/flight.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/hash.h"
#include "core/arena.h"

enum { DEFAULT_SHARDS = 16, MAX_SHARDS = 1024 };

typedef struct record {
    struct record *next;
    uint64_t hash;
    pthread_cond_t cv;
    int waiters; /* callers sleeping on cv */
    int done;    /* flight_done() has run; the record is off the list */
    size_t klen;
    char key[];
} record_t;

typedef struct fshard {
    pthread_mutex_t mu;
    record_t *head;
} __attribute__((aligned(64))) fshard_t;

struct flight {
    fshard_t *shards;
    int nshards;
    pthread_condattr_t cattr; /* monotonic clock for the timed waits */
    uint64_t waits;           /* atomic */
};

static fshard_t *shard_for(const flight_t *f, uint64_t hash)
{
    return &f->shards[((hash >> 32) * (uint64_t)f->nshards) >> 32];
}

/* The link pointing at key's record (*result NULL when not in flight). Lock held. */
static record_t **find(fshard_t *s, uint64_t hash, const char *key, size_t klen)
{
    record_t **pp = &s->head;
    while (*pp != NULL) {
        record_t *r = *pp;
        if (r->hash == hash && r->klen == klen && memcmp(r->key, key, klen) == 0)
            break;
        pp = &r->next;
    }
    return pp;
}

static void record_free(record_t *r)
{
    pthread_cond_destroy(&r->cv);
    free(r);
}

flight_t *flight_create(int nshards)
{
    if (nshards == 0)
        nshards = DEFAULT_SHARDS;
    if (nshards < 0 || nshards > MAX_SHARDS)
        return NULL;
    flight_t *f = xcalloc(1, sizeof(*f));
    void *mem = NULL;
    if (posix_memalign(&mem, 64, sizeof(fshard_t) * (size_t)nshards) != 0)
        erp_oom();
    f->shards = mem;
    f->nshards = nshards;
    for (int i = 0; i < nshards; i++) {
        pthread_mutex_init(&f->shards[i].mu, NULL);
        f->shards[i].head = NULL;
    }
    pthread_condattr_init(&f->cattr);
    pthread_condattr_setclock(&f->cattr, CLOCK_MONOTONIC);
    return f;
}

void flight_destroy(flight_t *f)
{
    if (f == NULL)
        return;
    for (int i = 0; i < f->nshards; i++) {
        for (record_t *r = f->shards[i].head, *next; r != NULL; r = next) {
            next = r->next;
            record_free(r);
        }
        pthread_mutex_destroy(&f->shards[i].mu);
    }
    pthread_condattr_destroy(&f->cattr);
    free(f->shards);
    free(f);
}

int flight_begin(flight_t *f, const char *key, size_t klen, uint32_t wait_ms)
{
    uint64_t hash = cache_hash(key, klen);
    fshard_t *s = shard_for(f, hash);

    pthread_mutex_lock(&s->mu);
    record_t *r = *find(s, hash, key, klen);
    if (r == NULL) {
        r = xmalloc(sizeof(*r) + klen);
        r->hash = hash;
        r->klen = klen;
        r->waiters = 0;
        r->done = 0;
        memcpy(r->key, key, klen);
        pthread_cond_init(&r->cv, &f->cattr);
        r->next = s->head;
        s->head = r;
        pthread_mutex_unlock(&s->mu);
        return 1;
    }
    __atomic_add_fetch(&f->waits, 1, __ATOMIC_RELAXED);
    if (wait_ms > 0) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += (time_t)(wait_ms / 1000);
        until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        r->waiters++;
        while (!r->done) {
            if (pthread_cond_timedwait(&r->cv, &s->mu, &until) == ETIMEDOUT)
                break;
        }
        r->waiters--;
        if (r->done && r->waiters == 0)
            record_free(r); /* the leader has gone; the last waiter out frees */
    }
    pthread_mutex_unlock(&s->mu);
    return 0;
}

void flight_done(flight_t *f, const char *key, size_t klen)
{
    uint64_t hash = cache_hash(key, klen);
    fshard_t *s = shard_for(f, hash);

    pthread_mutex_lock(&s->mu);
    record_t **pp = find(s, hash, key, klen);
    record_t *r = *pp;
    if (r != NULL) {
        *pp = r->next;
        r->done = 1;
        if (r->waiters == 0)
            record_free(r);
        else
            pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&s->mu);
}

uint64_t flight_waits(const flight_t *f)
{
    return __atomic_load_n(&f->waits, __ATOMIC_RELAXED);
}
