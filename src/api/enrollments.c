/*
 * enrollments.c - /enrollments: a student's place in a class for a stretch of
 * an academic year. A student is in at most one class of a year at a time;
 * transfers end one enrollment and start another, so the history stays.
 *
 * Writes run in a transaction that first locks the student's row (PostgreSQL:
 * SELECT … FOR UPDATE; SQLite: BEGIN IMMEDIATE already serializes writers), so
 * two concurrent enrollments of one student cannot both pass the overlap check,
 * and then the class's row (for its capacity). Every write and read is
 * audited as a change or read of the student's record.
 */
#include <stdlib.h>
#include <string.h>

#include "api/academic.h"
#include "api/academic_int.h"
#include "api/app.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/policy.h"
#include "core/clock.h"
#include "core/ids.h"

#define ENR_COLS                                                                                                       \
    "e.id, e.student_id, e.class_id, c.name, e.academic_year_id, e.start_date, e.end_date, e.end_reason, e.version,"   \
    " e.created_at, e.updated_at"
#define ENR_FROM                                                                                                       \
    " FROM enrollments e JOIN classes c ON c.tenant_id = e.tenant_id AND c.id = e.class_id" ACAD_JOIN_YEAR("e")
#define FAR_FUTURE "9999-12-31" /* the end of an open enrollment, in range comparisons */

static stmt_t Q_ENR_GET =
    STMT("enrollments.get", STMT_READ, "SELECT " ENR_COLS ENR_FROM " WHERE e.tenant_id = $1 AND e.id = $2");
static stmt_t Q_ENR_LOCK_STUDENT = STMT2("enrollments.lock_student", 0,
                                         "SELECT id FROM students WHERE tenant_id = $1 AND id = $2"
                                         " AND deleted_at IS NULL",
                                         "SELECT id FROM students WHERE tenant_id = $1 AND id = $2"
                                         " AND deleted_at IS NULL FOR UPDATE");
/* a class with its year's dates; locked on PostgreSQL, so that two enrollments cannot both take its last seat */
#define CLASS_SQL                                                                                                      \
    "SELECT c.id, c.academic_year_id, c.name, c.capacity, y.start_date, y.end_date FROM classes c"                     \
    " JOIN academic_years y ON y.tenant_id = c.tenant_id AND y.id = c.academic_year_id"                                \
    " WHERE c.tenant_id = $1 AND c.id = $2"
static stmt_t Q_ENR_CLASS = STMT2("enrollments.lock_class", 0, CLASS_SQL, CLASS_SQL " FOR NO KEY UPDATE OF c");
/*
 * another enrollment of the student (not $3), in any academic year, sharing a day with [$4, $5]: years may
 * overlap, a student is on one roster a day
 */
static stmt_t Q_ENR_OVERLAP = STMT("enrollments.overlap", 0,
                                   "SELECT e.id, c.name, e.start_date, e.end_date" ENR_FROM
                                   " WHERE e.tenant_id = $1 AND e.student_id = $2 AND e.id <> $3"
                                   " AND " ACAD_COVERS_RANGE("e", "y", "$4", "$5") " ORDER BY e.start_date LIMIT 1");
/* the first attendance mark of a student in a class in [$4, $5] */
static stmt_t Q_ENR_MARKED =
    STMT("enrollments.marked", 0,
         "SELECT date FROM attendance WHERE tenant_id = $1 AND student_id = $2 AND class_id = $3"
         " AND date >= $4 AND date <= $5 ORDER BY date LIMIT 1");
static stmt_t Q_ENR_INSERT = STMT("enrollments.insert", 0,
                                  "INSERT INTO enrollments (tenant_id, id, student_id, class_id, academic_year_id,"
                                  " start_date, end_date, end_reason, created_at, updated_at)"
                                  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)");
static stmt_t Q_ENR_END = STMT("enrollments.end", 0,
                               "UPDATE enrollments SET end_date = $4, end_reason = $5, version = version + 1,"
                               " updated_at = $6 WHERE tenant_id = $1 AND id = $2 AND version = $3");
static stmt_t Q_ENR_DELETE =
    STMT("enrollments.delete", 0, "DELETE FROM enrollments WHERE tenant_id = $1 AND id = $2 AND version = $3");
static stmt_t Q_ENR_STUDENT =
    STMT("enrollments.student", STMT_READ, "SELECT id FROM students WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_ENR_CLASS_REF =
    STMT("enrollments.class", STMT_READ, "SELECT id FROM classes WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_ENR_YEAR_REF =
    STMT("enrollments.year", STMT_READ, "SELECT id FROM academic_years WHERE tenant_id = $1 AND id = $2");

/*
 * Lists: student $2, class $3, year $4, active on $5, only classes teacher $6 teaches; keyset after ($7, $8),
 * limit $9.
 */
#define ENR_LIST_SQL(cmp, dir)                                                                                         \
    "SELECT " ENR_COLS ENR_FROM " WHERE e.tenant_id = $1 AND (e.student_id = $2 OR $2 IS NULL)"                        \
    " AND (e.class_id = $3 OR $3 IS NULL) AND (e.academic_year_id = $4 OR $4 IS NULL)"                                 \
    " AND (" ACAD_COVERS("e", "y", "$5") " OR $5 IS NULL)"                                                             \
                                         " AND (" ACAD_TEACHES("$6") " OR $6 IS NULL) AND ((e.start_date, e.id) " cmp  \
                                                                     " ($7, $8) OR $7 IS NULL)"                        \
                                                                     " ORDER BY e.start_date " dir ", e.id " dir       \
                                                                     " LIMIT $9"
static const char *const enr_sorts[] = {"startDate", NULL};
static stmt_t Q_ENR_LIST[2] = {STMT("enrollments.list", STMT_READ, ENR_LIST_SQL(">", "ASC")),
                               STMT("enrollments.list_desc", STMT_READ, ENR_LIST_SQL("<", "DESC"))};

enum { E_ID, E_STUDENT, E_CLASS, E_CLASS_NAME, E_YEAR, E_START, E_END, E_REASON, E_VERSION, E_CREATED, E_UPDATED };
enum { C_ID, C_YEAR, C_NAME, C_CAPACITY, C_YEAR_START, C_YEAR_END };

static json_t *enrollment_json(req_t *r, const db_result_t *res, int row)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:I,s:s,s:s}", "id", db_get(res, row, E_ID), "studentId",
                     db_get(res, row, E_STUDENT), "classId", db_get(res, row, E_CLASS), "className",
                     db_get(res, row, E_CLASS_NAME), "academicYearId", db_get(res, row, E_YEAR), "startDate",
                     db_get(res, row, E_START), "endDate", acad_json_str(db_get(res, row, E_END)), "endReason",
                     acad_json_str(db_get(res, row, E_REASON)), "version", (json_int_t)db_get_int(res, row, E_VERSION),
                     "createdAt", iso_time(&r->arena, db_get_int(res, row, E_CREATED)), "updatedAt",
                     iso_time(&r->arena, db_get_int(res, row, E_UPDATED)));
}

/* Reads one enrollment into *res; 0, 1 when there is none (nothing answered), -1 on a database error. */
static int fetch(req_t *r, const char *id, db_result_t *res)
{
    db_t *db = req_db(r);
    if (db_exec(db, &Q_ENR_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, res) != 0)
        return -1;
    return res->nrows == 0 ? 1 : 0;
}

/* The enrollment as JSON (after a write), or NULL after a database error (answered). */
static json_t *enrollment_doc(req_t *r, const char *id, long long *version)
{
    db_result_t res;
    if (fetch(r, id, &res) != 0) {
        db_fail(r, req_db(r));
        return NULL;
    }
    *version = db_get_int(&res, 0, E_VERSION);
    return enrollment_json(r, &res, 0);
}

/* What a write transaction works on; the handler fills the request part, the transaction the rest. */
typedef struct enr_tx {
    req_t *r;
    const char *id;         /* the enrollment written (existing, or made by create) */
    const char *student_id; /* create */
    const char *class_id;   /* create, transfer: the class to enroll in */
    const char *date;       /* create: start; transfer: first day in the new class; end: end date */
    const char *reason;     /* transfer, end */
    char new_id[40];        /* create, transfer: the enrollment made */
    const char *detail;     /* audit detail */
} enr_tx_t;

/*
 * Locks the student and the class, and checks that the student may be in the
 * class from start to end (NULL: open): the class and its year (404 naming
 * classId; the start inside the year, 422 naming date_field), no other
 * enrollment of the student in that year overlapping (409 naming it), and a
 * free seat (409). except is an enrollment left out of the checks (the one a
 * transfer ends); year, when not NULL, the academic year the class must be of
 * (422 naming classId). Fills *cls. Returns 0, or -1 (r->err set, or a database error).
 */
static int check_place(enr_tx_t *t, db_t *db, const char *student, const char *start, const char *end,
                       const char *date_field, const char *except, const char *year, db_result_t *cls)
{
    req_t *r = t->r;
    db_result_t res;
    if (db_exec(db, &Q_ENR_LOCK_STUDENT, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(student)), &r->arena, &res) != 0)
        return -1;
    if (res.nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such student (studentId).");
    if (db_exec(db, &Q_ENR_CLASS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(t->class_id)), &r->arena, cls) != 0)
        return -1;
    if (cls->nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such class (classId).");
    if (year != NULL && strcmp(year, db_get(cls, 0, C_YEAR)) != 0) {
        res_field_error(r, "classId", "must be a class of the enrollment's academic year");
        return res_check_fields(r);
    }
    const char *ys = db_get(cls, 0, C_YEAR_START), *ye = db_get(cls, 0, C_YEAR_END);
    if (strcmp(start, ys) < 0 || strcmp(start, ye) > 0) {
        res_field_error(r, date_field, "must be within the class's academic year (%s to %s)", ys, ye);
        return res_check_fields(r);
    }
    const char *last = end != NULL ? end : ye; /* an open enrollment ends with its year */
    if (db_exec(db, &Q_ENR_OVERLAP,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(student), DB_TEXT(except), DB_TEXT(start), DB_TEXT(last)),
                &r->arena, &res) != 0)
        return -1;
    if (res.nrows > 0)
        return res_fail(r, ERR_CONFLICT, "The student is already enrolled in class %s from %s%s%s (enrollment %s).",
                        db_get(&res, 0, 1), db_get(&res, 0, 2), db_get(&res, 0, 3) != NULL ? " to " : "",
                        db_get(&res, 0, 3) != NULL ? db_get(&res, 0, 3) : "", db_get(&res, 0, 0));
    if (!db_is_null(cls, 0, C_CAPACITY)) {
        const char *day;
        long long peak;
        if (acad_class_peak(r, db, t->class_id, start, last, except, &day, &peak) != 0)
            return -1;
        if (peak >= db_get_int(cls, 0, C_CAPACITY))
            return res_fail(r, ERR_CONFLICT, "Class %s is full on %s (capacity %s).", db_get(cls, 0, C_NAME), day,
                            db_get(cls, 0, C_CAPACITY));
    }
    return 0;
}

/* 409 when attendance was marked under enrollment e after its new last day (from first to its old last day). */
static int check_unmarked(req_t *r, db_t *db, const db_result_t *e, const char *first)
{
    db_result_t res;
    const char *last = db_get(e, 0, E_END) != NULL ? db_get(e, 0, E_END) : FAR_FUTURE;
    if (db_exec(db, &Q_ENR_MARKED,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(db_get(e, 0, E_STUDENT)), DB_TEXT(db_get(e, 0, E_CLASS)),
                        DB_TEXT(first), DB_TEXT(last)),
                &r->arena, &res) != 0)
        return -1;
    if (res.nrows > 0)
        return res_fail(r, ERR_CONFLICT,
                        "Attendance was marked for the student in class %s on %s, under this enrollment; "
                        "it must stay enrolled until then.",
                        db_get(e, 0, E_CLASS_NAME), db_get(&res, 0, 0));
    return 0;
}

/*
 * Reads the enrollment being changed (locking its student first): 404, 412
 * unless If-Match names its version, 409 when it has ended.
 */
static int load_open(enr_tx_t *t, db_t *db, db_result_t *e)
{
    req_t *r = t->r;
    int rc = fetch(r, t->id, e);
    if (rc != 0)
        return rc > 0 ? res_fail(r, ERR_NOT_FOUND, "No such enrollment.") : -1;
    db_result_t res;
    if (db_exec(db, &Q_ENR_LOCK_STUDENT, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(db_get(e, 0, E_STUDENT))),
                &r->arena, &res) != 0 ||
        fetch(r, t->id, e) < 0) /* again, under the lock */
        return -1;
    if (e->nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such enrollment.");
    if (if_match(r, db_get_int(e, 0, E_VERSION), "enrollment") != 0)
        return -1;
    if (db_get(e, 0, E_END) != NULL)
        return res_fail(r, ERR_CONFLICT, "The enrollment has already ended (on %s).", db_get(e, 0, E_END));
    return 0;
}

static int create_tx(db_t *db, void *ctx)
{
    enr_tx_t *t = ctx;
    req_t *r = t->r;
    db_result_t cls;
    ids_uuid7(t->new_id);
    if (check_place(t, db, t->student_id, t->date, NULL, "startDate", t->new_id, NULL, &cls) != 0)
        return -1;
    if (db_exec(db, &Q_ENR_INSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(t->new_id), DB_TEXT(t->student_id), DB_TEXT(t->class_id),
                        DB_TEXT(db_get(&cls, 0, C_YEAR)), DB_TEXT(t->date), DB_NULL, DB_NULL, DB_INT(clock_wall_ms())),
                &r->arena, NULL) != 0)
        return -1;
    return acad_audit(r, "student.update", NULL, t->student_id,
                      arena_printf(&r->arena, "enrollment %s: enrolled in class %s from %s", t->new_id,
                                   db_get(&cls, 0, C_NAME), t->date));
}

int enrollments_enroll(req_t *r, db_t *db, const char *student_id, const char *class_id, const char *start,
                       char new_id[40])
{
    enr_tx_t t = {.r = r, .student_id = student_id, .class_id = class_id, .date = start};
    int rc = create_tx(db, &t);
    memcpy(new_id, t.new_id, sizeof(t.new_id));
    return rc;
}

/* Runs a write transaction; answers its failure (a database error when nothing was answered). Returns 0 or -1. */
static int run(req_t *r, int (*fn)(db_t *, void *), enr_tx_t *t)
{
    db_t *db = req_db(r);
    if (db_transaction(db, fn, t) == 0)
        return 0;
    return r->err.code != ERR_NONE ? -1 : db_fail(r, db);
}

int enrollments_create(req_t *r)
{
    static const char *const fields[] = {"studentId", "classId", "startDate", NULL};
    enr_tx_t t = {.r = r};
    body_only_fields(r, fields);
    t.student_id = body_id(r, "studentId", 1);
    t.class_id = body_id(r, "classId", 1);
    body_date(r, "startDate", 1, &t.date);
    if (res_check_fields(r) != 0 || run(r, create_tx, &t) != 0)
        return -1;
    long long version;
    json_t *doc = enrollment_doc(r, t.new_id, &version);
    if (doc == NULL)
        return -1;
    acad_created(r, version, "/api/v1/enrollments/%s", t.new_id);
    return res_json(r, 201, doc);
}

static int transfer_tx(db_t *db, void *ctx)
{
    enr_tx_t *t = ctx;
    req_t *r = t->r;
    db_result_t e, cls, res;
    if (load_open(t, db, &e) != 0)
        return -1;
    if (strcmp(t->date, db_get(&e, 0, E_START)) <= 0) {
        res_field_error(r, "date", "must be after the enrollment's start date (%s)", db_get(&e, 0, E_START));
        return res_check_fields(r);
    }
    if (strcmp(t->class_id, db_get(&e, 0, E_CLASS)) == 0) {
        res_field_error(r, "classId", "is the class of this enrollment already");
        return res_check_fields(r);
    }
    const char *student = db_get(&e, 0, E_STUDENT);
    if (check_place(t, db, student, t->date, NULL, "date", t->id, db_get(&e, 0, E_YEAR), &cls) != 0)
        return -1;
    if (check_unmarked(r, db, &e, t->date) != 0)
        return -1;
    char last[CAL_DATE_LEN + 1];
    cal_day_before_str(t->date, last);
    const char *reason = t->reason != NULL ? arena_printf(&r->arena, "transferred: %s", t->reason) : "transferred";
    long long now = (long long)clock_wall_ms();
    ids_uuid7(t->new_id);
    if (db_exec(db, &Q_ENR_END,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(t->id), DB_INT(db_get_int(&e, 0, E_VERSION)), DB_TEXT(last),
                        DB_TEXT(reason), DB_INT(now)),
                &r->arena, &res) != 0)
        return -1;
    if (res.changes == 0)
        return stale_write(r, "enrollment");
    if (db_exec(db, &Q_ENR_INSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(t->new_id), DB_TEXT(student), DB_TEXT(t->class_id),
                        DB_TEXT(db_get(&e, 0, E_YEAR)), DB_TEXT(t->date), DB_NULL, DB_NULL, DB_INT(now)),
                &r->arena, NULL) != 0)
        return -1;
    return acad_audit(r, "student.update", NULL, student,
                      arena_printf(&r->arena,
                                   "enrollment %s: transferred from class %s to class %s on %s (enrollment %s)", t->id,
                                   db_get(&e, 0, E_CLASS_NAME), db_get(&cls, 0, C_NAME), t->date, t->new_id));
}

/* The path's enrollment id; 404 when malformed. */
static const char *path_id(req_t *r)
{
    const char *id = req_param(r, 0);
    return require_id(r, id) == 0 ? id : NULL;
}

int enrollments_transfer(req_t *r)
{
    static const char *const fields[] = {"classId", "date", "reason", NULL};
    enr_tx_t t = {.r = r, .id = path_id(r)};
    if (t.id == NULL)
        return -1;
    body_only_fields(r, fields);
    t.class_id = body_id(r, "classId", 1);
    body_date(r, "date", 1, &t.date);
    body_string(r, "reason", 0, 1, 200, &t.reason);
    if (res_check_fields(r) != 0 || run(r, transfer_tx, &t) != 0)
        return -1;
    long long old_version, version;
    json_t *previous = enrollment_doc(r, t.id, &old_version);
    json_t *current = previous != NULL ? enrollment_doc(r, t.new_id, &version) : NULL;
    if (current == NULL) {
        json_decref(previous);
        return -1;
    }
    acad_created(r, version, "/api/v1/enrollments/%s", t.new_id);
    return res_json(r, 201, json_pack("{s:o,s:o}", "previous", previous, "current", current));
}

static int end_tx(db_t *db, void *ctx)
{
    enr_tx_t *t = ctx;
    req_t *r = t->r;
    db_result_t e, cls, res;
    if (load_open(t, db, &e) != 0)
        return -1;
    if (strcmp(t->date, db_get(&e, 0, E_START)) < 0) {
        res_field_error(r, "endDate", "must not be before the enrollment's start date (%s)", db_get(&e, 0, E_START));
        return res_check_fields(r);
    }
    t->class_id = db_get(&e, 0, E_CLASS);
    if (db_exec(db, &Q_ENR_CLASS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(t->class_id)), &r->arena, &cls) != 0)
        return -1;
    if (strcmp(t->date, db_get(&cls, 0, C_YEAR_END)) > 0) {
        res_field_error(r, "endDate", "must be within the academic year (which ends on %s)",
                        db_get(&cls, 0, C_YEAR_END));
        return res_check_fields(r);
    }
    char after[CAL_DATE_LEN + 1];
    if (cal_add_days_str(t->date, 1, after) != 0 || check_unmarked(r, db, &e, after) != 0)
        return -1;
    if (db_exec(db, &Q_ENR_END,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(t->id), DB_INT(db_get_int(&e, 0, E_VERSION)),
                        DB_TEXT(t->date), DB_TEXT(t->reason), DB_INT(clock_wall_ms())),
                &r->arena, &res) != 0)
        return -1;
    if (res.changes == 0)
        return stale_write(r, "enrollment");
    return acad_audit(r, "student.update", NULL, db_get(&e, 0, E_STUDENT),
                      arena_printf(&r->arena, "enrollment %s: left class %s after %s (%s)", t->id,
                                   db_get(&e, 0, E_CLASS_NAME), t->date, t->reason));
}

int enrollments_end(req_t *r)
{
    static const char *const fields[] = {"endDate", "reason", NULL};
    enr_tx_t t = {.r = r, .id = path_id(r)};
    if (t.id == NULL)
        return -1;
    body_only_fields(r, fields);
    body_date(r, "endDate", 1, &t.date);
    body_string(r, "reason", 1, 1, 200, &t.reason);
    if (res_check_fields(r) != 0 || run(r, end_tx, &t) != 0)
        return -1;
    long long version;
    json_t *doc = enrollment_doc(r, t.id, &version);
    if (doc == NULL)
        return -1;
    set_etag(r, version);
    return res_json(r, 200, doc);
}

static int delete_tx(db_t *db, void *ctx)
{
    enr_tx_t *t = ctx;
    req_t *r = t->r;
    db_result_t e, res;
    int rc = fetch(r, t->id, &e);
    if (rc != 0)
        return rc > 0 ? res_fail(r, ERR_NOT_FOUND, "No such enrollment.") : -1;
    long long version = db_get_int(&e, 0, E_VERSION);
    if (if_match(r, version, "enrollment") != 0 || check_unmarked(r, db, &e, db_get(&e, 0, E_START)) != 0)
        return -1;
    if (db_exec(db, &Q_ENR_DELETE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(t->id), DB_INT(version)), &r->arena,
                &res) != 0)
        return -1;
    if (res.changes == 0)
        return stale_write(r, "enrollment");
    return acad_audit(r, "student.update", NULL, db_get(&e, 0, E_STUDENT),
                      arena_printf(&r->arena, "enrollment %s: deleted (class %s from %s)", t->id,
                                   db_get(&e, 0, E_CLASS_NAME), db_get(&e, 0, E_START)));
}

int enrollments_delete(req_t *r)
{
    enr_tx_t t = {.r = r, .id = path_id(r)};
    if (t.id == NULL || run(r, delete_tx, &t) != 0)
        return -1;
    return res_empty(r, 204);
}

/* Whether the caller may see enrollments in the class: admin and staff all, teachers the classes they teach. */
static int sees_class(req_t *r, const char *class_id)
{
    return policy_sees_school(r) ? 1 : policy_teaches_class(r, class_id);
}

int enrollments_get(req_t *r)
{
    const char *id = path_id(r);
    if (id == NULL)
        return -1;
    db_result_t e;
    int rc = fetch(r, id, &e);
    if (rc < 0)
        return db_fail(r, req_db(r));
    int may = rc == 0 ? sees_class(r, db_get(&e, 0, E_CLASS)) : 0;
    if (may < 0)
        return -1;
    if (may == 0)
        return policy_hidden(r, "enrollment");
    if (acad_audit(r, "student.read", NULL, db_get(&e, 0, E_STUDENT), arena_printf(&r->arena, "enrollment %s", id)) !=
        0)
        return db_fail(r, req_db(r));
    set_etag(r, db_get_int(&e, 0, E_VERSION));
    return res_json(r, 200, enrollment_json(r, &e, 0));
}

/* A query id that must name a record the caller may see (404 naming it otherwise); 0 or -1. */
static int check_filter(req_t *r, const char *id, stmt_t *st, const char *what, const char *field,
                        int (*may)(req_t *, const char *))
{
    if (id == NULL)
        return 0;
    int rc = school_ref(r, st, id, what, field, NULL);
    if (rc != 1)
        return -1;
    if (may == NULL || policy_sees_school(r))
        return 0;
    rc = may(r, id);
    if (rc == 0)
        res_fail(r, ERR_NOT_FOUND, "No such %s (%s).", what, field);
    return rc == 1 ? 0 : -1;
}

int enrollments_list(req_t *r)
{
    page_t page;
    int desc;
    if (sort_read(r, enr_sorts, 0, &desc) < 0 || page_read(r, &page) != 0)
        return -1;
    const char *student = query_id(r, "studentId", 0), *class_id = query_id(r, "classId", 0);
    const char *year = query_id(r, "academicYearId", 0), *on = acad_query_date(r, "activeOn", 0);
    if (res_check_fields(r) != 0)
        return -1;
    if (check_filter(r, student, &Q_ENR_STUDENT, "student", "studentId", policy_can_read_student) != 0 ||
        check_filter(r, class_id, &Q_ENR_CLASS_REF, "class", "classId", policy_teaches_class) != 0 ||
        check_filter(r, year, &Q_ENR_YEAR_REF, "academic year", "academicYearId", NULL) != 0)
        return -1;
    const char *own;
    int go = list_teacher_scope(r, &own);
    if (go <= 0)
        return go;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_ENR_LIST[desc],
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(student), DB_TEXT(class_id), DB_TEXT(year), DB_TEXT(on),
                        DB_TEXT(own), page_key_arg(r, &page, 0), page_id_arg(&page), DB_INT(page.limit + 1)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    int n = res.nrows > page.limit ? page.limit : res.nrows;
    if (acad_audit(r, "student.list",
                   student != NULL    ? "student"
                   : class_id != NULL ? "class"
                                      : "enrollment",
                   student != NULL ? student : class_id, arena_printf(&r->arena, "enrollments, %d listed", n)) != 0)
        return db_fail(r, db);
    return res_json(r, 200, page_json(r, &res, page.limit, enrollment_json, E_START, NULL));
}
