/*
 * tz_fuzz.c - time zones through ICU: tz_valid() and tz_local_date()
 * (src/core/tz.c), and valid_time_zone() (src/api/common.c), which the tenant
 * routes use on a school's "timeZone".
 *
 * Input: "ZONE\nMS": ZONE an IANA name candidate, MS Unix milliseconds
 * (strtoll; any 64-bit value).
 *
 * Properties: tz_valid() and valid_time_zone() agree and are 0 or 1;
 * tz_local_date() always writes a date "YYYY-MM-DD" of years 0001-9999 with a
 * NUL into its exact 11-byte buffer, in the proleptic Gregorian calendar of
 * the rest of the API: the UTC date for an unknown zone or UTC itself, at
 * most one day away from it in any other zone, and the first or last day of
 * that range for an instant before or after it.
 */
#include "fuzz.h"

#include "api/common.h"
#include "core/tz.h"
#include "domain/calendar.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static const long long DAY_MS = 86400000LL;

/* The UTC day number of ms (floor division). */
static long long utc_day(long long ms)
{
    long long q = ms / DAY_MS;
    if (ms % DAY_MS < 0)
        q--;
    return q;
}

static void check_date(const char *zone, long long ms)
{
    char *out = malloc(TZ_DATE_LEN + 1);
    if (out == NULL)
        abort();
    memset(out, 'x', TZ_DATE_LEN + 1);
    tz_local_date(zone, (int64_t)ms, out);
    FUZZ_CHECK(memchr(out, '\0', TZ_DATE_LEN + 1) != NULL);
    FUZZ_CHECK(strlen(out) == TZ_DATE_LEN);
    cal_day_t d;
    FUZZ_CHECK(cal_parse(out, &d) == 0);

    long long u = utc_day(ms);
    const long long first = cal_from_ymd(1, 1, 1), last = cal_from_ymd(9999, 12, 31);
    int utc = zone == NULL || !tz_valid(zone) || strcmp(zone, "UTC") == 0 || strcmp(zone, "Etc/UTC") == 0;
    if (u < first)
        FUZZ_CHECK(d == first);
    else if (u > last)
        FUZZ_CHECK(d == last);
    else if (utc)
        FUZZ_CHECK(d == u);
    else
        FUZZ_CHECK(d >= u - 1 && d <= u + 1);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    char *zone = fuzz_field(&in, '\n', NULL);
    char *num = fuzz_field(&in, '\n', NULL);
    long long ms = strtoll(num, NULL, 10);

    int v = tz_valid(zone);
    FUZZ_CHECK(v == 0 || v == 1);
    FUZZ_CHECK(valid_time_zone(zone) == v);
    check_date(zone, ms);
    check_date("UTC", ms);
    if (size % 7 == 0)
        check_date(NULL, ms);

    free(zone);
    free(num);
    return 0;
}
