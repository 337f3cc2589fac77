/*
 * sql.c - the SQL queue adapter over the store (SQLite and PostgreSQL), on
 * the tables of migration 0008 (jobs, queue_meta).
 *
 * Every state change is one statement or one transaction. fetch picks the due
 * job (waiting, or delayed and due: promotion happens at fetch, so a delayed
 * job starts on time without waiting for a sweep) by priority then run_at and
 * locks it with a random token in one UPDATE … RETURNING; on PostgreSQL the
 * pick is `FOR UPDATE SKIP LOCKED` so concurrent workers take different jobs,
 * on SQLite the write lock makes fetches one at a time (an idle worker first
 * looks with a plain read, so polling takes no write lock). In the same
 * transaction the limiter's window row (queue_meta) is counted up; when the
 * window is full the transaction rolls back and the job stays where it was.
 * The stalled sweep first claims queue_meta.last_sweep with a conditional
 * UPDATE, so one worker per interval sweeps. Each thread uses its own store
 * session (a thread-specific key), closed when the thread exits.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/ids.h"
#include "queue/queue_int.h"
#include "store/store.h"

typedef struct sql_queue {
    queue_t base;
    store_t *store;
    pthread_key_t key;
} sql_queue_t;

#define COLS_JOB "tenant_id, id, owner_id, type, payload, attempts_made, attempts"
#define COLS_VIEW                                                                                                      \
    "id, type, owner_id, state, progress, attempts, attempts_made, created_at, started_at, finished_at, result, error"
#define DUE "queue = $1 AND state IN ('waiting', 'delayed') AND run_at <= $2 ORDER BY priority DESC, run_at, id LIMIT 1"
#define OWNED "tenant_id = $1 AND id = $2 AND lock_token = $3 AND state = 'active'"
#define UNLOCK "lock_token = NULL, lock_until = NULL"

static stmt_t st_enqueue = STMT("queue.enqueue", 0,
                                "INSERT INTO jobs (tenant_id, id, queue, type, owner_id, payload, state, priority, "
                                "attempts, backoff_ms, run_at, created_at) "
                                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
                                "ON CONFLICT (tenant_id, id) DO NOTHING");
static stmt_t st_fetch = STMT2("queue.fetch", 0,
                               "UPDATE jobs SET state = 'active', lock_token = $3, lock_until = $4, "
                               "started_at = COALESCE(started_at, $2) WHERE (tenant_id, id) = "
                               "(SELECT tenant_id, id FROM jobs WHERE " DUE ") RETURNING " COLS_JOB,
                               "UPDATE jobs SET state = 'active', lock_token = $3, lock_until = $4, "
                               "started_at = COALESCE(started_at, $2) WHERE (tenant_id, id) = "
                               "(SELECT tenant_id, id FROM jobs WHERE " DUE " FOR UPDATE SKIP LOCKED) RETURNING " COLS_JOB);
/* Whether a job is due, read without the write lock: idle workers poll with it. */
static stmt_t st_peek = STMT("queue.peek", 0, "SELECT 1 FROM jobs WHERE " DUE);
static stmt_t st_meta_init = STMT("queue.meta_init", 0,
                                  "INSERT INTO queue_meta (queue) VALUES ($1) ON CONFLICT (queue) DO NOTHING");
/* $2 now, $3 now - window: a window that began at or before $3 is over and a new one starts now. */
static stmt_t st_limit = STMT("queue.limit", 0,
                              "UPDATE queue_meta SET "
                              "window_count = CASE WHEN window_start <= $3 THEN 1 ELSE window_count + 1 END, "
                              "window_start = CASE WHEN window_start <= $3 THEN $2 ELSE window_start END "
                              "WHERE queue = $1 AND (window_start <= $3 OR window_count < $4)");
static stmt_t st_window = STMT("queue.window", 0, "SELECT window_start FROM queue_meta WHERE queue = $1");
static stmt_t st_next_delayed =
    STMT("queue.next_delayed", 0, "SELECT MIN(run_at) FROM jobs WHERE queue = $1 AND state = 'delayed'");
static stmt_t st_renew = STMT("queue.renew", 0, "UPDATE jobs SET lock_until = $4 WHERE " OWNED);
static stmt_t st_progress = STMT("queue.progress", 0, "UPDATE jobs SET progress = $4 WHERE " OWNED);
static stmt_t st_complete = STMT("queue.complete", 0,
                                 "UPDATE jobs SET state = 'completed', result = $4, finished_at = $5, progress = 100, "
                                 "attempts_made = attempts_made + 1, " UNLOCK " WHERE " OWNED);
static stmt_t st_fail_get = STMT2("queue.fail_get", 0, "SELECT attempts, attempts_made, backoff_ms FROM jobs WHERE " OWNED,
                                  "SELECT attempts, attempts_made, backoff_ms FROM jobs WHERE " OWNED " FOR UPDATE");
static stmt_t st_fail_retry = STMT("queue.fail_retry", 0,
                                   "UPDATE jobs SET state = 'delayed', run_at = $4, error = $5, progress = 0, "
                                   "attempts_made = attempts_made + 1, " UNLOCK " WHERE " OWNED);
static stmt_t st_fail_final = STMT("queue.fail_final", 0,
                                   "UPDATE jobs SET state = 'failed', finished_at = $4, error = $5, "
                                   "attempts_made = attempts_made + 1, " UNLOCK " WHERE " OWNED);
static stmt_t st_cancel = STMT("queue.cancel", 0,
                               "UPDATE jobs SET state = 'cancelled', finished_at = $3, " UNLOCK
                               " WHERE tenant_id = $1 AND id = $2 AND state IN ('waiting', 'delayed', 'active')");
static stmt_t st_state = STMT("queue.state", 0, "SELECT state FROM jobs WHERE tenant_id = $1 AND id = $2");
static stmt_t st_get = STMT("queue.get", 0, "SELECT " COLS_VIEW " FROM jobs WHERE tenant_id = $1 AND id = $2");
/* A page of a school's jobs by (created_at, id) descending after the cursor ($2, $3): the range on
 * created_at is the index's (jobs_tenant_idx, jobs_owner_idx of 0011), id breaks ties. $4: limit + 1. */
#define AFTER "created_at <= $2 AND (created_at < $2 OR id < $3) ORDER BY created_at DESC, id DESC LIMIT $4"
static stmt_t st_list = STMT("queue.list", 0, "SELECT " COLS_VIEW " FROM jobs WHERE tenant_id = $1 AND " AFTER);
static stmt_t st_list_owner = STMT("queue.list_owner", 0,
                                   "SELECT " COLS_VIEW " FROM jobs WHERE tenant_id = $1 AND owner_id = $5 AND " AFTER);
static stmt_t st_counts =
    STMT("queue.counts", 0, "SELECT state, COUNT(*) FROM jobs WHERE queue = $1 GROUP BY state");
static stmt_t st_oldest = STMT("queue.oldest", 0,
                               "SELECT MIN(run_at) FROM jobs WHERE queue = $1 AND state IN ('waiting', 'delayed') "
                               "AND run_at <= $2");
static stmt_t st_sweep_claim =
    STMT("queue.sweep_claim", 0, "UPDATE queue_meta SET last_sweep = $2 WHERE queue = $1 AND last_sweep <= $3");
static stmt_t st_stall_fail = STMT("queue.stall_fail", 0,
                                   "UPDATE jobs SET state = 'failed', error = $4, finished_at = $2, "
                                   "stalled = stalled + 1, " UNLOCK
                                   " WHERE queue = $1 AND state = 'active' AND lock_until < $2 AND stalled >= $3");
static stmt_t st_stall_requeue = STMT("queue.stall_requeue", 0,
                                      "UPDATE jobs SET state = 'waiting', stalled = stalled + 1, " UNLOCK
                                      " WHERE queue = $1 AND state = 'active' AND lock_until < $2");
static stmt_t st_promote = STMT("queue.promote", 0,
                                "UPDATE jobs SET state = 'waiting' WHERE queue = $1 AND state = 'delayed' AND run_at <= $2");
static stmt_t st_trim_age = STMT("queue.trim_age", 0,
                                 "DELETE FROM jobs WHERE queue = $1 AND state = $2 AND finished_at < $3");
static stmt_t st_trim_count = STMT2("queue.trim_count", 0,
                                    "DELETE FROM jobs WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM jobs "
                                    "WHERE queue = $1 AND state = $2 ORDER BY finished_at DESC, id DESC "
                                    "LIMIT -1 OFFSET $3)",
                                    "DELETE FROM jobs WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM jobs "
                                    "WHERE queue = $1 AND state = $2 ORDER BY finished_at DESC, id DESC OFFSET $3)");

/* Real time, not the test clock: every process of a queue must agree on it. */
static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static sql_queue_t *sq(queue_t *q)
{
    return (sql_queue_t *)q;
}

/* The calling thread's session on the queue's store. */
static db_t *session(queue_t *q)
{
    sql_queue_t *s = sq(q);
    db_t *db = pthread_getspecific(s->key);
    if (db == NULL) {
        db = store_session(s->store);
        pthread_setspecific(s->key, db);
    }
    return db;
}

static void session_destroy(void *db)
{
    db_close(db);
}

/* Runs st; -1 with the queue error set on failure. */
static int run(db_t *db, stmt_t *st, const db_arg_t *args, int n, arena_t *a, db_result_t *res)
{
    if (db_exec(db, st, args, n, a, res) != 0)
        return queue_set_error("%s: %s", st->name, db_error(db)->message);
    return 0;
}

static int fail_tx(db_t *db, const char *what)
{
    queue_set_error("%s: %s", what, db_error(db)->message);
    db_rollback(db);
    return -1;
}

static int sql_enqueue(queue_t *q, db_t *tx, const job_spec_t *spec, char id[QUEUE_ID_MAX], int *existed)
{
    /* a transaction on another shard than the queue's (src/shard/) cannot hold the job: it is enqueued at once,
       as on Redis (queue.h) */
    db_t *db = tx != NULL && db_store(tx) == sq(q)->store ? tx : session(q);
    if (spec->id != NULL)
        snprintf(id, QUEUE_ID_MAX, "%s", spec->id);
    else
        queue_new_id(id);
    int64_t now = now_ms();
    arena_t a;
    arena_init(&a);
    db_result_t res;
    int rc = run(db, &st_enqueue,
                 DB_ARGS(DB_TEXT(spec->tenant_id), DB_TEXT(id), DB_TEXT(q->name), DB_TEXT(spec->type),
                         DB_TEXT(spec->owner_id), DB_TEXT(spec->payload),
                         DB_TEXT(spec->delay_ms > 0 ? "delayed" : "waiting"), DB_INT(spec->priority),
                         DB_INT(spec->attempts), DB_INT(spec->backoff_ms), DB_INT(now + spec->delay_ms), DB_INT(now)),
                 &a, &res);
    if (rc == 0)
        *existed = res.changes == 0;
    arena_destroy(&a);
    return rc;
}

static int fill_job(job_t *job, const db_result_t *res)
{
    memset(job, 0, sizeof(*job));
    snprintf(job->tenant_id, sizeof(job->tenant_id), "%s", db_get(res, 0, 0));
    snprintf(job->id, sizeof(job->id), "%s", db_get(res, 0, 1));
    snprintf(job->owner_id, sizeof(job->owner_id), "%s", db_is_null(res, 0, 2) ? "" : db_get(res, 0, 2));
    snprintf(job->type, sizeof(job->type), "%s", db_get(res, 0, 3));
    job->payload = strdup(db_get(res, 0, 4));
    job->attempts_made = (int)db_get_int(res, 0, 5);
    job->attempts = (int)db_get_int(res, 0, 6);
    return job->payload != NULL ? 0 : queue_set_error("out of memory");
}

/* When to look again after an empty fetch: the next delayed job, at most a minute away. */
static int64_t next_due(db_t *db, queue_t *q, arena_t *a, int64_t now)
{
    db_result_t res;
    if (run(db, &st_next_delayed, DB_ARGS(DB_TEXT(q->name)), a, &res) != 0 || res.nrows == 0 ||
        db_is_null(&res, 0, 0))
        return 60000;
    int64_t w = db_get_int(&res, 0, 0) - now;
    return w < 0 ? 0 : w > 60000 ? 60000 : w;
}

/* Counts a start in the limiter's window: 1 counted, 0 the window is full, -1 error. */
static int limiter_take(db_t *db, queue_t *q, arena_t *a, int64_t now)
{
    db_result_t res;
    if (q->opts.limiter_max <= 0)
        return 1;
    if (run(db, &st_limit,
            DB_ARGS(DB_TEXT(q->name), DB_INT(now), DB_INT(now - q->opts.limiter_window_ms), DB_INT(q->opts.limiter_max)),
            a, &res) != 0)
        return -1;
    return res.changes > 0;
}

static int64_t limiter_wait(db_t *db, queue_t *q, arena_t *a, int64_t now)
{
    db_result_t res;
    if (run(db, &st_window, DB_ARGS(DB_TEXT(q->name)), a, &res) != 0 || res.nrows == 0)
        return q->opts.limiter_window_ms;
    int64_t w = db_get_int(&res, 0, 0) + q->opts.limiter_window_ms - now;
    return w < 1 ? 1 : w;
}

static int fetch_in(queue_t *q, db_t *db, arena_t *a, job_t *job, int64_t *wait_ms)
{
    int64_t now = now_ms();
    char token[QUEUE_TOKEN_MAX];
    queue_new_token(token);
    db_result_t res;
    if (run(db, &st_peek, DB_ARGS(DB_TEXT(q->name), DB_INT(now)), a, &res) != 0)
        return -1;
    if (res.nrows == 0) {
        *wait_ms = next_due(db, q, a, now);
        return 0;
    }
    if (db_begin(db) != 0)
        return fail_tx(db, "queue.fetch");
    if (run(db, &st_fetch, DB_ARGS(DB_TEXT(q->name), DB_INT(now), DB_TEXT(token), DB_INT(now + q->opts.lock_ms)), a,
            &res) != 0)
        return fail_tx(db, "queue.fetch");
    if (res.nrows == 0) {
        db_rollback(db);
        *wait_ms = next_due(db, q, a, now);
        return 0;
    }
    int took = limiter_take(db, q, a, now);
    if (took <= 0) {
        db_rollback(db);
        if (took < 0)
            return -1;
        __atomic_fetch_add(&q->limited, 1, __ATOMIC_RELAXED);
        *wait_ms = limiter_wait(db, q, a, now);
        return 0;
    }
    if (fill_job(job, &res) != 0) {
        db_rollback(db);
        return -1;
    }
    if (db_commit(db) != 0) {
        job_clear(job);
        return queue_set_error("queue.fetch: commit: %s", db_error(db)->message);
    }
    snprintf(job->token, sizeof(job->token), "%s", token);
    return 1;
}

static int sql_fetch(queue_t *q, job_t *job, int64_t *wait_ms)
{
    arena_t a;
    arena_init(&a);
    int rc = fetch_in(q, session(q), &a, job, wait_ms);
    arena_destroy(&a);
    return rc;
}

/* Runs a statement on an owned job ($1 tenant, $2 id, $3 token, then nx of x): 0, QUEUE_ELOCK or -1. */
static int owned(queue_t *q, stmt_t *st, const job_t *job, db_arg_t x1, db_arg_t x2, int nx)
{
    arena_t a;
    arena_init(&a);
    db_result_t res;
    db_arg_t args[] = {DB_TEXT(job->tenant_id), DB_TEXT(job->id), DB_TEXT(job->token), x1, x2};
    int rc = run(session(q), st, args, 3 + nx, &a, &res);
    if (rc == 0 && res.changes == 0)
        rc = QUEUE_ELOCK;
    arena_destroy(&a);
    return rc;
}

static int sql_renew(queue_t *q, const job_t *job)
{
    return owned(q, &st_renew, job, DB_INT(now_ms() + q->opts.lock_ms), DB_NULL, 1);
}

static int sql_progress(queue_t *q, const job_t *job, int pct)
{
    return owned(q, &st_progress, job, DB_INT(pct), DB_NULL, 1);
}

static int sql_complete(queue_t *q, const job_t *job, const char *result)
{
    return owned(q, &st_complete, job, DB_TEXT(result), DB_INT(now_ms()), 2);
}

static int fail_in(queue_t *q, db_t *db, arena_t *a, const job_t *job, const char *reason, bool retry)
{
    db_result_t res;
    if (db_begin(db) != 0)
        return fail_tx(db, "queue.fail");
    if (run(db, &st_fail_get, DB_ARGS(DB_TEXT(job->tenant_id), DB_TEXT(job->id), DB_TEXT(job->token)), a, &res) != 0)
        return fail_tx(db, "queue.fail");
    if (res.nrows == 0) {
        db_rollback(db);
        return QUEUE_ELOCK;
    }
    int attempts = (int)db_get_int(&res, 0, 0), made = (int)db_get_int(&res, 0, 1);
    int64_t now = now_ms();
    int again = retry && made + 1 < attempts;
    stmt_t *st = again ? &st_fail_retry : &st_fail_final;
    int64_t when = again ? now + queue_backoff_ms(db_get_int(&res, 0, 2), made, queue_rand01()) : now;
    if (run(db, st, DB_ARGS(DB_TEXT(job->tenant_id), DB_TEXT(job->id), DB_TEXT(job->token), DB_INT(when), DB_TEXT(reason)),
            a, &res) != 0)
        return fail_tx(db, "queue.fail");
    if (db_commit(db) != 0)
        return queue_set_error("queue.fail: commit: %s", db_error(db)->message);
    if (again)
        __atomic_fetch_add(&q->retried, 1, __ATOMIC_RELAXED);
    return 0;
}

static int sql_fail(queue_t *q, const job_t *job, const char *reason, bool retry)
{
    arena_t a;
    arena_init(&a);
    int rc = fail_in(q, session(q), &a, job, reason, retry);
    arena_destroy(&a);
    return rc;
}

static int sql_cancel(queue_t *q, const char *tenant_id, const char *id)
{
    db_t *db = session(q);
    arena_t a;
    arena_init(&a);
    db_result_t res;
    int rc = run(db, &st_cancel, DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(id), DB_INT(now_ms())), &a, &res);
    if (rc == 0 && res.changes == 0) {
        rc = run(db, &st_state, DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(id)), &a, &res);
        if (rc == 0)
            rc = res.nrows == 0 ? QUEUE_ENOTFOUND : QUEUE_ESTATE;
    }
    arena_destroy(&a);
    return rc;
}

static json_t *view_row(const db_result_t *res, int row)
{
    int state = job_state_parse(db_get(res, row, 3));
    job_view_t v = {
        .id = db_get(res, row, 0),
        .type = db_get(res, row, 1),
        .owner_id = db_get(res, row, 2),
        .state = state < 0 ? JOB_FAILED : (job_state_t)state,
        .progress = (int)db_get_int(res, row, 4),
        .attempts = (int)db_get_int(res, row, 5),
        .attempts_made = (int)db_get_int(res, row, 6),
        .created_ms = db_get_int(res, row, 7),
        .started_ms = db_get_int(res, row, 8),
        .finished_ms = db_get_int(res, row, 9),
        .result = db_get(res, row, 10),
        .error = db_get(res, row, 11),
    };
    return queue_job_json(&v);
}

static int sql_get(queue_t *q, const char *tenant_id, const char *id, json_t **out)
{
    arena_t a;
    arena_init(&a);
    db_result_t res;
    int rc = run(session(q), &st_get, DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(id)), &a, &res);
    if (rc == 0 && res.nrows == 0)
        rc = QUEUE_ENOTFOUND;
    if (rc == 0 && (*out = view_row(&res, 0)) == NULL)
        rc = queue_set_error("out of memory");
    arena_destroy(&a);
    return rc;
}

static int sql_list(queue_t *q, const char *tenant_id, const char *owner_id, const queue_cursor_t *after, int limit,
                    json_t **out, queue_cursor_t *next)
{
    arena_t a;
    arena_init(&a);
    db_result_t res;
    /* Without a cursor: after (INT64_MAX, ""), before every job. */
    db_arg_t key = DB_INT(after != NULL ? after->key : INT64_MAX), id = DB_TEXT(after != NULL ? after->id : "");
    int rc = owner_id != NULL ? run(session(q), &st_list_owner,
                                    DB_ARGS(DB_TEXT(tenant_id), key, id, DB_INT(limit + 1), DB_TEXT(owner_id)), &a, &res)
                              : run(session(q), &st_list, DB_ARGS(DB_TEXT(tenant_id), key, id, DB_INT(limit + 1)),
                                    &a, &res);
    json_t *arr = rc == 0 ? json_array() : NULL;
    if (rc == 0 && arr == NULL)
        rc = queue_set_error("out of memory");
    int n = rc == 0 && res.nrows > limit ? limit : rc == 0 ? res.nrows : 0;
    for (int i = 0; rc == 0 && i < n; i++)
        if (json_array_append_new(arr, view_row(&res, i)) != 0)
            rc = queue_set_error("out of memory");
    if (rc == 0 && res.nrows > limit) {
        next->key = db_get_int(&res, n - 1, 7);
        snprintf(next->id, sizeof(next->id), "%s", db_get(&res, n - 1, 0));
    }
    if (rc == 0)
        *out = arr;
    else
        json_decref(arr);
    arena_destroy(&a);
    return rc;
}

static int sql_counts(queue_t *q, long long counts[6], int64_t *oldest_wait_ms)
{
    db_t *db = session(q);
    arena_t a;
    arena_init(&a);
    db_result_t res;
    int64_t now = now_ms();
    int rc = run(db, &st_counts, DB_ARGS(DB_TEXT(q->name)), &a, &res);
    for (int i = 0; rc == 0 && i < res.nrows; i++) {
        int s = job_state_parse(db_get(&res, i, 0));
        if (s >= 0)
            counts[s] = db_get_int(&res, i, 1);
    }
    if (rc == 0)
        rc = run(db, &st_oldest, DB_ARGS(DB_TEXT(q->name), DB_INT(now)), &a, &res);
    if (rc == 0 && res.nrows > 0 && !db_is_null(&res, 0, 0))
        *oldest_wait_ms = now - db_get_int(&res, 0, 0);
    arena_destroy(&a);
    return rc;
}

static int sweep_in(queue_t *q, db_t *db, arena_t *a)
{
    int64_t now = now_ms();
    db_result_t res;
    if (db_begin(db) != 0)
        return fail_tx(db, "queue.sweep");
    if (run(db, &st_sweep_claim, DB_ARGS(DB_TEXT(q->name), DB_INT(now), DB_INT(now - q->opts.stalled_interval_ms)), a,
            &res) != 0)
        return fail_tx(db, "queue.sweep");
    if (res.changes == 0) { /* another worker swept within the interval */
        db_rollback(db);
        return 0;
    }
    long long moved = 0;
    if (run(db, &st_stall_fail,
            DB_ARGS(DB_TEXT(q->name), DB_INT(now), DB_INT(q->opts.max_stalled), DB_TEXT(QUEUE_STALLED_REASON)), a,
            &res) != 0)
        return fail_tx(db, "queue.sweep");
    moved += res.changes;
    if (run(db, &st_stall_requeue, DB_ARGS(DB_TEXT(q->name), DB_INT(now)), a, &res) != 0)
        return fail_tx(db, "queue.sweep");
    moved += res.changes;
    if (db_commit(db) != 0)
        return queue_set_error("queue.sweep: commit: %s", db_error(db)->message);
    __atomic_fetch_add(&q->stalled, (uint64_t)moved, __ATOMIC_RELAXED);
    return (int)moved;
}

static int sql_sweep_stalled(queue_t *q)
{
    arena_t a;
    arena_init(&a);
    int rc = sweep_in(q, session(q), &a);
    arena_destroy(&a);
    return rc;
}

static int sql_promote_delayed(queue_t *q)
{
    arena_t a;
    arena_init(&a);
    db_result_t res;
    int rc = run(session(q), &st_promote, DB_ARGS(DB_TEXT(q->name), DB_INT(now_ms())), &a, &res);
    arena_destroy(&a);
    return rc == 0 ? (int)res.changes : -1;
}

/* Removes jobs of one finished state older than keep_ms, then all but the newest keep. */
static int trim_state(queue_t *q, arena_t *a, const char *state, int64_t keep_ms, int keep)
{
    db_t *db = session(q);
    db_result_t res;
    long long n = 0;
    if (run(db, &st_trim_age, DB_ARGS(DB_TEXT(q->name), DB_TEXT(state), DB_INT(now_ms() - keep_ms)), a, &res) != 0)
        return -1;
    n += res.changes;
    if (run(db, &st_trim_count, DB_ARGS(DB_TEXT(q->name), DB_TEXT(state), DB_INT(keep)), a, &res) != 0)
        return -1;
    return (int)(n + res.changes);
}

static int sql_trim(queue_t *q)
{
    arena_t a;
    arena_init(&a);
    const queue_options_t *o = &q->opts;
    int n1 = trim_state(q, &a, "completed", o->keep_completed_ms, o->keep_completed);
    int n2 = n1 < 0 ? -1 : trim_state(q, &a, "cancelled", o->keep_completed_ms, o->keep_completed);
    int n3 = n2 < 0 ? -1 : trim_state(q, &a, "failed", o->keep_failed_ms, o->keep_failed);
    arena_destroy(&a);
    return n3 < 0 ? -1 : n1 + n2 + n3;
}

static void sql_close(queue_t *q)
{
    sql_queue_t *s = sq(q);
    db_t *db = pthread_getspecific(s->key);
    pthread_setspecific(s->key, NULL);
    db_close(db);
    pthread_key_delete(s->key);
    free(s);
}

static const queue_ops_t sql_ops = {
    .name = "sql",
    .enqueue = sql_enqueue,
    .fetch = sql_fetch,
    .renew = sql_renew,
    .progress = sql_progress,
    .complete = sql_complete,
    .fail = sql_fail,
    .cancel = sql_cancel,
    .get = sql_get,
    .list = sql_list,
    .counts = sql_counts,
    .sweep_stalled = sql_sweep_stalled,
    .promote_delayed = sql_promote_delayed,
    .trim = sql_trim,
    .close = sql_close,
};

queue_t *queue_open_sql(store_t *s, const char *name, const queue_options_t *o, char *err, size_t errlen)
{
    sql_queue_t *q = calloc(1, sizeof(*q));
    if (q == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (queue_base_init(&q->base, &sql_ops, name, o, err, errlen) != 0) {
        free(q);
        return NULL;
    }
    q->store = s;
    if (pthread_key_create(&q->key, session_destroy) != 0) {
        snprintf(err, errlen, "no thread key left");
        free(q);
        return NULL;
    }
    arena_t a;
    arena_init(&a);
    db_result_t res;
    int rc = run(session(&q->base), &st_meta_init, DB_ARGS(DB_TEXT(name)), &a, &res);
    arena_destroy(&a);
    if (rc != 0) {
        snprintf(err, errlen, "%s", queue_error(&q->base));
        sql_close(&q->base);
        return NULL;
    }
    return &q->base;
}
