/*
 * redis.c - the queue port on Redis (standalone or Cluster) through the cache's
 * client (cache/redis.h): every state change is one Lua script of
 * redis_scripts.h, run with EVALSHA (the script's digest is learnt once with
 * SCRIPT LOAD) and EVAL when the node answers NOSCRIPT (a restarted server, a
 * promoted replica), which loads it there again. The key layout is in
 * src/queue/REDIS.md.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/redis.h"
#include "queue/queue_int.h"
#include "queue/redis_scripts.h"

enum { S_ENQUEUE, S_FETCH, S_RENEW, S_PROGRESS, S_COMPLETE, S_FAIL, S_CANCEL, S_STALLED, S_PROMOTE, S_TRIM,
       S_LIST, S_COUNTS, S_COMPLETE_FETCH, S_FINISH_FETCH, S_RELEASE, S_COUNT };

static const char *const script_src[S_COUNT] = {
    [S_ENQUEUE] = LUA_ENQUEUE,
    [S_FETCH] = LUA_FETCH,
    [S_RENEW] = LUA_RENEW,
    [S_PROGRESS] = LUA_PROGRESS,
    [S_COMPLETE] = LUA_COMPLETE,
    [S_FAIL] = LUA_FAIL,
    [S_CANCEL] = LUA_CANCEL,
    [S_STALLED] = LUA_STALLED,
    [S_PROMOTE] = LUA_PROMOTE,
    [S_TRIM] = LUA_TRIM,
    [S_LIST] = LUA_LIST,
    [S_COUNTS] = LUA_COUNTS,
    [S_COMPLETE_FETCH] = LUA_COMPLETE_FETCH,
    [S_FINISH_FETCH] = LUA_FINISH_FETCH,
    [S_RELEASE] = LUA_RELEASE,
};

#define PREFIX_MAX (QUEUE_NAME_MAX + 8) /* "{q:" name "}" */
#define KEY_MAX (PREFIX_MAX + QUEUE_ID_MAX + 16)
#define MAX_ARGS (8 + 5 * QUEUE_BATCH_MAX) /* queue_finish_fetch: 4 per job done, a token per job fetched */

/* Whether this thread's last fetch was held back by the limiter: then queue_wait declines (the
 * caller sleeps out the window instead of being woken by every new job). */
static __thread int last_fetch_limited;

typedef struct rqueue {
    queue_t base;
    redis_t *r;
    char prefix[PREFIX_MAX];
    pthread_mutex_t mu;    /* serialises the first writes of sha[] */
    char sha[S_COUNT][41]; /* each script's digest, valid once loaded[] says so */
    int loaded[S_COUNT];   /* atomic */
} rqueue_t;

static rqueue_t *rq_of(queue_t *q)
{
    return (rqueue_t *)q;
}

/* "{q:name}:suffix" into key. */
static void key_of(const rqueue_t *q, const char *suffix, char key[KEY_MAX])
{
    snprintf(key, KEY_MAX, "%s:%s", q->prefix, suffix);
}

/* "{q:name}:job:<id>" into key. */
static void job_key(const rqueue_t *q, const char *id, char key[KEY_MAX])
{
    snprintf(key, KEY_MAX, "%s:job:%s", q->prefix, id);
}

static int redis_failed(const rqueue_t *q, const char *what)
{
    return queue_set_error("queue %s: redis unavailable (%s)", q->base.name, what);
}

/* The digest of script s, learnt from the queue's node with SCRIPT LOAD on first use; NULL on failure. */
static const char *script_sha(rqueue_t *q, int s)
{
    if (__atomic_load_n(&q->loaded[s], __ATOMIC_ACQUIRE))
        return q->sha[s];
    const char *argv[3] = {"SCRIPT", "LOAD", script_src[s]};
    redisReply *rep;
    if (redis_command(q->r, q->prefix, 3, argv, NULL, &rep) != 0) {
        redis_failed(q, "SCRIPT LOAD");
        return NULL;
    }
    int ok = rep->type == REDIS_REPLY_STRING && rep->len == 40;
    if (ok) {
        pthread_mutex_lock(&q->mu);
        if (!q->loaded[s]) {
            memcpy(q->sha[s], rep->str, 40);
            q->sha[s][40] = '\0';
            __atomic_store_n(&q->loaded[s], 1, __ATOMIC_RELEASE);
        }
        pthread_mutex_unlock(&q->mu);
    } else {
        queue_set_error("queue %s: SCRIPT LOAD answered %.*s", q->base.name,
                        rep->type == REDIS_REPLY_ERROR ? (int)rep->len : 0, rep->str != NULL ? rep->str : "");
    }
    freeReplyObject(rep);
    return ok ? q->sha[s] : NULL;
}

/*
 * Runs script s with KEYS[1] = key and ARGV = the queue's prefix then args[0..nargs).
 * 0 with *out the reply (an error reply is turned into -1 with its message), or -1.
 */
static int run(rqueue_t *q, int s, const char *key, int nargs, const char **args, const size_t *lens,
               redisReply **out)
{
    const char *argv[MAX_ARGS + 5];
    size_t argvlen[MAX_ARGS + 5];
    *out = NULL;
    const char *sha = nargs <= MAX_ARGS ? script_sha(q, s) : NULL;
    if (sha == NULL)
        return -1;
    argv[0] = "EVALSHA";
    argv[1] = sha;
    argv[2] = "1";
    argv[3] = key;
    argv[4] = q->prefix;
    for (int i = 0; i < 5; i++)
        argvlen[i] = strlen(argv[i]);
    for (int i = 0; i < nargs; i++) {
        argv[5 + i] = args[i];
        argvlen[5 + i] = lens != NULL ? lens[i] : strlen(args[i]);
    }
    redisReply *rep;
    if (redis_command(q->r, q->prefix, 5 + nargs, argv, argvlen, &rep) != 0)
        return redis_failed(q, "EVALSHA");
    if (rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(rep);
        argv[0] = "EVAL";
        argv[1] = script_src[s];
        argvlen[0] = 4;
        argvlen[1] = strlen(script_src[s]);
        if (redis_command(q->r, q->prefix, 5 + nargs, argv, argvlen, &rep) != 0)
            return redis_failed(q, "EVAL");
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        queue_set_error("queue %s: redis: %.200s", q->base.name, rep->str);
        freeReplyObject(rep);
        return -1;
    }
    *out = rep;
    return 0;
}

/* Runs a script whose reply is one integer, into *v; 0 or -1 (with a message). */
static int run_int(rqueue_t *q, int s, const char *key, int nargs, const char **args, long long *v)
{
    redisReply *rep;
    if (run(q, s, key, nargs, args, NULL, &rep) != 0)
        return -1;
    *v = rep->integer;
    int ok = rep->type == REDIS_REPLY_INTEGER;
    freeReplyObject(rep);
    return ok ? 0 : queue_set_error("queue %s: unexpected reply from redis", q->base.name);
}

static int reply_is(const redisReply *rep, int type, size_t min_elements)
{
    return rep->type == type && (type != REDIS_REPLY_ARRAY || rep->elements >= min_elements);
}

/* An array element as a string ("" for nil); integers are not strings here. */
static const char *elem_str(const redisReply *rep, size_t i)
{
    const redisReply *e = rep->element[i];
    return e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS ? e->str : "";
}

static long long elem_int(const redisReply *rep, size_t i)
{
    const redisReply *e = rep->element[i];
    if (e->type == REDIS_REPLY_INTEGER)
        return e->integer;
    return e->type == REDIS_REPLY_STRING ? strtoll(e->str, NULL, 10) : 0;
}

/* A retention rule as script arguments: the age in ms and the count kept. */
typedef struct keep_args {
    char ms[24], n[24];
} keep_args_t;

static keep_args_t keep_args(int64_t ms, int n)
{
    keep_args_t k;
    snprintf(k.ms, sizeof(k.ms), "%" PRId64, ms);
    snprintf(k.n, sizeof(k.n), "%d", n);
    return k;
}

static void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
}

/* ---- enqueue, fetch and the worker's calls ---- */

static int rq_enqueue(queue_t *base, struct db *db, const job_spec_t *spec, char id[QUEUE_ID_MAX], int *existed)
{
    rqueue_t *q = rq_of(base);
    (void)db; /* no transaction spans Redis and the database: enqueued at once (queue.h) */
    if (spec->id != NULL)
        copy_str(id, QUEUE_ID_MAX, spec->id);
    else
        queue_new_id(id);
    char key[KEY_MAX], delay[24], prio[24], attempts[24], backoff[24];
    job_key(q, id, key);
    snprintf(delay, sizeof(delay), "%" PRId64, spec->delay_ms);
    snprintf(prio, sizeof(prio), "%d", spec->priority);
    snprintf(attempts, sizeof(attempts), "%d", spec->attempts);
    snprintf(backoff, sizeof(backoff), "%" PRId64, spec->backoff_ms);
    const char *args[] = {id,    spec->tenant_id, spec->owner_id != NULL ? spec->owner_id : "", spec->type, spec->payload,
                          delay, prio,            attempts,                                     backoff};
    redisReply *rep;
    if (run(q, S_ENQUEUE, key, 9, args, NULL, &rep) != 0)
        return -1;
    int rc = 0;
    if (!reply_is(rep, REDIS_REPLY_ARRAY, 2))
        rc = queue_set_error("queue %s: unexpected reply to enqueue", base->name);
    else if (strcmp(elem_str(rep, 1), spec->tenant_id) != 0)
        rc = queue_set_error("job id '%s' is taken in another school", id);
    else
        *existed = elem_int(rep, 0) == 1;
    freeReplyObject(rep);
    return rc;
}

/* Fills job from the fetch reply's fields at rep[at..at+7): id, tenant, owner, type, payload, attemptsMade, attempts. */
static int fill_job(const redisReply *rep, size_t at, job_t *job, const char token[QUEUE_TOKEN_MAX])
{
    memset(job, 0, sizeof(*job));
    copy_str(job->id, sizeof(job->id), elem_str(rep, at));
    copy_str(job->tenant_id, sizeof(job->tenant_id), elem_str(rep, at + 1));
    copy_str(job->owner_id, sizeof(job->owner_id), elem_str(rep, at + 2));
    copy_str(job->type, sizeof(job->type), elem_str(rep, at + 3));
    memcpy(job->token, token, QUEUE_TOKEN_MAX);
    job->attempts_made = (int)elem_int(rep, at + 5);
    job->attempts = (int)elem_int(rep, at + 6);
    job->payload = strdup(elem_str(rep, at + 4));
    if (job->payload == NULL)
        return queue_set_error("out of memory");
    return 0;
}

/* The arguments of a fetch (LUA_FN_FETCH): lock_ms, limiter_max, limiter_window_ms, spread, want, then
 * want new tokens. */
typedef struct fetch_args {
    char lock[24], lmax[24], lwin[24], spread[16], want[16];
    char tokens[QUEUE_BATCH_MAX][QUEUE_TOKEN_MAX];
    int n;
} fetch_args_t;

static void fetch_args(const queue_t *base, int want, int spread, fetch_args_t *a)
{
    a->n = want;
    queue_new_tokens(a->tokens, want);
    snprintf(a->lock, sizeof(a->lock), "%" PRId64, base->opts.lock_ms);
    snprintf(a->lmax, sizeof(a->lmax), "%d", base->opts.limiter_max);
    snprintf(a->lwin, sizeof(a->lwin), "%" PRId64, base->opts.limiter_window_ms);
    snprintf(a->spread, sizeof(a->spread), "%d", spread);
    snprintf(a->want, sizeof(a->want), "%d", want);
}

/* Appends a fetch's arguments to args from *n on. */
static void push_fetch_args(const fetch_args_t *a, const char **args, int *n)
{
    args[(*n)++] = a->lock;
    args[(*n)++] = a->lmax;
    args[(*n)++] = a->lwin;
    args[(*n)++] = a->spread;
    args[(*n)++] = a->want;
    for (int i = 0; i < a->n; i++)
        args[(*n)++] = a->tokens[i];
}

/* Reads a fetch reply (see LUA_FN_FETCH) into jobs[0..a->n) or *wait_ms: how many jobs, or -1. */
static int fetch_parse(queue_t *base, const redisReply *rep, job_t *jobs, const fetch_args_t *a, int64_t *wait_ms)
{
    last_fetch_limited = 0;
    if (reply_is(rep, REDIS_REPLY_ARRAY, 2) && elem_int(rep, 0) == 1) {
        long long n = elem_int(rep, 1);
        if (n < 1 || n > a->n || rep->elements < 2 + 7 * (size_t)n)
            return queue_set_error("queue %s: unexpected reply to fetch", base->name);
        for (int i = 0; i < (int)n; i++) {
            if (fill_job(rep, 2 + 7 * (size_t)i, &jobs[i], a->tokens[i]) != 0) {
                while (i-- > 0)
                    job_clear(&jobs[i]); /* the others stay locked: the stalled sweep gives them back */
                return -1;
            }
        }
        return (int)n;
    }
    if (reply_is(rep, REDIS_REPLY_ARRAY, 2)) {
        long long w = elem_int(rep, 1);
        /* nothing scheduled: look again within a stalled interval at the latest (a requeued job) */
        *wait_ms = w >= 0 ? w : base->opts.stalled_interval_ms;
        last_fetch_limited = elem_int(rep, 0) == 2;
        if (last_fetch_limited)
            __atomic_fetch_add(&base->limited, 1, __ATOMIC_RELAXED);
        return 0;
    }
    return queue_set_error("queue %s: unexpected reply to fetch", base->name);
}

/* As fetch_parse for one job, then frees the reply: 1, 0 or -1. */
static int fetch_reply(queue_t *base, redisReply *rep, job_t *job, const fetch_args_t *a, int64_t *wait_ms)
{
    int rc = fetch_parse(base, rep, job, a, wait_ms);
    freeReplyObject(rep);
    return rc;
}

static int rq_fetch(queue_t *base, job_t *job, int64_t *wait_ms)
{
    rqueue_t *q = rq_of(base);
    char key[KEY_MAX];
    fetch_args_t a;
    const char *args[MAX_ARGS];
    int n = 0;
    key_of(q, "wait", key);
    fetch_args(base, 1, 1, &a);
    push_fetch_args(&a, args, &n);
    redisReply *rep;
    if (run(q, S_FETCH, key, n, args, NULL, &rep) != 0)
        return -1;
    return fetch_reply(base, rep, job, &a, wait_ms);
}

/* Runs a lock-checked script on job (id, token, then extra): 0, QUEUE_ELOCK or -1. */
static int locked_call(rqueue_t *q, int s, const job_t *job, int nextra, const char **extra, const size_t *extra_lens)
{
    char key[KEY_MAX];
    const char *args[MAX_ARGS];
    size_t lens[MAX_ARGS];
    job_key(q, job->id, key);
    args[0] = job->id;
    args[1] = job->token;
    lens[0] = strlen(job->id);
    lens[1] = strlen(job->token);
    for (int i = 0; i < nextra; i++) {
        args[2 + i] = extra[i];
        lens[2 + i] = extra_lens != NULL ? extra_lens[i] : strlen(extra[i]);
    }
    redisReply *rep;
    if (run(q, s, key, 2 + nextra, args, lens, &rep) != 0)
        return -1;
    int rc = rep->type == REDIS_REPLY_INTEGER ? (int)rep->integer : queue_set_error("unexpected reply from redis");
    freeReplyObject(rep);
    return rc == -2 ? QUEUE_ELOCK : rc;
}

static int rq_renew(queue_t *base, const job_t *job)
{
    char lock[24];
    snprintf(lock, sizeof(lock), "%" PRId64, base->opts.lock_ms);
    const char *extra[] = {lock};
    return locked_call(rq_of(base), S_RENEW, job, 1, extra, NULL);
}

static int rq_progress(queue_t *base, const job_t *job, int pct)
{
    char p[16];
    snprintf(p, sizeof(p), "%d", pct);
    const char *extra[] = {p};
    return locked_call(rq_of(base), S_PROGRESS, job, 1, extra, NULL);
}

static int rq_complete(queue_t *base, const job_t *job, const char *result)
{
    keep_args_t k = keep_args(base->opts.keep_completed_ms, base->opts.keep_completed);
    const char *extra[] = {result != NULL ? "1" : "0", result != NULL ? result : "", k.ms, k.n};
    return locked_call(rq_of(base), S_COMPLETE, job, 4, extra, NULL);
}

static int rq_complete_fetch(queue_t *base, const job_t *job, const char *result, job_t *next, int *fetched,
                             int64_t *wait_ms)
{
    rqueue_t *q = rq_of(base);
    char key[KEY_MAX];
    job_key(q, job->id, key);
    keep_args_t k = keep_args(base->opts.keep_completed_ms, base->opts.keep_completed);
    fetch_args_t a;
    fetch_args(base, 1, 1, &a);
    const char *args[MAX_ARGS] = {job->id, job->token, result != NULL ? "1" : "0", result != NULL ? result : "", k.ms,
                                  k.n};
    int n = 6;
    push_fetch_args(&a, args, &n);
    redisReply *rep;
    if (run(q, S_COMPLETE_FETCH, key, n, args, NULL, &rep) != 0)
        return -1;
    if (reply_is(rep, REDIS_REPLY_ARRAY, 1) && elem_int(rep, 0) == -2) {
        freeReplyObject(rep);
        return QUEUE_ELOCK;
    }
    *fetched = fetch_reply(base, rep, next, &a, wait_ms) == 1;
    return 0; /* the job completed; after a failed fetch (*fetched 0, *wait_ms 0) the caller fetches again */
}

static int rq_finish_fetch(queue_t *base, queue_done_t *done, int ndone, job_t *next, int max, int spread,
                           int *fetched, int64_t *wait_ms)
{
    rqueue_t *q = rq_of(base);
    char key[KEY_MAX], count[16];
    key_of(q, "active", key);
    keep_args_t k = keep_args(base->opts.keep_completed_ms, base->opts.keep_completed);
    snprintf(count, sizeof(count), "%d", ndone);
    const char *args[MAX_ARGS] = {k.ms, k.n, count};
    int n = 3;
    for (int i = 0; i < ndone; i++) {
        args[n++] = done[i].job->id;
        args[n++] = done[i].job->token;
        args[n++] = done[i].result != NULL ? "1" : "0";
        args[n++] = done[i].result != NULL ? done[i].result : "";
    }
    fetch_args_t a;
    fetch_args(base, max, spread, &a);
    push_fetch_args(&a, args, &n);
    redisReply *rep;
    if (run(q, S_FINISH_FETCH, key, n, args, NULL, &rep) != 0)
        return -1;
    int rc = 0;
    if (!reply_is(rep, REDIS_REPLY_ARRAY, 2) || !reply_is(rep->element[0], REDIS_REPLY_ARRAY, (size_t)ndone)) {
        rc = queue_set_error("queue %s: unexpected reply to finish-fetch", base->name);
    } else {
        for (int i = 0; i < ndone; i++)
            done[i].rc = elem_int(rep->element[0], (size_t)i) == -2 ? QUEUE_ELOCK : 0;
        if (max > 0) {
            int got = fetch_parse(base, rep->element[1], next, &a, wait_ms);
            if (got < 0)
                rc = -1; /* the completions are recorded (their rc says so) */
            else
                *fetched = got;
        }
    }
    freeReplyObject(rep);
    return rc;
}

static int rq_release(queue_t *base, const job_t *jobs, int njobs)
{
    rqueue_t *q = rq_of(base);
    char key[KEY_MAX], count[16];
    key_of(q, "active", key);
    snprintf(count, sizeof(count), "%d", njobs);
    const char *args[MAX_ARGS] = {count};
    int n = 1;
    for (int i = 0; i < njobs; i++) {
        args[n++] = jobs[i].id;
        args[n++] = jobs[i].token;
    }
    long long back;
    return run_int(q, S_RELEASE, key, n, args, &back) == 0 ? (int)back : -1;
}

/* The delay before a retry of job, or -1 when it fails for good; -2 when Redis did not answer. */
static int64_t retry_delay(rqueue_t *q, const job_t *job, bool retry)
{
    if (!retry || job->attempts_made + 1 >= job->attempts)
        return -1;
    /* the job's backoff base never changes after enqueue: read outside the (token-checked) fail script */
    char key[KEY_MAX];
    job_key(q, job->id, key);
    const char *argv[] = {"HGET", key, "backoff"};
    redisReply *rep;
    if (redis_command(q->r, q->prefix, 3, argv, NULL, &rep) != 0) {
        redis_failed(q, "HGET");
        return -2;
    }
    int64_t base = rep->type == REDIS_REPLY_STRING ? strtoll(rep->str, NULL, 10) : q->base.opts.default_backoff_ms;
    freeReplyObject(rep);
    return queue_backoff_ms(base, job->attempts_made, queue_rand01());
}

static int rq_fail(queue_t *base, const job_t *job, const char *reason, bool retry)
{
    rqueue_t *q = rq_of(base);
    int64_t delay = retry_delay(q, job, retry);
    if (delay == -2)
        return -1;
    char d[24];
    snprintf(d, sizeof(d), "%" PRId64, delay);
    keep_args_t k = keep_args(base->opts.keep_failed_ms, base->opts.keep_failed);
    const char *extra[] = {reason, d, k.ms, k.n};
    int rc = locked_call(q, S_FAIL, job, 4, extra, NULL);
    if (rc == 0 && delay >= 0)
        __atomic_fetch_add(&base->retried, 1, __ATOMIC_RELAXED);
    return rc;
}

static int rq_cancel(queue_t *base, const char *tenant_id, const char *id)
{
    rqueue_t *q = rq_of(base);
    char key[KEY_MAX];
    job_key(q, id, key);
    keep_args_t k = keep_args(base->opts.keep_completed_ms, base->opts.keep_completed); /* as completed jobs */
    const char *args[] = {id, tenant_id != NULL ? tenant_id : "", k.ms, k.n};
    long long rc;
    if (run_int(q, S_CANCEL, key, 4, args, &rc) != 0)
        return -1;
    return (int)rc;
}

/* ---- what the API and the metrics read ---- */

/* The fields of a job as LUA_JOB_FIELDS lists them, from rep[at..at+12). */
enum { F_TENANT, F_OWNER, F_TYPE, F_STATE, F_PROGRESS, F_ATTEMPTS, F_MADE, F_CREATED, F_STARTED, F_FINISHED,
       F_RESULT, F_ERROR, F_COUNT };
static const char *const job_fields[F_COUNT] = {"tenant",    "owner",     "type",       "state",
                                                "progress",  "attempts",  "attemptsMade", "createdAt",
                                                "startedAt", "finishedAt", "result",     "error"};

static const redisReply *field(const redisReply *rep, size_t at, int f)
{
    return rep->element[at + (size_t)f];
}

static const char *field_str(const redisReply *rep, size_t at, int f)
{
    const redisReply *e = field(rep, at, f);
    return e->type == REDIS_REPLY_STRING && e->len > 0 ? e->str : NULL;
}

static int64_t field_int(const redisReply *rep, size_t at, int f)
{
    const char *s = field_str(rep, at, f);
    return s != NULL ? strtoll(s, NULL, 10) : 0;
}

/* The API's rendering of the job id whose fields are rep[at..at+F_COUNT); NULL on out-of-memory. */
static json_t *job_json(const char *id, const redisReply *rep, size_t at)
{
    int state = job_state_parse(field_str(rep, at, F_STATE));
    job_view_t v = {
        .id = id,
        .type = field_str(rep, at, F_TYPE) != NULL ? field_str(rep, at, F_TYPE) : "",
        .owner_id = field_str(rep, at, F_OWNER),
        .state = state >= 0 ? (job_state_t)state : JOB_WAITING,
        .progress = (int)field_int(rep, at, F_PROGRESS),
        .attempts = (int)field_int(rep, at, F_ATTEMPTS),
        .attempts_made = (int)field_int(rep, at, F_MADE),
        .created_ms = field_int(rep, at, F_CREATED),
        .started_ms = field_int(rep, at, F_STARTED),
        .finished_ms = field_int(rep, at, F_FINISHED),
        .result = field_str(rep, at, F_RESULT),
        .error = field_str(rep, at, F_ERROR),
    };
    return queue_job_json(&v);
}

static int rq_get(queue_t *base, const char *tenant_id, const char *id, json_t **out)
{
    rqueue_t *q = rq_of(base);
    char key[KEY_MAX];
    job_key(q, id, key);
    const char *argv[2 + F_COUNT] = {"HMGET", key};
    for (int f = 0; f < F_COUNT; f++)
        argv[2 + f] = job_fields[f];
    redisReply *rep;
    if (redis_command(q->r, q->prefix, 2 + F_COUNT, argv, NULL, &rep) != 0)
        return redis_failed(q, "HMGET");
    int rc = 0;
    if (!reply_is(rep, REDIS_REPLY_ARRAY, F_COUNT))
        rc = queue_set_error("queue %s: unexpected reply to HMGET", base->name);
    else if (tenant_id == NULL || field_str(rep, 0, F_TENANT) == NULL ||
             strcmp(field_str(rep, 0, F_TENANT), tenant_id) != 0)
        rc = QUEUE_ENOTFOUND;
    else if ((*out = job_json(id, rep, 0)) == NULL)
        rc = queue_set_error("out of memory");
    freeReplyObject(rep);
    return rc;
}

static int rq_list(queue_t *base, const char *tenant_id, const char *owner_id, const queue_cursor_t *after,
                   int limit, json_t **out, queue_cursor_t *next)
{
    rqueue_t *q = rq_of(base);
    char key[KEY_MAX], lim[16], ckey[24];
    key_of(q, "wait", key);
    snprintf(lim, sizeof(lim), "%d", limit + 1); /* one more: whether a next page exists */
    snprintf(ckey, sizeof(ckey), "%lld", after != NULL ? (long long)after->key : 0LL);
    const char *args[] = {tenant_id, owner_id != NULL ? owner_id : "", lim, ckey, after != NULL ? after->id : ""};
    redisReply *rep;
    if (run(q, S_LIST, key, 5, args, NULL, &rep) != 0)
        return -1;
    enum { STRIDE = 2 + F_COUNT }; /* id, score, fields */
    json_t *arr = json_array();
    int rc = arr != NULL && rep->type == REDIS_REPLY_ARRAY ? 0 : queue_set_error("queue %s: list failed", base->name);
    size_t n = rc == 0 ? rep->elements / STRIDE : 0;
    for (size_t i = 0; rc == 0 && i < n && i < (size_t)limit; i++)
        if (json_array_append_new(arr, job_json(elem_str(rep, i * STRIDE), rep, i * STRIDE + 2)) != 0)
            rc = queue_set_error("out of memory");
    if (rc == 0 && n > (size_t)limit) {
        size_t last = (size_t)(limit - 1) * STRIDE;
        next->key = elem_int(rep, last + 1);
        snprintf(next->id, sizeof(next->id), "%s", elem_str(rep, last));
    }
    freeReplyObject(rep);
    if (rc != 0) {
        json_decref(arr);
        return -1;
    }
    *out = arr;
    return 0;
}

static int rq_counts(queue_t *base, long long counts[6], int64_t *oldest_wait_ms)
{
    rqueue_t *q = rq_of(base);
    char key[KEY_MAX];
    key_of(q, "wait", key);
    redisReply *rep;
    if (run(q, S_COUNTS, key, 0, NULL, NULL, &rep) != 0)
        return -1;
    int rc = 0;
    if (reply_is(rep, REDIS_REPLY_ARRAY, 7)) {
        for (int i = 0; i < 6; i++)
            counts[i] = elem_int(rep, (size_t)i);
        *oldest_wait_ms = elem_int(rep, 6);
    } else {
        rc = queue_set_error("queue %s: unexpected reply to counts", base->name);
    }
    freeReplyObject(rep);
    return rc;
}

/* ---- maintenance ---- */

static int rq_sweep_stalled(queue_t *base)
{
    rqueue_t *q = rq_of(base);
    char key[KEY_MAX];
    key_of(q, "active", key);
    keep_args_t gate = keep_args(base->opts.stalled_interval_ms, base->opts.max_stalled); /* same shape */
    keep_args_t k = keep_args(base->opts.keep_failed_ms, base->opts.keep_failed);
    const char *args[] = {gate.ms, gate.n, k.ms, k.n, QUEUE_STALLED_REASON};
    long long n;
    if (run_int(q, S_STALLED, key, 5, args, &n) != 0)
        return -1;
    if (n < 0)
        return 0; /* another worker swept within the interval */
    __atomic_fetch_add(&base->stalled, (uint64_t)n, __ATOMIC_RELAXED);
    return (int)n;
}

static int rq_promote_delayed(queue_t *base)
{
    rqueue_t *q = rq_of(base);
    char key[KEY_MAX];
    key_of(q, "delayed", key);
    long long n;
    return run_int(q, S_PROMOTE, key, 0, NULL, &n) == 0 ? (int)n : -1;
}

static int rq_trim(queue_t *base)
{
    rqueue_t *q = rq_of(base);
    char key[KEY_MAX];
    key_of(q, "completed", key);
    keep_args_t c = keep_args(base->opts.keep_completed_ms, base->opts.keep_completed);
    keep_args_t f = keep_args(base->opts.keep_failed_ms, base->opts.keep_failed);
    const char *args[] = {c.ms, c.n, f.ms, f.n};
    long long n;
    return run_int(q, S_TRIM, key, 4, args, &n) == 0 ? (int)n : -1;
}

/* BLPOP on the wake-up list that every job made waiting pushes to (bounded to 64 entries). */
static int rq_wait(queue_t *base, int64_t ms)
{
    rqueue_t *q = rq_of(base);
    if (last_fetch_limited)
        return -1;
    char key[KEY_MAX], secs[24];
    key_of(q, "wake", key);
    snprintf(secs, sizeof(secs), "%.3f", (double)ms / 1000.0); /* below the client's 2 s command timeout */
    const char *argv[] = {"BLPOP", key, secs};
    redisReply *rep;
    if (redis_command(q->r, q->prefix, 3, argv, NULL, &rep) != 0)
        return redis_failed(q, "BLPOP");
    int rc = rep->type == REDIS_REPLY_ERROR ? queue_set_error("queue %s: redis: %.200s", base->name, rep->str) : 0;
    freeReplyObject(rep);
    return rc;
}

static void rq_close(queue_t *base)
{
    rqueue_t *q = rq_of(base);
    redis_destroy(q->r);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

static const queue_ops_t redis_ops = {
    .name = "redis",
    .enqueue = rq_enqueue,
    .fetch = rq_fetch,
    .renew = rq_renew,
    .progress = rq_progress,
    .complete = rq_complete,
    .fail = rq_fail,
    .cancel = rq_cancel,
    .get = rq_get,
    .list = rq_list,
    .counts = rq_counts,
    .sweep_stalled = rq_sweep_stalled,
    .promote_delayed = rq_promote_delayed,
    .trim = rq_trim,
    .close = rq_close,
    .wait = rq_wait,
    .complete_fetch = rq_complete_fetch,
    .finish_fetch = rq_finish_fetch,
    .release = rq_release,
};

queue_t *queue_redis_open(const char *url, const char *name, const queue_options_t *o, char *err, size_t errlen)
{
    rqueue_t *q = calloc(1, sizeof(*q));
    if (q == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (queue_base_init(&q->base, &redis_ops, name, o, err, errlen) != 0) {
        free(q);
        return NULL;
    }
    snprintf(q->prefix, sizeof(q->prefix), "{q:%s}", name);
    /* Scripts take longer than the cache's gets: a trim removes up to a thousand jobs. The client's
     * metrics are the cache's (one set of school_erp_redis_* families per process); the queue's
     * failures show in the worker's job metrics and logs. */
    redis_opts_t ro = {.connect_timeout_ms = 500, .command_timeout_ms = 2000, .no_metrics = 1};
    q->r = redis_create_opts(url, &ro, err, errlen);
    if (q->r == NULL) {
        free(q);
        return NULL;
    }
    pthread_mutex_init(&q->mu, NULL);
    return &q->base;
}
