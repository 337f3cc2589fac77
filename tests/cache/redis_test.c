/*
 * redis_test - drives src/cache/redis.c against real servers, one line at a time.
 *
 * tests/cache/run_redis.py starts the servers (standalone, with a password, Cluster), kills
 * and restarts them, and sends this program one command per line on standard input; each
 * answers one line on standard output, "ok …" or "fail …" (logs go to standard error):
 *
 *   open URL                     redis_create
 *   close                        redis_destroy
 *   cmd KEY|- ARG…               one command with slot key KEY (- for none): "ok str:V|int:N|nil|status:S|err:E|arr:N"
 *                                or "fail US" (-1 after US microseconds)
 *   pipe TAG N                   N × (SET {TAG}kI I, INCR {TAG}c, GET {TAG}kI) in one pipeline, checked
 *   spread N                     SET then GET of N keys of N hash tags: "ok N"
 *   failfast N                   N × GET on a server that is down: "ok fails=F first_us=U max_us=M" (M: the others)
 *   until_ok MS                  GET until one succeeds: "ok MS_TAKEN" or "fail"
 *   load start THREADS | stop    THREADS threads of SET+GET on their own keys, one pair per ms each; stop answers
 *                                "ok ops=N fails=F last_fail_ms=L max_fail_us=M" (L: after the last mark, -1: none)
 *   mark                         the instant load failures are measured from
 *   subscribe CHANNEL            redis_subscribe
 *   wait_msg PAYLOAD MS          waits for that message: "ok" or "fail"
 *   wait_resyncs N MS            waits until on_resync was called N times: "ok" or "fail COUNT"
 *   metric SERIES                the value of one series of /metrics ("name{labels}" as printed), "ok V"
 *   healthy                      "ok 0|1"
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/redis.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/sbuf.h"
#include "obs/metrics.h"

#define MAX_ARGS 32
#define MAX_LOAD_THREADS 16

static redis_t *r;

static uint64_t us_since(uint64_t t0)
{
    return (clock_mono_ns() - t0) / 1000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One command from C strings; the reply or NULL. */
static redisReply *run(const char *slot_key, int argc, const char **argv)
{
    redisReply *rep = NULL;
    return redis_command(r, slot_key, argc, argv, NULL, &rep) == 0 ? rep : NULL;
}

static void print_reply(const redisReply *rep)
{
    switch (rep->type) {
    case REDIS_REPLY_STRING:
        printf("ok str:%.*s\n", (int)rep->len, rep->str);
        break;
    case REDIS_REPLY_INTEGER:
        printf("ok int:%lld\n", rep->integer);
        break;
    case REDIS_REPLY_NIL:
        printf("ok nil\n");
        break;
    case REDIS_REPLY_STATUS:
        printf("ok status:%.*s\n", (int)rep->len, rep->str);
        break;
    case REDIS_REPLY_ERROR:
        printf("ok err:%.*s\n", (int)rep->len, rep->str);
        break;
    default:
        printf("ok arr:%zu\n", rep->elements);
    }
}

static int reply_is(const redisReply *rep, const char *s)
{
    return rep != NULL && (rep->type == REDIS_REPLY_STRING || rep->type == REDIS_REPLY_STATUS) &&
           rep->len == strlen(s) && memcmp(rep->str, s, rep->len) == 0;
}

static void do_cmd(int argc, char **argv)
{
    const char *key = strcmp(argv[0], "-") == 0 ? NULL : argv[0];
    uint64_t t0 = clock_mono_ns();
    redisReply *rep = run(key, argc - 1, (const char **)argv + 1);
    if (rep == NULL) {
        printf("fail %llu\n", (unsigned long long)us_since(t0));
        return;
    }
    print_reply(rep);
    freeReplyObject(rep);
}

static void do_pipe(const char *tag, int n)
{
    if (n < 1 || n > 100) {
        printf("fail bad count\n");
        return;
    }
    char keys[100][64], vals[100][16], counter[64], slot_key[64];
    const char *argvs[300][3];
    const char **argv[300];
    int argc[300];
    snprintf(counter, sizeof(counter), "{%s}c", tag);
    snprintf(slot_key, sizeof(slot_key), "{%s}", tag);
    for (int i = 0; i < n; i++) {
        snprintf(keys[i], sizeof(keys[i]), "{%s}k%d", tag, i);
        snprintf(vals[i], sizeof(vals[i]), "%d", i);
        const char *set[3] = {"SET", keys[i], vals[i]}, *incr[2] = {"INCR", counter}, *get[2] = {"GET", keys[i]};
        memcpy(argvs[3 * i], set, sizeof(set));
        memcpy(argvs[3 * i + 1], incr, sizeof(incr));
        memcpy(argvs[3 * i + 2], get, sizeof(get));
        argc[3 * i] = 3;
        argc[3 * i + 1] = 2;
        argc[3 * i + 2] = 2;
    }
    for (int i = 0; i < 3 * n; i++)
        argv[i] = argvs[i];
    redisReply *out[300];
    if (redis_pipeline(r, slot_key, 3 * n, argc, argv, NULL, out) != 0) {
        printf("fail pipeline\n");
        return;
    }
    int bad = -1;
    long long first = -1;
    for (int i = 0; i < n && bad < 0; i++) {
        if (!reply_is(out[3 * i], "OK") || out[3 * i + 1]->type != REDIS_REPLY_INTEGER ||
            !reply_is(out[3 * i + 2], vals[i]))
            bad = i;
        else if (i == 0)
            first = out[1]->integer;
        else if (out[3 * i + 1]->integer != first + i)
            bad = i;
    }
    for (int i = 0; i < 3 * n; i++)
        freeReplyObject(out[i]);
    if (bad >= 0)
        printf("fail reply %d\n", bad);
    else
        printf("ok %lld\n", first + n - 1);
}

static void do_spread(int n)
{
    for (int i = 0; i < n; i++) {
        char key[64], val[16];
        snprintf(key, sizeof(key), "{spread%d}:k", i);
        snprintf(val, sizeof(val), "v%d", i);
        const char *set[3] = {"SET", key, val}, *get[2] = {"GET", key};
        redisReply *rep = run(key, 3, set);
        int ok = reply_is(rep, "OK");
        freeReplyObject(rep);
        rep = ok ? run(key, 2, get) : NULL;
        ok = reply_is(rep, val);
        freeReplyObject(rep);
        if (!ok) {
            printf("fail %d\n", i);
            return;
        }
    }
    printf("ok %d\n", n);
}

static void do_failfast(int n)
{
    const char *get[2] = {"GET", "failfast"};
    int fails = 0;
    uint64_t first = 0, max = 0;
    for (int i = 0; i < n; i++) {
        uint64_t t0 = clock_mono_ns();
        redisReply *rep = run(NULL, 2, get);
        uint64_t us = us_since(t0);
        if (rep == NULL)
            fails++;
        freeReplyObject(rep);
        if (i == 0)
            first = us;
        else if (us > max)
            max = us;
        sleep_ms(1);
    }
    printf("ok fails=%d first_us=%llu max_us=%llu\n", fails, (unsigned long long)first, (unsigned long long)max);
}

static void do_until_ok(int ms)
{
    const char *get[2] = {"GET", "until_ok"};
    uint64_t t0 = clock_mono_ns();
    while (us_since(t0) < (uint64_t)ms * 1000) {
        redisReply *rep = run(NULL, 2, get);
        if (rep != NULL) {
            freeReplyObject(rep);
            printf("ok %llu\n", (unsigned long long)us_since(t0) / 1000);
            return;
        }
        sleep_ms(5);
    }
    printf("fail\n");
}

/* ---- load ---- */

static struct {
    pthread_t tid[MAX_LOAD_THREADS];
    int n;
    int stop;
    uint64_t mark_ns;
    uint64_t ops, fails, last_fail_ns, max_fail_us;
} load;

static void *load_thread(void *arg)
{
    int id = (int)(intptr_t)arg;
    unsigned seed = (unsigned)id * 7919u + 1;
    while (!__atomic_load_n(&load.stop, __ATOMIC_ACQUIRE)) {
        char key[64], val[32];
        snprintf(key, sizeof(key), "{load%d-%u}", id, rand_r(&seed) % 1000);
        snprintf(val, sizeof(val), "%u", rand_r(&seed));
        const char *set[3] = {"SET", key, val}, *get[2] = {"GET", key};
        uint64_t t0 = clock_mono_ns();
        redisReply *rep = run(key, 3, set);
        int ok = reply_is(rep, "OK");
        freeReplyObject(rep);
        if (ok) {
            rep = run(key, 2, get);
            ok = reply_is(rep, val);
            freeReplyObject(rep);
        }
        __atomic_fetch_add(&load.ops, 1, __ATOMIC_RELAXED);
        if (!ok) {
            uint64_t now = clock_mono_ns(), us = (now - t0) / 1000;
            __atomic_fetch_add(&load.fails, 1, __ATOMIC_RELAXED);
            uint64_t prev = __atomic_load_n(&load.last_fail_ns, __ATOMIC_RELAXED);
            while (prev < now && !__atomic_compare_exchange_n(&load.last_fail_ns, &prev, now, 1, __ATOMIC_RELAXED,
                                                              __ATOMIC_RELAXED))
                ;
            prev = __atomic_load_n(&load.max_fail_us, __ATOMIC_RELAXED);
            while (prev < us && !__atomic_compare_exchange_n(&load.max_fail_us, &prev, us, 1, __ATOMIC_RELAXED,
                                                             __ATOMIC_RELAXED))
                ;
        }
        sleep_ms(1);
    }
    return NULL;
}

static void do_load(const char *what, int threads)
{
    if (strcmp(what, "start") == 0) {
        if (threads < 1 || threads > MAX_LOAD_THREADS || load.n != 0) {
            printf("fail\n");
            return;
        }
        load.stop = 0;
        load.ops = load.fails = load.last_fail_ns = load.max_fail_us = 0;
        load.mark_ns = clock_mono_ns();
        for (int i = 0; i < threads; i++)
            if (pthread_create(&load.tid[load.n], NULL, load_thread, (void *)(intptr_t)i) == 0)
                load.n++;
        printf(load.n == threads ? "ok\n" : "fail\n");
        return;
    }
    __atomic_store_n(&load.stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < load.n; i++)
        pthread_join(load.tid[i], NULL);
    load.n = 0;
    long long last = load.last_fail_ns > load.mark_ns ? (long long)((load.last_fail_ns - load.mark_ns) / 1000000) : -1;
    printf("ok ops=%llu fails=%llu last_fail_ms=%lld max_fail_us=%llu\n", (unsigned long long)load.ops,
           (unsigned long long)load.fails, last, (unsigned long long)load.max_fail_us);
}

/* ---- subscription ---- */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int resyncs;
    char last[8][128]; /* the latest messages, a ring */
    int nmsg;
} sub = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, {{0}}, 0};

static void on_message(void *ud, const char *msg, size_t len)
{
    (void)ud;
    pthread_mutex_lock(&sub.mu);
    snprintf(sub.last[sub.nmsg++ % 8], sizeof(sub.last[0]), "%.*s", (int)len, msg);
    pthread_cond_broadcast(&sub.cv);
    pthread_mutex_unlock(&sub.mu);
}

static void on_resync(void *ud)
{
    (void)ud;
    pthread_mutex_lock(&sub.mu);
    sub.resyncs++;
    pthread_cond_broadcast(&sub.cv);
    pthread_mutex_unlock(&sub.mu);
}

static int seen(const char *payload)
{
    for (int i = 0; i < 8 && i < sub.nmsg; i++)
        if (strcmp(sub.last[i], payload) == 0)
            return 1;
    return 0;
}

/* Waits up to ms for a message (payload != NULL) or for n resyncs; called with nothing held. */
static int sub_wait(const char *payload, int n, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&sub.mu);
    int ok;
    while (!(ok = payload != NULL ? seen(payload) : sub.resyncs >= n))
        if (pthread_cond_timedwait(&sub.cv, &sub.mu, &until) != 0)
            break;
    ok = payload != NULL ? seen(payload) : sub.resyncs >= n;
    int count = sub.resyncs;
    pthread_mutex_unlock(&sub.mu);
    return ok ? -1 : count;
}

static void do_metric(const char *series)
{
    sbuf_t b;
    sbuf_init(&b, NULL, 4096);
    metrics_render(&b);
    size_t n = strlen(series);
    for (const char *line = b.p; line != NULL && *line != '\0';) {
        const char *nl = strchr(line, '\n');
        if (strncmp(line, series, n) == 0 && line[n] == ' ') {
            printf("ok %.*s\n", (int)((nl != NULL ? nl : line + strlen(line)) - (line + n + 1)), line + n + 1);
            sbuf_free(&b);
            return;
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    sbuf_free(&b);
    printf("fail no series %s\n", series);
}

/* Splits line in place on spaces; returns the word count. */
static int split(char *line, char **words, int max)
{
    int n = 0;
    for (char *save = NULL, *w = strtok_r(line, " \n", &save); w != NULL && n < max; w = strtok_r(NULL, " \n", &save))
        words[n++] = w;
    return n;
}

static void dispatch(int n, char **w)
{
    char err[256];
    if (strcmp(w[0], "open") == 0 && n == 2) {
        r = redis_create(w[1], err, sizeof(err));
        if (r == NULL)
            printf("fail %s\n", err);
        else
            printf("ok\n");
    } else if (r == NULL) {
        printf("fail not open\n");
    } else if (strcmp(w[0], "close") == 0) {
        redis_destroy(r);
        r = NULL;
        printf("ok\n");
    } else if (strcmp(w[0], "cmd") == 0 && n >= 3) {
        do_cmd(n - 1, w + 1);
    } else if (strcmp(w[0], "pipe") == 0 && n == 3) {
        do_pipe(w[1], atoi(w[2]));
    } else if (strcmp(w[0], "spread") == 0 && n == 2) {
        do_spread(atoi(w[1]));
    } else if (strcmp(w[0], "failfast") == 0 && n == 2) {
        do_failfast(atoi(w[1]));
    } else if (strcmp(w[0], "until_ok") == 0 && n == 2) {
        do_until_ok(atoi(w[1]));
    } else if (strcmp(w[0], "load") == 0 && n >= 2) {
        do_load(w[1], n > 2 ? atoi(w[2]) : 0);
    } else if (strcmp(w[0], "mark") == 0) {
        load.mark_ns = clock_mono_ns();
        printf("ok\n");
    } else if (strcmp(w[0], "subscribe") == 0 && n == 2) {
        printf(redis_subscribe(r, w[1], on_message, on_resync, NULL) == 0 ? "ok\n" : "fail\n");
    } else if (strcmp(w[0], "wait_msg") == 0 && n == 3) {
        printf(sub_wait(w[1], 0, atoi(w[2])) < 0 ? "ok\n" : "fail\n");
    } else if (strcmp(w[0], "wait_resyncs") == 0 && n == 3) {
        int count = sub_wait(NULL, atoi(w[1]), atoi(w[2]));
        if (count < 0)
            printf("ok\n");
        else
            printf("fail %d\n", count);
    } else if (strcmp(w[0], "metric") == 0 && n == 2) {
        do_metric(w[1]);
    } else if (strcmp(w[0], "healthy") == 0) {
        printf("ok %d\n", redis_healthy(r));
    } else {
        printf("fail unknown command %s\n", w[0]);
    }
}

int main(void)
{
    log_setup(LOG_INFO, 2);
    setvbuf(stdout, NULL, _IOLBF, 0);
    char line[4096];
    while (fgets(line, sizeof(line), stdin) != NULL) {
        char *w[MAX_ARGS];
        int n = split(line, w, MAX_ARGS);
        if (n > 0)
            dispatch(n, w);
    }
    if (load.n > 0)
        do_load("stop", 0);
    redis_destroy(r);
    return 0;
}
