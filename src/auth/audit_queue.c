#include "auth/audit_queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/sbuf.h"
#include "obs/metrics.h"
#include "shard/shard.h"

enum { F_TENANT, F_ACTOR, F_ACTION, F_OUTCOME, F_SUBJECT_TYPE, F_SUBJECT_ID, F_REQUEST_ID, F_REMOTE, F_DETAIL, F_N };
static const char *const field_names[F_N] = {"tenant_id",  "actor_id",   "action",      "outcome", "subject_type",
                                             "subject_id", "request_id", "remote_addr", "detail"};

/* One queued event: fixed fields and its strings in one allocation. */
typedef struct qev {
    int64_t at;
    unsigned roles;
    char id[UUID_STR_LEN + 1];
    const char *f[F_N];
    char data[];
} qev_t;

static const hist_spec_t HIST_BATCH = {
    .n = 9, .bounds = {1, 2, 5, 10, 25, 50, 100, 250, 500}, .unit = 1};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t not_full, wake, written;
    pthread_t tid;
    int started, stopping;
    store_t *store;
    qev_t **ring;
    int cap, head, count;
    uint64_t enqueued, done; /* events ever enqueued, and written (or given up) in order */
    int sync_wanted;
    uint64_t flushed, failures, waits, abandoned;
    hist_t batch, latency;
} q = {.mu = PTHREAD_MUTEX_INITIALIZER,
       .not_full = PTHREAD_COND_INITIALIZER,
       .wake = PTHREAD_COND_INITIALIZER,
       .written = PTHREAD_COND_INITIALIZER};

static qev_t *event_copy(const req_t *r, const audit_event_t *e)
{
    const char *src[F_N] = {e->tenant_id,
                            e->actor_id,
                            e->action,
                            e->outcome != NULL ? e->outcome : "ok",
                            e->subject_type,
                            e->subject_id,
                            r != NULL ? r->request_id : NULL,
                            r != NULL && r->remote_addr[0] != '\0' ? r->remote_addr : NULL,
                            e->detail};
    size_t len[F_N], total = 0;
    for (int i = 0; i < F_N; i++) {
        len[i] = src[i] != NULL ? strlen(src[i]) + 1 : 0;
        total += len[i];
    }
    qev_t *ev = xmalloc(sizeof(*ev) + total);
    ev->at = (int64_t)clock_wall_ms();
    ev->roles = e->actor_roles;
    ids_uuid7(ev->id);
    char *p = ev->data;
    for (int i = 0; i < F_N; i++) {
        ev->f[i] = NULL;
        if (src[i] != NULL) {
            memcpy(p, src[i], len[i]);
            ev->f[i] = p;
            p += len[i];
        }
    }
    return ev;
}

/*
 * The rows of ring[head .. head+n) as a JSON array, written straight into b
 * (no document tree: this runs for every read of the school). Text that is
 * not UTF-8 (a raw path parameter) is escaped to U+FFFD.
 */
static void batch_json(sbuf_t *b, int head, int n)
{
    sbuf_putc(b, '[');
    for (int k = 0; k < n; k++) {
        const qev_t *ev = q.ring[(head + k) % q.cap];
        sbuf_printf(b, "%s{\"id\":\"%s\",\"at\":%lld,\"actor_roles\":%u", k > 0 ? "," : "", ev->id,
                    (long long)ev->at, ev->roles);
        for (int i = 0; i < F_N; i++) {
            sbuf_printf(b, ",\"%s\":", field_names[i]);
            if (ev->f[i] == NULL)
                sbuf_puts(b, "null");
            else
                sbuf_json_str(b, ev->f[i], strlen(ev->f[i]));
        }
        sbuf_putc(b, '}');
    }
    sbuf_putc(b, ']');
}

/* A field of a COPY line after its tab (the first has none): \N for null. */
static void copy_field(sbuf_t *b, const char *v, int first)
{
    if (!first)
        sbuf_putc(b, '\t');
    if (v == NULL)
        sbuf_puts(b, "\\N");
    else
        sbuf_copy_text(b, v, strlen(v));
}

/* The same rows in COPY text format, the columns in AUDIT_COLS order (audit_insert_copy()). */
static void batch_copy(sbuf_t *b, int head, int n)
{
    for (int k = 0; k < n; k++) {
        const qev_t *ev = q.ring[(head + k) % q.cap];
        copy_field(b, ev->f[F_TENANT], 1);
        sbuf_printf(b, "\t%s\t%lld", ev->id, (long long)ev->at);
        copy_field(b, ev->f[F_ACTOR], 0);
        sbuf_printf(b, "\t%u", ev->roles);
        for (int i = F_ACTION; i < F_N; i++)
            copy_field(b, ev->f[i], 0);
        sbuf_putc(b, '\n');
    }
}

static int write_batch(db_t *db, int head, int n)
{
    sbuf_t rows;
    sbuf_init(&rows, NULL, 256 * (size_t)n);
    int copy = db_can_copy(db);
    if (copy)
        batch_copy(&rows, head, n);
    else
        batch_json(&rows, head, n);
    sbuf_putc(&rows, '\0');
    arena_t a;
    arena_init(&a);
    uint64_t t0 = clock_mono_ns();
    int rc = copy ? audit_insert_copy(db, rows.p, rows.len - 1) : audit_insert_json(db, rows.p, &a);
    hist_observe(&q.latency, &HIST_SECONDS, clock_mono_ns() - t0);
    arena_destroy(&a);
    sbuf_free(&rows);
    return rc;
}

static void deadline_in(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/*
 * With ERP_SHARDS, events go to their school's shard: the batch ends before the first event of another shard
 * than its first one's (order and retries stay as they are); *db is that shard's session. The events to
 * write, or -1 when the directory cannot be read (db_error(catalog)).
 */
static int same_shard(shard_sessions_t *ss, db_t *catalog, int head, int n, db_t **db)
{
    *db = catalog;
    if (ss == NULL)
        return n;
    const char *tenant = q.ring[head % q.cap]->f[F_TENANT];
    int first = shard_of(catalog, tenant);
    if (first < 0)
        return -1;
    int k = 1;
    for (; k < n; k++) {
        const char *next = q.ring[(head + k) % q.cap]->f[F_TENANT];
        if (strcmp(next, tenant) != 0 && shard_of(catalog, next) != first)
            break; /* (the same school as the first: no lookup) */
    }
    *db = shard_sessions_get(ss, first);
    return k;
}

static void *flusher(void *arg)
{
    (void)arg;
    db_t *catalog = store_session(q.store), *db = catalog;
    shard_sessions_t *ss = shard_sessions_new(catalog);
    int backoff_ms = 0;
    pthread_mutex_lock(&q.mu);
    for (;;) {
        struct timespec ts;
        if (backoff_ms > 0) { /* after a failure: wait out the backoff, whatever wakes the thread */
            deadline_in(&ts, backoff_ms);
            while (!(q.stopping && q.sync_wanted < 0) && pthread_cond_timedwait(&q.wake, &q.mu, &ts) != ETIMEDOUT)
                ;
        } else if (q.count < AUDIT_BATCH_MAX && !q.stopping && !q.sync_wanted) {
            deadline_in(&ts, AUDIT_FLUSH_MS);
            pthread_cond_timedwait(&q.wake, &q.mu, &ts);
        }
        if (q.count == 0) {
            q.sync_wanted = 0;
            if (q.stopping)
                break;
            continue;
        }
        int head = q.head, n = q.count < AUDIT_BATCH_MAX ? q.count : AUDIT_BATCH_MAX;
        pthread_mutex_unlock(&q.mu);
        /* the events stay in the ring while they are written: producers only append behind them */
        n = same_shard(ss, catalog, head, n, &db);
        int rc = n < 0 ? -1 : write_batch(db, head, n);
        pthread_mutex_lock(&q.mu);
        if (rc != 0) {
            q.failures++;
            if (backoff_ms == 0)
                log_warn("audit write failed; retrying", "%d events waiting: %s", q.count, db_error(db)->message);
            backoff_ms = backoff_ms == 0 ? 50 : backoff_ms * 2 > 2000 ? 2000 : backoff_ms * 2;
            if (q.stopping && q.sync_wanted < 0)
                break; /* the stop's time is over */
            continue;
        }
        if (backoff_ms > 0)
            log_info("audit writes recovered", "%d events waiting", q.count);
        backoff_ms = 0;
        for (int k = 0; k < n; k++)
            free(q.ring[(head + k) % q.cap]);
        q.head = (head + n) % q.cap;
        q.count -= n;
        q.done += (uint64_t)n;
        q.flushed += (uint64_t)n;
        hist_observe(&q.batch, &HIST_BATCH, (uint64_t)n);
        pthread_cond_broadcast(&q.not_full);
        pthread_cond_broadcast(&q.written);
    }
    pthread_mutex_unlock(&q.mu);
    shard_sessions_free(ss);
    db_close(catalog);
    return NULL;
}

static void collect(sbuf_t *out, void *ud)
{
    (void)ud;
    pthread_mutex_lock(&q.mu);
    int depth = q.count, cap = q.cap;
    uint64_t flushed = q.flushed, failures = q.failures, waits = q.waits, enq = q.enqueued;
    hist_t batch = q.batch, latency = q.latency;
    pthread_mutex_unlock(&q.mu);
    metrics_family(out, "school_erp_audit_queue_events", "gauge", "Read events waiting to be written to the audit trail.");
    sbuf_printf(out, "school_erp_audit_queue_events %d\n", depth);
    metrics_family(out, "school_erp_audit_queue_capacity", "gauge", "Read events the audit buffer holds (ERP_AUDIT_BUFFER).");
    sbuf_printf(out, "school_erp_audit_queue_capacity %d\n", cap);
    metrics_family(out, "school_erp_audit_events_queued_total", "counter", "Read events put into the audit buffer.");
    sbuf_printf(out, "school_erp_audit_events_queued_total %llu\n", (unsigned long long)enq);
    metrics_family(out, "school_erp_audit_events_flushed_total", "counter", "Read events written to the audit trail.");
    sbuf_printf(out, "school_erp_audit_events_flushed_total %llu\n", (unsigned long long)flushed);
    metrics_family(out, "school_erp_audit_flush_failures_total", "counter",
                   "Audit batches that failed to be written (and were retried).");
    sbuf_printf(out, "school_erp_audit_flush_failures_total %llu\n", (unsigned long long)failures);
    metrics_family(out, "school_erp_audit_backpressure_waits_total", "counter",
                   "Requests that waited for room in a full audit buffer.");
    sbuf_printf(out, "school_erp_audit_backpressure_waits_total %llu\n", (unsigned long long)waits);
    metrics_family(out, "school_erp_audit_flush_batch_events", "histogram", "Events per audit batch written.");
    hist_render(out, "school_erp_audit_flush_batch_events", "", &batch, &HIST_BATCH);
    metrics_family(out, "school_erp_audit_flush_duration_seconds", "histogram", "Time to write one audit batch.");
    hist_render(out, "school_erp_audit_flush_duration_seconds", "", &latency, &HIST_SECONDS);
}

int audit_queue_start(store_t *store, int capacity)
{
    if (q.started || capacity < 1)
        return -1;
    q.store = store;
    q.cap = capacity;
    q.ring = xcalloc((size_t)capacity, sizeof(*q.ring));
    q.head = q.count = 0;
    q.stopping = 0;
    if (pthread_create(&q.tid, NULL, flusher, NULL) != 0) {
        free(q.ring);
        q.ring = NULL;
        return -1;
    }
    q.started = 1;
    metrics_register(collect, NULL);
    return 0;
}

void audit_queue_stop(int timeout_ms)
{
    if (!q.started)
        return;
    pthread_mutex_lock(&q.mu);
    q.stopping = 1;
    pthread_cond_signal(&q.wake);
    pthread_mutex_unlock(&q.mu);
    struct timespec ts;
    deadline_in(&ts, timeout_ms);
    if (pthread_timedjoin_np(q.tid, NULL, &ts) != 0) {
        pthread_mutex_lock(&q.mu);
        q.sync_wanted = -1; /* tells a retrying flusher to give up (one that is writing finishes) */
        pthread_cond_signal(&q.wake);
        pthread_mutex_unlock(&q.mu);
        pthread_join(q.tid, NULL);
        if (q.count > 0)
            log_error("audit events not written at exit", "%d read events lost (the database did not take them)",
                      q.count);
    }
    metrics_unregister(collect, NULL);
    for (int k = 0; k < q.count; k++)
        free(q.ring[(q.head + k) % q.cap]);
    free(q.ring);
    q.ring = NULL;
    q.count = 0;
    q.started = 0;
}

/* Appends ev behind the events held; call with the lock held and room in the ring. */
static void push_locked(qev_t *ev)
{
    q.ring[(q.head + q.count) % q.cap] = ev;
    q.count++;
    q.enqueued++;
    if (q.count == AUDIT_BATCH_MAX)
        pthread_cond_signal(&q.wake);
}

int audit_queue_record(db_t *db, const req_t *r, const audit_event_t *e)
{
    if (!q.started)
        return audit_record(db, r, e);
    qev_t *ev = event_copy(r, e);
    pthread_mutex_lock(&q.mu);
    if (q.count == q.cap) {
        q.waits++;
        pthread_cond_signal(&q.wake);
        while (q.count == q.cap)
            pthread_cond_wait(&q.not_full, &q.mu);
    }
    push_locked(ev);
    pthread_mutex_unlock(&q.mu);
    return 0;
}

int audit_queue_try_record(const req_t *r, const audit_event_t *e)
{
    if (!q.started)
        return -1;
    qev_t *ev = event_copy(r, e);
    pthread_mutex_lock(&q.mu);
    int full = q.count == q.cap;
    if (!full)
        push_locked(ev);
    pthread_mutex_unlock(&q.mu);
    if (full)
        free(ev);
    return full ? -1 : 0;
}

int audit_queue_read(db_t *db, const req_t *r, const audit_event_t *e)
{
    return db != NULL ? audit_queue_record(db, r, e) : audit_queue_try_record(r, e);
}

int audit_queue_sync(int timeout_ms)
{
    if (!q.started)
        return 0;
    struct timespec ts;
    deadline_in(&ts, timeout_ms);
    int rc = 0;
    pthread_mutex_lock(&q.mu);
    uint64_t target = q.enqueued;
    if (q.done < target) {
        q.sync_wanted = 1;
        pthread_cond_signal(&q.wake);
    }
    while (q.done < target && rc == 0)
        if (pthread_cond_timedwait(&q.written, &q.mu, &ts) == ETIMEDOUT)
            rc = -1;
    pthread_mutex_unlock(&q.mu);
    return rc;
}
