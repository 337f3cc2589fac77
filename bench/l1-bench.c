/*
 * l1-bench.c - gets per second from the in-process cache (src/cache/l1.c).
 *
 *   l1-bench [SECONDS [ENTRIES [VALUE_BYTES]]]     (defaults: 2, 10000, 1024)
 *
 * Fills a cache (16 shards, room for all) with ENTRIES values of VALUE_BYTES
 * under keys shaped like the product's ({t:TENANT}:g7:student:ID:f3), then, for
 * 1, 2 and 4 threads in turn, has every thread get random keys for SECONDS,
 * copying each value into its arena as a request would. Prints one line per
 * thread count: "threads N gets G seconds S gets/s R cpu-seconds C ns/get-cpu T"
 * (every get is a hit). C is the CPU time the threads got and T the CPU time a
 * get took: where other processes share the cores, gets/s falls with the share
 * of the cores the bench gets, T much less so.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/l1.h"
#include "core/clock.h"

typedef struct worker {
    pthread_t tid;
    l1_t *cache;
    uint64_t deadline;
    long entries;
    char (*keys)[48]; /* made before the clock starts: the loop measures the cache, not snprintf */
    uint64_t seed;
    long gets;
    long misses;
    double cpu_seconds; /* the thread's own CPU time: robust where other processes share the cores */
} worker_t;

static double thread_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int make_key(char *buf, size_t cap, long i)
{
    return snprintf(buf, cap, "{t:%ld}:g7:student:%08ld:f3", i % 50, i);
}

static void *run(void *arg)
{
    worker_t *w = arg;
    arena_t a;
    arena_init(&a);
    uint64_t s = w->seed;
    double cpu0 = thread_cpu_seconds();
    while (clock_mono_ns() < w->deadline) {
        for (int i = 0; i < 256; i++) {
            s ^= s << 13; /* xorshift64 */
            s ^= s >> 7;
            s ^= s << 17;
            const char *key = w->keys[s % (uint64_t)w->entries];
            const char *v;
            size_t n;
            if (!l1_get(w->cache, key, strlen(key), &a, &v, &n, NULL))
                w->misses++;
            w->gets++;
        }
        arena_reset(&a);
    }
    w->cpu_seconds = thread_cpu_seconds() - cpu0;
    arena_destroy(&a);
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    long entries = argc > 2 ? atol(argv[2]) : 10000;
    size_t vlen = argc > 3 ? (size_t)atol(argv[3]) : 1024;
    if (seconds <= 0 || entries <= 0) {
        fprintf(stderr, "usage: l1-bench [SECONDS [ENTRIES [VALUE_BYTES]]]\n");
        return 2;
    }
    /* Room for every entry with a wide margin, so nothing is evicted. */
    l1_t *c = l1_create((size_t)entries * (vlen + 256) * 2 + (64u << 20), 16);
    char *val = malloc(vlen + 1);
    char(*keys)[48] = calloc((size_t)entries, sizeof(*keys));
    if (c == NULL || val == NULL || keys == NULL) {
        fprintf(stderr, "l1-bench: cannot create the cache\n");
        return 1;
    }
    memset(val, 'x', vlen);
    for (long i = 0; i < entries; i++) {
        int klen = make_key(keys[i], sizeof(keys[i]), i);
        if (!l1_set(c, keys[i], (size_t)klen, val, vlen, (uint64_t)i, 0)) {
            fprintf(stderr, "l1-bench: entry %ld not stored\n", i);
            return 1;
        }
    }
    static const int thread_counts[] = {1, 2, 4};
    int failed = 0;
    for (size_t t = 0; t < sizeof(thread_counts) / sizeof(thread_counts[0]); t++) {
        int n = thread_counts[t];
        worker_t w[4];
        uint64_t t0 = clock_mono_ns();
        for (int i = 0; i < n; i++) {
            w[i] = (worker_t){.cache = c,
                              .deadline = t0 + (uint64_t)(seconds * 1e9),
                              .entries = entries,
                              .keys = keys,
                              .seed = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1)};
            if (pthread_create(&w[i].tid, NULL, run, &w[i]) != 0) {
                fprintf(stderr, "l1-bench: cannot start a thread\n");
                return 1;
            }
        }
        long gets = 0, misses = 0;
        double cpu = 0;
        for (int i = 0; i < n; i++) {
            pthread_join(w[i].tid, NULL);
            gets += w[i].gets;
            misses += w[i].misses;
            cpu += w[i].cpu_seconds;
        }
        double elapsed = (double)(clock_mono_ns() - t0) / 1e9;
        printf("threads %d gets %ld seconds %.2f gets/s %.0f cpu-seconds %.2f ns/get-cpu %.0f\n", n, gets, elapsed,
               (double)gets / elapsed, cpu, cpu * 1e9 / (double)gets);
        if (misses != 0) {
            fprintf(stderr, "l1-bench: %ld misses on a warm cache\n", misses);
            failed = 1;
        }
    }
    free(val);
    free(keys);
    l1_destroy(c);
    return failed;
}
