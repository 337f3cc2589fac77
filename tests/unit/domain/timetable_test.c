/* Tests of src/domain/timetable.c: clock times, half-open overlap, clashes by resource. */
#include "../unit.h"

#include "domain/timetable.h"

static void test_parse_time(void **state)
{
    (void)state;
    assert_int_equal(tt_parse_time("00:00", 0), 0);
    assert_int_equal(tt_parse_time("08:45", 0), 8 * 60 + 45);
    assert_int_equal(tt_parse_time("23:59", 0), 1439);
    assert_int_equal(tt_parse_time("23:59", 1), 1439);
    assert_int_equal(tt_parse_time("24:00", 1), 1440);
    assert_int_equal(tt_parse_time("24:00", 0), -1);
    static const char *const bad[] = {"",      "8:45",   "08:5",   "08-45", "0845",  "08:60",    "24:01", "25:00",
                                      "99:99", "08:45 ", " 08:45", "08:4a", "+8:45", "08:45:00", "ab:cd", NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        if (tt_parse_time(bad[i], 1) != -1)
            fail_msg("accepted %s", bad[i]);
    }
    assert_int_equal(tt_parse_time(NULL, 1), -1);
}

static void test_format_time(void **state)
{
    (void)state;
    char buf[6];
    tt_format_time(0, buf);
    assert_string_equal(buf, "00:00");
    tt_format_time(8 * 60 + 5, buf);
    assert_string_equal(buf, "08:05");
    tt_format_time(1440, buf);
    assert_string_equal(buf, "24:00");
    tt_format_time(-1, buf);
    assert_string_equal(buf, "??:??");
    tt_format_time(1441, buf);
    assert_string_equal(buf, "??:??");
    /* every time of day round-trips */
    for (int m = 0; m <= 1440; m++) {
        tt_format_time(m, buf);
        assert_int_equal(tt_parse_time(buf, 1), m);
    }
}

static void test_touching_intervals_do_not_overlap(void **state)
{
    (void)state;
    int a0 = 8 * 60, a1 = 8 * 60 + 45, b1 = 9 * 60 + 30;
    assert_false(tt_overlaps(a0, a1, a1, b1)); /* [08:00,08:45) and [08:45,09:30) */
    assert_false(tt_overlaps(a1, b1, a0, a1));
    assert_true(tt_overlaps(a0, a1 + 1, a1, b1));  /* one minute into the next */
    assert_true(tt_overlaps(a0, b1, a1, a1 + 10)); /* contains */
    assert_true(tt_overlaps(a1, a1 + 10, a0, b1)); /* contained */
    assert_true(tt_overlaps(a0, a1, a0, a1));      /* equal */
    assert_true(tt_overlaps(a0, a1, a0 - 30, a0 + 1));
    assert_false(tt_overlaps(a0, a1, 0, a0));
    assert_false(tt_overlaps(0, 1, 1439, 1440));
    /* overlap is symmetric over a grid of intervals */
    for (int s1 = 0; s1 < 6; s1++)
        for (int e1 = s1 + 1; e1 <= 6; e1++)
            for (int s2 = 0; s2 < 6; s2++)
                for (int e2 = s2 + 1; e2 <= 6; e2++) {
                    int brute = 0;
                    for (int m = 0; m < 6; m++)
                        brute |= m >= s1 && m < e1 && m >= s2 && m < e2;
                    assert_int_equal(tt_overlaps(s1, e1, s2, e2), brute);
                    assert_int_equal(tt_overlaps(s2, e2, s1, e1), brute);
                }
}

static tt_slot_t slot(const char *id, const char *cls, const char *teacher, const char *room, int wd, int s, int e)
{
    return (tt_slot_t){
        .id = id, .class_id = cls, .teacher_id = teacher, .room = room, .weekday = wd, .start = s, .end = e};
}

static void test_clashes_name_each_resource(void **state)
{
    (void)state;
    tt_slot_t a = slot("s1", "7A", "T1", "R1", 1, 480, 525);
    tt_slot_t b = slot(NULL, "7B", "T1", "R2", 1, 500, 545);
    assert_int_equal(tt_clash(&b, &a), TT_CLASH_TEACHER);
    b = slot(NULL, "7B", "T2", "R1", 1, 500, 545);
    assert_int_equal(tt_clash(&b, &a), TT_CLASH_ROOM);
    b = slot(NULL, "7A", "T2", "R2", 1, 500, 545);
    assert_int_equal(tt_clash(&b, &a), TT_CLASH_CLASS);
    b = slot(NULL, "7A", "T1", "R1", 1, 480, 525);
    assert_int_equal(tt_clash(&b, &a), TT_CLASH_TEACHER | TT_CLASH_ROOM | TT_CLASH_CLASS);
    assert_int_equal(tt_clash(&a, &b), TT_CLASH_TEACHER | TT_CLASH_ROOM | TT_CLASH_CLASS);
}

static void test_no_clash_when_apart(void **state)
{
    (void)state;
    tt_slot_t a = slot("s1", "7A", "T1", "R1", 1, 480, 525);
    tt_slot_t b = slot(NULL, "7A", "T1", "R1", 2, 480, 525); /* another weekday */
    assert_int_equal(tt_clash(&b, &a), 0);
    b = slot(NULL, "7A", "T1", "R1", 1, 525, 570); /* touching */
    assert_int_equal(tt_clash(&b, &a), 0);
    b = slot(NULL, "7B", "T2", "R2", 1, 480, 525); /* nothing shared */
    assert_int_equal(tt_clash(&b, &a), 0);
    /* slots without a room book none */
    tt_slot_t c = slot("s2", "7C", "T3", NULL, 1, 480, 525), d = slot(NULL, "7D", "T4", NULL, 1, 480, 525);
    assert_int_equal(tt_clash(&c, &d), 0);
    /* rooms compare exactly */
    tt_slot_t e = slot(NULL, "7E", "T5", "r1", 1, 480, 525);
    assert_int_equal(tt_clash(&e, &a), 0);
}

static void test_a_moved_slot_is_not_its_own_clash(void **state)
{
    (void)state;
    tt_slot_t stored = slot("s1", "7A", "T1", "R1", 1, 480, 525);
    tt_slot_t moved = slot("s1", "7A", "T1", "R1", 1, 500, 545);
    assert_int_equal(tt_clash(&moved, &stored), 0);
    tt_slot_t other = slot("s2", "7A", "T1", "R1", 1, 500, 545);
    assert_int_equal(tt_clash(&other, &stored), TT_CLASH_TEACHER | TT_CLASH_ROOM | TT_CLASH_CLASS);
}

static void test_clash_names(void **state)
{
    (void)state;
    assert_string_equal(tt_clash_name(TT_CLASH_TEACHER), "teacher");
    assert_string_equal(tt_clash_name(TT_CLASH_ROOM), "room");
    assert_string_equal(tt_clash_name(TT_CLASH_CLASS), "class");
    assert_null(tt_clash_name(0));
    assert_null(tt_clash_name(TT_CLASH_TEACHER | TT_CLASH_ROOM));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_format_time),
        cmocka_unit_test(test_touching_intervals_do_not_overlap),
        cmocka_unit_test(test_clashes_name_each_resource),
        cmocka_unit_test(test_no_clash_when_apart),
        cmocka_unit_test(test_a_moved_slot_is_not_its_own_clash),
        cmocka_unit_test(test_clash_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
