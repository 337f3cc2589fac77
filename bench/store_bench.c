/*
 * store_bench.c - point reads through the store, for bench/store.
 *
 *   store-bench URL THREADS SECONDS ROWS
 *
 * Each thread opens its own session and runs, for SECONDS, the statement
 * pgbench -S runs (SELECT abalance FROM pgbench_accounts WHERE aid = $1) with
 * random keys in 1..ROWS. Prints "reads N seconds S rps R".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/ids.h"
#include "store/store.h"

static stmt_t Q_READ = STMT("bench.point_read", STMT_READ, "SELECT abalance FROM pgbench_accounts WHERE aid = $1");

typedef struct worker {
    pthread_t tid;
    store_t *store;
    uint64_t deadline;
    long rows;
    long reads;
    int failed;
} worker_t;

static void *run(void *arg)
{
    worker_t *w = arg;
    db_t *db = store_session(w->store);
    arena_t a;
    arena_init(&a);
    while (clock_mono_ns() < w->deadline) {
        for (int i = 0; i < 256; i++) {
            long aid = 1 + (long)(ids_rand64() % (uint64_t)w->rows);
            db_result_t res;
            if (db_exec(db, &Q_READ, DB_ARGS(DB_INT(aid)), &a, &res) != 0 || res.nrows != 1) {
                fprintf(stderr, "store-bench: %s\n", db_error(db)->message);
                w->failed = 1;
                goto out;
            }
            w->reads++;
        }
        arena_reset(&a);
    }
out:
    arena_destroy(&a);
    db_close(db);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: store-bench URL THREADS SECONDS ROWS\n");
        return 2;
    }
    setenv("ERP_DATABASE_URL", argv[1], 1);
    config_t cfg;
    char err[256];
    if (config_load_env(&cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "store-bench: %s\n", err);
        return 2;
    }
    store_t *s = store_open(&cfg, err, sizeof(err));
    if (s == NULL) {
        fprintf(stderr, "store-bench: %s\n", err);
        return 1;
    }
    int n = atoi(argv[2]);
    double seconds = atof(argv[3]);
    long rows = atol(argv[4]);
    worker_t *w = calloc((size_t)n, sizeof(*w));
    uint64_t t0 = clock_mono_ns();
    for (int i = 0; i < n; i++) {
        w[i] = (worker_t){.store = s, .deadline = t0 + (uint64_t)(seconds * 1e9), .rows = rows};
        pthread_create(&w[i].tid, NULL, run, &w[i]);
    }
    long total = 0;
    int failed = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(w[i].tid, NULL);
        total += w[i].reads;
        failed |= w[i].failed;
    }
    double elapsed = (double)(clock_mono_ns() - t0) / 1e9;
    printf("reads %ld seconds %.2f rps %.0f\n", total, elapsed, (double)total / elapsed);
    free(w);
    store_close(s);
    config_free(&cfg);
    return failed;
}
