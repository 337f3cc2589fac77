/*
 * queue.c - the queue port: options, argument checks, the choice of adapter
 * by URL, and the thin wrappers that call through the adapter's ops table;
 * plus the helpers both adapters share (queue_int.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ids.h"
#include "queue/queue_int.h"

static __thread char last_error[256];

static const char *const state_names[] = {"waiting", "delayed", "active", "completed", "failed", "cancelled"};

const char *job_state_name(job_state_t s)
{
    return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "unknown";
}

int job_state_parse(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof(state_names) / sizeof(state_names[0]); i++)
        if (strcmp(state_names[i], name) == 0)
            return (int)i;
    return -1;
}

void job_clear(job_t *j)
{
    free(j->payload);
    memset(j, 0, sizeof(*j));
}

void queue_options_default(queue_options_t *o)
{
    *o = (queue_options_t){
        .lock_ms = 30000,
        .stalled_interval_ms = 30000,
        .max_stalled = 1,
        .limiter_max = 1000,
        .limiter_window_ms = 5000,
        .keep_completed_ms = 24 * 3600 * 1000LL,
        .keep_completed = 1000,
        .keep_failed_ms = 7 * 24 * 3600 * 1000LL,
        .keep_failed = 5000,
        .default_attempts = 3,
        .default_backoff_ms = 1000,
    };
}

/* One environment variable per option: where it goes, and its least value. */
typedef struct env_option {
    const char *name;
    size_t offset;
    int is_int; /* int field, else int64_t */
    long long min;
} env_option_t;

#define OPT64(env, field, min) {env, offsetof(queue_options_t, field), 0, min}
#define OPTINT(env, field, min) {env, offsetof(queue_options_t, field), 1, min}

static const env_option_t env_options[] = {
    OPT64("ERP_QUEUE_LOCK_MS", lock_ms, 10),
    OPT64("ERP_QUEUE_STALLED_INTERVAL_MS", stalled_interval_ms, 10),
    OPTINT("ERP_QUEUE_MAX_STALLED", max_stalled, 0),
    OPTINT("ERP_QUEUE_LIMIT_MAX", limiter_max, 0),
    OPT64("ERP_QUEUE_LIMIT_WINDOW_MS", limiter_window_ms, 1),
    OPT64("ERP_QUEUE_KEEP_COMPLETED_MS", keep_completed_ms, 0),
    OPTINT("ERP_QUEUE_KEEP_COMPLETED", keep_completed, 0),
    OPT64("ERP_QUEUE_KEEP_FAILED_MS", keep_failed_ms, 0),
    OPTINT("ERP_QUEUE_KEEP_FAILED", keep_failed, 0),
    OPTINT("ERP_QUEUE_ATTEMPTS", default_attempts, 1),
    OPT64("ERP_QUEUE_BACKOFF_MS", default_backoff_ms, 1),
};

int queue_options_from_env(queue_options_t *o, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof(env_options) / sizeof(env_options[0]); i++) {
        const env_option_t *e = &env_options[i];
        const char *v = getenv(e->name);
        if (v == NULL || *v == '\0')
            continue;
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        long long max = e->is_int ? 1000000000LL : 365LL * 24 * 3600 * 1000;
        if (errno != 0 || *end != '\0' || n < e->min || n > max) {
            snprintf(err, errlen, "%s must be an integer from %lld to %lld, not '%s'", e->name, e->min, max, v);
            return -1;
        }
        char *field = (char *)o + e->offset;
        if (e->is_int)
            *(int *)(void *)field = (int)n;
        else
            *(int64_t *)(void *)field = n;
    }
    return 0;
}

int queue_set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof(last_error), fmt, ap);
    va_end(ap);
    return -1;
}

const char *queue_error(const queue_t *q)
{
    (void)q;
    return last_error;
}

static int name_valid(const char *s, size_t max)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n >= max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("_.:-", c) != NULL))
            return 0;
    }
    return 1;
}

int queue_base_init(queue_t *q, const queue_ops_t *ops, const char *name, const queue_options_t *o, char *err,
                    size_t errlen)
{
    if (!name_valid(name, QUEUE_NAME_MAX)) {
        snprintf(err, errlen, "queue name '%s' must be 1 to %d of A-Z a-z 0-9 _ . : -", name != NULL ? name : "",
                 QUEUE_NAME_MAX - 1);
        return -1;
    }
    memset(q, 0, sizeof(*q));
    q->ops = ops;
    snprintf(q->name, sizeof(q->name), "%s", name);
    if (o != NULL)
        q->opts = *o;
    else
        queue_options_default(&q->opts);
    return 0;
}

void queue_new_id(char id[QUEUE_ID_MAX])
{
    ids_uuid7(id);
}

void queue_new_token(char token[QUEUE_TOKEN_MAX])
{
    unsigned char raw[(QUEUE_TOKEN_MAX - 1) / 2];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(token, QUEUE_TOKEN_MAX, raw, sizeof(raw));
}

void queue_new_tokens(char (*tokens)[QUEUE_TOKEN_MAX], int n)
{
    enum { RAW = (QUEUE_TOKEN_MAX - 1) / 2 };
    unsigned char raw[QUEUE_BATCH_MAX * RAW];
    for (int done = 0; done < n; done += QUEUE_BATCH_MAX) {
        int k = n - done < QUEUE_BATCH_MAX ? n - done : QUEUE_BATCH_MAX;
        randombytes_buf(raw, (size_t)k * RAW);
        for (int i = 0; i < k; i++)
            sodium_bin2hex(tokens[done + i], QUEUE_TOKEN_MAX, raw + (size_t)i * RAW, RAW);
    }
}

double queue_rand01(void)
{
    return (double)(randombytes_random() >> 8) / (double)(1u << 24);
}

int64_t queue_backoff_ms(int64_t base, int attempts_made, double rand01)
{
    const double max_ms = 7.0 * 24 * 3600 * 1000;
    if (base < 1)
        base = 1;
    if (attempts_made < 0)
        attempts_made = 0;
    if (rand01 < 0 || rand01 >= 1 || isnan(rand01))
        rand01 = 0.5;
    double ms = ldexp((double)base, attempts_made > 40 ? 40 : attempts_made) * (0.75 + 0.5 * rand01);
    if (ms > max_ms)
        ms = max_ms;
    return ms < 1 ? 1 : (int64_t)ms;
}

int queue_spec_check(const job_spec_t *spec, const queue_options_t *o, job_spec_t *out)
{
    if (spec->tenant_id == NULL || !ids_uuid_valid(spec->tenant_id, strlen(spec->tenant_id)))
        return queue_set_error("a job's school must be a UUID");
    if (!name_valid(spec->type, QUEUE_TYPE_MAX))
        return queue_set_error("a job's type must be 1 to %d of A-Z a-z 0-9 _ . : -", QUEUE_TYPE_MAX - 1);
    if (spec->id != NULL && !name_valid(spec->id, QUEUE_ID_MAX))
        return queue_set_error("a job's id must be 1 to %d of A-Z a-z 0-9 _ . : -", QUEUE_ID_MAX - 1);
    if (spec->owner_id != NULL && strlen(spec->owner_id) >= QUEUE_TENANT_MAX)
        return queue_set_error("a job's owner id is too long");
    if (spec->delay_ms < 0 || spec->delay_ms > 365LL * 24 * 3600 * 1000)
        return queue_set_error("a job's delay must be from 0 to one year");
    if (spec->priority < -1000000 || spec->priority > 1000000)
        return queue_set_error("a job's priority must be from -1000000 to 1000000");
    if (spec->attempts < 0 || spec->attempts > 1000 || spec->backoff_ms < 0)
        return queue_set_error("a job's attempts must be from 0 to 1000 and its backoff not negative");
    *out = *spec;
    if (out->payload == NULL)
        out->payload = "{}";
    json_error_t jerr;
    json_t *p = json_loads(out->payload, JSON_REJECT_DUPLICATES, &jerr);
    int ok = p != NULL && (json_is_object(p) || json_is_array(p));
    json_decref(p);
    if (!ok)
        return queue_set_error("a job's payload must be a JSON object or array");
    if (out->attempts == 0)
        out->attempts = o->default_attempts > 0 ? o->default_attempts : 1;
    if (out->backoff_ms == 0)
        out->backoff_ms = o->default_backoff_ms;
    return 0;
}

int queue_spec_valid(const job_spec_t *spec)
{
    queue_options_t o;
    job_spec_t out;
    queue_options_default(&o);
    return queue_spec_check(spec, &o, &out);
}

/* Sets key to an RFC 3339 UTC time with milliseconds, unless ms is 0. */
static int set_time(json_t *o, const char *key, int64_t ms)
{
    if (ms <= 0)
        return 0;
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    char buf[40];
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof(buf) - n, ".%03dZ", (int)(ms % 1000));
    return json_object_set_new(o, key, json_string(buf));
}

json_t *queue_job_json(const job_view_t *v)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i}", "id", v->id, "type", v->type, "state",
                          job_state_name(v->state), "progress", v->progress, "attempts", v->attempts,
                          "attemptsMade", v->attempts_made);
    if (o == NULL)
        return NULL;
    int rc = 0;
    if (v->owner_id != NULL && v->owner_id[0] != '\0')
        rc |= json_object_set_new(o, "ownerId", json_string(v->owner_id));
    rc |= set_time(o, "createdAt", v->created_ms);
    rc |= set_time(o, "startedAt", v->started_ms);
    rc |= set_time(o, "finishedAt", v->finished_ms);
    if (v->result != NULL) {
        json_t *r = json_loads(v->result, JSON_DECODE_ANY, NULL);
        rc |= json_object_set_new(o, "result", r != NULL ? r : json_string(v->result));
    }
    if (v->error != NULL)
        rc |= json_object_set_new(o, "error", json_string(v->error));
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

queue_t *queue_open(const char *url, const char *name, const queue_options_t *o, char *err, size_t errlen)
{
    if (url != NULL && (strncmp(url, "redis://", 8) == 0 || strncmp(url, "redis+cluster://", 16) == 0)) {
        return queue_redis_open(url, name, o, err, errlen);
    }
    snprintf(err, errlen, "unknown queue URL '%s' (redis://…, redis+cluster://…; the SQL queue opens with queue_open_sql)",
             url != NULL ? url : "");
    (void)name;
    return NULL;
}

void queue_close(queue_t *q)
{
    if (q != NULL)
        q->ops->close(q);
}

const char *queue_name(const queue_t *q)
{
    return q->name;
}

const queue_options_t *queue_options(const queue_t *q)
{
    return &q->opts;
}

const char *queue_adapter(const queue_t *q)
{
    return q->ops->name;
}

static int enqueue(queue_t *q, struct db *db, const job_spec_t *spec, char id[QUEUE_ID_MAX], int *existed)
{
    job_spec_t s;
    int dummy;
    if (queue_spec_check(spec, &q->opts, &s) != 0)
        return -1;
    return q->ops->enqueue(q, db, &s, id, existed != NULL ? existed : &dummy);
}

int queue_enqueue(queue_t *q, const job_spec_t *spec, char id[QUEUE_ID_MAX], int *existed)
{
    return enqueue(q, NULL, spec, id, existed);
}

int queue_enqueue_in(queue_t *q, struct db *db, const job_spec_t *spec, char id[QUEUE_ID_MAX], int *existed)
{
    return enqueue(q, db, spec, id, existed);
}

int queue_fetch(queue_t *q, job_t *job, int64_t *wait_ms)
{
    int64_t w = 0;
    int rc = q->ops->fetch(q, job, &w);
    if (wait_ms != NULL)
        *wait_ms = w;
    return rc;
}

int queue_wait(queue_t *q, int64_t ms)
{
    if (q->ops->wait == NULL)
        return -1;
    return q->ops->wait(q, ms < 1 ? 1 : ms > 1000 ? 1000 : ms);
}

int queue_renew(queue_t *q, const job_t *job)
{
    return q->ops->renew(q, job);
}

int queue_progress(queue_t *q, const job_t *job, int pct)
{
    return q->ops->progress(q, job, pct < 0 ? 0 : pct > 100 ? 100 : pct);
}

int queue_complete(queue_t *q, const job_t *job, const char *result)
{
    return q->ops->complete(q, job, result);
}

int queue_complete_fetch(queue_t *q, const job_t *job, const char *result, job_t *next, int *fetched,
                         int64_t *wait_ms)
{
    *fetched = 0;
    *wait_ms = 0;
    if (q->ops->complete_fetch != NULL)
        return q->ops->complete_fetch(q, job, result, next, fetched, wait_ms);
    int rc = q->ops->complete(q, job, result);
    if (rc == 0)
        *fetched = q->ops->fetch(q, next, wait_ms) == 1;
    return rc;
}

int queue_finish_fetch(queue_t *q, queue_done_t *done, int ndone, job_t *next, int max, int spread, int *fetched,
                       int64_t *wait_ms)
{
    *fetched = 0;
    *wait_ms = 0;
    if (ndone < 0 || ndone > QUEUE_BATCH_MAX || max < 0 || max > QUEUE_BATCH_MAX)
        return queue_set_error("a batch holds 0 to %d jobs", QUEUE_BATCH_MAX);
    if (q->ops->finish_fetch != NULL) {
        int rc = q->ops->finish_fetch(q, done, ndone, next, max, spread < 1 ? 1 : spread, fetched, wait_ms);
        if (rc != 0)
            for (int i = 0; i < ndone; i++)
                done[i].rc = -1;
        return rc;
    }
    for (int i = 0; i < ndone; i++)
        done[i].rc = q->ops->complete(q, done[i].job, done[i].result);
    if (max > 0) {
        int rc = q->ops->fetch(q, next, wait_ms);
        *fetched = rc == 1;
        if (rc < 0)
            return -1;
    }
    return 0;
}

int queue_release(queue_t *q, const job_t *jobs, int n)
{
    if (n <= 0)
        return 0;
    if (q->ops->release == NULL || n > QUEUE_BATCH_MAX)
        return -1;
    return q->ops->release(q, jobs, n);
}

int queue_fail(queue_t *q, const job_t *job, const char *reason, bool retry)
{
    return q->ops->fail(q, job, reason != NULL ? reason : "failed", retry);
}

/* Whether tenant and id could name a job (ids are checked before they reach the database). */
static int job_key_valid(const char *tenant_id, const char *id)
{
    return tenant_id != NULL && ids_uuid_valid(tenant_id, strlen(tenant_id)) && name_valid(id, QUEUE_ID_MAX);
}

int queue_cancel(queue_t *q, const char *tenant_id, const char *id)
{
    if (!job_key_valid(tenant_id, id))
        return QUEUE_ENOTFOUND;
    return q->ops->cancel(q, tenant_id, id);
}

int queue_get(queue_t *q, const char *tenant_id, const char *id, json_t **out)
{
    *out = NULL;
    if (!job_key_valid(tenant_id, id))
        return QUEUE_ENOTFOUND;
    return q->ops->get(q, tenant_id, id, out);
}

int queue_list(queue_t *q, const char *tenant_id, const char *owner_id, const queue_cursor_t *after, int limit,
               json_t **out, queue_cursor_t *next)
{
    *out = NULL;
    memset(next, 0, sizeof(*next));
    if (tenant_id == NULL || !ids_uuid_valid(tenant_id, strlen(tenant_id)))
        return queue_set_error("a school id must be a UUID");
    if (after != NULL && after->id[0] == '\0')
        after = NULL;
    if (after != NULL && (after->key < 0 || !name_valid(after->id, QUEUE_ID_MAX))) {
        queue_set_error("not a cursor of this queue");
        return QUEUE_ECURSOR;
    }
    return q->ops->list(q, tenant_id, owner_id, after, limit < 1 ? 1 : limit > 1000 ? 1000 : limit, out, next);
}

int queue_counts(queue_t *q, long long counts[6], int64_t *oldest_wait_ms)
{
    memset(counts, 0, 6 * sizeof(counts[0]));
    *oldest_wait_ms = 0;
    return q->ops->counts(q, counts, oldest_wait_ms);
}

void queue_stats(const queue_t *q, queue_stats_t *out)
{
    out->limited = __atomic_load_n(&q->limited, __ATOMIC_RELAXED);
    out->stalled = __atomic_load_n(&q->stalled, __ATOMIC_RELAXED);
    out->retried = __atomic_load_n(&q->retried, __ATOMIC_RELAXED);
}

int queue_sweep_stalled(queue_t *q)
{
    return q->ops->sweep_stalled(q);
}

int queue_promote_delayed(queue_t *q)
{
    return q->ops->promote_delayed(q);
}

int queue_trim(queue_t *q)
{
    return q->ops->trim(q);
}
