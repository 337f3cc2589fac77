/* calendar.c - school days, weekdays and date arithmetic over day numbers (see calendar.h). */
#include "domain/calendar.h"

#include <string.h>

/* Days from civil date (Howard Hinnant's algorithm), exact for the proleptic Gregorian calendar. */
cal_day_t cal_from_ymd(int year, int month, int day)
{
    int y = year - (month <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;                                            /* [0, 399] */
    int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1; /* [0, 365] */
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                    /* [0, 146096] */
    return (cal_day_t)(era * 146097 + doe - 719468);
}

void cal_to_ymd(cal_day_t d, int *year, int *month, int *day)
{
    long z = (long)d + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;                                      /* [0, 146096] */
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    long mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    int yy = (int)(yoe + era * 400 + (mm <= 2));
    if (year != NULL)
        *year = yy;
    if (month != NULL)
        *month = mm;
    if (day != NULL)
        *day = dd;
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int month_days(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
}

int cal_parse(const char *s, cal_day_t *out)
{
    if (s == NULL || strnlen(s, CAL_DATE_LEN + 1) != CAL_DATE_LEN || s[4] != '-' || s[7] != '-')
        return -1;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
        return -1;
    *out = cal_from_ymd(y, m, d);
    return 0;
}

void cal_format(cal_day_t d, char out[CAL_DATE_LEN + 1])
{
    int y, m, dd;
    cal_to_ymd(d, &y, &m, &dd);
    /* written by hand: the values are known to fit, and snprintf's truncation warnings would need silencing */
    out[0] = (char)('0' + y / 1000 % 10);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + dd / 10);
    out[9] = (char)('0' + dd % 10);
    out[10] = '\0';
}

int cal_weekday(cal_day_t d)
{
    /* 1970-01-01 was a Thursday (ISO 4) */
    long w = ((long)d + 3) % 7;
    if (w < 0)
        w += 7;
    return (int)w + 1;
}

unsigned cal_weekday_bit(int iso_weekday)
{
    return iso_weekday >= 1 && iso_weekday <= 7 ? 1u << (iso_weekday - 1) : 0;
}

static const char *const weekday_names[] = {"monday", "tuesday",  "wednesday", "thursday",
                                            "friday", "saturday", "sunday"};

const char *cal_weekday_name(int iso_weekday)
{
    return iso_weekday >= 1 && iso_weekday <= 7 ? weekday_names[iso_weekday - 1] : NULL;
}

int cal_weekday_parse(const char *name)
{
    if (name == NULL)
        return 0;
    for (int i = 0; i < 7; i++)
        if (strcmp(name, weekday_names[i]) == 0)
            return i + 1;
    return 0;
}

int cal_add_days_str(const char *s, int n, char out[CAL_DATE_LEN + 1])
{
    static const cal_day_t first = -719162; /* 0001-01-01 */
    static const cal_day_t last = 2932896;  /* 9999-12-31 */
    cal_day_t d;
    if (cal_parse(s, &d) != 0)
        return -1;
    long v = (long)d + n;
    if (v < first || v > last)
        return -1;
    cal_format((cal_day_t)v, out);
    return 0;
}

int cal_day_before_str(const char *s, char out[CAL_DATE_LEN + 1])
{
    return cal_add_days_str(s, -1, out);
}

long cal_range_days(cal_day_t a, cal_day_t b)
{
    return b < a ? 0 : (long)b - (long)a + 1;
}

int cal_ranges_overlap(cal_day_t a_start, cal_day_t a_end, cal_day_t b_start, cal_day_t b_end)
{
    return a_start <= b_end && b_start <= a_end;
}

int cal_in_range(cal_day_t d, cal_day_t start, cal_day_t end)
{
    return start <= d && d <= end;
}

int cal_is_holiday(const cal_calendar_t *c, cal_day_t d)
{
    size_t lo = 0, hi = c->nholidays;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->holidays[mid] < d)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nholidays && c->holidays[lo] == d;
}

const cal_term_t *cal_term_of(const cal_calendar_t *c, cal_day_t d)
{
    for (size_t i = 0; i < c->nterms; i++)
        if (cal_in_range(d, c->terms[i].start, c->terms[i].end))
            return &c->terms[i];
    return NULL;
}

int cal_is_school_day(const cal_calendar_t *c, cal_day_t d)
{
    unsigned bit = cal_weekday_bit(cal_weekday(d));
    int in_term = 0;
    for (size_t i = 0; i < c->nterms && !in_term; i++)
        in_term = cal_in_range(d, c->terms[i].start, c->terms[i].end) && (c->terms[i].weekdays & bit) != 0;
    return in_term && !cal_is_holiday(c, d);
}

size_t cal_school_days(const cal_calendar_t *c, cal_day_t from, cal_day_t to, cal_day_t *out, size_t max)
{
    size_t n = 0;
    for (long d = from; d <= (long)to; d++) {
        if (!cal_is_school_day(c, (cal_day_t)d))
            continue;
        if (n < max)
            out[n] = (cal_day_t)d;
        n++;
    }
    return n;
}
