#include "core/tz.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#define ZONE_MAX 64
#define CACHE 4

/* Calendars are not thread-safe, so each thread keeps its own, for its last few zones. */
static __thread struct {
    char zone[ZONE_MAX];
    UCalendar *cal;
    unsigned used;
} cache[CACHE];
static __thread unsigned tick;

static int to_uchars(const char *name, UChar out[ZONE_MAX])
{
    size_t n = strlen(name);
    if (n == 0 || n >= ZONE_MAX)
        return -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] > 0x7e || (unsigned char)name[i] < 0x21)
            return -1;
    u_uastrncpy(out, name, ZONE_MAX);
    return 0;
}

int tz_valid(const char *name)
{
    UChar id[ZONE_MAX], canon[ZONE_MAX];
    if (to_uchars(name, id) != 0)
        return 0;
    UErrorCode st = U_ZERO_ERROR;
    UBool system = 0;
    ucal_getCanonicalTimeZoneID(id, -1, canon, ZONE_MAX, &system, &st);
    return U_SUCCESS(st) && system;
}

static UCalendar *calendar(const char *zone)
{
    unsigned oldest = 0;
    for (unsigned i = 0; i < CACHE; i++) {
        if (cache[i].cal != NULL && strcmp(cache[i].zone, zone) == 0) {
            cache[i].used = ++tick;
            return cache[i].cal;
        }
        if (cache[i].used < cache[oldest].used)
            oldest = i;
    }
    UChar id[ZONE_MAX];
    if (!tz_valid(zone) || to_uchars(zone, id) != 0)
        return NULL;
    UErrorCode st = U_ZERO_ERROR;
    UCalendar *cal = ucal_open(id, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st))
        return NULL;
    /* proleptic Gregorian, as every date of the API (domain/calendar.h): no Julian dates before 1582 */
    ucal_setGregorianChange(cal, U_DATE_MIN, &st);
    if (U_FAILURE(st)) {
        ucal_close(cal);
        return NULL;
    }
    if (cache[oldest].cal != NULL)
        ucal_close(cache[oldest].cal);
    snprintf(cache[oldest].zone, ZONE_MAX, "%s", zone);
    cache[oldest].cal = cal;
    cache[oldest].used = ++tick;
    return cal;
}

/* The instants a "YYYY-MM-DD" date can show: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z. */
#define FIRST_MS (-62135596800000LL)
#define LAST_MS 253402300799999LL

/* The UTC date of ms; an instant before year 1 or after year 9999 gives the first or the last day. */
static void utc_date(int64_t ms, char out[TZ_DATE_LEN + 1])
{
    if (ms < FIRST_MS)
        ms = FIRST_MS;
    if (ms > LAST_MS)
        ms = LAST_MS;
    time_t t = (time_t)(ms / 1000 - (ms % 1000 < 0)); /* floor: -1 ms is still 1969-12-31 */
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) { /* cannot fail in that range */
        snprintf(out, TZ_DATE_LEN + 1, "1970-01-01");
        return;
    }
    snprintf(out, TZ_DATE_LEN + 1, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/*
 * The last answer of this thread: every request asks for its school's today,
 * and a date cannot change within a UTC minute where every zone's offset is a
 * whole number of minutes (from 1973 on; Africa/Monrovia's -0:44:30 was the
 * last that was not).
 */
#define MEMO_FROM_MS 94694400000LL /* 1973-01-01T00:00:00Z */
static __thread struct {
    char zone[ZONE_MAX];
    int64_t minute;
    char date[TZ_DATE_LEN + 1];
} memo;

static void local_date(const char *zone, int64_t ms, char out[TZ_DATE_LEN + 1]);

void tz_local_date(const char *zone, int64_t ms, char out[TZ_DATE_LEN + 1])
{
    size_t n = zone != NULL ? strlen(zone) : 0;
    if (n == 0 || n >= sizeof(memo.zone) || ms < MEMO_FROM_MS || ms > LAST_MS) {
        local_date(zone, ms, out);
        return;
    }
    if (memo.minute == ms / 60000 && memcmp(memo.zone, zone, n + 1) == 0) {
        memcpy(out, memo.date, TZ_DATE_LEN + 1);
        return;
    }
    local_date(zone, ms, out);
    memcpy(memo.zone, zone, n + 1);
    memo.minute = ms / 60000;
    memcpy(memo.date, out, TZ_DATE_LEN + 1);
}

/*
 * Always writes a date of years 0001-9999 with its NUL: an instant whose local
 * date lies outside them (or an unknown zone) falls back to the UTC date,
 * clamped to that range.
 */
static void local_date(const char *zone, int64_t ms, char out[TZ_DATE_LEN + 1])
{
    UCalendar *cal = zone != NULL ? calendar(zone) : NULL;
    UErrorCode st = U_ZERO_ERROR;
    if (cal != NULL && ms >= FIRST_MS && ms <= LAST_MS) {
        ucal_setMillis(cal, (UDate)ms, &st);
        int era = ucal_get(cal, UCAL_ERA, &st);
        int y = ucal_get(cal, UCAL_YEAR, &st);
        int m = ucal_get(cal, UCAL_MONTH, &st) + 1;
        int d = ucal_get(cal, UCAL_DATE, &st);
        if (U_SUCCESS(st) && era == 1 && y > 0 && y < 10000) { /* era 0 is BC, whose years count down */
            snprintf(out, TZ_DATE_LEN + 1, "%04d-%02d-%02d", y, m, d);
            return;
        }
    }
    utc_date(ms, out);
}
