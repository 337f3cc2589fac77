/*
 * register_int.h - what the files of the register share: the register of one
 * class and month as loaded from the store (register_load.c) and drawn with
 * cairo (register_draw.c). Everything lives in the caller's arena.
 */
#ifndef ERP_REPORTS_REGISTER_INT_H
#define ERP_REPORTS_REGISTER_INT_H

#include <cairo.h>

#include "core/arena.h"
#include "domain/attendance.h"
#include "domain/calendar.h"
#include "store/store.h"

#define REG_MAX_DAYS 31

/* The cell of a day in a student's row. */
enum {
    CELL_NONE = ' ',         /* nothing to show: unmarked, or a day with no school and no mark */
    CELL_NOT_ENROLLED = '-', /* a school day before the student joined or after they left */
};

typedef struct reg_student {
    const char *id;
    const char *name; /* "Last, First" */
    att_span_t *spans;
    size_t nspans;
    char cell[REG_MAX_DAYS]; /* per day of the month: P, A, L, E, CELL_NOT_ENROLLED or CELL_NONE */
    att_counts_t counts;     /* att_student_summary over the school days up to today */
} reg_student_t;

typedef struct reg {
    const char *school;     /* the school's name */
    const char *time_zone;  /* the school's time zone */
    const char *class_name;
    const char *year_name;  /* the academic year of the class */
    const char *teacher;    /* the class teacher, or NULL */
    int year, month, ndays; /* the month and its number of days */
    cal_day_t first;        /* its first day */
    cal_day_t today;        /* today in the school's time zone */
    unsigned char school_day[REG_MAX_DAYS];
    reg_student_t *students;
    int nstudents;
    att_counts_t day_counts[REG_MAX_DAYS]; /* per day: enrolled and marks by status */
} reg_t;

/* Where a failure leaves its reason. */
typedef struct reg_err {
    char *msg;
    size_t len;
} reg_err_t;

/* Prints a reason into e and returns status. */
int reg_fail(reg_err_t *e, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Loads the school of tenant_id (name, time zone) into r; a register_status_t. */
int reg_load_school(db_t *db, arena_t *a, const char *tenant_id, reg_t *r, reg_err_t *e);
/*
 * Loads the register of a class for r->year and r->month (set by the caller,
 * with the school) into r: the class, the calendar, the roster and the marks.
 * Returns a register_status_t.
 */
int reg_load_class(db_t *db, arena_t *a, const char *tenant_id, const char *class_id, reg_t *r, reg_err_t *e);
/*
 * The ids of the classes of a grade in the academic year holding day, by
 * name, into *ids (arena memory) and their number into *n. Returns a
 * register_status_t (REGISTER_NOT_FOUND when there is none).
 */
int reg_load_grade(db_t *db, arena_t *a, const char *tenant_id, int grade_level, cal_day_t day, const char ***ids,
                   int *n, reg_err_t *e);

/* Draws the pages of r onto cr (each page shown). 0, or -1 when the page cannot hold the layout. */
int reg_draw(cairo_t *cr, const reg_t *r);

#endif
