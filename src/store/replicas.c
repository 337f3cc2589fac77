/*
 * replicas.c - what the store knows about its read replicas, and which WAL
 * position each user's reads must see.
 *
 * A monitor thread samples, every SAMPLE_MS, the primary's flushed WAL position
 * and each replica's replayed position. A replica is "fresh" when it has
 * replayed everything the primary had flushed ERP_REPLICA_MAX_LAG_MS ago; a
 * replica that is down or not fresh gets no reads. Writers record the
 * primary's WAL position after their commit under their actor key; a read for
 * that actor may use a replica only once the replica has replayed past it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/store_int.h"

#define SAMPLE_MS 100
#define HISTORY 512 /* samples kept: 51 s at 100 ms */
#define RW_BUCKETS 4096

typedef struct sample {
    uint64_t at_ns;
    uint64_t lsn;
} sample_t;

typedef struct rw_entry {
    char *actor;
    uint64_t lsn;
    uint64_t expires_ns;
    struct rw_entry *next;
} rw_entry_t;

struct replicas {
    pthread_t tid;
    int stop;
    char *primary_url;
    int n;
    replica_state_t *state;
    int max_lag_ms;
    pthread_mutex_t mu; /* guards history and the write registry */
    sample_t history[HISTORY];
    int nhist, head;
    rw_entry_t *rw[RW_BUCKETS];
    int rw_count;
    uint64_t rw_ttl_ns;
};

uint64_t lsn_parse(const char *text)
{
    if (text == NULL)
        return 0;
    char *end;
    unsigned long long hi = strtoull(text, &end, 16);
    if (*end != '/')
        return 0;
    unsigned long long lo = strtoull(end + 1, &end, 16);
    if (*end != '\0')
        return 0;
    return ((uint64_t)hi << 32) | (uint64_t)lo;
}

static stmt_t Q_PRIMARY_LSN = STMT("monitor.primary_lsn", 0, "SELECT pg_current_wal_flush_lsn()::text");
static stmt_t Q_REPLAY_LSN = STMT("monitor.replay_lsn", STMT_READ, "SELECT pg_last_wal_replay_lsn()::text");

/* The primary position sampled at or before t (the oldest one if none is that old); 0 if none. */
static uint64_t lsn_at(replicas_t *rs, uint64_t t)
{
    uint64_t lsn = 0;
    for (int k = 0; k < rs->nhist; k++) {
        const sample_t *s = &rs->history[(rs->head - 1 - k + HISTORY) % HISTORY];
        lsn = s->lsn;
        if (s->at_ns <= t)
            break;
    }
    return lsn;
}

static uint64_t query_lsn(dbconn_t **c, const char *url, stmt_t *st, int *ok)
{
    db_error_t err;
    arena_t a;
    arena_init(&a);
    uint64_t lsn = 0;
    *ok = 0;
    if (*c != NULL && !db_engine_pg.healthy(*c)) {
        db_engine_pg.disconnect(*c);
        *c = NULL;
    }
    if (*c == NULL)
        *c = db_engine_pg.connect(url, &err);
    if (*c != NULL) {
        db_result_t res;
        if (db_engine_pg.exec(*c, st, NULL, 0, &a, &res, &err) == 0 && res.nrows == 1) {
            lsn = lsn_parse(db_get(&res, 0, 0));
            *ok = 1;
        } else {
            db_engine_pg.disconnect(*c);
            *c = NULL;
        }
    }
    arena_destroy(&a);
    return lsn;
}

static void *monitor(void *arg)
{
    replicas_t *rs = arg;
    dbconn_t *primary = NULL;
    dbconn_t **conns = xcalloc((size_t)rs->n, sizeof(dbconn_t *));
    while (!__atomic_load_n(&rs->stop, __ATOMIC_ACQUIRE)) {
        int ok;
        uint64_t now = clock_mono_ns();
        uint64_t plsn = query_lsn(&primary, rs->primary_url, &Q_PRIMARY_LSN, &ok);
        pthread_mutex_lock(&rs->mu);
        if (ok) {
            rs->history[rs->head] = (sample_t){now, plsn};
            rs->head = (rs->head + 1) % HISTORY;
            if (rs->nhist < HISTORY)
                rs->nhist++;
        }
        uint64_t need = lsn_at(rs, now - (uint64_t)rs->max_lag_ms * 1000000u);
        pthread_mutex_unlock(&rs->mu);
        for (int i = 0; i < rs->n; i++) {
            replica_state_t *r = &rs->state[i];
            uint64_t replay = query_lsn(&conns[i], r->url, &Q_REPLAY_LSN, &ok);
            int was_up = __atomic_load_n(&r->up, __ATOMIC_RELAXED);
            int was_fresh = __atomic_load_n(&r->fresh, __ATOMIC_RELAXED);
            int fresh = ok && replay >= need;
            if (ok)
                __atomic_store_n(&r->replay_lsn, replay, __ATOMIC_RELEASE);
            __atomic_store_n(&r->up, ok, __ATOMIC_RELEASE);
            __atomic_store_n(&r->fresh, fresh, __ATOMIC_RELEASE);
            if (ok != was_up)
                log_at(ok ? LOG_INFO : LOG_WARN, ok ? "replica up" : "replica down", "replica %d", i);
            else if (ok && fresh != was_fresh)
                log_at(fresh ? LOG_INFO : LOG_WARN, fresh ? "replica caught up" : "replica lagging",
                       "replica %d replayed %llX, needs %llX", i, (unsigned long long)replay,
                       (unsigned long long)need);
        }
        struct timespec ts = {0, SAMPLE_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    db_engine_pg.disconnect(primary);
    for (int i = 0; i < rs->n; i++)
        db_engine_pg.disconnect(conns[i]);
    free(conns);
    return NULL;
}

replicas_t *replicas_start(const char *primary_url, char *const *urls, int n, int max_lag_ms)
{
    replicas_t *rs = xcalloc(1, sizeof(*rs));
    rs->primary_url = xstrdup(primary_url);
    rs->n = n;
    rs->max_lag_ms = max_lag_ms;
    rs->state = xcalloc((size_t)n, sizeof(replica_state_t));
    for (int i = 0; i < n; i++)
        rs->state[i].url = xstrdup(urls[i]);
    uint64_t ttl_ms = (uint64_t)max_lag_ms * 2 + 10000;
    rs->rw_ttl_ns = ttl_ms * 1000000u;
    pthread_mutex_init(&rs->mu, NULL);
    if (pthread_create(&rs->tid, NULL, monitor, rs) != 0) {
        log_error("cannot start the replica monitor", NULL);
        rs->tid = 0;
    }
    return rs;
}

void replicas_stop(replicas_t *rs)
{
    if (rs == NULL)
        return;
    __atomic_store_n(&rs->stop, 1, __ATOMIC_RELEASE);
    if (rs->tid)
        pthread_join(rs->tid, NULL);
    for (int b = 0; b < RW_BUCKETS; b++) {
        rw_entry_t *e = rs->rw[b];
        while (e != NULL) {
            rw_entry_t *next = e->next;
            free(e->actor);
            free(e);
            e = next;
        }
    }
    for (int i = 0; i < rs->n; i++)
        free(rs->state[i].url);
    free(rs->state);
    free(rs->primary_url);
    pthread_mutex_destroy(&rs->mu);
    free(rs);
}

int replicas_count(const replicas_t *rs)
{
    return rs != NULL ? rs->n : 0;
}

replica_state_t *replicas_get(replicas_t *rs, int i)
{
    return &rs->state[i];
}

static unsigned hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Drops expired entries of one bucket; called with the lock held. */
static void expire_bucket(replicas_t *rs, int b, uint64_t now)
{
    rw_entry_t **pp = &rs->rw[b];
    while (*pp != NULL) {
        rw_entry_t *e = *pp;
        if (e->expires_ns <= now) {
            *pp = e->next;
            free(e->actor);
            free(e);
            rs->rw_count--;
        } else {
            pp = &e->next;
        }
    }
}

void replicas_note_write(replicas_t *rs, const char *actor, uint64_t lsn)
{
    if (rs == NULL || actor == NULL)
        return;
    uint64_t now = clock_mono_ns();
    int b = (int)(hash(actor) % RW_BUCKETS);
    pthread_mutex_lock(&rs->mu);
    expire_bucket(rs, b, now);
    rw_entry_t *e = rs->rw[b];
    while (e != NULL && strcmp(e->actor, actor) != 0)
        e = e->next;
    if (e == NULL) {
        e = xcalloc(1, sizeof(*e));
        e->actor = xstrdup(actor);
        e->next = rs->rw[b];
        rs->rw[b] = e;
        rs->rw_count++;
    }
    if (lsn > e->lsn)
        e->lsn = lsn;
    e->expires_ns = now + rs->rw_ttl_ns;
    pthread_mutex_unlock(&rs->mu);
}

uint64_t replicas_required_lsn(replicas_t *rs, const char *actor)
{
    if (rs == NULL || actor == NULL)
        return 0;
    uint64_t now = clock_mono_ns(), lsn = 0;
    int b = (int)(hash(actor) % RW_BUCKETS);
    pthread_mutex_lock(&rs->mu);
    for (rw_entry_t *e = rs->rw[b]; e != NULL; e = e->next) {
        if (strcmp(e->actor, actor) == 0) {
            if (e->expires_ns > now)
                lsn = e->lsn;
            break;
        }
    }
    pthread_mutex_unlock(&rs->mu);
    return lsn;
}
