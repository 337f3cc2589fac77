/* Tests of src/http/shed.c: bursts that drain within the interval are served, standing queues are shed. */
#include "../unit.h"

#include "http/shed.h"

#define MS 1000000ull

/* Takes one request every `every` ms from t0 for `span` ms, each having waited `wait(t)`; counts refusals. */
static int run(shed_t *s, uint64_t t0, uint64_t span, uint64_t every, uint64_t (*wait)(uint64_t t))
{
    int refused = 0;
    for (uint64_t t = 0; t <= span; t += every)
        refused += shed_refuse(s, (t0 + t) * MS, wait(t) * MS);
    return refused;
}

static uint64_t burst(uint64_t t)
{
    return t; /* everything arrived at 0: the request taken at t waited t */
}

static uint64_t fresh(uint64_t t)
{
    (void)t;
    return 2;
}

static uint64_t standing(uint64_t t)
{
    (void)t;
    return 400;
}

static void a_burst_drained_within_a_second_is_served(void **state)
{
    (void)state;
    shed_t s;
    shed_init(&s, 100, 1000, 5000);
    assert_int_equal(run(&s, 1000, 1050, 1, burst), 0);
    assert_int_equal(run(&s, 3000, 500, 1, fresh), 0);
    assert_int_equal(s.refused, 0);
}

static void a_standing_queue_is_shed_after_an_interval(void **state)
{
    (void)state;
    shed_t s;
    shed_init(&s, 100, 1000, 5000);
    int refused = run(&s, 1000, 2000, 10, standing);
    /* served for the first second (the queue may still be a burst), refused from then on */
    assert_in_range(refused, 99, 101);
    /* once found standing, a request that waited too long is refused at once */
    assert_true(shed_refuse(&s, 3005 * MS, 150 * MS));
    /* fresh requests are served meanwhile */
    assert_false(shed_refuse(&s, 3006 * MS, 5 * MS));
}

static void shedding_ends_after_an_interval_without_refusals(void **state)
{
    (void)state;
    shed_t s;
    shed_init(&s, 100, 1000, 5000);
    run(&s, 1000, 2000, 10, standing);
    assert_int_equal(run(&s, 3001, 1100, 10, fresh), 0);
    /* a new rise is a possible burst again: served for an interval */
    assert_false(shed_refuse(&s, 4200 * MS, 300 * MS));
    assert_false(shed_refuse(&s, 4900 * MS, 300 * MS));
    assert_true(shed_refuse(&s, 5300 * MS, 300 * MS));
}

static void the_ceiling_applies_in_any_state(void **state)
{
    (void)state;
    shed_t s;
    shed_init(&s, 100, 1000, 5000);
    assert_true(shed_refuse(&s, 10000 * MS, 5000 * MS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_burst_drained_within_a_second_is_served),
        cmocka_unit_test(a_standing_queue_is_shed_after_an_interval),
        cmocka_unit_test(shedding_ends_after_an_interval_without_refusals),
        cmocka_unit_test(the_ceiling_applies_in_any_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
