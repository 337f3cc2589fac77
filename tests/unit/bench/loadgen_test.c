/* Tests of bench/load-gen: the latency histogram's buckets and quantiles, and the open-loop timeline. */
#include "../unit.h"

#include <stdlib.h>

#include "lat_hist.h"
#include "schedule.h"

static void buckets_are_contiguous_and_tight(void **state)
{
    (void)state;
    for (uint64_t v = 0; v < 128; v++)
        assert_int_equal(lat_hist_bucket(v), (int)v); /* exact below 128 */
    int prev = lat_hist_bucket(127);
    for (uint64_t v = 128; v < 1000000; v++) {
        int b = lat_hist_bucket(v);
        assert_true(b == prev || b == prev + 1); /* no gaps, never back */
        assert_true(lat_hist_bucket_top(b) >= v);
        assert_true((double)(lat_hist_bucket_top(b) - v) <= (double)v / 64.0); /* within 1/64 */
        if (b != prev)
            assert_int_equal(lat_hist_bucket_top(prev), v - 1);
        prev = b;
    }
    assert_true(lat_hist_bucket(LAT_HIST_MAX_US) < LAT_HIST_BUCKETS);
    assert_true(lat_hist_bucket(UINT64_MAX) < LAT_HIST_BUCKETS);
}

static void quantiles_of_a_uniform_run(void **state)
{
    (void)state;
    lat_hist_t *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    assert_int_equal(lat_hist_quantile(h, 0.99), 0); /* empty */
    for (uint64_t v = 1; v <= 10000; v++)
        lat_hist_record(h, v);
    assert_int_equal(h->total, 10000);
    assert_int_equal(h->max_us, 10000);
    assert_int_equal(h->min_us, 1);
    assert_true(lat_hist_mean(h) > 5000.4 && lat_hist_mean(h) < 5000.6);
    double qs[] = {0.5, 0.95, 0.99, 0.999};
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        uint64_t got = lat_hist_quantile(h, qs[i]), want = (uint64_t)(qs[i] * 10000);
        assert_true(got >= want && (double)(got - want) <= (double)want / 64.0);
    }
    assert_int_equal(lat_hist_quantile(h, 1.0), 10000);
    assert_int_equal(lat_hist_quantile(h, 0.0), 1);
    free(h);
}

static void a_tail_is_not_hidden(void **state)
{
    (void)state;
    lat_hist_t *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
    assert_non_null(a);
    assert_non_null(b);
    for (int i = 0; i < 980; i++)
        lat_hist_record(a, 1000); /* 1 ms */
    for (int i = 0; i < 20; i++)
        lat_hist_record(b, 2000000); /* 2 s: 2 % of the requests */
    lat_hist_merge(a, b);
    assert_int_equal(a->total, 1000);
    assert_true(lat_hist_quantile(a, 0.95) <= 1010);
    assert_true(lat_hist_quantile(a, 0.99) >= 1990000);
    assert_int_equal(a->max_us, 2000000);
    assert_int_equal(a->min_us, 1000);
    lat_hist_record(a, LAT_HIST_MAX_US * 4); /* clamped, not lost */
    assert_int_equal(a->max_us, LAT_HIST_MAX_US);
    free(a);
    free(b);
}

static void the_timeline_is_fixed_by_the_rate(void **state)
{
    (void)state;
    const uint64_t start = 5000000000ULL;
    assert_int_equal(schedule_at(start, 1000, 0), start);
    assert_int_equal(schedule_at(start, 1000, 1500), start + 1500000000ULL);
    assert_int_equal(schedule_at(start, 3, 1), start + 333333333ULL);
    assert_int_equal(schedule_due(start, 1000, start - 1, 100000), 0);
    assert_int_equal(schedule_due(start, 1000, start, 100000), 1);
    assert_int_equal(schedule_due(start, 1000, start + 999999, 100000), 1);
    assert_int_equal(schedule_due(start, 1000, start + 1000000, 100000), 2);
    assert_int_equal(schedule_due(start, 1000, start + 2000000000ULL, 100000), 2001);
    assert_int_equal(schedule_due(start, 1000, start + 2000000000ULL, 50), 50); /* capped */
    /* due counts agree with the intended times at every boundary, at an awkward rate */
    for (uint64_t i = 1; i < 5000; i++) {
        uint64_t at = schedule_at(start, 7919.3, i);
        assert_int_equal(schedule_due(start, 7919.3, at, 1000000), i + 1);
        assert_int_equal(schedule_due(start, 7919.3, at - 1, 1000000), i);
    }
    assert_int_equal(schedule_total(1000, 20), 20000);
    assert_int_equal(schedule_total(0.01, 1), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buckets_are_contiguous_and_tight),
        cmocka_unit_test(quantiles_of_a_uniform_run),
        cmocka_unit_test(a_tail_is_not_hidden),
        cmocka_unit_test(the_timeline_is_fixed_by_the_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
