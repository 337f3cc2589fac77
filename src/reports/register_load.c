/*
 * register_load.c - reads what a class's monthly register shows through the
 * store and computes its cells and totals with the attendance rules
 * (domain/attendance.h, domain/calendar.h). Five reads per class whatever its
 * size: the class, the terms and holidays of the month, the roster with its
 * enrollment spans, the marks.
 */
#include "reports/register_int.h"
#include "reports/register.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/tz.h"

/* An enrollment e covers its days from start to end, or while open to its year's end (as in api/attendance.c). */
#define SPAN_END "COALESCE(e.end_date, y.end_date)"

/* The code of each status, indexed by att_status_t: P present, A absent, L late, E excused. */
static const char MARK_CODES[ATT_NSTATUS + 1] = "PALE";

static stmt_t Q_SCHOOL = STMT("register.school", STMT_READ, "SELECT name, time_zone FROM tenants WHERE id = $1");
static stmt_t Q_CLASS = STMT("register.class", STMT_READ,
                             "SELECT c.name, y.name, t.first_name, t.last_name FROM classes c"
                             " JOIN academic_years y ON y.tenant_id = c.tenant_id AND y.id = c.academic_year_id"
                             " LEFT JOIN teachers t ON t.tenant_id = c.tenant_id AND t.id = c.class_teacher_id"
                             " WHERE c.tenant_id = $1 AND c.id = $2");
static stmt_t Q_TERMS = STMT("register.terms", STMT_READ,
                             "SELECT start_date, end_date, weekdays FROM terms"
                             " WHERE tenant_id = $1 AND start_date <= $3 AND end_date >= $2");
static stmt_t Q_HOLIDAYS = STMT("register.holidays", STMT_READ,
                                "SELECT date FROM holidays WHERE tenant_id = $1 AND date >= $2 AND date <= $3"
                                " ORDER BY date");
/* one row per enrollment span, a student's spans together, students in the order of the app's rosters */
enum { S_ID, S_FIRST, S_LAST, S_START, S_END };
static stmt_t Q_ROSTER = STMT("register.roster", STMT_READ,
                              "SELECT s.id, s.first_name, s.last_name, e.start_date, " SPAN_END " FROM enrollments e"
                              " JOIN students s ON s.tenant_id = e.tenant_id AND s.id = e.student_id"
                              " JOIN academic_years y ON y.tenant_id = e.tenant_id AND y.id = e.academic_year_id"
                              " WHERE e.tenant_id = $1 AND e.class_id = $2 AND e.start_date <= $4"
                              " AND " SPAN_END " >= $3 AND s.deleted_at IS NULL"
                              " ORDER BY s.last_name, s.first_name, s.id, e.start_date");
static stmt_t Q_MARKS = STMT("register.marks", STMT_READ,
                             "SELECT student_id, date, status FROM attendance"
                             " WHERE tenant_id = $1 AND class_id = $2 AND date >= $3 AND date <= $4"
                             " ORDER BY student_id, date");
static stmt_t Q_GRADE = STMT("register.grade", STMT_READ,
                             "SELECT c.id FROM classes c"
                             " JOIN academic_years y ON y.tenant_id = c.tenant_id AND y.id = c.academic_year_id"
                             " WHERE c.tenant_id = $1 AND c.grade_level = $2 AND y.start_date <= $3"
                             " AND y.end_date >= $3 ORDER BY c.name, c.id");

int reg_fail(reg_err_t *e, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, e->len, fmt, ap);
    va_end(ap);
    return status;
}

static int db_failed(db_t *db, reg_err_t *e, const char *what)
{
    return reg_fail(e, REGISTER_DB, "reading %s failed: %s", what, db_error(db)->message);
}

static cal_day_t cell_day(const db_result_t *res, int row, int col)
{
    cal_day_t d = 0;
    cal_parse(db_get(res, row, col), &d);
    return d;
}

static const char *day_text(arena_t *a, cal_day_t d)
{
    char *s = arena_alloc(a, CAL_DATE_LEN + 1);
    cal_format(d, s);
    return s;
}

static cal_day_t last_day(const reg_t *r)
{
    return r->first + r->ndays - 1;
}

int reg_load_school(db_t *db, arena_t *a, const char *tenant_id, reg_t *r, reg_err_t *e)
{
    db_result_t res;
    if (db_exec(db, &Q_SCHOOL, DB_ARGS(DB_TEXT(tenant_id)), a, &res) != 0)
        return db_failed(db, e, "the school");
    if (res.nrows == 0)
        return reg_fail(e, REGISTER_NOT_FOUND, "no school %s", tenant_id);
    r->school = db_get(&res, 0, 0);
    r->time_zone = db_get(&res, 0, 1);
    char today[TZ_DATE_LEN + 1];
    tz_local_date(r->time_zone, (int64_t)clock_wall_ms(), today);
    cal_parse(today, &r->today);
    return REGISTER_OK;
}

static int load_header(db_t *db, arena_t *a, const char *tenant_id, const char *class_id, reg_t *r, reg_err_t *e)
{
    db_result_t res;
    if (db_exec(db, &Q_CLASS, DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(class_id)), a, &res) != 0)
        return db_failed(db, e, "the class");
    if (res.nrows == 0)
        return reg_fail(e, REGISTER_NOT_FOUND, "no class %s in this school", class_id);
    r->class_name = db_get(&res, 0, 0);
    r->year_name = db_get(&res, 0, 1);
    r->teacher = db_is_null(&res, 0, 2) ? NULL
                                        : arena_printf(a, "%s %s", db_get(&res, 0, 2), db_get(&res, 0, 3));
    return REGISTER_OK;
}

/* Which days of the month are school days (the terms and holidays that touch the month). */
static int load_calendar(db_t *db, arena_t *a, const char *tenant_id, reg_t *r, reg_err_t *e)
{
    db_arg_t args[] = {DB_TEXT(tenant_id), DB_TEXT(day_text(a, r->first)), DB_TEXT(day_text(a, last_day(r)))};
    db_result_t terms, hols;
    if (db_exec(db, &Q_TERMS, args, 3, a, &terms) != 0 || db_exec(db, &Q_HOLIDAYS, args, 3, a, &hols) != 0)
        return db_failed(db, e, "the calendar");
    cal_term_t *t = arena_alloc(a, sizeof(*t) * (size_t)(terms.nrows + 1));
    for (int i = 0; i < terms.nrows; i++)
        t[i] = (cal_term_t){cell_day(&terms, i, 0), cell_day(&terms, i, 1), (unsigned)db_get_int(&terms, i, 2)};
    cal_day_t *h = arena_alloc(a, sizeof(*h) * (size_t)(hols.nrows + 1));
    for (int i = 0; i < hols.nrows; i++)
        h[i] = cell_day(&hols, i, 0);
    cal_calendar_t cal = {t, (size_t)terms.nrows, h, (size_t)hols.nrows};
    for (int i = 0; i < r->ndays; i++)
        r->school_day[i] = (unsigned char)cal_is_school_day(&cal, r->first + i);
    return REGISTER_OK;
}

/* The students and their spans from the roster's rows (a student's rows are together). */
static void add_students(arena_t *a, const db_result_t *res, reg_t *r)
{
    r->students = arena_calloc(a, sizeof(*r->students) * (size_t)(res->nrows + 1));
    r->nstudents = 0;
    for (int i = 0; i < res->nrows; i++) {
        reg_student_t *s = r->nstudents > 0 ? &r->students[r->nstudents - 1] : NULL;
        if (s == NULL || strcmp(s->id, db_get(res, i, S_ID)) != 0) {
            s = &r->students[r->nstudents++];
            s->id = db_get(res, i, S_ID);
            s->name = arena_printf(a, "%s, %s", db_get(res, i, S_LAST), db_get(res, i, S_FIRST));
            s->spans = arena_alloc(a, sizeof(*s->spans) * (size_t)(res->nrows - i));
        }
        s->spans[s->nspans++] = (att_span_t){cell_day(res, i, S_START), cell_day(res, i, S_END)};
    }
}

static reg_student_t *find_student(reg_t *r, const char *id)
{
    for (int i = 0; i < r->nstudents; i++)
        if (strcmp(r->students[i].id, id) == 0)
            return &r->students[i];
    return NULL;
}

/* Marks of one student: rows [from, to) of the marks, all of that student. */
static void student_marks(arena_t *a, const db_result_t *res, int from, int to, att_mark_t **marks, size_t *n)
{
    *marks = arena_alloc(a, sizeof(**marks) * (size_t)(to - from));
    *n = 0;
    for (int i = from; i < to; i++) {
        int st = att_status_parse(db_get(res, i, 2));
        if (st >= 0)
            (*marks)[(*n)++] = (att_mark_t){cell_day(res, i, 1), st};
    }
}

/* A student's cells and totals from their marks of the month. */
static void fill_student(const reg_t *r, const cal_day_t *days, size_t ndays, reg_student_t *s,
                         const att_mark_t *marks, size_t nmarks)
{
    for (int i = 0; i < r->ndays; i++) {
        int enrolled = att_enrolled(s->spans, s->nspans, r->first + i) > 0;
        s->cell[i] = r->school_day[i] && !enrolled ? CELL_NOT_ENROLLED : CELL_NONE;
    }
    for (size_t m = 0; m < nmarks; m++)
        s->cell[marks[m].day - r->first] = MARK_CODES[marks[m].status];
    att_student_summary(days, ndays, s->spans, s->nspans, marks, nmarks, &s->counts);
}

/* The per-day counts: students enrolled on each school day and their marks by status. */
static void count_days(reg_t *r)
{
    for (int d = 0; d < r->ndays; d++) {
        int n[ATT_NSTATUS] = {0}, enrolled = 0;
        for (int i = 0; i < r->nstudents; i++) {
            const reg_student_t *s = &r->students[i];
            const char *code = s->cell[d] != CELL_NONE ? strchr(MARK_CODES, s->cell[d]) : NULL;
            int st = code != NULL ? (int)(code - MARK_CODES) : -1;
            if (st >= 0)
                n[st]++;
            enrolled += att_enrolled(s->spans, s->nspans, r->first + d) > 0;
        }
        att_day_counts(r->school_day[d] ? enrolled : 0, n, &r->day_counts[d]);
    }
}

static int load_marks(db_t *db, arena_t *a, const char *tenant_id, const char *class_id, reg_t *r, reg_err_t *e)
{
    db_result_t res;
    if (db_exec(db, &Q_MARKS,
                DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(class_id), DB_TEXT(day_text(a, r->first)),
                        DB_TEXT(day_text(a, last_day(r)))),
                a, &res) != 0)
        return db_failed(db, e, "the marks");
    /* the school days that count in the totals: those of the month up to today */
    cal_day_t days[REG_MAX_DAYS];
    size_t ndays = 0;
    for (int i = 0; i < r->ndays && r->first + i <= r->today; i++)
        if (r->school_day[i])
            days[ndays++] = r->first + i;
    for (int i = 0; i < r->nstudents; i++)
        fill_student(r, days, ndays, &r->students[i], NULL, 0);
    for (int from = 0, to; from < res.nrows; from = to) {
        for (to = from + 1; to < res.nrows && strcmp(db_get(&res, to, 0), db_get(&res, from, 0)) == 0; to++)
            ;
        reg_student_t *s = find_student(r, db_get(&res, from, 0));
        if (s == NULL)
            continue; /* marked in this class but not enrolled in the month (or deleted since) */
        att_mark_t *marks;
        size_t n;
        student_marks(a, &res, from, to, &marks, &n);
        fill_student(r, days, ndays, s, marks, n);
    }
    count_days(r);
    return REGISTER_OK;
}

int reg_load_class(db_t *db, arena_t *a, const char *tenant_id, const char *class_id, reg_t *r, reg_err_t *e)
{
    int rc = load_header(db, a, tenant_id, class_id, r, e);
    if (rc == REGISTER_OK)
        rc = load_calendar(db, a, tenant_id, r, e);
    if (rc != REGISTER_OK)
        return rc;
    db_result_t res;
    if (db_exec(db, &Q_ROSTER,
                DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(class_id), DB_TEXT(day_text(a, r->first)),
                        DB_TEXT(day_text(a, last_day(r)))),
                a, &res) != 0)
        return db_failed(db, e, "the roster");
    add_students(a, &res, r);
    return load_marks(db, a, tenant_id, class_id, r, e);
}

int reg_load_grade(db_t *db, arena_t *a, const char *tenant_id, int grade_level, cal_day_t day, const char ***ids,
                   int *n, reg_err_t *e)
{
    db_result_t res;
    if (db_exec(db, &Q_GRADE, DB_ARGS(DB_TEXT(tenant_id), DB_INT(grade_level), DB_TEXT(day_text(a, day))), a,
                &res) != 0)
        return db_failed(db, e, "the classes of the grade");
    if (res.nrows == 0)
        return reg_fail(e, REGISTER_NOT_FOUND, "no class of grade %d in the academic year of %s", grade_level,
                        day_text(a, day));
    *ids = arena_alloc(a, sizeof(**ids) * (size_t)res.nrows);
    for (int i = 0; i < res.nrows; i++)
        (*ids)[i] = db_get(&res, i, 0);
    *n = res.nrows;
    return REGISTER_OK;
}
