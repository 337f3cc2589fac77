/* tz_test.c - time zone names and local dates (core/tz.h). */
#include "unit.h"

#include "core/tz.h"

/* 2025-11-26T12:00:00Z and 2025-11-26T09:30:00Z in Unix milliseconds */
#define NOON 1764158400000LL
#define MORNING (NOON - 150LL * 60000)

static void names(void **state)
{
    (void)state;
    assert_true(tz_valid("UTC"));
    assert_true(tz_valid("Europe/Paris"));
    assert_true(tz_valid("America/Argentina/Buenos_Aires"));
    assert_false(tz_valid("Europe/Atlantis"));
    assert_false(tz_valid(""));
    assert_false(tz_valid("Europe/Paris "));
    assert_false(tz_valid("../../etc/passwd"));
    char long_name[200];
    memset(long_name, 'A', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_false(tz_valid(long_name));
}

static void local_dates(void **state)
{
    (void)state;
    char d[TZ_DATE_LEN + 1];
    tz_local_date("UTC", NOON, d);
    assert_string_equal(d, "2025-11-26");
    tz_local_date("Pacific/Kiritimati", NOON, d); /* UTC+14: already tomorrow */
    assert_string_equal(d, "2025-11-27");
    tz_local_date("Asia/Tokyo", NOON, d);
    assert_string_equal(d, "2025-11-26");
    tz_local_date("America/Los_Angeles", MORNING, d); /* 01:30 the same day */
    assert_string_equal(d, "2025-11-26");
    tz_local_date("America/Los_Angeles", MORNING - 2 * 3600000LL, d); /* 23:30 the day before */
    assert_string_equal(d, "2025-11-25");
    tz_local_date("Europe/Atlantis", NOON, d); /* unknown: UTC */
    assert_string_equal(d, "2025-11-26");
    tz_local_date(NULL, NOON, d);
    assert_string_equal(d, "2025-11-26");
}

static void many_zones_one_thread(void **state)
{
    (void)state;
    /* more zones than the per-thread cache holds, used in turns: each answer stays right */
    static const char *const zones[] = {"UTC", "Asia/Tokyo", "Pacific/Kiritimati", "America/Los_Angeles",
                                        "Europe/Paris", "Australia/Sydney"};
    static const char *const want[] = {"2025-11-26", "2025-11-26", "2025-11-27", "2025-11-26", "2025-11-26",
                                       "2025-11-26"};
    char d[TZ_DATE_LEN + 1];
    for (int round = 0; round < 50; round++)
        for (int i = 0; i < 6; i++) {
            tz_local_date(zones[i], NOON, d);
            assert_string_equal(d, want[i]);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names),
        cmocka_unit_test(local_dates),
        cmocka_unit_test(many_zones_one_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
