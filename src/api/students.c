/*
 * students.c - /students and /me/students: the school's students.
 *
 * Who sees which student is the rule of auth/policy.h, in SQL for lists. A
 * deleted student (deleted_at set) keeps its row and its history
 * (enrollments, attendance, guardian links) but is gone from lists and reads,
 * except for admins asking with includeDeleted=true. Every read and write of a
 * student's record is audited: student.read, student.create, student.update,
 * student.delete, and one student.list per page of a list.
 */
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/people.h"
#include "api/people_int.h"
#include "api/validate.h"
#include "auth/policy.h"
#include "auth/roles.h"
#include "api/cached.h"
#include "core/clock.h"
#include "domain/people.h"

/* Columns in the order of the fields below, then deleted_at (see people_int.h). */
#define STUDENT_COLS                                                                                                   \
    "s.id, s.admission_no, s.first_name, s.middle_name, s.last_name, s.date_of_birth, s.gender, s.email, s.phone,"    \
    " s.address, s.admitted_on, s.status, s.user_id, s.version, s.created_at, s.updated_at, s.deleted_at,"          \
    " s.photo_file_id"
enum { COL_VERSION = 13, COL_CREATED = 14, COL_DELETED = 16, COL_PHOTO = 17 };
enum { F_ADMISSION, F_FIRST, F_MIDDLE, F_LAST, F_BIRTH, F_GENDER, F_EMAIL, F_PHONE, F_ADDRESS, F_ADMITTED, F_STATUS,
       F_USER, NFIELDS };

static const char *const genders[] = {"female", "male", "other", "unspecified", NULL};
static const char *const statuses[] = {"active", "transferred", "graduated", "withdrawn", NULL};
static const field_t fields[NFIELDS] = {
    {"admissionNo", K_CODE, F_REQUIRED, 32, NULL, NULL},
    {"firstName", K_NAME, F_REQUIRED, 100, NULL, NULL},
    {"middleName", K_NAME, F_CLEARABLE, 100, NULL, NULL},
    {"lastName", K_NAME, F_REQUIRED, 100, NULL, NULL},
    {"dateOfBirth", K_DATE, F_REQUIRED, 0, NULL, NULL},
    {"gender", K_ENUM, 0, 0, genders, "unspecified"},
    {"email", K_EMAIL, F_CLEARABLE, 254, NULL, NULL},
    {"phone", K_PHONE, F_CLEARABLE, 40, NULL, NULL},
    {"address", K_TEXT, F_CLEARABLE, 500, NULL, NULL},
    {"admittedOn", K_DATE, F_CLEARABLE, 0, NULL, NULL},
    {"status", K_ENUM, 0, 0, statuses, "active"},
    {"userId", K_ID, F_CLEARABLE, 0, NULL, NULL},
};
static const conflict_t conflicts[] = {
    {"admission_no", "admissionNo", "admission number %s is already used by another student"},
    {"user", "userId", "account %s is already linked to another student"},
    {NULL, NULL, NULL},
};

static stmt_t Q_GET_LIVE = STMT("students.get_live", STMT_READ,
                                "SELECT " STUDENT_COLS " FROM students s WHERE s.tenant_id = $1 AND s.id = $2"
                                " AND s.deleted_at IS NULL");
static stmt_t Q_INSERT = STMT("students.insert", 0,
                              "INSERT INTO students (tenant_id, id, admission_no, first_name, middle_name, last_name,"
                              " date_of_birth, gender, email, phone, address, admitted_on, status, user_id,"
                              " created_at, updated_at, search_text)"
                              " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15,"
                              " lower($16))");
static stmt_t Q_UPDATE = STMT("students.update", 0,
                              "UPDATE students SET admission_no = $4, first_name = $5, middle_name = $6,"
                              " last_name = $7, date_of_birth = $8, gender = $9, email = $10, phone = $11,"
                              " address = $12, admitted_on = $13, status = $14, user_id = $15,"
                              " version = version + 1, updated_at = $16, search_text = lower($17)"
                              " WHERE tenant_id = $1 AND id = $2 AND version = $3 AND deleted_at IS NULL");
static stmt_t Q_DELETE = STMT("students.delete", 0,
                              "UPDATE students SET deleted_at = $3, updated_at = $3, version = version + 1"
                              " WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL AND version = $4");

/* enrollment e covers day: from its start to its end, or while open to the end of its academic year */
#define CURRENT(e, day)                                                                                                \
    " AND " e ".start_date <= " day " AND COALESCE(" e ".end_date, (SELECT cy.end_date FROM academic_years cy"         \
    " WHERE cy.tenant_id = " e ".tenant_id AND cy.id = " e ".academic_year_id)) >= " day

/*
 * A student's profile in one statement ($3: the school's today): the record,
 * its current class and its guardians as plain columns, one row per guardian
 * (one row with NULL guardian columns when there is none), the primary first,
 * then by name. The response is written from them in one pass (student_detail):
 * building the JSON in SQL cost the database more than the lookups did.
 */
/* the class found by its key after the enrollment is chosen: a join before the LIMIT hashed the school's classes */
#define CLASS_NOW                                                                                                      \
    " LEFT JOIN classes c ON c.tenant_id = $1 AND c.id = (SELECT e.class_id FROM enrollments e"                        \
    " WHERE e.tenant_id = $1 AND e.student_id = $2" CURRENT("e", "$3") " ORDER BY e.start_date DESC, e.id DESC"        \
    " LIMIT 1)"
static stmt_t Q_PROFILE = STMT(
    "students.profile", STMT_READ,
    "SELECT " STUDENT_COLS ", c.id, c.name, c.grade_level, g.id, l.relationship, l.is_primary, l.can_pick_up,"
    " g.first_name, g.last_name FROM students s" CLASS_NOW
    " LEFT JOIN (student_guardians l JOIN guardians g ON g.tenant_id = l.tenant_id AND g.id = l.guardian_id)"
    " ON l.tenant_id = $1 AND l.student_id = $2"
    " WHERE s.tenant_id = $1 AND s.id = $2 ORDER BY l.is_primary DESC, g.last_name, g.first_name, g.id");
enum { COL_CLASS = 18, COL_GUARDIAN = 21 };
static stmt_t Q_CLASS_EXISTS = STMT("students.class_exists", STMT_READ,
                                    "SELECT 1 FROM classes WHERE tenant_id = $1 AND id = $2");

static void check(req_t *r, const char **vals);
static const char *search_text(req_t *r, const char **vals);
static int respond(req_t *r, const char *id, int status);

static const person_type_t STUDENT = {
    .noun = "student",
    .path = "/api/v1/students",
    .fields = fields,
    .nfields = NFIELDS,
    .user_field = F_USER,
    .user_role = ROLE_STUDENT,
    .user_role_name = "student",
    .conflicts = conflicts,
    .get = &Q_GET_LIVE,
    .insert = &Q_INSERT,
    .update = &Q_UPDATE,
    .check = check,
    .extra = search_text,
    .respond = respond,
};
const person_type_t *const people_student = &STUDENT;

/*
 * Lists. Parameters: $1 tenant, $2 status, $3 text (a LIKE pattern over the
 * search text), $4 class, $5 grade level (both: enrolled today), $6 today,
 * $7 include deleted (0/1), then the keyset (one or two keys and the id), the
 * limit, and for callers who do not see the whole school their scope
 * (student, guardian, teacher record): the list then starts from the ids they
 * may see (POLICY_STUDENT_IDS). SQLite materializes an IN subquery once,
 * even when its parameter is NULL: the grade's runs from the school's
 * classes (CROSS JOIN keeps that order), so a NULL grade costs a scan of the
 * classes, not of every enrollment.
 *
 * A search (?q=) of the whole school has statements of its own that order by
 * expressions of the columns (same order): walking a name index and fetching
 * every row to test the text is what made a search that matches little slow
 * on SQLite (18 ms for 10,000 students); scanning the school's rows and
 * sorting the matches takes 2 ms.
 */
#define STUDENT_WHERE                                                                                                  \
    " s.tenant_id = $1 AND (s.status = $2 OR $2 IS NULL) AND (s.search_text LIKE lower($3) ESCAPE '\\' OR $3 IS NULL)" \
    " AND (s.id IN (SELECT e.student_id FROM enrollments e WHERE e.tenant_id = $1 AND e.class_id = $4"                \
    CURRENT("e", "$6") ") OR $4 IS NULL) AND (s.id IN (SELECT e.student_id FROM classes c CROSS JOIN enrollments e"    \
    " WHERE c.tenant_id = $1 AND c.grade_level = $5 AND e.tenant_id = $1 AND e.class_id = c.id"                      \
    CURRENT("e", "$6") ") OR $5 IS NULL) AND (s.deleted_at IS NULL OR $7 = 1)"
#define FROM_ALL "students s WHERE"
#define FROM_SCOPE1 "(" POLICY_STUDENT_IDS("$1", "$11", "$12", "$13") ") v CROSS JOIN students s WHERE s.id = v.id AND"
#define FROM_SCOPE2 "(" POLICY_STUDENT_IDS("$1", "$12", "$13", "$14") ") v CROSS JOIN students s WHERE s.id = v.id AND"
#define KEY1(col, ord, cmp, dir) PERSON_KEY1("s", col, ord, cmp, dir, "$8", "$9", "$10")
#define KEY2(c1, ord, c2, cmp, dir) PERSON_KEY2("s", c1, ord, c2, cmp, dir, "$8", "$9", "$10", "$11")
#define LIST(name, from, keyset) STMT(name, STMT_READ, "SELECT " STUDENT_COLS " FROM " from STUDENT_WHERE keyset)
#define ORDER1(name, from, col, ord)                                                                                   \
    {LIST(name, from, KEY1(col, ord, ">", "ASC")), LIST(name "_desc", from, KEY1(col, ord, "<", "DESC"))}
#define ORDER2(name, from, c1, ord, c2)                                                                                \
    {LIST(name, from, KEY2(c1, ord, c2, ">", "ASC")), LIST(name "_desc", from, KEY2(c1, ord, c2, "<", "DESC"))}
/* The orders of a list of the whole school; TEXT and NUM turn a key column into its order expression. */
#define ORDERS(prefix, text, num)                                                                                      \
    {                                                                                                                  \
        ORDER2(prefix "_name", FROM_ALL, "s.last_name", "s.last_name" text, "s.first_name"),                           \
        ORDER2(prefix "_first_name", FROM_ALL, "s.first_name", "s.first_name" text, "s.last_name"),                    \
        ORDER1(prefix "_admission", FROM_ALL, "s.admission_no", "s.admission_no" text),                                \
        ORDER1(prefix "_birth", FROM_ALL, "s.date_of_birth", "s.date_of_birth" text),                                  \
        ORDER1(prefix "_created", FROM_ALL, "s.created_at", "s.created_at" num),                                       \
    }

static const char *const sorts[] = {"lastName", "firstName", "admissionNo", "dateOfBirth", "createdAt", NULL};
static const list_order_t orders[] = {
    {2, 0, {F_LAST + 1, F_FIRST + 1}}, {2, 0, {F_FIRST + 1, F_LAST + 1}}, {1, 0, {F_ADMISSION + 1, 0}},
    {1, 0, {F_BIRTH + 1, 0}},          {1, 1, {COL_CREATED, 0}},
};
enum { LIST_SCHOOL, LIST_SEARCH, LIST_SCOPED };
static stmt_t Q_LIST[3][5][2] = {
    ORDERS("students.list", "", ""),
    ORDERS("students.search", " || ''", " + 0"),
    {
        ORDER2("students.scoped_name", FROM_SCOPE2, "s.last_name", "s.last_name", "s.first_name"),
        ORDER2("students.scoped_first_name", FROM_SCOPE2, "s.first_name", "s.first_name", "s.last_name"),
        ORDER1("students.scoped_admission", FROM_SCOPE1, "s.admission_no", "s.admission_no"),
        ORDER1("students.scoped_birth", FROM_SCOPE1, "s.date_of_birth", "s.date_of_birth"),
        ORDER1("students.scoped_created", FROM_SCOPE1, "s.created_at", "s.created_at"),
    },
};

static void check(req_t *r, const char **vals)
{
    if (vals[F_BIRTH] != NULL) {
        people_date_t why = people_check_birth(vals[F_BIRTH], school_today(r));
        if (why == PEOPLE_DATE_NOT_PAST)
            res_field_error(r, "dateOfBirth", "must be a date in the past");
        else if (why == PEOPLE_DATE_TOO_EARLY)
            res_field_error(r, "dateOfBirth", "must not be before 1900-01-01");
    }
    if (people_check_admission(vals[F_ADMITTED], vals[F_BIRTH]) == PEOPLE_DATE_BEFORE_BIRTH)
        res_field_error(r, "admittedOn", "must not be before the date of birth");
}

static const char *search_text(req_t *r, const char **vals)
{
    size_t len = 4 * 400 + 64;
    char *out = arena_alloc(&r->arena, len);
    people_search_text(out, len, vals[F_FIRST], vals[F_MIDDLE], vals[F_LAST], vals[F_ADMISSION]);
    return out;
}

/* A student row as JSON (without the embedded class and guardians). */
static json_t *student_json(req_t *r, const db_result_t *res, int row)
{
    json_t *o = person_json(r, &STUDENT, res, row);
    if (o != NULL && json_object_set_new(o, "deletedAt", json_time_or_null(&r->arena, db_get(res, row, COL_DELETED))) != 0) {
        json_decref(o);
        return NULL;
    }
    const char *photo = db_get(res, row, COL_PHOTO);
    return json_with(o, "photoFileId", photo != NULL ? json_string(photo) : json_null());
}

/* a column of a Q_PROFILE row as a JSON string */
static void put_str(sbuf_t *b, const db_result_t *res, int row, int col)
{
    const char *v = db_get(res, row, col);
    sbuf_json_str(b, v, strlen(v));
}

/*
 * The student of Q_PROFILE's rows as r's response (status), written in one
 * pass: the members of student_json, then the current class and the guardians
 * from their columns. 0, or -1 (set).
 */
static int student_detail(req_t *r, const db_result_t *res, int status)
{
    sbuf_t b;
    sbuf_init(&b, &r->arena, 1024);
    person_render_open(&b, r, &STUDENT, res, 0);
    const char *deleted = db_get(res, 0, COL_DELETED), *photo = db_get(res, 0, COL_PHOTO);
    sbuf_puts(&b, ",\"deletedAt\":");
    if (deleted == NULL) {
        sbuf_puts(&b, "null");
    } else {
        const char *at = iso_time(&r->arena, strtoll(deleted, NULL, 10));
        sbuf_json_str(&b, at, strlen(at));
    }
    sbuf_puts(&b, ",\"photoFileId\":");
    if (photo == NULL)
        sbuf_puts(&b, "null");
    else
        sbuf_json_str(&b, photo, strlen(photo));
    if (db_is_null(res, 0, COL_CLASS)) {
        sbuf_puts(&b, ",\"currentClass\":null");
    } else {
        sbuf_puts(&b, ",\"currentClass\":{\"id\":");
        put_str(&b, res, 0, COL_CLASS);
        sbuf_puts(&b, ",\"name\":");
        put_str(&b, res, 0, COL_CLASS + 1);
        sbuf_printf(&b, ",\"gradeLevel\":%lld}", db_get_int(res, 0, COL_CLASS + 2));
    }
    sbuf_puts(&b, ",\"guardians\":[");
    for (int i = 0; i < res->nrows && !db_is_null(res, i, COL_GUARDIAN); i++) {
        sbuf_puts(&b, i > 0 ? ",{\"guardianId\":" : "{\"guardianId\":");
        put_str(&b, res, i, COL_GUARDIAN);
        sbuf_puts(&b, ",\"relationship\":");
        put_str(&b, res, i, COL_GUARDIAN + 1);
        sbuf_puts(&b, db_get_bool(res, i, COL_GUARDIAN + 2) ? ",\"isPrimary\":true" : ",\"isPrimary\":false");
        sbuf_puts(&b, db_get_bool(res, i, COL_GUARDIAN + 3) ? ",\"canPickUp\":true" : ",\"canPickUp\":false");
        sbuf_puts(&b, ",\"guardian\":{\"id\":");
        put_str(&b, res, i, COL_GUARDIAN);
        sbuf_puts(&b, ",\"firstName\":");
        put_str(&b, res, i, COL_GUARDIAN + 4);
        sbuf_puts(&b, ",\"lastName\":");
        put_str(&b, res, i, COL_GUARDIAN + 5);
        sbuf_puts(&b, "}}");
    }
    sbuf_puts(&b, "]}");
    return res_body(r, status, "application/json", b.p, b.len);
}

/* The profile row of a student (deleted or not) into *res; 0, or -1 after a database error. */
static int load_profile(req_t *r, const char *id, db_result_t *res)
{
    db_t *db = req_db(r);
    if (db_exec(db, &Q_PROFILE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT(school_today(r))),
                &r->arena, res) != 0)
        return db_fail(r, db);
    return 0;
}

static int respond(req_t *r, const char *id, int status)
{
    db_result_t res;
    if (load_profile(r, id, &res) != 0)
        return -1;
    if (res.nrows == 0 || !db_is_null(&res, 0, COL_DELETED))
        return policy_hidden(r, "student");
    set_etag(r, db_get_int(&res, 0, COL_VERSION));
    return student_detail(r, &res, status);
}

/* ?includeDeleted=true|false into *out (admins only); 0, or -1 with 422 or 403. */
static int include_deleted(req_t *r, int *out)
{
    const char *v = req_query(r, "includeDeleted");
    *out = 0;
    if (v == NULL || strcmp(v, "false") == 0)
        return 0;
    if (strcmp(v, "true") != 0) {
        res_field_error(r, "includeDeleted", "must be true or false");
        return res_check_fields(r);
    }
    if (!(r->auth.roles & ROLE_ADMIN))
        return res_fail(r, ERR_FORBIDDEN, "Only admins may see deleted students.");
    *out = 1;
    return 0;
}

int students_create(req_t *r)
{
    return person_create(r, &STUDENT);
}

int students_update(req_t *r)
{
    return person_update(r, &STUDENT);
}

#define PROFILE_TTL_MS 300000

/* A profile the cache answered: its audit event and its ETag (the version, stored with it). 0, or -1. */
static int served_from_cache(req_t *r, const char *id, uint64_t version)
{
    if (person_audit(r, "student.read", NULL, id, NULL) != 0)
        return -1;
    set_etag(r, (long long)version);
    return 0;
}

/* The profile from the database as r's response; its version in *version. */
static int load_detail(req_t *r, const char *id, int deleted, uint64_t *version)
{
    db_result_t res;
    if (load_profile(r, id, &res) != 0)
        return -1;
    if (res.nrows == 0 || (!deleted && !db_is_null(&res, 0, COL_DELETED)))
        return policy_hidden(r, "student");
    if (person_audit(r, "student.read", NULL, id, NULL) != 0)
        return -1;
    *version = (uint64_t)db_get_int(&res, 0, COL_VERSION);
    set_etag(r, (long long)*version);
    return student_detail(r, &res, 200);
}

/* The profile's cache key: the student, the school day (its current class) and whether a deleted record was asked for. */
static const char *profile_key(req_t *r, const char *id, int deleted)
{
    return arena_printf(&r->arena, "%s:%s:%d", id, school_today(r), deleted);
}

/*
 * The policy decides first; the profile is the same document for everyone it
 * admits, so it is cached (CACHE_STUDENT) and every read, cached or not, is
 * audited.
 */
int students_get(req_t *r)
{
    const char *id = req_param(r, 0);
    int deleted;
    if (require_id(r, id) != 0 || include_deleted(r, &deleted) != 0)
        return -1;
    int rc = policy_can_read_student(r, id);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        person_audit(r, "student.read", "denied", id, NULL); /* an attempt worth seeing; the answer stays 404 */
        return policy_hidden(r, "student");
    }
    cached_t c;
    uint64_t version = 0;
    if (cached_lookup(r, CACHE_STUDENT, profile_key(r, id, deleted), &c, &version) > 0)
        return served_from_cache(r, id, version);
    rc = load_detail(r, id, deleted, &version);
    cached_store(r, &c, version, PROFILE_TTL_MS);
    return rc;
}

/* The event loop's answer: a profile in L1 for a caller who sees the whole school (no policy lookup to run). */
int students_get_loop(req_t *r)
{
    const char *id = req_param(r, 0);
    int deleted;
    if (!policy_sees_school(r) || require_id(r, id) != 0 || include_deleted(r, &deleted) != 0)
        return -1;
    cached_t c;
    uint64_t version = 0;
    if (cached_lookup(r, CACHE_STUDENT, profile_key(r, id, deleted), &c, &version) <= 0)
        return -1;
    return served_from_cache(r, id, version);
}

int students_delete(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    db_result_t cur;
    if (person_load(r, &STUDENT, id, &cur) != 0)
        return -1; /* missing or already deleted: 404 */
    long long version = db_get_int(&cur, 0, COL_VERSION);
    if (if_match(r, version, "student") != 0)
        return -1;
    long long now = (long long)clock_wall_ms();
    int rc = person_write(r, NULL, &Q_DELETE,
                          DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_INT(now), DB_INT(version)),
                          "student.delete", id, NULL);
    if (rc < 0)
        return -1;
    if (rc > 0)
        return stale_write(r, "student");
    return res_empty(r, 204);
}

static const person_list_t LIST = {sorts, orders, student_json};

/* Lists students: the whole school's (filters, any order) or, for /me/students, the caller's own. */
static int list(req_t *r, int mine)
{
    const char *status = NULL, *q = NULL, *class_id = NULL;
    long long grade = -1;
    int deleted = 0;
    if (!mine) {
        status = req_query(r, "status");
        int known = status == NULL;
        for (int i = 0; statuses[i] != NULL && !known; i++)
            known = strcmp(status, statuses[i]) == 0;
        if (!known)
            res_field_error(r, "status", "must be one of: active, transferred, graduated, withdrawn");
        q = person_query_text(r);
        class_id = query_id(r, "classId", 0);
        const char *g = req_query(r, "gradeLevel");
        if (g != NULL && query_int(r, "gradeLevel", g, 0, 13, &grade) != 0)
            return -1;
        if (res_check_fields(r) != 0 || include_deleted(r, &deleted) != 0)
            return -1;
    }
    db_t *db = req_db(r);
    db_result_t res;
    if (class_id != NULL) {
        if (db_exec(db, &Q_CLASS_EXISTS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(class_id)), &r->arena, &res) !=
            0)
            return db_fail(r, db);
        if (res.nrows == 0)
            return res_fail(r, ERR_NOT_FOUND, "No such class (classId).");
    }
    policy_scope_t scope;
    if (policy_student_scope(r, &scope) != 0)
        return -1;
    if (mine) /* /me/students: their own record or their children, whatever else the caller may see */
        scope = (policy_scope_t){0, scope.student, scope.guardian, NULL};
    db_arg_t args[16] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(status), DB_TEXT(q), DB_TEXT(class_id),
                         grade >= 0 ? DB_INT(grade) : DB_NULL, DB_TEXT(school_today(r)), DB_INT(deleted)};
    db_arg_t tail[3] = {DB_TEXT(scope.student), DB_TEXT(scope.guardian), DB_TEXT(scope.teacher)};
    json_t *doc;
    int count;
    int which = !scope.all ? LIST_SCOPED : q != NULL ? LIST_SEARCH : LIST_SCHOOL;
    if (person_list(r, &LIST, Q_LIST[which], args, 7, tail, scope.all ? 0 : 3, &doc, &count) != 0)
        return -1;
    if (person_audit(r, "student.list", NULL, NULL, arena_printf(&r->arena, "items=%d", count)) != 0) {
        json_decref(doc);
        return -1;
    }
    return res_json(r, 200, doc);
}

int students_list(req_t *r)
{
    return list(r, 0);
}

int me_students(req_t *r)
{
    return list(r, 1);
}
