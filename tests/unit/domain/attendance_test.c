/* Tests of src/domain/attendance.c: statuses, rates, day counts, enrollment spans, student summaries, defaults. */
#include "../unit.h"

#include "domain/attendance.h"

static cal_day_t D(const char *s)
{
    cal_day_t d = 0;
    if (cal_parse(s, &d) != 0)
        fail_msg("bad test date %s", s);
    return d;
}

static void test_statuses(void **state)
{
    (void)state;
    for (int i = 0; i < ATT_NSTATUS; i++)
        assert_int_equal(att_status_parse(att_status_names[i]), i);
    assert_null(att_status_names[ATT_NSTATUS]);
    assert_int_equal(att_status_parse("present"), ATT_PRESENT);
    assert_int_equal(att_status_parse("excused"), ATT_EXCUSED);
    assert_int_equal(att_status_parse("Present"), -1);
    assert_int_equal(att_status_parse(""), -1);
    assert_int_equal(att_status_parse(NULL), -1);
}

static att_counts_t counts(int present, int absent, int late, int excused)
{
    att_counts_t c = {0};
    c.n[ATT_PRESENT] = present;
    c.n[ATT_ABSENT] = absent;
    c.n[ATT_LATE] = late;
    c.n[ATT_EXCUSED] = excused;
    return c;
}

static void expect_rate(att_counts_t c, double want)
{
    double got = -1;
    assert_int_equal(att_rate(&c, &got), 0);
    if (got != want)
        fail_msg("rate %.10f, want %.10f", got, want);
}

static void test_rates(void **state)
{
    (void)state;
    double r = 42;
    att_counts_t none = counts(0, 0, 0, 0);
    assert_int_equal(att_rate(&none, &r), -1);
    assert_true(r == 42); /* untouched */
    expect_rate(counts(1, 0, 0, 0), 1.0);
    expect_rate(counts(0, 3, 0, 1), 0.0);    /* excused counts as marked, not attended */
    expect_rate(counts(4, 1, 1, 0), 0.8333); /* (4+1)/6 = 0.83333… */
    expect_rate(counts(2, 1, 0, 0), 0.6667); /* 0.66666… rounds up */
    expect_rate(counts(1, 7, 0, 0), 0.125);
    expect_rate(counts(1, 31, 0, 0), 0.0313); /* 0.03125: half rounds up */
    expect_rate(counts(0, 0, 3, 1), 0.75);    /* late attends */
    expect_rate(counts(9999, 1, 0, 0), 0.9999);
    expect_rate(counts(19999, 1, 0, 0), 1.0);    /* 0.99995 rounds to 1 */
    expect_rate(counts(1, 19999, 0, 0), 0.0001); /* 0.00005 rounds up */
    expect_rate(counts(1, 20001, 0, 0), 0.0);
    assert_int_equal(att_marked(&(att_counts_t){.n = {1, 2, 3, 4}}), 10);
}

static void test_day_counts_and_totals(void **state)
{
    (void)state;
    att_counts_t c;
    att_day_counts(40, (int[]){30, 4, 3, 1}, &c);
    assert_int_equal(c.expected, 40);
    assert_int_equal(att_marked(&c), 38);
    assert_int_equal(c.unmarked, 2);
    att_day_counts(5, NULL, &c);
    assert_int_equal(att_marked(&c), 0);
    assert_int_equal(c.unmarked, 5);
    /* more marks than expected (marks kept after an enrollment was shortened): never negative */
    att_day_counts(2, (int[]){3, 0, 0, 0}, &c);
    assert_int_equal(c.unmarked, 0);
    att_counts_t total = {0}, a, b;
    att_day_counts(40, (int[]){30, 4, 3, 1}, &a);
    att_day_counts(39, (int[]){39, 0, 0, 0}, &b);
    att_counts_add(&total, &a);
    att_counts_add(&total, &b);
    assert_int_equal(total.expected, 79);
    assert_int_equal(total.n[ATT_PRESENT], 69);
    assert_int_equal(total.unmarked, 2);
    expect_rate(total, 0.9351); /* (69 + 3) / 77 = 0.935064… */
}

static void test_enrolled_spans(void **state)
{
    (void)state;
    att_span_t spans[] = {
        {D("2024-09-02"), D("2024-10-31")}, {D("2024-11-04"), CAL_OPEN_END}, {D("2024-09-02"), D("2024-09-02")}};
    assert_int_equal(att_enrolled(spans, 3, D("2024-09-01")), 0);
    assert_int_equal(att_enrolled(spans, 3, D("2024-09-02")), 2); /* both ends inclusive */
    assert_int_equal(att_enrolled(spans, 3, D("2024-09-03")), 1);
    assert_int_equal(att_enrolled(spans, 3, D("2024-10-31")), 1);
    assert_int_equal(att_enrolled(spans, 3, D("2024-11-01")), 0); /* between a transfer's two stretches */
    assert_int_equal(att_enrolled(spans, 3, D("2030-01-01")), 1); /* open end */
    assert_int_equal(att_enrolled(NULL, 0, D("2024-09-02")), 0);
}

/* A term Monday to Friday, 2024-09-02 (Mon) to 2024-09-27 (Fri), with a holiday on Wednesday 2024-09-11. */
static size_t school_days(cal_day_t from, cal_day_t to, cal_day_t *out, size_t max)
{
    cal_term_t t = {D("2024-09-02"), D("2024-09-27"), CAL_WEEKDAYS_DEFAULT};
    cal_day_t hol[] = {D("2024-09-11")};
    cal_calendar_t c = {&t, 1, hol, 1};
    return cal_school_days(&c, from, to, out, max);
}

static void test_student_summary(void **state)
{
    (void)state;
    cal_day_t days[40];
    size_t n = school_days(D("2024-09-01"), D("2024-09-30"), days, 40);
    assert_int_equal(n, 19); /* 20 weekdays, one holiday */
    /* enrolled from the 4th to the 20th, then (after a transfer) from the 23rd */
    att_span_t spans[] = {{D("2024-09-04"), D("2024-09-20")}, {D("2024-09-23"), CAL_OPEN_END}};
    att_mark_t marks[] = {
        {D("2024-09-04"), ATT_PRESENT}, {D("2024-09-05"), ATT_LATE},    {D("2024-09-06"), ATT_ABSENT},
        {D("2024-09-09"), ATT_EXCUSED}, {D("2024-09-10"), ATT_PRESENT}, {D("2024-09-11"), ATT_PRESENT}, /* a holiday */
        {D("2024-09-23"), ATT_PRESENT},
    };
    att_counts_t c;
    att_student_summary(days, n, spans, 2, marks, sizeof(marks) / sizeof(marks[0]), &c);
    /* enrolled school days: 4,5,6,9,10,12,13,16,17,18,19,20 (12) + 23..27 (5) = 17 */
    assert_int_equal(c.expected, 17);
    assert_int_equal(c.n[ATT_PRESENT], 4);
    assert_int_equal(c.n[ATT_ABSENT], 1);
    assert_int_equal(c.n[ATT_LATE], 1);
    assert_int_equal(c.n[ATT_EXCUSED], 1);
    assert_int_equal(att_marked(&c), 7);
    /* marked school days while enrolled: 4,5,6,9,10,23 = 6; the holiday's mark marks no school day */
    assert_int_equal(c.unmarked, 11);
    expect_rate(c, 0.7143); /* (4+1)/7 */
}

static void test_student_summary_edges(void **state)
{
    (void)state;
    cal_day_t days[40];
    size_t n = school_days(D("2024-09-02"), D("2024-09-06"), days, 40);
    att_span_t open[] = {{D("2024-01-01"), CAL_OPEN_END}};
    att_counts_t c;
    /* nothing marked: every school day unmarked, no rate */
    att_student_summary(days, n, open, 1, NULL, 0, &c);
    assert_int_equal(c.expected, 5);
    assert_int_equal(c.unmarked, 5);
    double r;
    assert_int_equal(att_rate(&c, &r), -1);
    /* not enrolled at all: nothing expected, marks still count */
    att_mark_t m[] = {{D("2024-09-02"), ATT_ABSENT}};
    att_student_summary(days, n, NULL, 0, m, 1, &c);
    assert_int_equal(c.expected, 0);
    assert_int_equal(c.unmarked, 0);
    assert_int_equal(c.n[ATT_ABSENT], 1);
    /* marks before and after every school day */
    att_mark_t around[] = {{D("2024-08-01"), ATT_PRESENT}, {D("2024-09-03"), ATT_PRESENT}, {D("2024-12-01"), ATT_LATE}};
    att_student_summary(days, n, open, 1, around, 3, &c);
    assert_int_equal(c.expected, 5);
    assert_int_equal(c.unmarked, 4);
    assert_int_equal(att_marked(&c), 3);
    /* no school days */
    att_student_summary(NULL, 0, open, 1, around, 3, &c);
    assert_int_equal(c.expected, 0);
    assert_int_equal(c.unmarked, 0);
}

static void test_current_term(void **state)
{
    (void)state;
    cal_term_t terms[] = {
        {D("2025-01-06"), D("2025-03-28"), CAL_WEEKDAYS_DEFAULT}, /* listed out of order */
        {D("2024-09-02"), D("2024-12-20"), CAL_WEEKDAYS_DEFAULT},
        {D("2025-04-07"), D("2025-06-27"), CAL_WEEKDAYS_DEFAULT},
    };
    cal_calendar_t c = {terms, 3, NULL, 0};
    assert_ptr_equal(att_current_term(&c, D("2024-10-01")), &terms[1]);
    assert_ptr_equal(att_current_term(&c, D("2025-03-28")), &terms[0]);
    assert_ptr_equal(att_current_term(&c, D("2024-12-25")), &terms[1]); /* between terms: the one just ended */
    assert_ptr_equal(att_current_term(&c, D("2025-04-01")), &terms[0]);
    assert_ptr_equal(att_current_term(&c, D("2025-08-01")), &terms[2]); /* after the last */
    assert_ptr_equal(att_current_term(&c, D("2024-08-01")), &terms[1]); /* before the first: the one to come */
    cal_calendar_t empty = {NULL, 0, NULL, 0};
    assert_null(att_current_term(&empty, D("2024-08-01")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statuses),
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_day_counts_and_totals),
        cmocka_unit_test(test_enrolled_spans),
        cmocka_unit_test(test_student_summary),
        cmocka_unit_test(test_student_summary_edges),
        cmocka_unit_test(test_current_term),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
