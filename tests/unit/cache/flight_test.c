/*
 * Tests of src/cache/flight.c: one leader per key, waiters wait for it, keys are
 * independent, the wait is capped, and no two leaders ever overlap.
 */
#include "../unit.h"

#include <pthread.h>
#include <time.h>

#include "cache/flight.h"
#include "core/clock.h"

enum { THREADS = 8 };

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int begin_str(flight_t *f, const char *key, uint32_t wait_ms)
{
    return flight_begin(f, key, strlen(key), wait_ms);
}

static void done_str(flight_t *f, const char *key)
{
    flight_done(f, key, strlen(key));
}

static void create_checks_its_arguments(void **state)
{
    (void)state;
    assert_null(flight_create(-1));
    assert_null(flight_create(1025));
    flight_t *f = flight_create(0);
    assert_non_null(f);
    assert_int_equal(flight_waits(f), 0);
    flight_destroy(f);
    flight_destroy(NULL);
}

/* What the threads of one_leads_the_others_wait share. */
typedef struct herd {
    flight_t *f;
    pthread_barrier_t start;
    int leaders;      /* atomic */
    int loaded;       /* atomic: set by the leader just before flight_done() */
    int early;        /* atomic: waiters that returned before the load was done */
    int leader_timed; /* the leader gave up waiting for the others to queue */
} herd_t;

static void *herd_main(void *arg)
{
    herd_t *h = arg;
    pthread_barrier_wait(&h->start);
    if (begin_str(h->f, "{t:1}:g1:class:9", 10000)) {
        __atomic_add_fetch(&h->leaders, 1, __ATOMIC_SEQ_CST);
        /* Finish only once every other thread is waiting, so none can arrive after the flight. */
        uint64_t give_up = clock_mono_ns() + 10000000000ull;
        while (flight_waits(h->f) < THREADS - 1 && clock_mono_ns() < give_up)
            sleep_ms(1);
        if (flight_waits(h->f) < THREADS - 1)
            h->leader_timed = 1;
        sleep_ms(20); /* the waiters sleep; they must not come back before done */
        __atomic_store_n(&h->loaded, 1, __ATOMIC_SEQ_CST);
        done_str(h->f, "{t:1}:g1:class:9");
    } else if (!__atomic_load_n(&h->loaded, __ATOMIC_SEQ_CST)) {
        __atomic_add_fetch(&h->early, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static void one_leads_the_others_wait(void **state)
{
    (void)state;
    herd_t h = {.f = flight_create(4)};
    pthread_barrier_init(&h.start, NULL, THREADS);
    pthread_t tid[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&tid[i], NULL, herd_main, &h), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(tid[i], NULL);
    assert_int_equal(h.leaders, 1);
    assert_false(h.leader_timed);
    assert_int_equal(h.early, 0);
    assert_int_equal(flight_waits(h.f), THREADS - 1);
    /* The flight is over: the next caller leads. */
    assert_int_equal(begin_str(h.f, "{t:1}:g1:class:9", 0), 1);
    done_str(h.f, "{t:1}:g1:class:9");
    pthread_barrier_destroy(&h.start);
    flight_destroy(h.f);
}

static void keys_lead_independently(void **state)
{
    (void)state;
    flight_t *f = flight_create(1); /* one shard: the keys share a list */
    assert_int_equal(begin_str(f, "a", 0), 1);
    assert_int_equal(begin_str(f, "b", 0), 1);
    assert_int_equal(begin_str(f, "ab", 0), 1);
    assert_int_equal(begin_str(f, "a", 0), 0); /* in flight, and no waiting asked for */
    assert_int_equal(flight_waits(f), 1);
    done_str(f, "a");
    assert_int_equal(begin_str(f, "b", 0), 0);
    assert_int_equal(begin_str(f, "a", 0), 1);
    done_str(f, "a");
    done_str(f, "b");
    done_str(f, "ab");
    done_str(f, "never began"); /* ignored */
    assert_int_equal(begin_str(f, "b", 0), 1);
    done_str(f, "b");
    flight_destroy(f);
}

/* Each thread leads its own key while the others are in flight. */
typedef struct own {
    flight_t *f;
    pthread_barrier_t *both_in;
    int idx;
    int led;
} own_t;

static void *own_main(void *arg)
{
    own_t *o = arg;
    char key[32];
    snprintf(key, sizeof(key), "{t:1}:key:%d", o->idx);
    o->led = begin_str(o->f, key, 5000);
    pthread_barrier_wait(o->both_in); /* every key is in flight at once */
    if (o->led)
        done_str(o->f, key);
    return NULL;
}

static void threads_with_different_keys_all_lead(void **state)
{
    (void)state;
    flight_t *f = flight_create(2);
    pthread_barrier_t b;
    pthread_barrier_init(&b, NULL, THREADS);
    own_t o[THREADS];
    pthread_t tid[THREADS];
    for (int i = 0; i < THREADS; i++) {
        o[i] = (own_t){.f = f, .both_in = &b, .idx = i};
        assert_int_equal(pthread_create(&tid[i], NULL, own_main, &o[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(tid[i], NULL);
        assert_int_equal(o[i].led, 1);
    }
    assert_int_equal(flight_waits(f), 0);
    pthread_barrier_destroy(&b);
    flight_destroy(f);
}

typedef struct capped {
    flight_t *f;
    int result;
    uint64_t waited_ns;
} capped_t;

static void *capped_main(void *arg)
{
    capped_t *c = arg;
    uint64_t t0 = clock_mono_ns();
    c->result = begin_str(c->f, "slow", 50);
    c->waited_ns = clock_mono_ns() - t0;
    return NULL;
}

static void the_wait_is_capped(void **state)
{
    (void)state;
    flight_t *f = flight_create(0);
    assert_int_equal(begin_str(f, "slow", 0), 1); /* a leader that takes its time */

    capped_t c[3] = {{.f = f}, {.f = f}, {.f = f}};
    pthread_t tid[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&tid[i], NULL, capped_main, &c[i]), 0);
    for (int i = 0; i < 3; i++) {
        pthread_join(tid[i], NULL);
        assert_int_equal(c[i].result, 0);
        assert_true(c[i].waited_ns >= 50000000ull);
        assert_true(c[i].waited_ns < 5000000000ull);
    }
    assert_int_equal(flight_waits(f), 3);

    /* Still the leader's: another caller does not lead while it runs. */
    assert_int_equal(begin_str(f, "slow", 0), 0);
    done_str(f, "slow"); /* nobody waits now: the record is freed here */
    assert_int_equal(begin_str(f, "slow", 0), 1);
    done_str(f, "slow");
    flight_destroy(f);
}

/* Many flights over few keys: a key never has two leaders at once. */
typedef struct churn {
    flight_t *f;
    int *in_flight; /* per key, atomic */
    uint64_t deadline;
    int idx;
    long led, waited;
    int overlap;
} churn_t;

enum { CHURN_KEYS = 4 };

static void *churn_main(void *arg)
{
    churn_t *c = arg;
    uint64_t rng = (uint64_t)c->idx * 7919 + 1;
    while (clock_mono_ns() < c->deadline) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        int k = (int)((rng >> 33) % CHURN_KEYS);
        char key[16];
        snprintf(key, sizeof(key), "k%d", k);
        if (begin_str(c->f, key, 1000)) {
            if (__atomic_add_fetch(&c->in_flight[k], 1, __ATOMIC_SEQ_CST) != 1)
                c->overlap = 1;
            if ((rng >> 20) % 4 == 0)
                sleep_ms(1);
            __atomic_sub_fetch(&c->in_flight[k], 1, __ATOMIC_SEQ_CST);
            done_str(c->f, key);
            c->led++;
        } else {
            c->waited++;
        }
    }
    return NULL;
}

static void a_key_never_has_two_leaders(void **state)
{
    (void)state;
    flight_t *f = flight_create(2);
    int in_flight[CHURN_KEYS] = {0};
    churn_t c[THREADS];
    pthread_t tid[THREADS];
    uint64_t deadline = clock_mono_ns() + 500000000ull;
    for (int i = 0; i < THREADS; i++) {
        c[i] = (churn_t){.f = f, .in_flight = in_flight, .deadline = deadline, .idx = i};
        assert_int_equal(pthread_create(&tid[i], NULL, churn_main, &c[i]), 0);
    }
    long led = 0, waited = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(tid[i], NULL);
        assert_false(c[i].overlap);
        led += c[i].led;
        waited += c[i].waited;
    }
    print_message("%ld flights led, %ld callers waited\n", led, waited);
    assert_true(led > 0);
    assert_true(waited > 0);
    assert_int_equal(flight_waits(f), (uint64_t)waited);
    flight_destroy(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_checks_its_arguments),
        cmocka_unit_test(one_leads_the_others_wait),
        cmocka_unit_test(keys_lead_independently),
        cmocka_unit_test(threads_with_different_keys_all_lead),
        cmocka_unit_test(the_wait_is_capped),
        cmocka_unit_test(a_key_never_has_two_leaders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
