/*
 * classes.c - /classes (homeroom groups of a year), their teaching assignments
 * (/classes/{id}/subjects) and their rosters (/classes/{id}/students).
 */
#include <stdlib.h>
#include <string.h>

#include "api/academic.h"
#include "api/academic_int.h"
#include "api/app.h"
#include "api/cached.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/policy.h"
#include "core/clock.h"
#include "core/ids.h"

/* ------------------------------------------------------------------ classes */

#define CLASS_COLS                                                                                                     \
    "c.id, c.academic_year_id, c.grade_level, c.section, c.name, c.class_teacher_id, c.room, c.capacity, c.version,"   \
    " c.created_at, c.updated_at"
/* students enrolled in class c (of year y) on date p (the parameter), not counting deleted students */
#define ENROLLED(p)                                                                                                    \
    "(SELECT count(*) FROM enrollments e JOIN students st ON st.tenant_id = e.tenant_id AND st.id = e.student_id"      \
    " WHERE e.tenant_id = c.tenant_id AND e.class_id = c.id AND " ACAD_COVERS("e", "y",                                \
                                                                              p) " AND st.deleted_at IS NULL)"
#define CLASS_FROM " FROM classes c" ACAD_JOIN_YEAR("c")

static stmt_t Q_CLASS_GET =
    STMT("classes.get", STMT_READ,
         "SELECT " CLASS_COLS ", " ENROLLED("$3") CLASS_FROM " WHERE c.tenant_id = $1 AND c.id = $2");
static stmt_t Q_CLASS_YEAR = STMT(
    "classes.year", STMT_READ, "SELECT id, start_date, end_date FROM academic_years WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_CLASS_TEACHER =
    STMT("classes.teacher", STMT_READ, "SELECT id, status FROM teachers WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_CLASS_INSERT = STMT("classes.insert", 0,
                                    "INSERT INTO classes (tenant_id, id, academic_year_id, name, grade_level, section,"
                                    " class_teacher_id, room, capacity, created_at, updated_at)"
                                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)");
static stmt_t Q_CLASS_UPDATE =
    STMT("classes.update", 0,
         "UPDATE classes SET name = $4, grade_level = $5, section = $6, class_teacher_id = $7,"
         " room = $8, capacity = $9, version = version + 1, updated_at = $10"
         " WHERE tenant_id = $1 AND id = $2 AND version = $3");
static stmt_t Q_CLASS_USES =
    STMT("classes.uses", 0,
         "SELECT (SELECT count(*) FROM enrollments e WHERE e.tenant_id = $1 AND e.class_id = $2),"
         " (SELECT count(*) FROM timetable_slots t WHERE t.tenant_id = $1 AND t.class_id = $2)");
static stmt_t Q_CLASS_DELETE_ASSIGNMENTS =
    STMT("classes.delete_assignments", 0, "DELETE FROM class_subjects WHERE tenant_id = $1 AND class_id = $2");
static stmt_t Q_CLASS_DELETE =
    STMT("classes.delete", 0, "DELETE FROM classes WHERE tenant_id = $1 AND id = $2 AND version = $3");

/*
 * Lists: year $2, grade $3, teacher $4, only classes the caller teaches $5, today $6, keyset $7 (sort key),
 * $8 (id), limit $9; ordered by grade also $10 (name, the second key).
 */
#define CLASS_LIST_SQL(keyset, order)                                                                                  \
    "SELECT " CLASS_COLS ", " ENROLLED("$6") CLASS_FROM                                                                \
        " WHERE c.tenant_id = $1"                                                                                      \
        " AND (c.academic_year_id = $2 OR $2 IS NULL) AND (c.grade_level = $3 OR $3 IS NULL)"                          \
        " AND (" ACAD_TEACHES("$4") " OR $4 IS NULL) AND (" ACAD_TEACHES("$5") " OR $5 IS NULL)"                       \
                                                                               " AND (" keyset                         \
                                                                               " OR $7 IS NULL) ORDER BY " order       \
                                                                               " LIMIT $9"
static const char *const class_sorts[] = {"name", "gradeLevel", NULL};
static stmt_t Q_CLASS_LIST[2][2] = {
    {STMT("classes.list_name", STMT_READ, CLASS_LIST_SQL("(c.name, c.id) > ($7, $8)", "c.name, c.id")),
     STMT("classes.list_name_desc", STMT_READ, CLASS_LIST_SQL("(c.name, c.id) < ($7, $8)", "c.name DESC, c.id DESC"))},
    {STMT("classes.list_grade", STMT_READ,
          CLASS_LIST_SQL("(c.grade_level, c.name, c.id) > ($7, $10, $8)", "c.grade_level, c.name, c.id")),
     STMT("classes.list_grade_desc", STMT_READ,
          CLASS_LIST_SQL("(c.grade_level, c.name, c.id) < ($7, $10, $8)",
                         "c.grade_level DESC, c.name DESC, c.id DESC"))},
};

static json_t *class_json(req_t *r, const db_result_t *res, int row)
{
    return json_pack("{s:s,s:s,s:I,s:s,s:s,s:o,s:o,s:o,s:I,s:I,s:s,s:s}", "id", db_get(res, row, 0), "academicYearId",
                     db_get(res, row, 1), "gradeLevel", (json_int_t)db_get_int(res, row, 2), "section",
                     db_get(res, row, 3), "name", db_get(res, row, 4), "classTeacherId",
                     acad_json_str(db_get(res, row, 5)), "room", acad_json_str(db_get(res, row, 6)), "capacity",
                     acad_json_int(res, row, 7), "enrolledCount", (json_int_t)db_get_int(res, row, 11), "version",
                     (json_int_t)db_get_int(res, row, 8), "createdAt", iso_time(&r->arena, db_get_int(res, row, 9)),
                     "updatedAt", iso_time(&r->arena, db_get_int(res, row, 10)));
}

static const char *class_grade_key(req_t *r, const db_result_t *res, int row)
{
    return acad_key2(&r->arena, db_get(res, row, 2), db_get(res, row, 4));
}

/* Reads a class of the caller's school into *res (with today's enrolled count); 404 when there is none. */
static int load_class(req_t *r, const char *id, db_result_t *res)
{
    const char *today = school_today(r);
    db_t *db = req_db(r);
    if (db_exec(db, &Q_CLASS_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT(today)), &r->arena, res) !=
        0)
        return db_fail(r, db);
    if (res->nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such class.");
    return 0;
}

static int respond_class(req_t *r, const char *id, int status)
{
    db_result_t res;
    if (load_class(r, id, &res) != 0)
        return -1;
    set_etag(r, db_get_int(&res, 0, 8));
    return res_json(r, status, class_json(r, &res, 0));
}

/*
 * The path's class id, checked: 404 when malformed, or when the caller may not
 * read the class (policy_can_read_class); NULL then.
 */
static const char *readable_class(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return NULL;
    int may = policy_can_read_class(r, id);
    if (may < 0)
        return NULL;
    if (may == 0) {
        policy_hidden(r, "class");
        return NULL;
    }
    return id;
}

/* A teacher a body names (404 naming the field when not of this school, 422 when inactive); 1, or -1. */
static int check_teacher(req_t *r, const char *id, const char *field)
{
    db_result_t t;
    int rc = school_ref(r, &Q_CLASS_TEACHER, id, "teacher", field, &t);
    if (rc != 1)
        return -1;
    if (strcmp(db_get(&t, 0, 1), "active") != 0) {
        res_field_error(r, field, "is not an active teacher");
        return res_check_fields(r);
    }
    return 1;
}

static const char *default_name(req_t *r, long long grade, const char *section)
{
    return arena_printf(&r->arena, "%lld-%s", grade, section);
}

int classes_create(req_t *r)
{
    static const char *const fields[] = {"academicYearId", "gradeLevel", "section",  "name",
                                         "classTeacherId", "room",       "capacity", NULL};
    const char *section = NULL, *name = NULL, *room = NULL;
    long long grade = 0, capacity = 0;
    body_only_fields(r, fields);
    const char *year = body_id(r, "academicYearId", 1);
    body_int(r, "gradeLevel", 1, 0, 13, &grade);
    body_string(r, "section", 1, 1, 10, &section);
    body_string(r, "name", 0, 1, 100, &name);
    const char *teacher = body_id(r, "classTeacherId", 0);
    body_string(r, "room", 0, 1, 50, &room);
    int has_capacity = body_int(r, "capacity", 0, 1, 1000, &capacity) == 1;
    if (res_check_fields(r) != 0)
        return -1;
    if (school_ref(r, &Q_CLASS_YEAR, year, "academic year", "academicYearId", NULL) != 1 ||
        (teacher != NULL && check_teacher(r, teacher, "classTeacherId") != 1))
        return -1;
    char id[40];
    ids_uuid7(id);
    db_t *db = req_db(r);
    if (db_exec(db, &Q_CLASS_INSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT(year),
                        DB_TEXT(name != NULL ? name : default_name(r, grade, section)), DB_INT(grade), DB_TEXT(section),
                        DB_TEXT(teacher), DB_TEXT(room), has_capacity ? DB_INT(capacity) : DB_NULL,
                        DB_INT(clock_wall_ms())),
                &r->arena, NULL) != 0)
        return acad_write_failed(r, db, "section",
                                 arena_printf(&r->arena, "grade %lld section %s is already a class of this academic year",
                                              grade, section),
                                 NULL);
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/classes/%s", id));
    return respond_class(r, id, 201);
}

int classes_list(req_t *r)
{
    page_t page;
    int desc;
    int sort = sort_read(r, class_sorts, 0, &desc);
    if (sort < 0 || page_read(r, &page) != 0)
        return -1;
    const char *year = query_id(r, "academicYearId", 0), *teacher = query_id(r, "teacherId", 0);
    long long grade = -1;
    const char *g = req_query(r, "gradeLevel");
    if (g != NULL)
        query_int(r, "gradeLevel", g, 0, 13, &grade);
    if (res_check_fields(r) != 0)
        return -1;
    const char *key1 = NULL, *key2 = NULL;
    if (page.has_cursor && sort == 1 && acad_key2_split(r, page.key, &key1, &key2) != 0)
        return -1;
    if ((year != NULL && school_ref(r, &Q_CLASS_YEAR, year, "academic year", "academicYearId", NULL) != 1) ||
        (teacher != NULL && school_ref(r, &Q_CLASS_TEACHER, teacher, "teacher", "teacherId", NULL) != 1))
        return -1;
    /* teachers see the classes they teach */
    const char *own;
    int go = list_teacher_scope(r, &own);
    if (go <= 0)
        return go;
    const char *today = school_today(r);
    db_t *db = req_db(r);
    db_result_t res;
    int rc;
    db_arg_t grade_arg = grade >= 0 ? DB_INT(grade) : DB_NULL;
    if (sort == 0)
        rc = db_exec(db, &Q_CLASS_LIST[0][desc],
                     DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(year), grade_arg, DB_TEXT(teacher), DB_TEXT(own),
                             DB_TEXT(today), page_key_arg(r, &page, 0), page_id_arg(&page), DB_INT(page.limit + 1)),
                     &r->arena, &res);
    else
        rc = db_exec(db, &Q_CLASS_LIST[1][desc],
                     DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(year), grade_arg, DB_TEXT(teacher), DB_TEXT(own),
                             DB_TEXT(today), key1 != NULL ? DB_INT(strtoll(key1, NULL, 10)) : DB_NULL,
                             page_id_arg(&page), DB_INT(page.limit + 1), DB_TEXT(key2)),
                     &r->arena, &res);
    if (rc != 0)
        return db_fail(r, db);
    return res_json(r, 200, page_json(r, &res, page.limit, class_json, 4, sort == 1 ? class_grade_key : NULL));
}

int classes_get(req_t *r)
{
    const char *id = readable_class(r);
    return id == NULL ? -1 : respond_class(r, id, 200);
}

int classes_update(req_t *r)
{
    static const char *const fields[] = {"gradeLevel", "section", "name", "classTeacherId", "room", "capacity", NULL};
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    const char *section = NULL, *name = NULL, *room = NULL;
    long long grade = -1, capacity = 0;
    body_only_fields(r, fields);
    body_int(r, "gradeLevel", 0, 0, 13, &grade);
    body_string(r, "section", 0, 1, 10, &section);
    body_string(r, "name", 0, 1, 100, &name);
    const char *teacher = body_id(r, "classTeacherId", 0);
    body_string(r, "room", 0, 1, 50, &room);
    int has_capacity = body_int(r, "capacity", 0, 1, 1000, &capacity) == 1;
    if (res_check_fields(r) != 0)
        return -1;
    db_result_t c, res;
    if (load_class(r, id, &c) != 0)
        return -1;
    long long version = db_get_int(&c, 0, 8);
    if (if_match(r, version, "class") != 0)
        return -1;
    if (patch_is_empty(r))
        return respond_class(r, id, 200);
    if (teacher != NULL && check_teacher(r, teacher, "classTeacherId") != 1)
        return -1;
    long long old_grade = db_get_int(&c, 0, 2);
    const char *old_section = db_get(&c, 0, 3), *old_name = db_get(&c, 0, 4);
    grade = grade >= 0 ? grade : old_grade;
    section = section != NULL ? section : old_section;
    /* a name left at its default follows grade and section */
    if (name == NULL)
        name =
            strcmp(old_name, default_name(r, old_grade, old_section)) == 0 ? default_name(r, grade, section) : old_name;
    if (teacher == NULL && !acad_body_null(r, "classTeacherId"))
        teacher = db_get(&c, 0, 5);
    if (room == NULL && !acad_body_null(r, "room"))
        room = db_get(&c, 0, 6);
    db_arg_t cap = has_capacity                                            ? DB_INT(capacity)
                   : acad_body_null(r, "capacity") || db_is_null(&c, 0, 7) ? DB_NULL
                                                                           : DB_INT(db_get_int(&c, 0, 7));
    db_t *db = req_db(r);
    if (has_capacity) { /* today, or on any later day of the year's enrollments */
        const char *day;
        long long peak;
        if (acad_class_peak(r, db, id, school_today(r), "9999-12-31", NULL, &day, &peak) != 0)
            return db_fail(r, db);
        if (capacity < peak)
            return res_fail(r, ERR_CONFLICT, "%lld students are enrolled in the class on %s; the capacity cannot be less.",
                            peak, day);
    }
    if (db_exec(db, &Q_CLASS_UPDATE,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_INT(version), DB_TEXT(name), DB_INT(grade),
                        DB_TEXT(section), DB_TEXT(teacher), DB_TEXT(room), cap, DB_INT(clock_wall_ms())),
                &r->arena, &res) != 0)
        return acad_write_failed(r, db, "section",
                                 arena_printf(&r->arena, "grade %lld section %s is already a class of this academic year",
                                              grade, section),
                                 NULL);
    if (res.changes == 0)
        return stale_write(r, "class");
    return respond_class(r, id, 200);
}

int classes_delete(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    db_result_t c, res;
    if (load_class(r, id, &c) != 0)
        return -1;
    long long version = db_get_int(&c, 0, 8);
    if (if_match(r, version, "class") != 0)
        return -1;
    db_t *db = req_db(r);
    if (db_begin(db) != 0)
        return db_fail(r, db);
    if (db_exec(db, &Q_CLASS_USES, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &res) != 0)
        return acad_write_failed(r, db, NULL, NULL, NULL);
    long long enrollments = db_get_int(&res, 0, 0), slots = db_get_int(&res, 0, 1);
    if (enrollments > 0 || slots > 0) {
        db_rollback(db);
        return res_fail(r, ERR_CONFLICT,
                        "The class has %lld enrollment(s) and %lld timetable slot(s); it cannot be deleted.",
                        enrollments, slots);
    }
    /* its teaching assignments go with it */
    if (db_exec(db, &Q_CLASS_DELETE_ASSIGNMENTS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, NULL) !=
            0 ||
        db_exec(db, &Q_CLASS_DELETE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_INT(version)), &r->arena,
                &res) != 0)
        return acad_write_failed(r, db, NULL, NULL, "The class is still in use.");
    if (res.changes == 0) {
        db_rollback(db);
        return stale_write(r, "class");
    }
    if (db_commit(db) != 0)
        return acad_write_failed(r, db, NULL, NULL, "The class is still in use.");
    return res_empty(r, 204);
}

/* ------------------------------------------------------------------ teaching assignments */

#define ASSIGN_COLS                                                                                                    \
    "a.id, a.class_id, a.subject_id, s.code, s.name, a.teacher_id, t.first_name, t.last_name, a.periods_per_week,"     \
    " a.version, a.created_at, a.updated_at"
#define ASSIGN_FROM                                                                                                    \
    " FROM class_subjects a JOIN subjects s ON s.tenant_id = a.tenant_id AND s.id = a.subject_id"                      \
    " JOIN teachers t ON t.tenant_id = a.tenant_id AND t.id = a.teacher_id"

static stmt_t Q_ASSIGN_GET =
    STMT("class_subjects.get", STMT_READ,
         "SELECT " ASSIGN_COLS ASSIGN_FROM " WHERE a.tenant_id = $1 AND a.class_id = $2 AND a.id = $3");
/* keyset after ($3, $4), limit $5 */
static stmt_t Q_ASSIGN_LIST = STMT("class_subjects.list", STMT_READ,
                                   "SELECT " ASSIGN_COLS ASSIGN_FROM " WHERE a.tenant_id = $1 AND a.class_id = $2"
                                   " AND ((s.code, a.id) > ($3, $4) OR $3 IS NULL) ORDER BY s.code, a.id LIMIT $5");
static stmt_t Q_ASSIGN_SUBJECT =
    STMT("class_subjects.subject", STMT_READ, "SELECT id FROM subjects WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_ASSIGN_INSERT =
    STMT("class_subjects.insert", 0,
         "INSERT INTO class_subjects (tenant_id, id, class_id, subject_id, teacher_id,"
         " periods_per_week, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)");
static stmt_t Q_ASSIGN_UPDATE = STMT("class_subjects.update", 0,
                                     "UPDATE class_subjects SET teacher_id = $5, periods_per_week = $6,"
                                     " version = version + 1, updated_at = $7"
                                     " WHERE tenant_id = $1 AND class_id = $2 AND id = $3 AND version = $4");
static stmt_t Q_ASSIGN_SLOTS = STMT("class_subjects.slots", 0,
                                    "SELECT count(*) FROM timetable_slots WHERE tenant_id = $1 AND class_id = $2"
                                    " AND subject_id = $3");
static stmt_t Q_ASSIGN_DELETE = STMT("class_subjects.delete", 0,
                                     "DELETE FROM class_subjects WHERE tenant_id = $1 AND class_id = $2 AND id = $3"
                                     " AND version = $4");

static json_t *assignment_json(req_t *r, const db_result_t *res, int row)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s},s:o,s:I,s:s,s:s}", "id", db_get(res, row, 0),
                     "classId", db_get(res, row, 1), "subjectId", db_get(res, row, 2), "subjectCode",
                     db_get(res, row, 3), "subjectName", db_get(res, row, 4), "teacherId", db_get(res, row, 5),
                     "teacher", "id", db_get(res, row, 5), "firstName", db_get(res, row, 6), "lastName",
                     db_get(res, row, 7), "periodsPerWeek",
                     acad_json_int(res, row, 8), "version", (json_int_t)db_get_int(res, row, 9), "createdAt",
                     iso_time(&r->arena, db_get_int(res, row, 10)), "updatedAt",
                     iso_time(&r->arena, db_get_int(res, row, 11)));
}

static const char *assignment_key(req_t *r, const db_result_t *res, int row)
{
    (void)r;
    return db_get(res, row, 3);
}

/* Reads one assignment of a class into *res; 404 when there is none. */
static int load_assignment(req_t *r, const char *class_id, const char *id, db_result_t *res)
{
    db_t *db = req_db(r);
    if (db_exec(db, &Q_ASSIGN_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(class_id), DB_TEXT(id)), &r->arena,
                res) != 0)
        return db_fail(r, db);
    if (res->nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such teaching assignment.");
    return 0;
}

static int respond_assignment(req_t *r, const char *class_id, const char *id, int status)
{
    db_result_t res;
    if (load_assignment(r, class_id, id, &res) != 0)
        return -1;
    set_etag(r, db_get_int(&res, 0, 9));
    return res_json(r, status, assignment_json(r, &res, 0));
}

/* The path's class and assignment ids (admin routes); 404 when malformed. */
static int assignment_params(req_t *r, const char **class_id, const char **id)
{
    *class_id = req_param(r, 0);
    *id = req_param(r, 1);
    return require_id(r, *class_id) != 0 || require_id(r, *id) != 0 ? -1 : 0;
}

int class_subjects_list(req_t *r)
{
    page_t page;
    const char *id = readable_class(r);
    if (id == NULL || page_read(r, &page) != 0)
        return -1;
    db_result_t c, res;
    if (load_class(r, id, &c) != 0)
        return -1;
    db_t *db = req_db(r);
    if (db_exec(db, &Q_ASSIGN_LIST,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), page_key_arg(r, &page, 0), page_id_arg(&page),
                        DB_INT(page.limit + 1)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    return res_json(r, 200, page_json(r, &res, page.limit, assignment_json, 3, assignment_key));
}

int class_subjects_get(req_t *r)
{
    const char *class_id = readable_class(r), *id = req_param(r, 1);
    if (class_id == NULL || require_id(r, id) != 0)
        return -1;
    return respond_assignment(r, class_id, id, 200);
}

int class_subjects_create(req_t *r)
{
    static const char *const fields[] = {"subjectId", "teacherId", "periodsPerWeek", NULL};
    const char *class_id = req_param(r, 0);
    if (require_id(r, class_id) != 0)
        return -1;
    long long periods = 0;
    body_only_fields(r, fields);
    const char *subject = body_id(r, "subjectId", 1), *teacher = body_id(r, "teacherId", 1);
    int has_periods = body_int(r, "periodsPerWeek", 0, 1, 60, &periods) == 1;
    if (res_check_fields(r) != 0)
        return -1;
    db_result_t c;
    if (load_class(r, class_id, &c) != 0 ||
        school_ref(r, &Q_ASSIGN_SUBJECT, subject, "subject", "subjectId", NULL) != 1 ||
        check_teacher(r, teacher, "teacherId") != 1)
        return -1;
    char id[40];
    ids_uuid7(id);
    db_t *db = req_db(r);
    if (db_exec(db, &Q_ASSIGN_INSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT(class_id), DB_TEXT(subject), DB_TEXT(teacher),
                        has_periods ? DB_INT(periods) : DB_NULL, DB_INT(clock_wall_ms())),
                &r->arena, NULL) != 0)
        return acad_write_failed(r, db, "subjectId", arena_printf(&r->arena, "subject %s is already taught in this class", subject),
                                 NULL);
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/classes/%s/subjects/%s", class_id, id));
    return respond_assignment(r, class_id, id, 201);
}

int class_subjects_update(req_t *r)
{
    static const char *const fields[] = {"teacherId", "periodsPerWeek", NULL};
    const char *class_id, *id;
    if (assignment_params(r, &class_id, &id) != 0)
        return -1;
    long long periods = 0;
    body_only_fields(r, fields);
    const char *teacher = body_id(r, "teacherId", 0);
    int has_periods = body_int(r, "periodsPerWeek", 0, 1, 60, &periods) == 1;
    if (res_check_fields(r) != 0)
        return -1;
    db_result_t a, res;
    if (load_assignment(r, class_id, id, &a) != 0)
        return -1;
    long long version = db_get_int(&a, 0, 9);
    if (if_match(r, version, "teaching assignment") != 0)
        return -1;
    if (patch_is_empty(r))
        return respond_assignment(r, class_id, id, 200);
    if (teacher != NULL && check_teacher(r, teacher, "teacherId") != 1)
        return -1;
    db_arg_t per = has_periods                                                   ? DB_INT(periods)
                   : acad_body_null(r, "periodsPerWeek") || db_is_null(&a, 0, 8) ? DB_NULL
                                                                                 : DB_INT(db_get_int(&a, 0, 8));
    db_t *db = req_db(r);
    if (db_exec(db, &Q_ASSIGN_UPDATE,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(class_id), DB_TEXT(id), DB_INT(version),
                        DB_TEXT(teacher != NULL ? teacher : db_get(&a, 0, 5)), per, DB_INT(clock_wall_ms())),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.changes == 0)
        return stale_write(r, "teaching assignment");
    return respond_assignment(r, class_id, id, 200);
}

int class_subjects_delete(req_t *r)
{
    const char *class_id, *id;
    if (assignment_params(r, &class_id, &id) != 0)
        return -1;
    db_result_t a, res;
    if (load_assignment(r, class_id, id, &a) != 0)
        return -1;
    long long version = db_get_int(&a, 0, 9);
    if (if_match(r, version, "teaching assignment") != 0)
        return -1;
    db_t *db = req_db(r);
    if (db_exec(db, &Q_ASSIGN_SLOTS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(class_id), DB_TEXT(db_get(&a, 0, 2))),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    if (db_get_int(&res, 0, 0) > 0)
        return res_fail(r, ERR_CONFLICT, "The class has %lld timetable slot(s) of this subject; remove them first.",
                        db_get_int(&res, 0, 0));
    if (db_exec(db, &Q_ASSIGN_DELETE,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(class_id), DB_TEXT(id), DB_INT(version)), &r->arena,
                &res) != 0)
        return db_fail(r, db);
    if (res.changes == 0)
        return stale_write(r, "teaching assignment");
    return res_empty(r, 204);
}

/* ------------------------------------------------------------------ rosters */

#define ROSTER_SQL(cmp, dir)                                                                                           \
    "SELECT s.id, s.admission_no, s.first_name, s.middle_name, s.last_name, e.id, e.start_date, e.end_date"            \
    " FROM enrollments e JOIN students s ON s.tenant_id = e.tenant_id AND s.id = e.student_id" ACAD_JOIN_YEAR(         \
        "e") " WHERE e.tenant_id = $1 AND e.class_id = $2 AND " ACAD_COVERS("e", "y",                                  \
                                                                            "$3") " AND s.deleted_at IS NULL AND "     \
                                                                                  "((s.last_name, s.first_name, "      \
                                                                                  "s.id) " cmp                         \
                                                                                  " ($4, $5, $6) OR $4 IS NULL)"       \
                                                                                  " ORDER BY s.last_name " dir         \
                                                                                  ", s.first_name " dir ", s.id " dir  \
                                                                                  " LIMIT $7"
static const char *const roster_sorts[] = {"lastName", NULL};
static stmt_t Q_ROSTER[2] = {STMT("classes.roster", STMT_READ, ROSTER_SQL(">", "ASC")),
                             STMT("classes.roster_desc", STMT_READ, ROSTER_SQL("<", "DESC"))};

static json_t *roster_json(req_t *r, const db_result_t *res, int row)
{
    (void)r;
    return json_pack("{s:s,s:s,s:s,s:o,s:s,s:s,s:s,s:o}", "studentId", db_get(res, row, 0), "admissionNo",
                     db_get(res, row, 1), "firstName", db_get(res, row, 2), "middleName",
                     acad_json_str(db_get(res, row, 3)), "lastName", db_get(res, row, 4), "enrollmentId",
                     db_get(res, row, 5), "startDate", db_get(res, row, 6), "endDate",
                     acad_json_str(db_get(res, row, 7)));
}

static const char *roster_key(req_t *r, const db_result_t *res, int row)
{
    return acad_key2(&r->arena, db_get(res, row, 4), db_get(res, row, 2));
}

#define ROSTER_TTL_MS 300000

/* What a roster request asks for, checked (no database needed). */
typedef struct roster_args {
    page_t page;
    int desc;
    const char *day;          /* ?date= or the school's today */
    const char *last, *first; /* the cursor's key */
    const char *key;          /* the cache key */
} roster_args_t;

static int roster_args(req_t *r, const char *id, roster_args_t *a)
{
    if (sort_read(r, roster_sorts, 0, &a->desc) < 0 || page_read(r, &a->page) != 0)
        return -1;
    const char *date = acad_query_date(r, "date", 0);
    if (res_check_fields(r) != 0)
        return -1;
    a->day = date != NULL ? date : school_today(r);
    a->last = a->first = NULL;
    if (a->page.has_cursor && acad_key2_split(r, a->page.key, &a->last, &a->first) != 0)
        return -1;
    const char *cursor = req_query(r, "cursor");
    a->key = arena_printf(&r->arena, "%s:%s:%d:%d:%s", id, a->day, a->desc, a->page.limit, cursor ? cursor : "");
    return 0;
}

/* The roster's read event (one per page, with the number of students on it). */
static int roster_audit(req_t *r, const char *id, const char *day, int count)
{
    return acad_audit(r, "student.list", "class", id, arena_printf(&r->arena, "roster on %s, %d student(s)", day, count));
}

/* The page from the database as r's response; the number of students on it in *count. */
static int load_roster(req_t *r, const char *id, const roster_args_t *a, uint64_t *count)
{
    db_result_t c, res;
    if (load_class(r, id, &c) != 0)
        return -1;
    db_t *db = req_db(r);
    if (db_exec(db, &Q_ROSTER[a->desc],
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT(a->day), DB_TEXT(a->last), DB_TEXT(a->first),
                        page_id_arg(&a->page), DB_INT(a->page.limit + 1)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    *count = (uint64_t)(res.nrows > a->page.limit ? a->page.limit : res.nrows);
    if (roster_audit(r, id, a->day, (int)*count) != 0)
        return db_fail(r, db);
    json_t *doc = page_json(r, &res, a->page.limit, roster_json, 0, roster_key);
    doc = json_with(doc, "classId", json_string(id));
    return res_json(r, 200, json_with(doc, "date", json_string(a->day)));
}

/* A roster is the same page for everyone the policy admits: cached per class, day and page (CACHE_ROSTER). */
int class_students(req_t *r)
{
    roster_args_t a;
    const char *id = readable_class(r);
    if (id == NULL || roster_args(r, id, &a) != 0)
        return -1;
    cached_t c;
    uint64_t count = 0;
    int rc = cached_lookup(r, CACHE_ROSTER, a.key, &c, &count);
    if (rc > 0)
        return roster_audit(r, id, a.day, (int)count) != 0 ? db_fail(r, req_db(r)) : 0;
    rc = load_roster(r, id, &a, &count);
    cached_store(r, &c, count, ROSTER_TTL_MS);
    return rc;
}

/* The event loop's answer: a cached roster for a caller who sees the whole school. */
int class_students_loop(req_t *r)
{
    roster_args_t a;
    const char *id = req_param(r, 0);
    cached_t c;
    uint64_t count = 0;
    if (!policy_sees_school(r) || require_id(r, id) != 0 || roster_args(r, id, &a) != 0 ||
        cached_lookup(r, CACHE_ROSTER, a.key, &c, &count) <= 0)
        return -1;
    return roster_audit(r, id, a.day, (int)count) != 0 ? -1 : 0;
}
