/*
 * calendar.h - pure date rules of the school calendar (no I/O, no allocation).
 *
 * Dates are days: cal_day_t counts days since 1970-01-01 in the proleptic
 * Gregorian calendar (negative before it), so date arithmetic is integer
 * arithmetic (the day before d is d - 1). cal_parse()/cal_format() convert to
 * and from the API's "YYYY-MM-DD" text (years 0001-9999).
 *
 * Weekdays are ISO numbers, 1 Monday … 7 Sunday. A term's weekday set is a bit
 * mask, bit 0 Monday … bit 6 Sunday (CAL_MONDAY … CAL_SUNDAY), as stored in
 * terms.weekdays.
 *
 * A date is a school day when it lies inside a term (start and end inclusive),
 * its weekday is in that term's weekday set, and it is not a holiday.
 *
 * Ranges are inclusive on both ends; CAL_OPEN_END stands for "no end yet"
 * (an enrollment whose end_date is NULL).
 */
#ifndef ERP_DOMAIN_CALENDAR_H
#define ERP_DOMAIN_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

typedef int32_t cal_day_t;

#define CAL_DATE_LEN 10        /* "YYYY-MM-DD" without the NUL */
#define CAL_OPEN_END INT32_MAX /* the end of a range that has none (later than every date) */

enum {
    CAL_MONDAY = 1u << 0,
    CAL_TUESDAY = 1u << 1,
    CAL_WEDNESDAY = 1u << 2,
    CAL_THURSDAY = 1u << 3,
    CAL_FRIDAY = 1u << 4,
    CAL_SATURDAY = 1u << 5,
    CAL_SUNDAY = 1u << 6,
};
#define CAL_WEEKDAYS_DEFAULT 0x1fu /* Monday to Friday */
#define CAL_WEEKDAYS_ALL 0x7fu

/*
 * Parses "YYYY-MM-DD" (exactly 10 characters, a real calendar date, year
 * 0001-9999) into *out. Returns 0, or -1 leaving *out untouched.
 */
int cal_parse(const char *s, cal_day_t *out);
/* Writes d as "YYYY-MM-DD" with a NUL into out. d must be a day of years 0001-9999. */
void cal_format(cal_day_t d, char out[CAL_DATE_LEN + 1]);
/* The day of a year, month (1-12) and day of month; no range checks. */
cal_day_t cal_from_ymd(int year, int month, int day);
/* Year, month (1-12) and day of month of d; any output pointer may be NULL. */
void cal_to_ymd(cal_day_t d, int *year, int *month, int *day);

/* ISO weekday of d: 1 Monday … 7 Sunday. */
int cal_weekday(cal_day_t d);
/* The weekday set bit of an ISO weekday (1-7); 0 for anything else. */
unsigned cal_weekday_bit(int iso_weekday);
/* Lower-case English name of an ISO weekday ("monday"); NULL outside 1-7. */
const char *cal_weekday_name(int iso_weekday);
/* ISO weekday (1-7) of a lower-case English name ("monday"), or 0 when unknown. */
int cal_weekday_parse(const char *name);

/*
 * Text forms of date arithmetic, for dates as the API and the database carry
 * them: writes the date n days after (before, when n < 0) the date s into out.
 * Returns 0, or -1 when s is not a date or the result leaves years 0001-9999
 * (out untouched).
 */
int cal_add_days_str(const char *s, int n, char out[CAL_DATE_LEN + 1]);
/* The day before s, as cal_add_days_str(s, -1, out). */
int cal_day_before_str(const char *s, char out[CAL_DATE_LEN + 1]);

/* Days from a to b inclusive (b - a + 1); 0 when b < a. */
long cal_range_days(cal_day_t a, cal_day_t b);
/* Whether the inclusive ranges [a_start, a_end] and [b_start, b_end] share a day (ends may be CAL_OPEN_END). */
int cal_ranges_overlap(cal_day_t a_start, cal_day_t a_end, cal_day_t b_start, cal_day_t b_end);
/* Whether d lies in [start, end] (end may be CAL_OPEN_END). */
int cal_in_range(cal_day_t d, cal_day_t start, cal_day_t end);

/* A term: its first and last day (inclusive) and its weekday set (CAL_MONDAY | …). */
typedef struct cal_term {
    cal_day_t start;
    cal_day_t end;
    unsigned weekdays;
} cal_term_t;

/*
 * A school's calendar: its terms (any order; terms of one school do not
 * overlap, but overlapping ones are handled: a day counts when any term makes
 * it one) and its holidays, sorted ascending (duplicates allowed). The arrays
 * are the caller's; nothing is copied.
 */
typedef struct cal_calendar {
    const cal_term_t *terms;
    size_t nterms;
    const cal_day_t *holidays;
    size_t nholidays;
} cal_calendar_t;

/* Whether d is a holiday of the calendar (binary search). */
int cal_is_holiday(const cal_calendar_t *c, cal_day_t d);
/* The term of the calendar holding d (the first one listed, when several do), or NULL. */
const cal_term_t *cal_term_of(const cal_calendar_t *c, cal_day_t d);
/* Whether d is a school day of the calendar (see the top of this file). */
int cal_is_school_day(const cal_calendar_t *c, cal_day_t d);
/*
 * The school days of [from, to] in ascending order: writes up to max of them
 * into out (which may be NULL when max is 0) and returns how many there are in
 * all (which may exceed max, like snprintf). Returns 0 when to < from.
 */
size_t cal_school_days(const cal_calendar_t *c, cal_day_t from, cal_day_t to, cal_day_t *out, size_t max);

#endif
