/*
 * register.h - the monthly attendance register of a class as a PDF: the
 * printed register a school keeps, one row per student, one column per day
 * of the month, the mark of each school day and the totals.
 *
 * What it shows, all read through the store for one school (tenant):
 * - the header: the school's name, the class's name, the month and year, the
 *   academic year, the class teacher when the class has one;
 * - the students enrolled in the class on any day of the month, by last name,
 *   first name (the order of the app's class rosters), numbered 1, 2, …;
 * - a column for every day of the month (day number over weekday initial);
 *   days that are no school day (weekends and weekdays outside the term's
 *   weekday set, holidays, days in no term; domain/calendar.h) are shaded;
 * - in each school day's cell the student's mark for this class: P present,
 *   A absent, L late, E excused; "-" on a school day the student was not
 *   enrolled (joined later or left earlier in the month); empty when unmarked;
 * - per student: P, A, L, E and the school days they were enrolled up to
 *   today in the school's time zone (domain/attendance.h: att_student_summary);
 * - per day, on the last page: the P, A, L and E counts;
 * - A4 landscape, as many pages as the students need, the header and column
 *   heads on each, "Page i of n" at the foot. Text is real text in DejaVu Sans,
 *   embedded (subset) in the PDF.
 *
 * The PDF is built in memory and appended to out; on failure out may hold a
 * part of it (callers discard it). Reads only (STMT_READ statements), no
 * transaction; safe to run again (a job handler may be run twice).
 */
#ifndef ERP_REPORTS_REGISTER_H
#define ERP_REPORTS_REGISTER_H

#include <stddef.h>

#include "core/arena.h"
#include "core/sbuf.h"
#include "store/store.h"

typedef enum {
    REGISTER_OK = 0,
    REGISTER_INVALID = 1,   /* a bad argument: an id that is not a UUID, a month outside 1-12, a year outside 2000-2099 */
    REGISTER_NOT_FOUND = 2, /* no such school, class (of that school) or grade */
    REGISTER_DB = 3,        /* the store failed: db_error(db) tells why (DB_UNAVAILABLE is worth a retry) */
    REGISTER_RENDER = 4,    /* cairo failed */
} register_status_t;

/*
 * Writes the register of class class_id of school tenant_id for month
 * (1-12) of year as a PDF onto out. Working memory comes from a. Returns
 * REGISTER_OK or another register_status_t, with a one-line reason in err.
 */
int register_pdf(db_t *db, arena_t *a, const char *tenant_id, const char *class_id, int year, int month, sbuf_t *out,
                 char *err, size_t errlen);

/*
 * The same for every class of a grade (grade_level 0-13) in the academic
 * year that holds the month's first day, one class after another (by name)
 * in one PDF, each class starting on a new page with its own page numbers.
 * REGISTER_NOT_FOUND when the grade has no class in that year.
 */
int register_pdf_grade(db_t *db, arena_t *a, const char *tenant_id, int grade_level, int year, int month,
                       sbuf_t *out, char *err, size_t errlen);

/*
 * Parses a month as "YYYY-MM" (the CLI's --month, a job's payload) into
 * year and month (1-12). Returns 0, or -1 when s is not one (outputs
 * untouched). The years register_pdf() accepts are narrower (2000-2099).
 */
int register_parse_month(const char *s, int *year, int *month);

/*
 * Releases what cairo and fontconfig keep for the whole process (font
 * caches, the font configuration), so a process that drew registers exits
 * with nothing left allocated. Call once, at exit, when no register is being
 * drawn; a register drawn afterwards loads them again.
 */
void register_shutdown(void);

#endif
