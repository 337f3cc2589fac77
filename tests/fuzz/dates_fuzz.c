/*
 * dates_fuzz.c - dates, clock times, weekdays and statuses as the API carries
 * them: valid_date() (src/api/validate.c); cal_parse(), cal_format(),
 * cal_add_days_str(), cal_day_before_str(), cal_weekday_parse() and the
 * weekday helpers (src/domain/calendar.c); tt_parse_time() and
 * tt_format_time() (src/domain/timetable.c); att_status_parse()
 * (src/domain/attendance.c); people_check_birth() / people_check_admission()
 * on the dates that parse (src/domain/people.c); valid_instant()
 * (src/api/validate.c), the audit trail's from and to.
 *
 * Input: "S\nT\nN": S and T are texts tried as dates, times, weekday and
 * status names; N (strtol) is a day count and a number of minutes.
 *
 * Properties: valid_date() and cal_parse() accept exactly the same texts; a
 * parsed date formats back to the same text, and its day number to the same
 * year, month and day; adding days lands n days later or is refused outside
 * years 0001-9999; a parsed clock time formats back to the same text; a parsed
 * weekday or status names itself; an instant falls on its date and writes back
 * to the same text; every output is NUL-terminated in its exact-size buffer.
 */
#include "fuzz.h"

#include <limits.h>

#include "api/validate.h"
#include "domain/attendance.h"
#include "domain/calendar.h"
#include "domain/people.h"
#include "domain/timetable.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static const cal_day_t FIRST = -719162; /* 0001-01-01 */
static const cal_day_t LAST = 2932896;  /* 9999-12-31 */

static char *out_buf(size_t n)
{
    char *p = malloc(n);
    if (p == NULL)
        abort();
    return p;
}

/* s as a date; 1 with *d set when it is one. */
static int date(const char *s, long n, cal_day_t *d)
{
    int ok = cal_parse(s, d) == 0;
    FUZZ_CHECK(ok == (valid_date(s) != 0));
    if (!ok)
        return 0;
    FUZZ_CHECK(*d >= FIRST && *d <= LAST);
    char *out = out_buf(CAL_DATE_LEN + 1);
    cal_format(*d, out);
    FUZZ_CHECK(strcmp(out, s) == 0);
    int y, m, dd;
    cal_to_ymd(*d, &y, &m, &dd);
    FUZZ_CHECK(cal_from_ymd(y, m, dd) == *d);
    FUZZ_CHECK(y >= 1 && y <= 9999 && m >= 1 && m <= 12 && dd >= 1 && dd <= 31);
    int wd = cal_weekday(*d);
    FUZZ_CHECK(wd >= 1 && wd <= 7 && cal_weekday(*d + 7) == wd && cal_weekday(*d + 1) == wd % 7 + 1);
    FUZZ_CHECK(cal_weekday_parse(cal_weekday_name(wd)) == wd);
    FUZZ_CHECK(cal_weekday_bit(wd) == 1u << (wd - 1));

    static const int steps[] = {0, 1, -1, 365, -366, INT_MAX, INT_MIN};
    for (size_t i = 0; i <= sizeof(steps) / sizeof(steps[0]); i++) {
        int k = i < sizeof(steps) / sizeof(steps[0]) ? steps[i] : (int)n;
        memset(out, 'x', CAL_DATE_LEN + 1);
        long want = (long)*d + k;
        if (cal_add_days_str(s, k, out) == 0) {
            FUZZ_CHECK(want >= FIRST && want <= LAST);
            cal_day_t e;
            FUZZ_CHECK(cal_parse(out, &e) == 0 && e == want);
        } else {
            FUZZ_CHECK(want < FIRST || want > LAST);
            FUZZ_CHECK(out[0] == 'x'); /* untouched */
        }
    }
    if (cal_day_before_str(s, out) == 0) {
        cal_day_t e;
        FUZZ_CHECK(cal_parse(out, &e) == 0 && e == *d - 1);
    } else {
        FUZZ_CHECK(*d == FIRST);
    }
    free(out);
    return 1;
}

static void clock_time(const char *s)
{
    for (int eod = 0; eod <= 1; eod++) {
        int m = tt_parse_time(s, eod);
        FUZZ_CHECK(m >= -1 && m <= (eod ? TT_MINUTES_PER_DAY : TT_MINUTES_PER_DAY - 1));
        if (m >= 0) {
            char *out = out_buf(6);
            tt_format_time(m, out);
            FUZZ_CHECK(strcmp(out, s) == 0);
            free(out);
        }
    }
}

/*
 * s as an instant (valid_instant): a date alone is its midnight; otherwise its
 * first ten characters are a date, the instant falls on that day, and the
 * text is exactly what the API writes (iso_time's form, or without
 * milliseconds).
 */
static void instant(const char *s)
{
    long long ms = 42;
    int ok = valid_instant(s, &ms);
    size_t n = strlen(s);
    if (n == 10)
        FUZZ_CHECK(ok == (valid_date(s) != 0));
    if (!ok) {
        FUZZ_CHECK(ms == 42);
        return;
    }
    FUZZ_CHECK(n == 10 || n == 20 || n == 24);
    char day[11];
    memcpy(day, s, 10);
    day[10] = '\0';
    cal_day_t d;
    FUZZ_CHECK(cal_parse(day, &d) == 0);
    long long in_day = ms - (long long)d * 86400000LL;
    FUZZ_CHECK(in_day >= 0 && in_day < 86400000LL);
    if (n == 10) {
        FUZZ_CHECK(in_day == 0);
        return;
    }
    char back[32];
    long long sec = in_day / 1000;
    snprintf(back, sizeof(back), "%sT%02lld:%02lld:%02lld", day, sec / 3600, sec / 60 % 60, sec % 60);
    if (n == 24)
        snprintf(back + 19, sizeof(back) - 19, ".%03lldZ", in_day % 1000);
    else
        strcpy(back + 19, "Z");
    FUZZ_CHECK(strcmp(back, s) == 0);
}

static void names(const char *s)
{
    int wd = cal_weekday_parse(s);
    FUZZ_CHECK(wd >= 0 && wd <= 7);
    if (wd > 0)
        FUZZ_CHECK(strcmp(cal_weekday_name(wd), s) == 0);
    int st = att_status_parse(s);
    FUZZ_CHECK(st >= -1 && st < ATT_NSTATUS);
    if (st >= 0)
        FUZZ_CHECK(strcmp(att_status_names[st], s) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    char *s = fuzz_field(&in, '\n', NULL);
    char *t = fuzz_field(&in, '\n', NULL);
    char *num = fuzz_field(&in, '\n', NULL);
    long n = strtol(num, NULL, 10);

    cal_day_t ds = 0, dt = 0;
    int s_ok = date(s, n, &ds);
    int t_ok = date(t, n, &dt);
    if (s_ok && t_ok) {
        people_date_t b = people_check_birth(s, t);
        FUZZ_CHECK(b == PEOPLE_DATE_OK ? (ds < dt && ds >= cal_from_ymd(1900, 1, 1))
                                       : (b == PEOPLE_DATE_NOT_PAST || b == PEOPLE_DATE_TOO_EARLY));
        people_date_t a = people_check_admission(s, t);
        FUZZ_CHECK(a == (ds < dt ? PEOPLE_DATE_BEFORE_BIRTH : PEOPLE_DATE_OK));
    }
    clock_time(s);
    clock_time(t);
    instant(s);
    instant(t);
    names(s);
    names(t);

    char *hhmm = out_buf(6);
    tt_format_time((int)n, hhmm);
    FUZZ_CHECK(strlen(hhmm) == 5);
    if (n >= 0 && n <= TT_MINUTES_PER_DAY)
        FUZZ_CHECK(tt_parse_time(hhmm, 1) == n);
    free(hhmm);

    int wd = (int)n;
    const char *wn = cal_weekday_name(wd);
    FUZZ_CHECK((wn != NULL) == (wd >= 1 && wd <= 7));
    FUZZ_CHECK((cal_weekday_bit(wd) != 0) == (wd >= 1 && wd <= 7));

    free(s);
    free(t);
    free(num);
    return 0;
}
