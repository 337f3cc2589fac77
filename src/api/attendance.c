/*
 * attendance.c - a class's marks of a day (PUT and GET), a student's history
 * with its summary, and the reports by class and by day.
 *
 * Each request is a handful of statements whatever the size of the class: the
 * roster of a day is one join (enrollments, students, that day's marks), the
 * marks of a request are one upsert of a JSON array (json_to_recordset on
 * PostgreSQL, json_each on SQLite), reports are GROUP BY queries. Every query
 * of the attendance table names its date range, so PostgreSQL prunes its
 * partitions. The rules (school days, counts, rates, summaries) are in
 * domain/attendance.c and domain/calendar.c.
 */
#include "api/attendance.h"
#include "api/academic_int.h"
#include "api/announce/announce.h"

#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/cached.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "auth/audit_queue.h"
#include "auth/policy.h"
#include "core/clock.h"
#include "domain/attendance.h"
#include "domain/calendar.h"

#define MAX_MARKS 2000
#define NOTE_MAX 500
#define MAX_RANGE_DAYS 400
#define DETAIL_IDS 20 /* student ids named in the detail of a 422; errors[] names up to ERR_MAX_FIELDS */

static stmt_t Q_CLASS =
    STMT("attendance.class", STMT_READ, "SELECT id, name FROM classes WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_STUDENT = STMT("attendance.student", STMT_READ,
                               "SELECT id FROM students WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL");
static stmt_t Q_TERMS =
    STMT("attendance.terms", STMT_READ, "SELECT start_date, end_date, weekdays FROM terms WHERE tenant_id = $1");
static stmt_t Q_HOLIDAYS = STMT("attendance.holidays", STMT_READ,
                                "SELECT date, name FROM holidays WHERE tenant_id = $1 AND date >= $2 AND date <= $3"
                                " ORDER BY date");

/* Every term (no holiday name) and the holiday of day $2, if any (its name): a day's calendar in one round trip. */
enum { DC_START, DC_END, DC_WEEKDAYS, DC_HOLIDAY };
static stmt_t Q_DAY_CALENDAR = STMT("attendance.day_calendar", STMT_READ,
                                    "SELECT start_date, end_date, weekdays, NULL FROM terms WHERE tenant_id = $1"
                                    " UNION ALL SELECT date, date, 0, name FROM holidays WHERE tenant_id = $1"
                                    " AND date = $2");

/*
 * An enrollment e covers the days from its start to its end, or while open to
 * the end of its academic year y (an enrollment is for one year).
 */
#define JOIN_YEAR " JOIN academic_years y ON y.tenant_id = e.tenant_id AND y.id = e.academic_year_id"
#define SPAN_END "COALESCE(e.end_date, y.end_date)"

/* The students enrolled in class $2 on day $3, with their marks of that day (by name). */
enum { R_ID, R_ADMISSION, R_FIRST, R_LAST, R_STATUS, R_NOTE, R_BY, R_AT };
static stmt_t Q_ROSTER = STMT("attendance.roster", STMT_READ,
                              "SELECT s.id, s.admission_no, s.first_name, s.last_name, a.status, a.note, a.marked_by,"
                              " a.marked_at FROM enrollments e"
                              " JOIN students s ON s.tenant_id = e.tenant_id AND s.id = e.student_id" JOIN_YEAR
                              " LEFT JOIN attendance a ON a.tenant_id = e.tenant_id AND a.student_id = e.student_id"
                              " AND a.date = $3"
                              " WHERE e.tenant_id = $1 AND e.class_id = $2 AND e.start_date <= $3"
                              " AND " SPAN_END " >= $3 AND s.deleted_at IS NULL"
                              " ORDER BY s.last_name, s.first_name, s.id");

/*
 * The marks of a request: $6 is a JSON array of {student_id, status, note}. A
 * row whose mark does not change keeps who marked it and when, so sending the
 * same sheet twice changes nothing.
 */
#define UPSERT_SET                                                                                                     \
    " ON CONFLICT (tenant_id, student_id, date) DO UPDATE SET class_id = excluded.class_id,"                           \
    " status = excluded.status, note = excluded.note, marked_by = excluded.marked_by, marked_at = excluded.marked_at"
static stmt_t Q_UPSERT =
    STMT2("attendance.upsert", 0,
          "INSERT INTO attendance (tenant_id, student_id, date, class_id, status, note, marked_by, marked_at)"
          " SELECT $1, json_extract(m.value, '$.student_id'), $2, $3, json_extract(m.value, '$.status'),"
          " json_extract(m.value, '$.note'), $4, $5 FROM json_each($6) AS m WHERE true" UPSERT_SET
          " WHERE attendance.status IS NOT excluded.status OR attendance.note IS NOT excluded.note"
          " OR attendance.class_id IS NOT excluded.class_id",
          "INSERT INTO attendance (tenant_id, student_id, date, class_id, status, note, marked_by, marked_at)"
          " SELECT $1::uuid, m.student_id, $2::date, $3::uuid, m.status, m.note, $4::uuid, $5::bigint"
          " FROM json_to_recordset($6::json) AS m(student_id uuid, status text, note text)" UPSERT_SET
          " WHERE attendance.status IS DISTINCT FROM excluded.status OR attendance.note IS DISTINCT FROM excluded.note"
          " OR attendance.class_id IS DISTINCT FROM excluded.class_id");

static stmt_t Q_STUDENT_MARKS =
    STMT("attendance.student_marks", STMT_READ,
         "SELECT a.date, a.class_id, c.name, a.status, a.note, a.marked_by, a.marked_at"
         " FROM attendance a JOIN classes c ON c.tenant_id = a.tenant_id AND c.id = a.class_id"
         " WHERE a.tenant_id = $1 AND a.student_id = $2 AND a.date >= $3 AND a.date <= $4"
         " ORDER BY a.date");
static stmt_t Q_STUDENT_SPANS = STMT("attendance.student_spans", STMT_READ,
                                     "SELECT e.start_date, " SPAN_END " FROM enrollments e" JOIN_YEAR
                                     " WHERE e.tenant_id = $1 AND e.student_id = $2 AND e.start_date <= $4"
                                     " AND " SPAN_END " >= $3");
static stmt_t Q_CLASS_SPANS = STMT("attendance.class_spans", STMT_READ,
                                   "SELECT e.start_date, " SPAN_END " FROM enrollments e"
                                   " JOIN students s ON s.tenant_id = e.tenant_id AND s.id = e.student_id" JOIN_YEAR
                                   " WHERE e.tenant_id = $1 AND e.class_id = $2 AND e.start_date <= $4"
                                   " AND " SPAN_END " >= $3 AND s.deleted_at IS NULL");
/* marks of students deleted since are left out, as they are from the enrolled counts (Q_CLASS_SPANS) */
static stmt_t Q_CLASS_DAYS = STMT("attendance.class_days", STMT_READ,
                                  "SELECT a.date, a.status, COUNT(*) FROM attendance a"
                                  " JOIN students s ON s.tenant_id = a.tenant_id AND s.id = a.student_id"
                                  " WHERE a.tenant_id = $1 AND a.class_id = $2 AND a.date >= $3 AND a.date <= $4"
                                  " AND s.deleted_at IS NULL GROUP BY a.date, a.status ORDER BY a.date");
static stmt_t Q_DAY_ENROLLED = STMT("attendance.day_enrolled", STMT_READ,
                                    "SELECT c.id, c.name, c.grade_level, COUNT(*) FROM enrollments e"
                                    " JOIN classes c ON c.tenant_id = e.tenant_id AND c.id = e.class_id"
                                    " JOIN students s ON s.tenant_id = e.tenant_id AND s.id = e.student_id" JOIN_YEAR
                                    " WHERE e.tenant_id = $1 AND e.start_date <= $2"
                                    " AND " SPAN_END " >= $2 AND s.deleted_at IS NULL"
                                    " GROUP BY c.id, c.name, c.grade_level");
static stmt_t Q_DAY_MARKS = STMT("attendance.day_marks", STMT_READ,
                                 "SELECT a.class_id, c.name, c.grade_level, a.status, COUNT(*) FROM attendance a"
                                 " JOIN classes c ON c.tenant_id = a.tenant_id AND c.id = a.class_id"
                                 " JOIN students s ON s.tenant_id = a.tenant_id AND s.id = a.student_id"
                                 " WHERE a.tenant_id = $1 AND a.date = $2 AND s.deleted_at IS NULL"
                                 " GROUP BY a.class_id, c.name, c.grade_level, a.status");

/* ---------------------------------------------------------------- shared pieces */

static const char *day_str(req_t *r, cal_day_t d)
{
    char *s = arena_alloc(&r->arena, CAL_DATE_LEN + 1);
    cal_format(d, s);
    return s;
}

static cal_day_t cell_day(const db_result_t *res, int row, int col)
{
    cal_day_t d = 0;
    cal_parse(db_get(res, row, col), &d);
    return d;
}

/* The class of the caller's school into *res (id, name); 404 naming field (NULL: the path) when there is none. */
static int load_class(req_t *r, const char *id, const char *field, db_result_t *res)
{
    db_t *db = req_db(r);
    if (db_exec(db, &Q_CLASS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, res) != 0)
        return db_fail(r, db);
    if (res->nrows == 0)
        return field != NULL ? res_fail(r, ERR_NOT_FOUND, "No such class (%s).", field)
                             : res_fail(r, ERR_NOT_FOUND, "No such class.");
    return 0;
}

/*
 * Whether the caller may read the class's attendance (admin, staff, its
 * teachers): 0, or -1 with 404 (naming field when not NULL).
 */
static int may_read_class(req_t *r, const char *class_id, const char *field)
{
    if (policy_sees_school(r))
        return 0;
    int rc = policy_teaches_class(r, class_id);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return field != NULL ? res_fail(r, ERR_NOT_FOUND, "No such class (%s).", field) : policy_hidden(r, "class");
    return 0;
}

/* A school's calendar: every term, and the holidays of the days asked for (with their names). */
typedef struct calendar {
    cal_calendar_t c;
    const char **holiday_names;
} calendar_t;

static int load_terms(req_t *r, calendar_t *cal)
{
    db_t *db = req_db(r);
    db_result_t res;
    memset(cal, 0, sizeof(*cal));
    if (db_exec(db, &Q_TERMS, DB_ARGS(DB_TEXT(r->auth.tenant_id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    cal_term_t *terms = arena_alloc(&r->arena, sizeof(*terms) * (size_t)(res.nrows + 1));
    for (int i = 0; i < res.nrows; i++) {
        terms[i].start = cell_day(&res, i, 0);
        terms[i].end = cell_day(&res, i, 1);
        terms[i].weekdays = (unsigned)db_get_int(&res, i, 2);
    }
    cal->c.terms = terms;
    cal->c.nterms = (size_t)res.nrows;
    return 0;
}

static int load_holidays(req_t *r, calendar_t *cal, cal_day_t from, cal_day_t to)
{
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_HOLIDAYS,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(day_str(r, from)), DB_TEXT(day_str(r, to))), &r->arena,
                &res) != 0)
        return db_fail(r, db);
    cal_day_t *days = arena_alloc(&r->arena, sizeof(*days) * (size_t)(res.nrows + 1));
    cal->holiday_names = arena_alloc(&r->arena, sizeof(char *) * (size_t)(res.nrows + 1));
    for (int i = 0; i < res.nrows; i++) {
        days[i] = cell_day(&res, i, 0);
        cal->holiday_names[i] = db_get(&res, i, 1);
    }
    cal->c.holidays = days;
    cal->c.nholidays = (size_t)res.nrows;
    return 0;
}

/* The calendar around one day (every term, that day's holiday), in one statement (Q_DAY_CALENDAR). */
static int load_day_calendar(req_t *r, calendar_t *cal, cal_day_t day)
{
    db_t *db = req_db(r);
    db_result_t res;
    memset(cal, 0, sizeof(*cal));
    if (db_exec(db, &Q_DAY_CALENDAR, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(day_str(r, day))), &r->arena,
                &res) != 0)
        return db_fail(r, db);
    cal_term_t *terms = arena_alloc(&r->arena, sizeof(*terms) * (size_t)(res.nrows + 1));
    cal_day_t *days = arena_alloc(&r->arena, sizeof(*days) * (size_t)(res.nrows + 1));
    cal->holiday_names = arena_alloc(&r->arena, sizeof(char *) * (size_t)(res.nrows + 1));
    for (int i = 0; i < res.nrows; i++) {
        if (db_is_null(&res, i, DC_HOLIDAY)) {
            cal_term_t *t = &terms[cal->c.nterms++];
            t->start = cell_day(&res, i, DC_START);
            t->end = cell_day(&res, i, DC_END);
            t->weekdays = (unsigned)db_get_int(&res, i, DC_WEEKDAYS);
        } else {
            days[cal->c.nholidays] = cell_day(&res, i, DC_START);
            cal->holiday_names[cal->c.nholidays++] = db_get(&res, i, DC_HOLIDAY);
        }
    }
    cal->c.terms = terms;
    cal->c.holidays = days;
    return 0;
}

/* Why day is not a school day, for a 422; NULL when it is one. */
static const char *why_not_school_day(req_t *r, const calendar_t *cal, cal_day_t day)
{
    if (cal_is_school_day(&cal->c, day))
        return NULL;
    for (size_t i = 0; i < cal->c.nholidays; i++)
        if (cal->c.holidays[i] == day)
            return arena_printf(&r->arena, "is not a school day: a holiday (%s)", cal->holiday_names[i]);
    if (cal_term_of(&cal->c, day) == NULL)
        return "is not a school day: it is in no term";
    return arena_printf(&r->arena, "is not a school day: the term has no lessons on %s",
                        cal_weekday_name(cal_weekday(day)));
}

/* Today in the school's time zone: the last day reports and summaries count. */
static cal_day_t today(req_t *r)
{
    cal_day_t d = 0;
    cal_parse(school_today(r), &d);
    return d;
}

/*
 * Reads ?from= and ?to= (both, or neither for the current term of cal; at most
 * MAX_RANGE_DAYS days). Returns 0, or -1 with a 422 naming the parameter.
 */
static int read_range(req_t *r, const calendar_t *cal, cal_day_t *from, cal_day_t *to)
{
    const char *f = req_query(r, "from"), *t = req_query(r, "to");
    if (f == NULL && t == NULL) {
        const cal_term_t *term = att_current_term(&cal->c, today(r));
        if (term == NULL) {
            res_field_error(r, "from", "is required: the school has no terms to take the current one from");
            return res_check_fields(r);
        }
        *from = term->start;
        *to = term->end;
        return 0;
    }
    if (f == NULL || cal_parse(f, from) != 0)
        res_field_error(r, "from", f == NULL ? "is required with to" : "must be a date YYYY-MM-DD");
    if (t == NULL || cal_parse(t, to) != 0)
        res_field_error(r, "to", t == NULL ? "is required with from" : "must be a date YYYY-MM-DD");
    if (res_check_fields(r) != 0)
        return -1;
    if (*to < *from)
        res_field_error(r, "to", "must not be before from");
    else if (cal_range_days(*from, *to) > MAX_RANGE_DAYS)
        res_field_error(r, "to", "must be at most %d days after from (inclusive)", MAX_RANGE_DAYS);
    return res_check_fields(r);
}

/* The counts as JSON: expected under its name ("enrolled", "schoolDays"), the rate under rate_name. */
static json_t *counts_json(const att_counts_t *c, const char *expected_name, const char *rate_name)
{
    double rate;
    json_t *o = json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i}", expected_name, c->expected, "present", c->n[ATT_PRESENT],
                          "absent", c->n[ATT_ABSENT], "late", c->n[ATT_LATE], "excused", c->n[ATT_EXCUSED], "marked",
                          att_marked(c), "unmarked", c->unmarked);
    return json_with(o, rate_name, att_rate(c, &rate) == 0 ? json_real(rate) : json_null());
}

static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

/* {status, note, markedBy, markedAt} of columns status..at of a row. */
static json_t *mark_json(req_t *r, const db_result_t *res, int row, int status)
{
    return json_pack("{s:s,s:o,s:o,s:s}", "status", db_get(res, row, status), "note",
                     str_or_null(db_get(res, row, status + 1)), "markedBy", str_or_null(db_get(res, row, status + 2)),
                     "markedAt", iso_time(&r->arena, db_get_int(res, row, status + 3)));
}

/* The sheet of a day from its roster (Q_ROSTER's rows). */
static json_t *sheet_json(req_t *r, const db_result_t *cls, const char *date, int school_day, const db_result_t *roster)
{
    json_t *items = json_array();
    int n[ATT_NSTATUS] = {0};
    for (int i = 0; i < roster->nrows; i++) {
        int st = att_status_parse(db_get(roster, i, R_STATUS));
        if (st >= 0)
            n[st]++;
        items = json_push(items, json_pack("{s:s,s:s,s:s,s:s,s:o}", "studentId", db_get(roster, i, R_ID), "admissionNo",
                                           db_get(roster, i, R_ADMISSION), "firstName", db_get(roster, i, R_FIRST),
                                           "lastName", db_get(roster, i, R_LAST), "mark",
                                           st >= 0 ? mark_json(r, roster, i, R_STATUS) : json_null()));
    }
    att_counts_t c;
    att_day_counts(roster->nrows, n, &c);
    return json_pack("{s:s,s:s,s:s,s:b,s:o,s:o}", "classId", db_get(cls, 0, 0), "className", db_get(cls, 0, 1), "date",
                     date, "schoolDay", school_day, "items", items, "counts", counts_json(&c, "enrolled", "rate"));
}

/* reads (attendance.list, …) go to the audit writer; marks are recorded in their transaction */
static int audit(req_t *r, db_t *db, const char *action, const char *type, const char *id, const char *detail)
{
    return audit_caller(db, r, action, type, id, detail);
}

/* ---------------------------------------------------------------- PUT /classes/{id}/attendance/{date} */

typedef struct mark_in {
    const char *student_id; /* lower case */
    int status;
    const char *note; /* NULL: none */
    int index;        /* position in the request */
} mark_in_t;

static int by_student(const void *a, const void *b)
{
    return strcmp(((const mark_in_t *)a)->student_id, ((const mark_in_t *)b)->student_id);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Renames the field errors recorded since first as "marks[i].field". */
static void prefix_fields(req_t *r, int first, int i)
{
    for (int k = first; k < r->err.nfields; k++)
        r->err.fields[k].field = arena_printf(&r->arena, "marks[%d].%s", i, r->err.fields[k].field);
}

/* Reads {marks: [...]} into *out (sorted by student); field errors name marks[i].field. */
static int read_marks(req_t *r, mark_in_t **out, int *count)
{
    static const char *const fields[] = {"marks", NULL};
    static const char *const mark_fields[] = {"studentId", "status", "note", NULL};
    body_only_fields(r, fields);
    json_t *arr = json_object_get(r->json, "marks");
    if (arr == NULL || json_is_null(arr)) {
        res_field_error(r, "marks", "is required");
        return -1;
    }
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    if (!json_is_array(arr) || n == 0 || n > MAX_MARKS) {
        res_field_error(r, "marks", "must be an array of 1 to %d marks", MAX_MARKS);
        return -1;
    }
    mark_in_t *m = arena_calloc(&r->arena, sizeof(*m) * n);
    json_t *outer = r->json;
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(arr, i);
        int first = r->err.nfields;
        m[i].index = (int)i;
        m[i].status = -1;
        if (!json_is_object(item)) {
            res_field_error(r, arena_printf(&r->arena, "marks[%zu]", i), "must be an object {studentId, status, note}");
            continue;
        }
        r->json = item; /* the same helpers read each mark */
        body_only_fields(r, mark_fields);
        m[i].student_id = body_id(r, "studentId", 1);
        body_enum(r, "status", 1, att_status_names, &m[i].status);
        if (body_string(r, "note", 0, 0, NOTE_MAX, &m[i].note) == 1 && m[i].note[0] == '\0')
            m[i].note = NULL;
        r->json = outer;
        prefix_fields(r, first, (int)i);
    }
    if (r->err.nfields > 0)
        return -1;
    qsort(m, n, sizeof(*m), by_student);
    for (size_t i = 1; i < n; i++)
        if (strcmp(m[i].student_id, m[i - 1].student_id) == 0)
            res_field_error(r, arena_printf(&r->arena, "marks[%d].studentId", m[i].index),
                            "marks the same student as marks[%d]", m[i - 1].index);
    *out = m;
    *count = (int)n;
    return r->err.nfields > 0 ? -1 : 0;
}

typedef struct marking {
    req_t *r;
    const char *class_id, *date;
    const db_result_t *cls;
    const mark_in_t *marks;
    int nmarks;
    const char *json; /* the marks as the upsert reads them */
    cal_day_t day;
    int not_enrolled;   /* set when some students are not in the class that day */
    int not_school_day; /* set when the day is no school day (a 422 on date) */
    json_t *sheet;      /* the answer, built inside the transaction */
} marking_t;

/* Records a 422 naming every student of the request who is not enrolled in the class that day. */
static void not_enrolled(marking_t *mk, const db_result_t *roster)
{
    req_t *r = mk->r;
    const char **ids = arena_alloc(&r->arena, sizeof(char *) * (size_t)(roster->nrows + 1));
    for (int i = 0; i < roster->nrows; i++)
        ids[i] = db_get(roster, i, R_ID);
    qsort(ids, (size_t)roster->nrows, sizeof(char *), cmp_str);
    sbuf_t named;
    sbuf_init(&named, &r->arena, 256);
    int missing = 0;
    for (int i = 0; i < mk->nmarks; i++) {
        const char *id = mk->marks[i].student_id;
        if (bsearch(&id, ids, (size_t)roster->nrows, sizeof(char *), cmp_str) != NULL)
            continue;
        if (missing < DETAIL_IDS)
            sbuf_printf(&named, "%s%s", missing ? ", " : "", id);
        missing++;
        res_field_error(r, arena_printf(&r->arena, "marks[%d].studentId", mk->marks[i].index),
                        "%s is not enrolled in this class on %s", id, mk->date);
    }
    mk->not_enrolled = missing;
    if (missing > DETAIL_IDS)
        sbuf_printf(&named, " and %d more", missing - DETAIL_IDS);
    if (missing > 0)
        r->err.detail = arena_printf(&r->arena, "%d student%s not enrolled in class %s on %s: %s. Nothing was marked.",
                                     missing, missing == 1 ? " is" : "s are", db_get(mk->cls, 0, 1), mk->date, named.p);
}

static int mark_in_tx(db_t *db, void *ctx)
{
    marking_t *mk = ctx;
    req_t *r = mk->r;
    if (mk->sheet != NULL) { /* an earlier attempt that rolled back */
        json_decref(mk->sheet);
        mk->sheet = NULL;
    }
    /*
     * The day must be a school day while the marks are written: the calendar is read under the school's
     * calendar lock, which a change of terms or holidays takes exclusively (acad_lock_calendar()).
     */
    calendar_t cal;
    if (acad_lock_calendar(r, db, 0) != 0 || load_day_calendar(r, &cal, mk->day) != 0)
        return -1;
    const char *why = why_not_school_day(r, &cal, mk->day);
    if (why != NULL) {
        res_field_error(r, "date", "%s", why);
        mk->not_school_day = 1;
        return 1;
    }
    /*
     * The marks first, then the roster with them: the sheet to answer, and who is enrolled that day. A
     * mark of anyone else rolls the whole save back (nothing references attendance rows, so a row written
     * for a student who is not enrolled, or not even a student, is only ever seen by this transaction).
     */
    long long marked_at = (long long)clock_wall_ms();
    if (db_exec(db, &Q_UPSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(mk->date), DB_TEXT(mk->class_id), DB_TEXT(r->auth.user_id),
                        DB_INT(marked_at), DB_TEXT(mk->json)),
                &r->arena, NULL) != 0)
        return -1;
    db_result_t roster;
    db_arg_t key[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(mk->class_id), DB_TEXT(mk->date)};
    if (db_exec(db, &Q_ROSTER, key, 3, &r->arena, &roster) != 0)
        return -1;
    not_enrolled(mk, &roster);
    if (mk->not_enrolled)
        return 1;
    int any_absent = 0, any_late = 0; /* among the marks this save changed: those written at marked_at */
    for (int i = 0; i < roster.nrows; i++) {
        if (db_is_null(&roster, i, R_AT) || db_get_int(&roster, i, R_AT) != marked_at)
            continue;
        any_absent |= strcmp(db_get(&roster, i, R_STATUS), att_status_names[ATT_ABSENT]) == 0;
        any_late |= strcmp(db_get(&roster, i, R_STATUS), att_status_names[ATT_LATE]) == 0;
    }
    if (absence_alerts_after_marking(r, db, mk->class_id, mk->date, marked_at, any_absent, any_late) != 0)
        return -1;
    if (audit(r, db, "attendance.mark", "class", mk->class_id,
              arena_printf(&r->arena, "%s: %d mark%s", mk->date, mk->nmarks, mk->nmarks == 1 ? "" : "s")) != 0)
        return -1;
    mk->sheet = sheet_json(r, mk->cls, mk->date, 1, &roster);
    return 0;
}

/* The marks as one JSON array for the upsert ([{student_id, status, note}], sorted by student). */
static const char *marks_json(req_t *r, const mark_in_t *m, int n)
{
    sbuf_t b;
    sbuf_init(&b, &r->arena, (size_t)n * 80 + 2);
    sbuf_putc(&b, '[');
    for (int i = 0; i < n; i++) {
        sbuf_printf(&b, "%s{\"student_id\":\"%s\",\"status\":\"%s\",\"note\":", i ? "," : "", m[i].student_id,
                    att_status_names[m[i].status]);
        if (m[i].note != NULL)
            sbuf_json_str(&b, m[i].note, strlen(m[i].note));
        else
            sbuf_puts(&b, "null");
        sbuf_putc(&b, '}');
    }
    sbuf_putc(&b, ']');
    return b.p;
}

int attendance_mark(req_t *r)
{
    const char *class_id = req_param(r, 0), *date = req_param(r, 1);
    if (require_id(r, class_id) != 0)
        return -1;
    cal_day_t day = 0;
    if (cal_parse(date, &day) != 0)
        res_field_error(r, "date", "must be a date YYYY-MM-DD");
    mark_in_t *marks = NULL;
    int nmarks = 0;
    read_marks(r, &marks, &nmarks);
    if (res_check_fields(r) != 0)
        return -1;
    /* a class the caller may not mark is answered as one that does not exist, as a read of it is */
    if (!policy_sees_school(r)) {
        int rc = policy_teaches_class(r, class_id);
        if (rc < 0)
            return -1;
        if (rc == 0)
            return policy_hidden(r, "class");
    }
    db_result_t cls;
    if (load_class(r, class_id, NULL, &cls) != 0)
        return -1;
    if (day > today(r)) {
        res_field_error(r, "date", "is in the future");
        return res_check_fields(r);
    }
    marking_t mk = {r, class_id, date, &cls, marks, nmarks, marks_json(r, marks, nmarks), day, 0, 0, NULL};
    db_t *db = req_db(r);
    if (db_transaction(db, mark_in_tx, &mk) != 0) {
        json_decref(mk.sheet);
        if (mk.not_enrolled || mk.not_school_day)
            return res_check_fields(r);
        return r->err.code != ERR_NONE ? -1 : db_fail(r, db);
    }
    return res_json(r, 200, mk.sheet);
}

/* ---------------------------------------------------------------- GET /classes/{id}/attendance/{date} */

#define SHEET_TTL_MS 300000

/* The sheet from the database as r's response (the class exists and the caller may read it). */
static int load_sheet(req_t *r, const char *class_id, const char *date, cal_day_t day)
{
    db_result_t cls, roster;
    calendar_t cal;
    if (load_class(r, class_id, NULL, &cls) != 0 || load_day_calendar(r, &cal, day) != 0)
        return -1;
    db_t *db = req_db(r);
    if (db_exec(db, &Q_ROSTER, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(class_id), DB_TEXT(date)), &r->arena,
                &roster) != 0)
        return db_fail(r, db);
    return res_json(r, 200, sheet_json(r, &cls, date, cal_is_school_day(&cal.c, day), &roster));
}

/* The class and day a sheet request names, checked: 0, or -1 with 422. */
static int sheet_args(req_t *r, const char **class_id, const char **date, cal_day_t *day)
{
    *class_id = req_param(r, 0);
    *date = req_param(r, 1);
    if (require_id(r, *class_id) != 0)
        return -1;
    if (cal_parse(*date, day) != 0) {
        res_field_error(r, "date", "must be a date YYYY-MM-DD");
        return res_check_fields(r);
    }
    return 0;
}

/* cached_lookup() of a sheet: its key "<class id>:<day>" also names its part of CACHE_ATTENDANCE (api/invalidate.c). */
static int sheet_lookup(req_t *r, const char *class_id, const char *date, cached_t *c)
{
    const char *key = arena_printf(&r->arena, "%s:%s", class_id, date);
    return cached_lookup_part(r, CACHE_ATTENDANCE, key, key, c, NULL);
}

/*
 * A day's sheet is the same for everyone the policy admits: cached per class
 * and day, in the part of CACHE_ATTENDANCE that "<class id>:<day>" falls in
 * (a save invalidates that part; an enrollment or a calendar change the whole
 * family), and every read is audited.
 */
int attendance_sheet(req_t *r)
{
    const char *class_id, *date;
    cal_day_t day = 0;
    if (sheet_args(r, &class_id, &date, &day) != 0 || may_read_class(r, class_id, NULL) != 0)
        return -1;
    cached_t c;
    int rc = sheet_lookup(r, class_id, date, &c);
    if (rc == 0) {
        rc = load_sheet(r, class_id, date, day);
        cached_store(r, &c, 0, SHEET_TTL_MS);
    } else {
        rc = rc > 0 ? 0 : -1;
    }
    if (rc == 0 && audit(r, req_db(r), "attendance.list", "class", class_id, date) != 0)
        return db_fail(r, req_db(r));
    return rc;
}

/* The event loop's answer: a cached sheet for a caller who sees the whole school. */
int attendance_sheet_loop(req_t *r)
{
    const char *class_id, *date;
    cal_day_t day = 0;
    cached_t c;
    if (!policy_sees_school(r) || sheet_args(r, &class_id, &date, &day) != 0 ||
        sheet_lookup(r, class_id, date, &c) <= 0)
        return -1;
    return audit(r, NULL, "attendance.list", "class", class_id, date) != 0 ? -1 : 0;
}

/* ---------------------------------------------------------------- GET /students/{id}/attendance */

static att_span_t *spans_of(req_t *r, const db_result_t *res)
{
    att_span_t *s = arena_alloc(&r->arena, sizeof(*s) * (size_t)(res->nrows + 1));
    for (int i = 0; i < res->nrows; i++) {
        s[i].start = cell_day(res, i, 0);
        s[i].end = db_is_null(res, i, 1) ? CAL_OPEN_END : cell_day(res, i, 1);
    }
    return s;
}

/* The school days of [from, to] that have begun (up to today), into arena memory. */
static cal_day_t *school_days(req_t *r, const calendar_t *cal, cal_day_t from, cal_day_t to, size_t *n)
{
    cal_day_t last = to < today(r) ? to : today(r);
    size_t max = last >= from ? (size_t)cal_range_days(from, last) : 0;
    cal_day_t *days = arena_alloc(&r->arena, sizeof(*days) * (max + 1));
    *n = cal_school_days(&cal->c, from, last, days, max);
    return days;
}

int attendance_student(req_t *r)
{
    const char *sid = req_param(r, 0);
    if (require_id(r, sid) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t st, marks, spans;
    if (db_exec(db, &Q_STUDENT, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(sid)), &r->arena, &st) != 0)
        return db_fail(r, db);
    int may = st.nrows == 1 ? policy_can_read_student(r, sid) : 0;
    if (may < 0)
        return -1;
    if (may == 0)
        return policy_hidden(r, "student");
    calendar_t cal;
    cal_day_t from, to;
    if (load_terms(r, &cal) != 0 || read_range(r, &cal, &from, &to) != 0 || load_holidays(r, &cal, from, to) != 0)
        return -1;
    const char *f = day_str(r, from), *t = day_str(r, to);
    db_arg_t key[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(sid), DB_TEXT(f), DB_TEXT(t)};
    if (db_exec(db, &Q_STUDENT_MARKS, key, 4, &r->arena, &marks) != 0 ||
        db_exec(db, &Q_STUDENT_SPANS, key, 4, &r->arena, &spans) != 0 ||
        audit(r, db, "attendance.read", "student", sid, arena_printf(&r->arena, "%s..%s", f, t)) != 0)
        return db_fail(r, db);
    json_t *records = json_array();
    att_mark_t *m = arena_alloc(&r->arena, sizeof(*m) * (size_t)(marks.nrows + 1));
    for (int i = 0; i < marks.nrows; i++) {
        m[i].day = cell_day(&marks, i, 0);
        m[i].status = att_status_parse(db_get(&marks, i, 3));
        json_t *rec = mark_json(r, &marks, i, 3);
        rec = json_with(rec, "date", json_string(db_get(&marks, i, 0)));
        rec = json_with(rec, "classId", json_string(db_get(&marks, i, 1)));
        rec = json_with(rec, "className", json_string(db_get(&marks, i, 2)));
        records = json_push(records, rec);
    }
    size_t ndays;
    cal_day_t *days = school_days(r, &cal, from, to, &ndays);
    att_counts_t c;
    att_student_summary(days, ndays, spans_of(r, &spans), (size_t)spans.nrows, m, (size_t)marks.nrows, &c);
    return res_json(r, 200,
                    json_pack("{s:s,s:s,s:s,s:o,s:o}", "studentId", sid, "from", f, "to", t, "records", records,
                              "summary", counts_json(&c, "schoolDays", "attendanceRate")));
}

/* ---------------------------------------------------------------- GET /reports/attendance */

int attendance_class_report(req_t *r)
{
    const char *class_id = query_id(r, "classId", 1);
    if (class_id == NULL)
        return res_check_fields(r);
    db_result_t cls, spans, marks;
    calendar_t cal;
    cal_day_t from, to;
    if (load_class(r, class_id, "classId", &cls) != 0 || may_read_class(r, class_id, "classId") != 0 ||
        load_terms(r, &cal) != 0 || read_range(r, &cal, &from, &to) != 0 || load_holidays(r, &cal, from, to) != 0)
        return -1;
    const char *f = day_str(r, from), *t = day_str(r, to);
    db_t *db = req_db(r);
    db_arg_t key[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(class_id), DB_TEXT(f), DB_TEXT(t)};
    if (db_exec(db, &Q_CLASS_SPANS, key, 4, &r->arena, &spans) != 0 ||
        db_exec(db, &Q_CLASS_DAYS, key, 4, &r->arena, &marks) != 0)
        return db_fail(r, db);
    att_span_t *sp = spans_of(r, &spans);
    size_t ndays;
    cal_day_t *days = school_days(r, &cal, from, to, &ndays);
    json_t *out = json_array();
    att_counts_t total = {0};
    int row = 0;
    for (size_t i = 0; i < ndays; i++) {
        int n[ATT_NSTATUS] = {0};
        /* marks come by date: skip those of days that are not school days */
        while (row < marks.nrows && cell_day(&marks, row, 0) < days[i])
            row++;
        for (; row < marks.nrows && cell_day(&marks, row, 0) == days[i]; row++) {
            int st = att_status_parse(db_get(&marks, row, 1));
            if (st >= 0)
                n[st] += (int)db_get_int(&marks, row, 2);
        }
        att_counts_t c;
        att_day_counts(att_enrolled(sp, (size_t)spans.nrows, days[i]), n, &c);
        att_counts_add(&total, &c);
        out = json_push(out, json_with(counts_json(&c, "enrolled", "rate"), "date", json_string(day_str(r, days[i]))));
    }
    return res_json(r, 200,
                    json_pack("{s:s,s:s,s:s,s:s,s:o,s:o}", "classId", class_id, "className", db_get(&cls, 0, 1), "from",
                              f, "to", t, "days", out, "totals", counts_json(&total, "enrolled", "rate")));
}

/* ---------------------------------------------------------------- GET /reports/attendance/daily */

typedef struct class_day {
    const char *id, *name;
    long long grade;
    int enrolled;
    int n[ATT_NSTATUS];
} class_day_t;

static int by_grade_name(const void *a, const void *b)
{
    const class_day_t *x = a, *y = b;
    if (x->grade != y->grade)
        return x->grade < y->grade ? -1 : 1;
    int c = strcmp(x->name, y->name);
    return c != 0 ? c : strcmp(x->id, y->id);
}

/* The entry of class id in list (n of cap used), added when new. */
static class_day_t *class_entry(class_day_t *list, int *n, const db_result_t *res, int row)
{
    const char *id = db_get(res, row, 0);
    for (int i = 0; i < *n; i++)
        if (strcmp(list[i].id, id) == 0)
            return &list[i];
    class_day_t *c = &list[(*n)++];
    memset(c, 0, sizeof(*c));
    c->id = id;
    c->name = db_get(res, row, 1);
    c->grade = db_get_int(res, row, 2);
    return c;
}

int attendance_daily_report(req_t *r)
{
    const char *date = req_query(r, "date");
    cal_day_t day = today(r);
    if (date != NULL && cal_parse(date, &day) != 0) {
        res_field_error(r, "date", "must be a date YYYY-MM-DD");
        return res_check_fields(r);
    }
    date = day_str(r, day);
    calendar_t cal;
    db_result_t enrolled, marks;
    db_t *db = req_db(r);
    if (load_day_calendar(r, &cal, day) != 0)
        return -1;
    if (db_exec(db, &Q_DAY_ENROLLED, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(date)), &r->arena, &enrolled) != 0 ||
        db_exec(db, &Q_DAY_MARKS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(date)), &r->arena, &marks) != 0)
        return db_fail(r, db);
    class_day_t *list = arena_alloc(&r->arena, sizeof(*list) * (size_t)(enrolled.nrows + marks.nrows + 1));
    int n = 0;
    for (int i = 0; i < enrolled.nrows; i++)
        class_entry(list, &n, &enrolled, i)->enrolled = (int)db_get_int(&enrolled, i, 3);
    for (int i = 0; i < marks.nrows; i++) {
        int st = att_status_parse(db_get(&marks, i, 3));
        if (st >= 0)
            class_entry(list, &n, &marks, i)->n[st] += (int)db_get_int(&marks, i, 4);
    }
    qsort(list, (size_t)n, sizeof(*list), by_grade_name);
    json_t *classes = json_array();
    att_counts_t total = {0};
    for (int i = 0; i < n; i++) {
        att_counts_t c;
        att_day_counts(list[i].enrolled, list[i].n, &c);
        att_counts_add(&total, &c);
        json_t *o = counts_json(&c, "enrolled", "rate");
        o = json_with(o, "classId", json_string(list[i].id));
        o = json_with(o, "className", json_string(list[i].name));
        o = json_with(o, "gradeLevel", json_integer(list[i].grade));
        classes = json_push(classes, o);
    }
    return res_json(r, 200,
                    json_pack("{s:s,s:b,s:o,s:o}", "date", date, "schoolDay", cal_is_school_day(&cal.c, day), "classes",
                              classes, "totals", counts_json(&total, "enrolled", "rate")));
}
