/* Tests of src/domain/calendar.c: day numbers, parsing and formatting, weekdays, ranges, school days. */
#include "../unit.h"

#include "domain/calendar.h"

static cal_day_t D(const char *s)
{
    cal_day_t d = 0;
    if (cal_parse(s, &d) != 0)
        fail_msg("bad test date %s", s);
    return d;
}

static void test_epoch_and_known_days(void **state)
{
    (void)state;
    assert_int_equal(D("1970-01-01"), 0);
    assert_int_equal(D("1970-01-02"), 1);
    assert_int_equal(D("1969-12-31"), -1);
    assert_int_equal(D("2000-03-01"), 11017);
    assert_int_equal(D("0001-01-01"), -719162);
    assert_int_equal(D("9999-12-31"), 2932896);
    assert_int_equal(cal_from_ymd(2024, 2, 29), D("2024-02-29"));
}

static void test_round_trip_every_day_of_four_centuries(void **state)
{
    (void)state;
    char buf[CAL_DATE_LEN + 1], again[CAL_DATE_LEN + 1];
    cal_day_t prev = D("1899-12-31");
    for (cal_day_t d = D("1900-01-01"); d <= D("2300-12-31"); d++) {
        cal_format(d, buf);
        cal_day_t back;
        assert_int_equal(cal_parse(buf, &back), 0);
        assert_int_equal(back, d);
        assert_int_equal(back, prev + 1);
        prev = back;
        int y, m, dd;
        cal_to_ymd(d, &y, &m, &dd);
        assert_int_equal(cal_from_ymd(y, m, dd), d);
        cal_format(cal_from_ymd(y, m, dd), again);
        assert_string_equal(again, buf);
    }
}

static void test_parse_rejects_what_is_not_a_date(void **state)
{
    (void)state;
    static const char *const bad[] = {"",           "2024-1-01",   "2024-01-1",   "2024/01/01", "2024-00-10",
                                      "2024-13-01", "2024-01-00",  "2024-01-32",  "2023-02-29", "1900-02-29",
                                      "0000-01-01", "2024-01-01T", " 2024-01-01", "2024-01-0a", "+024-01-01",
                                      "2024-04-31", "20240101",    NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        cal_day_t d = 12345;
        if (cal_parse(bad[i], &d) != -1)
            fail_msg("accepted %s", bad[i]);
        assert_int_equal(d, 12345);
    }
    cal_day_t d;
    assert_int_equal(cal_parse(NULL, &d), -1);
    assert_int_equal(cal_parse("2000-02-29", &d), 0);
    assert_int_equal(cal_parse("2024-02-29", &d), 0);
    assert_int_equal(cal_parse("2024-12-31", &d), 0);
}

static void test_iso_weekdays(void **state)
{
    (void)state;
    assert_int_equal(cal_weekday(D("1970-01-01")), 4); /* Thursday */
    assert_int_equal(cal_weekday(D("2024-01-01")), 1); /* Monday */
    assert_int_equal(cal_weekday(D("2024-01-07")), 7); /* Sunday */
    assert_int_equal(cal_weekday(D("2025-11-26")), 3); /* Wednesday */
    assert_int_equal(cal_weekday(D("1969-12-28")), 7); /* before the epoch: Sunday */
    assert_int_equal(cal_weekday(D("0001-01-01")), 1); /* proleptic Gregorian: Monday */
    for (cal_day_t d = D("2024-01-01"); d < D("2024-03-01"); d++)
        assert_int_equal(cal_weekday(d + 7), cal_weekday(d));
}

static void test_weekday_names_and_bits(void **state)
{
    (void)state;
    assert_int_equal(cal_weekday_bit(1), CAL_MONDAY);
    assert_int_equal(cal_weekday_bit(5), CAL_FRIDAY);
    assert_int_equal(cal_weekday_bit(7), CAL_SUNDAY);
    assert_int_equal(cal_weekday_bit(0), 0);
    assert_int_equal(cal_weekday_bit(8), 0);
    assert_int_equal(CAL_MONDAY | CAL_TUESDAY | CAL_WEDNESDAY | CAL_THURSDAY | CAL_FRIDAY, CAL_WEEKDAYS_DEFAULT);
    for (int i = 1; i <= 7; i++)
        assert_int_equal(cal_weekday_parse(cal_weekday_name(i)), i);
    assert_string_equal(cal_weekday_name(1), "monday");
    assert_string_equal(cal_weekday_name(7), "sunday");
    assert_null(cal_weekday_name(0));
    assert_null(cal_weekday_name(8));
    assert_int_equal(cal_weekday_parse("Monday"), 0);
    assert_int_equal(cal_weekday_parse("mon"), 0);
    assert_int_equal(cal_weekday_parse(""), 0);
    assert_int_equal(cal_weekday_parse(NULL), 0);
}

static void test_date_arithmetic_in_text(void **state)
{
    (void)state;
    char out[CAL_DATE_LEN + 1] = "unchanged";
    assert_int_equal(cal_day_before_str("2024-03-01", out), 0);
    assert_string_equal(out, "2024-02-29");
    assert_int_equal(cal_day_before_str("2023-03-01", out), 0);
    assert_string_equal(out, "2023-02-28");
    assert_int_equal(cal_day_before_str("2025-01-01", out), 0);
    assert_string_equal(out, "2024-12-31");
    assert_int_equal(cal_add_days_str("2024-12-31", 1, out), 0);
    assert_string_equal(out, "2025-01-01");
    assert_int_equal(cal_add_days_str("2024-01-31", 30, out), 0);
    assert_string_equal(out, "2024-03-01");
    assert_int_equal(cal_add_days_str("2024-01-15", 0, out), 0);
    assert_string_equal(out, "2024-01-15");
    assert_int_equal(cal_add_days_str("2024-01-15", -366, out), 0);
    assert_string_equal(out, "2023-01-14");
    memcpy(out, "unchanged", 10);
    assert_int_equal(cal_day_before_str("0001-01-01", out), -1);
    assert_int_equal(cal_add_days_str("9999-12-31", 1, out), -1);
    assert_int_equal(cal_day_before_str("2024-02-30", out), -1);
    assert_int_equal(cal_day_before_str("yesterday", out), -1);
    assert_string_equal(out, "unchanged");
}

static void test_ranges(void **state)
{
    (void)state;
    cal_day_t a = D("2024-01-10"), b = D("2024-01-20");
    assert_int_equal(cal_range_days(a, b), 11);
    assert_int_equal(cal_range_days(a, a), 1);
    assert_int_equal(cal_range_days(b, a), 0);
    /* inclusive ends: touching ranges overlap, adjacent ones do not */
    assert_true(cal_ranges_overlap(a, b, b, b + 5));
    assert_false(cal_ranges_overlap(a, b, b + 1, b + 5));
    assert_false(cal_ranges_overlap(b + 1, b + 5, a, b));
    assert_true(cal_ranges_overlap(a, b, a + 2, a + 3)); /* inside */
    assert_true(cal_ranges_overlap(a + 2, a + 3, a, b)); /* around */
    assert_true(cal_ranges_overlap(a, a, a, a));
    /* open ends */
    assert_true(cal_ranges_overlap(a, CAL_OPEN_END, b + 100, b + 200));
    assert_true(cal_ranges_overlap(a, CAL_OPEN_END, b, CAL_OPEN_END));
    assert_false(cal_ranges_overlap(a, b, b + 1, CAL_OPEN_END));
    assert_false(cal_ranges_overlap(b + 1, CAL_OPEN_END, a, b));
    assert_true(cal_in_range(a, a, b));
    assert_true(cal_in_range(b, a, b));
    assert_false(cal_in_range(a - 1, a, b));
    assert_false(cal_in_range(b + 1, a, b));
    assert_true(cal_in_range(b + 10000, a, CAL_OPEN_END));
}

/* Two terms (Mon-Fri, then Mon-Sat), a gap between them, holidays inside and outside terms. */
static const cal_term_t *terms(void)
{
    static cal_term_t t[2];
    t[0] = (cal_term_t){D("2024-09-02"), D("2024-12-20"), CAL_WEEKDAYS_DEFAULT};
    t[1] = (cal_term_t){D("2025-01-06"), D("2025-03-29"), CAL_WEEKDAYS_DEFAULT | CAL_SATURDAY};
    return t;
}

static void test_school_days(void **state)
{
    (void)state;
    cal_day_t hol[] = {D("2024-08-30"), D("2024-10-14"), D("2024-10-14"),
                       D("2024-11-11"), D("2025-01-01"), D("2025-02-15")};
    cal_calendar_t c = {terms(), 2, hol, sizeof(hol) / sizeof(hol[0])};
    assert_true(cal_is_school_day(&c, D("2024-09-02")));  /* first day of term 1, Monday */
    assert_true(cal_is_school_day(&c, D("2024-12-20")));  /* last day, Friday */
    assert_false(cal_is_school_day(&c, D("2024-09-01"))); /* before */
    assert_false(cal_is_school_day(&c, D("2024-12-23"))); /* after, Monday in the gap */
    assert_false(cal_is_school_day(&c, D("2024-09-07"))); /* Saturday in term 1 */
    assert_false(cal_is_school_day(&c, D("2024-09-08"))); /* Sunday */
    assert_false(cal_is_school_day(&c, D("2024-10-14"))); /* holiday on a Monday */
    assert_true(cal_is_school_day(&c, D("2025-01-11")));  /* Saturday in term 2 */
    assert_false(cal_is_school_day(&c, D("2025-01-12"))); /* Sunday in term 2 */
    assert_false(cal_is_school_day(&c, D("2025-02-15"))); /* Saturday holiday in term 2 */
    assert_true(cal_is_holiday(&c, D("2024-08-30")));     /* a holiday outside terms is still a holiday */
    assert_false(cal_is_holiday(&c, D("2024-08-31")));
    assert_ptr_equal(cal_term_of(&c, D("2025-01-06")), &c.terms[1]);
    assert_null(cal_term_of(&c, D("2025-01-05")));

    /* September 2024: 21 weekdays, no holidays */
    assert_int_equal(cal_school_days(&c, D("2024-09-01"), D("2024-09-30"), NULL, 0), 21);
    /* October: 23 weekdays, one holiday (listed twice) */
    assert_int_equal(cal_school_days(&c, D("2024-10-01"), D("2024-10-31"), NULL, 0), 22);
    cal_day_t out[5];
    size_t n = cal_school_days(&c, D("2024-12-18"), D("2025-01-07"), out, 5);
    assert_int_equal(n, 5);
    char s[CAL_DATE_LEN + 1];
    static const char *const want[] = {"2024-12-18", "2024-12-19", "2024-12-20", "2025-01-06", "2025-01-07"};
    for (int i = 0; i < 5; i++) {
        cal_format(out[i], s);
        assert_string_equal(s, want[i]);
    }
    /* more days than room: the count is the full count, only max are written */
    cal_day_t two[3] = {0, 0, -7};
    assert_int_equal(cal_school_days(&c, D("2024-09-02"), D("2024-09-30"), two, 2), 21);
    assert_int_equal(two[0], D("2024-09-02"));
    assert_int_equal(two[1], D("2024-09-03"));
    assert_int_equal(two[2], -7);
    /* an empty or reversed range */
    assert_int_equal(cal_school_days(&c, D("2024-09-03"), D("2024-09-02"), out, 5), 0);
    assert_int_equal(cal_school_days(&c, D("2024-09-02"), D("2024-09-02"), out, 5), 1);
}

static void test_no_terms_no_school(void **state)
{
    (void)state;
    cal_calendar_t c = {NULL, 0, NULL, 0};
    assert_false(cal_is_school_day(&c, D("2024-09-02")));
    assert_false(cal_is_holiday(&c, D("2024-09-02")));
    assert_int_equal(cal_school_days(&c, D("2024-01-01"), D("2024-12-31"), NULL, 0), 0);
    /* a weekend-only term */
    cal_term_t t = {D("2024-01-01"), D("2024-01-31"), CAL_SATURDAY | CAL_SUNDAY};
    cal_calendar_t w = {&t, 1, NULL, 0};
    assert_int_equal(cal_school_days(&w, D("2024-01-01"), D("2024-01-31"), NULL, 0), 8);
    assert_false(cal_is_school_day(&w, D("2024-01-01")));
    assert_true(cal_is_school_day(&w, D("2024-01-06")));
}

static void test_overlapping_terms_count_a_day_once(void **state)
{
    (void)state;
    cal_term_t t[2] = {{D("2024-01-01"), D("2024-01-14"), CAL_MONDAY},
                       {D("2024-01-08"), D("2024-01-21"), CAL_MONDAY | CAL_TUESDAY}};
    cal_calendar_t c = {t, 2, NULL, 0};
    /* Mondays 1, 8, 15 and Tuesdays 9, 16: the 8th is in both terms, counted once; the 2nd is only in term 1 */
    assert_int_equal(cal_school_days(&c, D("2024-01-01"), D("2024-01-21"), NULL, 0), 5);
    assert_false(cal_is_school_day(&c, D("2024-01-02")));
    assert_true(cal_is_school_day(&c, D("2024-01-09")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_epoch_and_known_days),
        cmocka_unit_test(test_round_trip_every_day_of_four_centuries),
        cmocka_unit_test(test_parse_rejects_what_is_not_a_date),
        cmocka_unit_test(test_iso_weekdays),
        cmocka_unit_test(test_weekday_names_and_bits),
        cmocka_unit_test(test_date_arithmetic_in_text),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_school_days),
        cmocka_unit_test(test_no_terms_no_school),
        cmocka_unit_test(test_overlapping_terms_count_a_day_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
