/* Tests of src/domain/grading.c: exact fractions, the one rounding, weights, scales and means (hand-computed). */
#include "../unit.h"

#include "domain/grading.h"

#define MARK(cat, w, m, max) {(cat), (w), (max), GRADE_MARK, (m)}
#define STATUS(cat, w, st, max) {(cat), (w), (max), (st), 0}

static int64_t pct(const grade_item_t *items, size_t n, const uint32_t *weights, size_t ncat)
{
    int64_t bp = -1;
    if (grade_percentage(items, n, weights, ncat, &bp) != 0)
        return -1;
    return bp;
}

static void test_fractions(void **state)
{
    (void)state;
    grade_frac_t a, b;
    assert_int_equal(grade_frac_make(2, 4, &a), 0);
    assert_int_equal(grade_frac_make(1, 2, &b), 0);
    assert_true(grade_frac_eq(&a, &b));
    assert_int_equal(grade_frac_make(1, 0, &a), -1);
    /* 1/2 + 1/3 * 2 = 7/6 */
    assert_int_equal(grade_frac_make(1, 3, &a), 0);
    assert_int_equal(grade_frac_add_scaled(&b, &a, 2), 0);
    assert_true(b.num == 7 && b.den == 6);
    assert_int_equal(grade_frac_div(&b, 7), 0);
    assert_true(b.num == 1 && b.den == 6);
    int64_t v;
    assert_int_equal(grade_frac_round(&b, 10000, &v), 0); /* 1666.67 */
    assert_int_equal(v, 1667);
}

static void test_half_rounds_up(void **state)
{
    (void)state;
    /* 69.70 of 80 = 87.125 % -> 87.13 % */
    grade_item_t a[] = {MARK(0, 1, 6970, 8000)};
    assert_int_equal(pct(a, 1, NULL, 0), 8713);
    /* 0.01 of 200 = 0.005 % = 0.5 bp -> 1 bp */
    grade_item_t b[] = {MARK(0, 1, 1, 20000)};
    assert_int_equal(pct(b, 1, NULL, 0), 1);
    /* just under a half rounds down: 0.01 of 200.01 */
    grade_item_t c[] = {MARK(0, 1, 1, 20001)};
    assert_int_equal(pct(c, 1, NULL, 0), 0);
    /* 2/3 -> 66.67 %, 1/3 -> 33.33 % */
    grade_item_t d[] = {MARK(0, 1, 200, 300)};
    assert_int_equal(pct(d, 1, NULL, 0), 6667);
    grade_item_t e[] = {MARK(0, 1, 100, 300)};
    assert_int_equal(pct(e, 1, NULL, 0), 3333);
}

static void test_rounded_once_at_the_end(void **state)
{
    (void)state;
    /* category A scores 0.5 bp, B 0: exactly 0.25 bp -> 0 (rounding A first would give 0.5 -> 1) */
    static const uint32_t w[] = {50, 50};
    grade_item_t a[] = {MARK(0, 1, 1, 20000), MARK(1, 1, 0, 10000)};
    assert_int_equal(pct(a, 2, w, 2), 0);
}

static void test_pool_and_weights(void **state)
{
    (void)state;
    /* 45/50 and 17.5/20: (0.9 + 0.875) / 2 = 88.75 % */
    grade_item_t a[] = {MARK(0, 1, 4500, 5000), MARK(0, 1, 1750, 2000)};
    assert_int_equal(pct(a, 2, NULL, 0), 8875);
    /* weights within a category: (2 * 0.7 + 1 * 1.0) / 3 = 80 % */
    grade_item_t b[] = {MARK(0, 2, 7000, 10000), MARK(0, 1, 10000, 10000)};
    assert_int_equal(pct(b, 2, NULL, 0), 8000);
    /* exams 60 % (72/100), coursework 40 % (18/20 and 7/10: 0.8): 0.6*0.72 + 0.4*0.8 = 75.2 % */
    static const uint32_t w[] = {60, 40};
    grade_item_t c[] = {MARK(0, 1, 7200, 10000), MARK(1, 1, 1800, 2000), MARK(1, 1, 700, 1000)};
    assert_int_equal(pct(c, 3, w, 2), 7520);
    /* a category with nothing counted yet is left out: exams only, 30/40 = 75 % */
    grade_item_t d[] = {MARK(0, 1, 3000, 4000), STATUS(1, 1, GRADE_UNMARKED, 2000)};
    assert_int_equal(pct(d, 2, w, 2), 7500);
}

static void test_statuses(void **state)
{
    (void)state;
    /* absent counts as 0: (0.8 + 0) / 2 */
    grade_item_t a[] = {MARK(0, 1, 4000, 5000), STATUS(0, 1, GRADE_ABSENT, 5000)};
    assert_int_equal(pct(a, 2, NULL, 0), 4000);
    /* excused, exempt and unmarked do not count */
    grade_item_t b[] = {MARK(0, 1, 4000, 5000), STATUS(0, 1, GRADE_EXCUSED, 5000), STATUS(0, 1, GRADE_EXEMPT, 5000),
                        STATUS(0, 1, GRADE_UNMARKED, 5000)};
    assert_int_equal(pct(b, 4, NULL, 0), 8000);
    /* nothing counts: no grade */
    grade_item_t c[] = {STATUS(0, 1, GRADE_EXCUSED, 5000), STATUS(0, 1, GRADE_UNMARKED, 5000)};
    assert_int_equal(pct(c, 2, NULL, 0), -1);
    assert_int_equal(pct(NULL, 0, NULL, 0), -1);
    assert_int_equal(grade_status_parse("absent"), GRADE_ABSENT);
    assert_int_equal(grade_status_parse("excused"), GRADE_EXCUSED);
    assert_int_equal(grade_status_parse("exempt"), GRADE_EXEMPT);
    assert_int_equal(grade_status_parse("present"), -1);
    assert_int_equal(grade_status_parse(NULL), -1);
}

static void test_overflow_is_an_error(void **state)
{
    (void)state;
    /* three pairwise coprime maxima near 2^62: the exact denominator needs more than 128 bits */
    int64_t big = (int64_t)1 << 62;
    grade_item_t a[] = {MARK(0, 1, 1, big + 1), MARK(0, 1, 1, big + 3), MARK(0, 1, 1, big + 5)};
    assert_int_equal(pct(a, 3, NULL, 0), -1);
}

static void test_weights_check(void **state)
{
    (void)state;
    uint64_t sum;
    static const uint32_t ok[] = {60, 40}, low[] = {60, 30}, zero[] = {0, 100}, over[] = {101};
    assert_int_equal(grade_weights_check(ok, 2, &sum), 0);
    assert_int_equal(sum, 100);
    assert_int_equal(grade_weights_check(low, 2, &sum), -1);
    assert_int_equal(sum, 90);
    assert_int_equal(grade_weights_check(zero, 2, &sum), -1);
    assert_int_equal(grade_weights_check(over, 1, &sum), -1);
    assert_int_equal(grade_weights_check(NULL, 0, &sum), 0);
}

static const grade_band_t SCALE[] = {
    {9000, "A", "Excellent", 400}, {8000, "B", NULL, 300}, {7000, "C", NULL, 200},
    {6000, "D", NULL, 100},        {0, "F", "Fail", 0},
};

static void test_scale(void **state)
{
    (void)state;
    assert_int_equal(grade_scale_check(SCALE, 5), 0);
    assert_string_equal(grade_scale_lookup(SCALE, 5, 10000)->label, "A");
    assert_string_equal(grade_scale_lookup(SCALE, 5, 9000)->label, "A");
    assert_string_equal(grade_scale_lookup(SCALE, 5, 8999)->label, "B");
    assert_string_equal(grade_scale_lookup(SCALE, 5, 5999)->label, "F");
    assert_string_equal(grade_scale_lookup(SCALE, 5, 0)->label, "F");
    assert_null(grade_scale_lookup(SCALE, 4, 5999)); /* no band from 0 */
    assert_int_equal(grade_scale_check(SCALE, 4), -1 - 4);
    static const grade_band_t dup[] = {{0, "W", NULL, -1}, {0, "M", NULL, -1}};
    assert_int_equal(grade_scale_check(dup, 2), -2);
    static const grade_band_t range[] = {{0, "W", NULL, -1}, {10001, "M", NULL, -1}};
    assert_int_equal(grade_scale_check(range, 2), -2);
    assert_int_equal(grade_scale_check(SCALE, 0), -1);
}

static void test_means(void **state)
{
    (void)state;
    int64_t v;
    static const int64_t pcts[] = {8875, 8712};
    assert_int_equal(grade_mean(pcts, 2, &v), 0);
    assert_int_equal(v, 8794); /* 8793.5 */
    static const int64_t gp[] = {400, 300, 300};
    assert_int_equal(grade_mean(gp, 3, &v), 0);
    assert_int_equal(v, 333);
    static const int64_t half[] = {301, 300};
    assert_int_equal(grade_mean(half, 2, &v), 0);
    assert_int_equal(v, 301);
    assert_int_equal(grade_mean(gp, 0, &v), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fractions),         cmocka_unit_test(test_half_rounds_up),
        cmocka_unit_test(test_rounded_once_at_the_end), cmocka_unit_test(test_pool_and_weights),
        cmocka_unit_test(test_statuses),          cmocka_unit_test(test_overflow_is_an_error),
        cmocka_unit_test(test_weights_check),     cmocka_unit_test(test_scale),
        cmocka_unit_test(test_means),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
