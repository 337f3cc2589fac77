/* tz_test.c - time zone names and local dates (core/tz.h). */
#include "unit.h"

#include "core/tz.h"

#include <time.h>

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

/*
 * Instants outside the years 0001-9999 (found by tests/fuzz/tz_fuzz): the date
 * is always a NUL-terminated "YYYY-MM-DD", clamped to that range; before 1970
 * a millisecond still belongs to its day; dates are proleptic Gregorian like
 * the rest of the API (findings tz-unterminated-date, tz-negative-ms-rounding,
 * tz-bc-era-date).
 */
static void dates_at_the_edges(void **state)
{
    (void)state;
    static const char *const zones[] = {"UTC", "Europe/Atlantis", "Etc/GMT+5", "Asia/Tokyo"};
    char d[TZ_DATE_LEN + 1]; /* exactly the size, so ASan sees a missing NUL being read */
    for (int i = 0; i < 4; i++) {
        memset(d, 'x', TZ_DATE_LEN + 1);
        tz_local_date(zones[i], 300000000000000LL, d); /* year 11476 */
        assert_non_null(memchr(d, '\0', TZ_DATE_LEN + 1));
        assert_string_equal(d, "9999-12-31");
        tz_local_date(zones[i], INT64_MAX, d);
        assert_string_equal(d, "9999-12-31");
        tz_local_date(zones[i], INT64_MIN, d);
        assert_string_equal(d, "0001-01-01");
        tz_local_date(zones[i], -63000000000000LL, d); /* 27 BC: no year "0027" */
        assert_string_equal(d, "0001-01-01");
        tz_local_date(zones[i], -62135596800000LL + 86400000LL * 400, d); /* 0002-02-05T00:00Z */
        assert_string_equal(d, i == 2 ? "0002-02-04" : "0002-02-05");
    }
    tz_local_date("UTC", -1, d);
    assert_string_equal(d, "1969-12-31");
    tz_local_date("Europe/Atlantis", -1, d);
    assert_string_equal(d, "1969-12-31");
    tz_local_date(NULL, -86400001LL, d);
    assert_string_equal(d, "1969-12-30");
    tz_local_date("UTC", -12219724800000LL, d); /* 1582-10-10 Gregorian (1582-09-30 in the Julian calendar) */
    assert_string_equal(d, "1582-10-10");
}

/*
 * The thread's last answer is reused within a UTC minute: walking every minute
 * around a midnight of zones whose offsets are not whole hours (and a DST
 * change), with another zone asked in between, each date matches the date of
 * the same instant asked one millisecond into the minute (never the memo's).
 */
static void last_answer_reused_within_a_minute(void **state)
{
    (void)state;
    static const char *const zones[] = {"Asia/Kathmandu", "Pacific/Chatham", "Asia/Kolkata", "America/St_Johns",
                                        "Europe/Paris", "UTC"};
    /* 2025-03-29T12:00Z to 2025-03-30T12:00Z: a midnight of each; Paris moves to summer time at 01:00Z */
    const long long from = 1743249600000LL;
    char d[TZ_DATE_LEN + 1], other[TZ_DATE_LEN + 1], fresh[TZ_DATE_LEN + 1];
    for (int z = 0; z < 6; z++)
        for (long long ms = from; ms < from + 24 * 3600000LL; ms += 60000) {
            tz_local_date(zones[z], ms + 1, fresh); /* the minute's first answer */
            tz_local_date(zones[z], ms + 59999, d); /* from the memo */
            assert_string_equal(d, fresh);
            tz_local_date("Pacific/Kiritimati", ms, other); /* another zone in between, UTC+14 all year */
            time_t k = (time_t)(ms / 1000 + 14 * 3600);
            struct tm tm;
            char want[TZ_DATE_LEN + 1];
            gmtime_r(&k, &tm);
            strftime(want, sizeof(want), "%Y-%m-%d", &tm);
            assert_string_equal(other, want);
            tz_local_date(zones[z], ms + 30000, d);
            assert_string_equal(d, fresh);
        }
    tz_local_date("Asia/Kathmandu", 1743272100000LL - 1, d); /* 23:59:59.999 on 2025-03-29 (UTC+5:45) */
    assert_string_equal(d, "2025-03-29");
    tz_local_date("Asia/Kathmandu", 1743272100000LL, d); /* midnight */
    assert_string_equal(d, "2025-03-30");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names),
        cmocka_unit_test(local_dates),
        cmocka_unit_test(many_zones_one_thread),
        cmocka_unit_test(dates_at_the_edges),
        cmocka_unit_test(last_answer_reused_within_a_minute),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
