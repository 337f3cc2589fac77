/*
 * The Redis queue adapter (src/queue/redis.c) against a real server or Cluster,
 * started by tests/queue_redis/run_queue_redis.py, which passes its URL in
 * ERP_TEST_QUEUE_URL.
 *
 *   queue_redis_test               the cmocka suite (each test on a queue of its own)
 *   queue_redis_test restart NAME  enqueues ten jobs on queue NAME, completes three,
 *                                  prints "ready", waits for a line on stdin (the driver
 *                                  restarts Redis meanwhile), then completes the other
 *                                  seven through the same queue and prints "done"
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/ids.h"
#include "queue/queue_int.h"
#include "queue/worker.h"

#define SCHOOL "0191c1a0-0000-7000-8000-000000000001"
#define OTHER "0191c1a0-0000-7000-8000-000000000002"

static const char *url;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A queue of its own for one test (a fresh name), with short timings. */
static queue_t *open_queue(const queue_options_t *o)
{
    char name[48], err[256];
    ids_random_hex(name, 6);
    queue_t *q = queue_open(url, name, o, err, sizeof(err));
    if (q == NULL)
        fail_msg("queue_open: %s", err);
    return q;
}

static void test_options(queue_options_t *o)
{
    queue_options_default(o);
    o->limiter_max = 0;
}

static void enqueue(queue_t *q, const char *id, int priority, int64_t delay_ms, char out[QUEUE_ID_MAX])
{
    job_spec_t s = {.id = id, .tenant_id = SCHOOL, .owner_id = "teacher-1", .type = "noop", .payload = "{\"n\":1}",
                    .priority = priority, .delay_ms = delay_ms};
    char idbuf[QUEUE_ID_MAX];
    int existed = -1;
    if (queue_enqueue(q, &s, out != NULL ? out : idbuf, &existed) != 0)
        fail_msg("enqueue: %s", queue_error(q));
    assert_int_equal(existed, 0);
}

static int fetch(queue_t *q, job_t *j, int64_t *wait)
{
    int64_t w = 0;
    int rc = queue_fetch(q, j, &w);
    if (rc < 0)
        fail_msg("fetch: %s", queue_error(q));
    if (wait != NULL)
        *wait = w;
    return rc;
}

/* The job's state as queue_get renders it; "" when not found. */
static const char *state_of(queue_t *q, const char *id, char buf[32])
{
    json_t *o = NULL;
    buf[0] = '\0';
    if (queue_get(q, SCHOOL, id, &o) == 0)
        snprintf(buf, 32, "%s", json_string_value(json_object_get(o, "state")));
    json_decref(o);
    return buf;
}

static void enqueue_fetch_complete(void **state)
{
    (void)state;
    queue_options_t o;
    test_options(&o);
    queue_t *q = open_queue(&o);
    assert_string_equal(queue_adapter(q), "redis");
    char id[QUEUE_ID_MAX], buf[32];
    enqueue(q, NULL, 0, 0, id);
    assert_string_equal(state_of(q, id, buf), "waiting");
    job_t j;
    assert_int_equal(fetch(q, &j, NULL), 1);
    assert_string_equal(j.id, id);
    assert_string_equal(j.tenant_id, SCHOOL);
    assert_string_equal(j.owner_id, "teacher-1");
    assert_string_equal(j.type, "noop");
    assert_string_equal(j.payload, "{\"n\":1}");
    assert_int_equal(j.attempts, 3);
    assert_int_equal(j.attempts_made, 0);
    assert_int_equal(strlen(j.token), QUEUE_TOKEN_MAX - 1);
    assert_string_equal(state_of(q, id, buf), "active");
    assert_int_equal(queue_progress(q, &j, 40), 0);
    json_t *v = NULL;
    assert_int_equal(queue_get(q, SCHOOL, id, &v), 0);
    assert_int_equal(json_integer_value(json_object_get(v, "progress")), 40);
    assert_non_null(json_object_get(v, "startedAt"));
    json_decref(v);
    assert_int_equal(queue_renew(q, &j), 0);
    assert_int_equal(queue_complete(q, &j, "{\"rows\":3}"), 0);
    assert_int_equal(queue_complete(q, &j, NULL), QUEUE_ELOCK); /* once only */
    assert_int_equal(queue_get(q, SCHOOL, id, &v), 0);
    assert_string_equal(json_string_value(json_object_get(v, "state")), "completed");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "result"), "rows")), 3);
    assert_int_equal(json_integer_value(json_object_get(v, "progress")), 100);
    assert_int_equal(json_integer_value(json_object_get(v, "attemptsMade")), 1);
    assert_non_null(json_object_get(v, "finishedAt"));
    json_decref(v);
    job_clear(&j);
    int64_t wait;
    assert_int_equal(fetch(q, &j, &wait), 0);
    assert_true(wait > 0);
    queue_close(q);
}

static void complete_then_fetch_in_one_call(void **state)
{
    (void)state;
    queue_options_t o;
    test_options(&o);
    queue_t *q = open_queue(&o);
    char a[QUEUE_ID_MAX], b[QUEUE_ID_MAX], buf[32];
    enqueue(q, NULL, 0, 0, a);
    enqueue(q, NULL, 0, 0, b);
    job_t j, next;
    int fetched = -1;
    int64_t wait = -1;
    assert_int_equal(fetch(q, &j, NULL), 1);
    assert_int_equal(queue_complete_fetch(q, &j, "{}", &next, &fetched, &wait), 0);
    assert_int_equal(fetched, 1);
    assert_string_equal(next.id, b);
    assert_string_equal(state_of(q, a, buf), "completed");
    assert_string_equal(state_of(q, b, buf), "active");
    assert_int_equal(queue_complete_fetch(q, &j, NULL, &next, &fetched, &wait), QUEUE_ELOCK); /* done already */
    assert_int_equal(fetched, 0);
    job_clear(&j);
    assert_int_equal(queue_complete_fetch(q, &next, NULL, &j, &fetched, &wait), 0);
    assert_int_equal(fetched, 0); /* nothing left: when to look again */
    assert_true(wait > 0);
    assert_string_equal(state_of(q, b, buf), "completed");
    job_clear(&next);
    queue_close(q);
}

/* A batch: each job of it locked with its own token; a short queue shared among `spread` fetchers. */
static void finish_fetch_in_batches(void **state)
{
    (void)state;
    queue_options_t o;
    test_options(&o);
    queue_t *q = open_queue(&o);
    char id[6][QUEUE_ID_MAX], buf[32];
    for (int i = 0; i < 6; i++)
        enqueue(q, NULL, 0, 0, id[i]);
    job_t got[QUEUE_BATCH_MAX], more[QUEUE_BATCH_MAX];
    int fetched = -1;
    int64_t wait = -1;
    assert_int_equal(queue_finish_fetch(q, NULL, 0, got, 4, 1, &fetched, &wait), 0);
    assert_int_equal(fetched, 4);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(got[i].id, id[i]); /* in arrival order */
        assert_string_equal(got[i].payload, "{\"n\":1}");
        assert_int_equal(got[i].attempts, 3);
        assert_string_equal(state_of(q, id[i], buf), "active");
        for (int k = 0; k < i; k++)
            assert_string_not_equal(got[i].token, got[k].token);
    }
    long long c[6];
    int64_t oldest;
    assert_int_equal(queue_counts(q, c, &oldest), 0);
    assert_int_equal(c[JOB_ACTIVE], 4);
    assert_int_equal(c[JOB_WAITING], 2);
    /* two done, one of them with another's token: that one keeps its lock; two waiting, two fetchers: one each */
    job_t forged = got[1];
    memcpy(forged.token, got[0].token, QUEUE_TOKEN_MAX);
    queue_done_t done[2] = {{.job = &got[0], .result = "{\"rows\":1}"}, {.job = &forged}};
    assert_int_equal(queue_finish_fetch(q, done, 2, more, 4, 2, &fetched, &wait), 0);
    assert_int_equal(done[0].rc, 0);
    assert_int_equal(done[1].rc, QUEUE_ELOCK);
    assert_int_equal(fetched, 1);
    assert_string_equal(more[0].id, id[4]);
    assert_string_equal(state_of(q, id[0], buf), "completed");
    assert_string_equal(state_of(q, id[1], buf), "active");
    json_t *v = NULL;
    assert_int_equal(queue_get(q, SCHOOL, id[0], &v), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "result"), "rows")), 1);
    assert_int_equal(json_integer_value(json_object_get(v, "attemptsMade")), 1);
    json_decref(v);
    /* completing again: the lock is gone; fetching nothing (max 0) */
    done[0] = (queue_done_t){.job = &got[0]};
    assert_int_equal(queue_finish_fetch(q, done, 1, more + 1, 0, 1, &fetched, &wait), 0);
    assert_int_equal(done[0].rc, QUEUE_ELOCK);
    assert_int_equal(fetched, 0);
    assert_int_equal(queue_counts(q, c, &oldest), 0);
    assert_int_equal(c[JOB_COMPLETED], 1);
    assert_int_equal(c[JOB_ACTIVE], 4);
    for (int i = 0; i < 4; i++)
        job_clear(&got[i]);
    job_clear(&more[0]);
    queue_close(q);
}

/* Jobs fetched and not started go back to the place they had, without an attempt or a start time. */
static void release_gives_back_in_place(void **state)
{
    (void)state;
    queue_options_t o;
    test_options(&o);
    queue_t *q = open_queue(&o);
    char id[4][QUEUE_ID_MAX], buf[32];
    for (int i = 0; i < 4; i++)
        enqueue(q, NULL, 0, 0, id[i]);
    job_t got[QUEUE_BATCH_MAX], j;
    int fetched;
    int64_t wait;
    assert_int_equal(queue_finish_fetch(q, NULL, 0, got, 3, 1, &fetched, &wait), 0);
    assert_int_equal(fetched, 3);
    job_t forged = got[0];
    memcpy(forged.token, got[2].token, QUEUE_TOKEN_MAX);
    assert_int_equal(queue_release(q, &forged, 1), 0); /* not its token */
    assert_string_equal(state_of(q, id[0], buf), "active");
    assert_int_equal(queue_release(q, got + 1, 2), 2);
    assert_int_equal(queue_release(q, got + 1, 2), 0); /* once */
    assert_string_equal(state_of(q, id[1], buf), "waiting");
    json_t *v = NULL;
    assert_int_equal(queue_get(q, SCHOOL, id[1], &v), 0);
    assert_null(json_object_get(v, "startedAt"));
    assert_int_equal(json_integer_value(json_object_get(v, "attemptsMade")), 0);
    json_decref(v);
    assert_int_equal(queue_renew(q, &got[1]), QUEUE_ELOCK); /* the holder lost it */
    assert_int_equal(queue_complete(q, &got[2], NULL), QUEUE_ELOCK);
    for (int i = 1; i < 4; i++) { /* before the job enqueued after them */
        assert_int_equal(fetch(q, &j, NULL), 1);
        assert_string_equal(j.id, id[i]);
        job_clear(&j);
    }
    /* a cancelled held job cannot be given back (nor started: its renew says so) */
    assert_int_equal(queue_cancel(q, SCHOOL, id[0]), 0);
    assert_int_equal(queue_release(q, got, 1), 0);
    assert_string_equal(state_of(q, id[0], buf), "cancelled");
    for (int i = 0; i < 3; i++)
        job_clear(&got[i]);
    queue_close(q);
}

/* A batch takes no more than the limiter's window has room for. */
static void batch_within_limiter(void **state)
{
    (void)state;
    queue_options_t o;
    test_options(&o);
    o.limiter_max = 3;
    o.limiter_window_ms = 60000;
    queue_t *q = open_queue(&o);
    for (int i = 0; i < 5; i++)
        enqueue(q, NULL, 0, 0, NULL);
    job_t got[QUEUE_BATCH_MAX];
    int fetched;
    int64_t wait;
    assert_int_equal(queue_finish_fetch(q, NULL, 0, got, 8, 1, &fetched, &wait), 0);
    assert_int_equal(fetched, 3);
    queue_done_t done[3];
    for (int i = 0; i < 3; i++)
        done[i] = (queue_done_t){.job = &got[i]};
    job_t more[QUEUE_BATCH_MAX];
    assert_int_equal(queue_finish_fetch(q, done, 3, more, 8, 1, &fetched, &wait), 0);
    assert_int_equal(fetched, 0);
    assert_true(wait > 0 && wait <= 60000);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(done[i].rc, 0);
        job_clear(&got[i]);
    }
    queue_stats_t st;
    queue_stats(q, &st);
    assert_int_equal(st.limited, 1);
    queue_close(q);
}

/* Handlers for the worker test: sleep payload.ms; the second worker's counts what it ran. */
static int ran_by_second;

static int sleeper(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen)
{
    (void)ctx, (void)result, (void)reason, (void)reasonlen;
    sleep_ms((long)json_integer_value(json_object_get(payload, "ms")));
    return JOB_DONE;
}

static int second_sleeper(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen)
{
    __atomic_fetch_add(&ran_by_second, 1, __ATOMIC_RELAXED);
    return sleeper(ctx, payload, result, reason, reasonlen);
}

static const job_handler_t first_handlers[] = {{"sleep", sleeper}};
static const job_handler_t second_handlers[] = {{"sleep", second_sleeper}};

static void enqueue_sleep(queue_t *q, long ms, char id[QUEUE_ID_MAX])
{
    char payload[40];
    snprintf(payload, sizeof(payload), "{\"ms\":%ld}", ms);
    job_spec_t s = {.tenant_id = SCHOOL, .type = "sleep", .payload = payload};
    if (queue_enqueue(q, &s, id, NULL) != 0)
        fail_msg("enqueue: %s", queue_error(q));
}

/* Waits up to 10 s for job id to reach state. */
static void wait_state(queue_t *q, const char *id, const char *want)
{
    char buf[32];
    for (int i = 0; i < 2000 && strcmp(state_of(q, id, buf), want) != 0; i++)
        sleep_ms(5);
    assert_string_equal(state_of(q, id, buf), want);
}

/*
 * A worker thread that ran a short job fetches a batch; the jobs of it that a long one keeps waiting
 * are given back (by the renewal thread) and another worker runs them while the long one runs.
 */
static void held_jobs_go_to_another_worker(void **state)
{
    (void)state;
    queue_options_t o;
    test_options(&o);
    queue_t *q = open_queue(&o);
    char first[QUEUE_ID_MAX], slow[QUEUE_ID_MAX], quick[4][QUEUE_ID_MAX], err[256], buf[32];
    enqueue_sleep(q, 0, first);
    enqueue_sleep(q, 3000, slow);
    for (int i = 0; i < 4; i++)
        enqueue_sleep(q, 0, quick[i]);
    worker_config_t cfg = {.concurrency = 1, .grace_ms = 10000, .poll_ms = 50};
    queue_worker_t *a = worker_start(q, NULL, first_handlers, 1, &cfg, err, sizeof(err));
    assert_non_null(a);
    wait_state(q, slow, "active");
    queue_worker_t *b = worker_start(q, NULL, second_handlers, 1, &cfg, err, sizeof(err));
    assert_non_null(b);
    for (int i = 0; i < 4; i++)
        wait_state(q, quick[i], "completed");
    assert_string_equal(state_of(q, slow, buf), "active"); /* still running */
    assert_int_equal(__atomic_load_n(&ran_by_second, __ATOMIC_RELAXED), 4);
    assert_string_equal(state_of(q, first, buf), "completed");
    wait_state(q, slow, "completed");
    assert_int_equal(worker_stop(a), 0);
    assert_int_equal(worker_stop(b), 0);
    long long c[6];
    int64_t oldest;
    assert_int_equal(queue_counts(q, c, &oldest), 0);
    assert_int_equal(c[JOB_COMPLETED], 6);
    assert_int_equal(c[JOB_ACTIVE] + c[JOB_WAITING], 0);
    queue_close(q);
}

static void dedup_and_tenants(void **state)
{
    (void)state;
    queue_options_t o;
    test_options(&o);
    queue_t *q = open_queue(&o);
    char id[QUEUE_ID_MAX];
    enqueue(q, "import-42", 0, 0, id);
    assert_string_equal(id, "import-42");
    job_spec_t s = {.id = "import-42", .tenant_id = SCHOOL, .type = "other", .payload = "{}"};
    int existed = 0;
    assert_int_equal(queue_enqueue(q, &s, id, &existed), 0);
    assert_int_equal(existed, 1);
    s.tenant_id = OTHER;
    assert_int_equal(queue_enqueue(q, &s, id, &existed), -1);
    long long c[6];
    int64_t oldest;
    assert_int_equal(queue_counts(q, c, &oldest), 0);
    assert_int_equal(c[JOB_WAITING], 1);
    json_t *v = NULL;
    assert_int_equal(queue_get(q, OTHER, "import-42", &v), QUEUE_ENOTFOUND);
    assert_null(v);
    assert_int_equal(queue_get(q, SCHOOL, "nope", &v), QUEUE_ENOTFOUND);
    assert_int_equal(queue_cancel(q, OTHER, "import-42"), QUEUE_ENOTFOUND);
    queue_cursor_t next;
    /* the school's list, and one owner's */
    s = (job_spec_t){.tenant_id = SCHOOL, .owner_id = "teacher-2", .type = "noop"};
    assert_int_equal(queue_enqueue(q, &s, id, &existed), 0);
    assert_int_equal(queue_list(q, SCHOOL, NULL, NULL, 10, &v, &next), 0);
    assert_int_equal(json_array_size(v), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "id")), id); /* newest first */
    json_decref(v);
    assert_int_equal(queue_list(q, SCHOOL, "teacher-2", NULL, 10, &v, &next), 0);
    assert_int_equal(json_array_size(v), 1);
    json_decref(v);
    assert_int_equal(queue_list(q, OTHER, NULL, NULL, 10, &v, &next), 0);
    assert_int_equal(json_array_size(v), 0);
    json_decref(v);
    queue_close(q);
}

static void priority_then_fifo(void **state)
{
    (void)state;
    queue_options_t o;
    test_options(&o);
    queue_t *q = open_queue(&o);
    const char *ids[] = {"a", "b", "c", "urgent", "low", "d"};
    const int prio[] = {0, 0, 0, 5, -1, 0};
    for (int i = 0; i < 6; i++)
        enqueue(q, ids[i], prio[i], 0, NULL);
    const char *want[] = {"urgent", "a", "b", "c", "d", "low"};
    long long c[6];
    int64_t oldest;
    sleep_ms(30);
    assert_int_equal(queue_counts(q, c, &oldest), 0);
    assert_int_equal(c[JOB_WAITING], 6);
    assert_true(oldest >= 30 && oldest < 5000);
    for (int i = 0; i < 6; i++) {
        job_t j;
        assert_int_equal(fetch(q, &j, NULL), 1);
        assert_string_equal(j.id, want[i]);
        job_clear(&j);
    }
    assert_int_equal(queue_counts(q, c, &oldest), 0);
    assert_int_equal(c[JOB_ACTIVE], 6);
    assert_int_equal(oldest, 0);
    queue_close(q);
}

static void delayed_promotion(void **state)
{
    (void)state;
    queue_options_t o;
    test_options(&o);
    queue_t *q = open_queue(&o);
    char id[QUEUE_ID_MAX], buf[32];
    enqueue(q, NULL, 0, 300, id);
    assert_string_equal(state_of(q, id, buf), "delayed");
    job_t j;
    int64_t wait;
    assert_int_equal(fetch(q, &j, &wait), 0);
    assert_true(wait > 200 && wait <= 300);
    assert_int_equal(queue_promote_delayed(q), 0);
    sleep_ms(wait + 20);
    assert_int_equal(queue_promote_delayed(q), 1);
    assert_string_equal(state_of(q, id, buf), "waiting");
    assert_int_equal(fetch(q, &j, NULL), 1);
    assert_string_equal(j.id, id);
    job_clear(&j);
    /* fetch promotes by itself */
    enqueue(q, NULL, 0, 50, id);
    sleep_ms(80);
    assert_int_equal(fetch(q, &j, NULL), 1);
    assert_string_equal(j.id, id);
    job_clear(&j);
    queue_close(q);
}

static void lost_lock_changes_nothing(void **state)
{
    (void)state;
    queue_options_t o;
    test_options(&o);
    o.lock_ms = 100;
    o.stalled_interval_ms = 10;
    o.max_stalled = 1;
    queue_t *q = open_queue(&o);
    char id[QUEUE_ID_MAX], buf[32];
    enqueue(q, NULL, 0, 0, id);
    job_t first, second;
    assert_int_equal(fetch(q, &first, NULL), 1);
    assert_int_equal(queue_sweep_stalled(q), 0); /* lock still held */
    sleep_ms(150);
    sleep_ms(20); /* past the sweep gate too */
    assert_int_equal(queue_sweep_stalled(q), 1);
    assert_string_equal(state_of(q, id, buf), "waiting");
    assert_int_equal(queue_renew(q, &first), QUEUE_ELOCK);
    assert_int_equal(queue_progress(q, &first, 10), QUEUE_ELOCK);
    assert_int_equal(queue_complete(q, &first, NULL), QUEUE_ELOCK);
    assert_int_equal(queue_fail(q, &first, "boom", true), QUEUE_ELOCK);
    assert_int_equal(fetch(q, &second, NULL), 1);
    assert_string_equal(second.id, id);
    assert_string_not_equal(second.token, first.token);
    assert_int_equal(queue_complete(q, &first, NULL), QUEUE_ELOCK); /* the old token, while another holds it */
    assert_int_equal(queue_complete(q, &second, NULL), 0);
    assert_string_equal(state_of(q, id, buf), "completed");
    queue_stats_t st;
    queue_stats(q, &st);
    assert_int_equal(st.stalled, 1);
    job_clear(&first);
    job_clear(&second);
    queue_close(q);
}

static void stalled_twice_fails(void **state)
{
    (void)state;
    queue_options_t o;
    test_options(&o);
    o.lock_ms = 50;
    o.stalled_interval_ms = 10;
    o.max_stalled = 1;
    queue_t *q = open_queue(&o);
    char id[QUEUE_ID_MAX], buf[32];
    enqueue(q, NULL, 0, 0, id);
    for (int round = 0; round < 2; round++) {
        job_t j;
        assert_int_equal(fetch(q, &j, NULL), 1);
        sleep_ms(80);
        assert_int_equal(queue_sweep_stalled(q), 1);
        job_clear(&j);
    }
    json_t *v = NULL;
    assert_int_equal(queue_get(q, SCHOOL, id, &v), 0);
    assert_string_equal(json_string_value(json_object_get(v, "state")), "failed");
    assert_string_equal(json_string_value(json_object_get(v, "error")), QUEUE_STALLED_REASON);
    json_decref(v);
    (void)buf;
    queue_close(q);
}

static void one_sweep_per_interval(void **state)
{
    (void)state;
    queue_options_t o;
    test_options(&o);
    o.lock_ms = 20;
    o.stalled_interval_ms = 400;
    queue_t *q = open_queue(&o);
    queue_t *other = NULL;
    char err[200];
    other = queue_open(url, queue_name(q), &o, err, sizeof(err)); /* another worker of the same queue */
    assert_non_null(other);
    enqueue(q, NULL, 0, 0, NULL);
    job_t j;
    assert_int_equal(fetch(q, &j, NULL), 1);
    job_clear(&j);
    assert_int_equal(queue_sweep_stalled(q), 0); /* runs (nothing expired yet) and closes the gate */
    sleep_ms(60);
    assert_int_equal(queue_sweep_stalled(other), 0); /* within the interval: skipped */
    assert_int_equal(queue_sweep_stalled(q), 0);
    sleep_ms(400);
    assert_int_equal(queue_sweep_stalled(other), 1);
    queue_close(other);
    queue_close(q);
}

static void limiter_window(void **state)
{
    (void)state;
    queue_options_t o;
    test_options(&o);
    o.limiter_max = 3;
    o.limiter_window_ms = 500;
    queue_t *q = open_queue(&o);
    for (int i = 0; i < 5; i++)
        enqueue(q, NULL, 0, 0, NULL);
    job_t j;
    int64_t wait;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fetch(q, &j, NULL), 1);
        job_clear(&j);
    }
    assert_int_equal(fetch(q, &j, &wait), 0);
    assert_true(wait > 0 && wait <= 500);
    queue_stats_t st;
    queue_stats(q, &st);
    assert_int_equal(st.limited, 1);
    sleep_ms(wait + 20);
    assert_int_equal(fetch(q, &j, NULL), 1);
    job_clear(&j);
    assert_int_equal(fetch(q, &j, NULL), 1);
    job_clear(&j);
    /* an empty queue uses nothing of the window */
    assert_int_equal(fetch(q, &j, &wait), 0);
    queue_close(q);
}

static void retries_with_backoff(void **state)
{
    (void)state;
    queue_options_t o;
    test_options(&o);
    queue_t *q = open_queue(&o);
    job_spec_t s = {.tenant_id = SCHOOL, .type = "noop", .attempts = 3, .backoff_ms = 100};
    char id[QUEUE_ID_MAX], buf[32];
    int existed;
    assert_int_equal(queue_enqueue(q, &s, id, &existed), 0);
    const int64_t lo[] = {75, 150}, hi[] = {125, 250};
    for (int attempt = 0; attempt < 2; attempt++) {
        job_t j;
        int64_t wait;
        assert_int_equal(fetch(q, &j, NULL), 1);
        assert_int_equal(j.attempts_made, attempt);
        assert_int_equal(queue_fail(q, &j, "boom", true), 0);
        job_clear(&j);
        assert_string_equal(state_of(q, id, buf), "delayed");
        assert_int_equal(fetch(q, &j, &wait), 0);
        assert_true(wait >= lo[attempt] - 5 && wait <= hi[attempt]);
        sleep_ms(wait + 20);
    }
    job_t j;
    assert_int_equal(fetch(q, &j, NULL), 1);
    assert_int_equal(j.attempts_made, 2);
    assert_int_equal(queue_fail(q, &j, "still broken", true), 0); /* the last attempt */
    job_clear(&j);
    json_t *v = NULL;
    assert_int_equal(queue_get(q, SCHOOL, id, &v), 0);
    assert_string_equal(json_string_value(json_object_get(v, "state")), "failed");
    assert_string_equal(json_string_value(json_object_get(v, "error")), "still broken");
    assert_int_equal(json_integer_value(json_object_get(v, "attemptsMade")), 3);
    json_decref(v);
    /* retry = false fails at once */
    assert_int_equal(queue_enqueue(q, &s, id, &existed), 0);
    assert_int_equal(fetch(q, &j, NULL), 1);
    assert_int_equal(queue_fail(q, &j, "bad input", false), 0);
    job_clear(&j);
    assert_string_equal(state_of(q, id, buf), "failed");
    queue_stats_t st;
    queue_stats(q, &st);
    assert_int_equal(st.retried, 2);
    queue_close(q);
}

static void retention(void **state)
{
    (void)state;
    queue_options_t o;
    test_options(&o);
    o.keep_completed = 5;
    o.keep_failed = 2;
    queue_t *q = open_queue(&o);
    char first[QUEUE_ID_MAX];
    for (int i = 0; i < 30; i++) {
        job_t j;
        enqueue(q, NULL, 0, 0, i == 0 ? first : NULL);
        assert_int_equal(fetch(q, &j, NULL), 1);
        if (i % 2 == 0)
            assert_int_equal(queue_complete(q, &j, NULL), 0);
        else
            assert_int_equal(queue_fail(q, &j, "x", false), 0);
        job_clear(&j);
    }
    long long c[6];
    int64_t oldest;
    assert_int_equal(queue_counts(q, c, &oldest), 0);
    assert_int_equal(c[JOB_COMPLETED], 5);
    assert_int_equal(c[JOB_FAILED], 2);
    json_t *v = NULL;
    queue_cursor_t next;
    assert_int_equal(queue_get(q, SCHOOL, first, &v), QUEUE_ENOTFOUND); /* hash removed */
    assert_int_equal(queue_list(q, SCHOOL, NULL, NULL, 100, &v, &next), 0);
    assert_int_equal(json_array_size(v), 7); /* the school's index trimmed too */
    json_decref(v);
    queue_close(q);
    /* by age, in queue_trim */
    test_options(&o);
    o.keep_completed_ms = 100;
    q = open_queue(&o);
    for (int i = 0; i < 3; i++) {
        job_t j;
        enqueue(q, NULL, 0, 0, NULL);
        assert_int_equal(fetch(q, &j, NULL), 1);
        assert_int_equal(queue_complete(q, &j, NULL), 0);
        job_clear(&j);
    }
    assert_int_equal(queue_trim(q), 0);
    sleep_ms(150);
    assert_int_equal(queue_trim(q), 3);
    assert_int_equal(queue_counts(q, c, &oldest), 0);
    assert_int_equal(c[JOB_COMPLETED], 0);
    queue_close(q);
}

/* In batches: keeping 64, the completed set grows to 66 (64 / 32 more) and is cut back to 64 at
 * once; queue_trim is exact. After 98 jobs: 67 → 64, then three by three, 65 left. */
static void retention_in_batches(void **state)
{
    (void)state;
    queue_options_t o;
    test_options(&o);
    o.keep_completed = 64;
    queue_t *q = open_queue(&o);
    long long c[6], most = 0;
    int64_t oldest;
    for (int i = 0; i < 98; i++) {
        job_t j;
        enqueue(q, NULL, 0, 0, NULL);
        assert_int_equal(fetch(q, &j, NULL), 1);
        assert_int_equal(queue_complete(q, &j, NULL), 0);
        job_clear(&j);
        assert_int_equal(queue_counts(q, c, &oldest), 0);
        if (c[JOB_COMPLETED] > most)
            most = c[JOB_COMPLETED];
    }
    assert_int_equal(most, 66);
    assert_int_equal(c[JOB_COMPLETED], 65);
    assert_int_equal(queue_trim(q), 1);
    assert_int_equal(queue_counts(q, c, &oldest), 0);
    assert_int_equal(c[JOB_COMPLETED], 64);
    queue_close(q);
}

static void cancel(void **state)
{
    (void)state;
    queue_options_t o;
    test_options(&o);
    queue_t *q = open_queue(&o);
    char waiting[QUEUE_ID_MAX], delayed[QUEUE_ID_MAX], active[QUEUE_ID_MAX], buf[32];
    enqueue(q, NULL, 0, 0, active);
    enqueue(q, NULL, 0, 0, waiting);
    enqueue(q, NULL, 0, 60000, delayed);
    job_t j;
    assert_int_equal(fetch(q, &j, NULL), 1);
    assert_string_equal(j.id, active);
    assert_int_equal(queue_cancel(q, SCHOOL, waiting), 0);
    assert_int_equal(queue_cancel(q, SCHOOL, delayed), 0);
    assert_int_equal(queue_cancel(q, SCHOOL, active), 0);
    assert_string_equal(state_of(q, waiting, buf), "cancelled");
    assert_string_equal(state_of(q, delayed, buf), "cancelled");
    assert_string_equal(state_of(q, active, buf), "cancelled");
    assert_int_equal(queue_renew(q, &j), QUEUE_ELOCK);
    assert_int_equal(queue_complete(q, &j, NULL), QUEUE_ELOCK);
    assert_int_equal(queue_cancel(q, SCHOOL, waiting), QUEUE_ESTATE);
    assert_int_equal(queue_cancel(q, SCHOOL, "missing"), QUEUE_ENOTFOUND);
    job_clear(&j);
    int64_t wait;
    assert_int_equal(fetch(q, &j, &wait), 0); /* nothing left to run */
    long long c[6];
    int64_t oldest;
    assert_int_equal(queue_counts(q, c, &oldest), 0);
    assert_int_equal(c[JOB_CANCELLED], 3);
    assert_int_equal(c[JOB_WAITING] + c[JOB_DELAYED] + c[JOB_ACTIVE], 0);
    queue_close(q);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *enqueue_later(void *arg)
{
    sleep_ms(150);
    enqueue(arg, NULL, 0, 0, NULL);
    return NULL;
}

static void wait_wakes_on_new_job(void **state)
{
    (void)state;
    queue_options_t o;
    test_options(&o);
    queue_t *q = open_queue(&o);
    job_t j;
    int64_t wait;
    enqueue(q, NULL, 0, 0, NULL); /* leaves a wake-up that nobody took */
    assert_int_equal(fetch(q, &j, NULL), 1);
    job_clear(&j);
    assert_int_equal(fetch(q, &j, &wait), 0); /* clears it */
    int64_t t0 = now_ms();
    assert_int_equal(queue_wait(q, 200), 0);
    assert_true(now_ms() - t0 >= 150); /* nothing came: the full wait */
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, enqueue_later, q), 0);
    t0 = now_ms();
    assert_int_equal(queue_wait(q, 1000), 0);
    int64_t took = now_ms() - t0;
    pthread_join(th, NULL);
    assert_true(took >= 100 && took < 600);
    assert_int_equal(fetch(q, &j, NULL), 1);
    job_clear(&j);
    queue_close(q);
}

/* Redis refuses nothing here, but a closed port must fail cleanly (-1 with a message, no crash). */
static void unreachable_server(void **state)
{
    (void)state;
    char err[200];
    queue_t *q = queue_open("redis://127.0.0.1:1", "down", NULL, err, sizeof(err));
    assert_non_null(q);
    char id[QUEUE_ID_MAX];
    job_spec_t s = {.tenant_id = SCHOOL, .type = "noop"};
    assert_int_equal(queue_enqueue(q, &s, id, NULL), -1);
    assert_non_null(strstr(queue_error(q), "redis unavailable"));
    queue_close(q);
}

/* The restart scenario driven by run_queue_redis.py (see the header). */
static int restart(const char *name)
{
    char err[256], id[QUEUE_ID_MAX];
    queue_options_t o;
    test_options(&o);
    queue_t *q = queue_open(url, name, &o, err, sizeof(err));
    if (q == NULL)
        return fprintf(stderr, "open: %s\n", err), 1;
    for (int i = 0; i < 10; i++) {
        char jid[16];
        snprintf(jid, sizeof(jid), "job-%d", i);
        job_spec_t s = {.id = jid, .tenant_id = SCHOOL, .type = "noop"};
        if (queue_enqueue(q, &s, id, NULL) != 0)
            return fprintf(stderr, "enqueue: %s\n", queue_error(q)), 1;
    }
    job_t j;
    int64_t wait;
    for (int i = 0; i < 3; i++)
        if (queue_fetch(q, &j, &wait) != 1 || queue_complete(q, &j, NULL) != 0)
            return fprintf(stderr, "before: %s\n", queue_error(q)), 1;
        else
            job_clear(&j);
    printf("ready\n");
    fflush(stdout);
    char line[16];
    if (fgets(line, sizeof(line), stdin) == NULL)
        return 1;
    int done = 0;
    for (int tries = 0; done < 7 && tries < 200; tries++) {
        int rc = queue_fetch(q, &j, &wait);
        if (rc == 1 && queue_complete(q, &j, NULL) == 0)
            done++;
        if (rc == 1)
            job_clear(&j);
        else
            sleep_ms(50); /* Redis coming back, or the client's backoff */
    }
    long long c[6];
    int64_t oldest;
    if (queue_counts(q, c, &oldest) != 0 || c[JOB_COMPLETED] != 10 || done != 7)
        return fprintf(stderr, "after: done %d, completed %lld: %s\n", done, c[JOB_COMPLETED], queue_error(q)), 1;
    printf("done\n");
    queue_close(q);
    return 0;
}

int main(int argc, char **argv)
{
    url = getenv("ERP_TEST_QUEUE_URL");
    if (url == NULL) {
        fprintf(stderr, "ERP_TEST_QUEUE_URL is not set (run tests/queue_redis/run_queue_redis.py)\n");
        return 2;
    }
    if (argc == 3 && strcmp(argv[1], "restart") == 0)
        return restart(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(enqueue_fetch_complete),
        cmocka_unit_test(complete_then_fetch_in_one_call),
        cmocka_unit_test(finish_fetch_in_batches),
        cmocka_unit_test(release_gives_back_in_place),
        cmocka_unit_test(batch_within_limiter),
        cmocka_unit_test(held_jobs_go_to_another_worker),
        cmocka_unit_test(dedup_and_tenants),
        cmocka_unit_test(priority_then_fifo),
        cmocka_unit_test(delayed_promotion),
        cmocka_unit_test(lost_lock_changes_nothing),
        cmocka_unit_test(stalled_twice_fails),
        cmocka_unit_test(one_sweep_per_interval),
        cmocka_unit_test(limiter_window),
        cmocka_unit_test(retries_with_backoff),
        cmocka_unit_test(retention),
        cmocka_unit_test(retention_in_batches),
        cmocka_unit_test(cancel),
        cmocka_unit_test(wait_wakes_on_new_job),
        cmocka_unit_test(unreachable_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
