/*
 * attendance.h - the rules of attendance, without I/O: statuses, counts and
 * rates, who was enrolled on a day, a student's summary over a range of school
 * days, the default range (the current term) and what "today" may be.
 *
 * Dates are cal_day_t day numbers (domain/calendar.h). A rate is
 * (present + late) / marked, rounded to 4 decimals; it has no value when
 * nothing is marked.
 */
#ifndef ERP_DOMAIN_ATTENDANCE_H
#define ERP_DOMAIN_ATTENDANCE_H

#include <stddef.h>
#include <stdint.h>

#include "domain/calendar.h"

typedef enum {
    ATT_PRESENT,
    ATT_ABSENT,
    ATT_LATE,
    ATT_EXCUSED,
} att_status_t;
#define ATT_NSTATUS 4

/* "present", "absent", "late", "excused", NULL: indexed by att_status_t (a list for body_enum()). */
extern const char *const att_status_names[];
/* The status of a name, or -1 when unknown (NULL too). */
int att_status_parse(const char *s);

/* Counts of one day of a class, of a class over a range, or of a student over a range. */
typedef struct att_counts {
    int expected;       /* students enrolled (a day) or school days enrolled (a student): what could be marked */
    int n[ATT_NSTATUS]; /* marks by status */
    int unmarked;       /* of expected, how many have no mark */
} att_counts_t;

/* Marks in all (the sum of n). */
int att_marked(const att_counts_t *c);
/*
 * The rate (present + late) / marked, rounded half away from zero to 4
 * decimals, into *rate. Returns 0, or -1 when nothing is marked (no rate;
 * *rate untouched).
 */
int att_rate(const att_counts_t *c, double *rate);
/* Adds b's counts (every field) to a. */
void att_counts_add(att_counts_t *a, const att_counts_t *b);
/*
 * The counts of one day: expected students, their marks by status (n may be
 * NULL for none); unmarked = expected - marked, never below 0.
 */
void att_day_counts(int expected, const int n[ATT_NSTATUS], att_counts_t *out);

/* A stretch of enrollment: first and last day, inclusive (end CAL_OPEN_END while current). */
typedef struct att_span {
    cal_day_t start;
    cal_day_t end;
} att_span_t;

/* How many of the spans hold day d (students of a class enrolled on d; 0 or more for one student). */
int att_enrolled(const att_span_t *spans, size_t n, cal_day_t d);

/* One mark of a student. */
typedef struct att_mark {
    cal_day_t day;
    int status; /* att_status_t */
} att_mark_t;

/*
 * A student's summary: every mark counts by its status; expected is the
 * number of the school days on which the student was enrolled (any span),
 * unmarked how many of those have no mark. school_days and marks must be in
 * ascending order of day, at most one mark per day; the caller leaves out the
 * school days that have not happened yet.
 */
void att_student_summary(const cal_day_t *school_days, size_t ndays, const att_span_t *spans, size_t nspans,
                         const att_mark_t *marks, size_t nmarks, att_counts_t *out);

/*
 * The current term of a calendar on day today: the term holding it, else the
 * latest term begun before it, else the earliest term to come. NULL when the
 * calendar has no terms.
 */
const cal_term_t *att_current_term(const cal_calendar_t *c, cal_day_t today);


#endif
