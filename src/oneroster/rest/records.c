/*
 * records.c - a school's OneRoster records as the REST binding's JSON
 * (records.h): one query per kind whose first three columns are sourcedId,
 * status and dateLastModified (Unix ms), then the kind's own columns, each
 * turned into its JSON shape by a column table.
 */
#include "oneroster/rest/records.h"

#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/common.h"
#include "core/ids.h"
#include "oneroster/oneroster_int.h"
#include "oneroster/rest/rest.h"

/*
 * Every sourcedId the statements answer is "<local kind>:<our id>"; the records are built with the
 * sourcedIds of oneroster_ids (one read per request, usually empty) put in place of those that came from
 * OneRoster (sid_of()): no subquery per row and reference.
 */
#undef SID
#define SID(K, ID) "('" K ":' || CAST(" ID " AS text))"
#define ORG_SID(A) SID("tenant", A ".tenant_id")
#define LIVE(COL) "CASE WHEN " COL " IS NULL THEN 'active' ELSE 'tobedeleted' END"

static stmt_t Q_ORGS = STMT("oneroster.rest_orgs", STMT_READ,
                            "SELECT " SID("tenant", "t.id") ", 'active', t.updated_at, t.name, 'school', t.slug"
                            " FROM tenants t WHERE t.id = $1");
static stmt_t Q_SESSIONS =
    STMT("oneroster.rest_sessions", STMT_READ,
         "SELECT " SID("year", "y.id") ", 'active', y.updated_at, y.name, 'schoolYear', y.start_date, y.end_date,"
         " NULL, substr(CAST(y.end_date AS text), 1, 4) FROM academic_years y WHERE y.tenant_id = $1"
         " UNION ALL SELECT " SID("term", "s.id") ", 'active', s.updated_at, s.name, 'term', s.start_date,"
         " s.end_date, " SID("year", "y.id") ", substr(CAST(y.end_date AS text), 1, 4) FROM terms s"
         " JOIN academic_years y ON y.tenant_id = s.tenant_id AND y.id = s.academic_year_id WHERE s.tenant_id = $1");
static stmt_t Q_COURSES = STMT("oneroster.rest_courses", STMT_READ,
                               "SELECT " SID("subject", "s.id") ", 'active', s.updated_at, s.name, s.code, " ORG_SID("s")
                               " FROM subjects s WHERE s.tenant_id = $1");
static stmt_t Q_CLASSES = STMT(
    "oneroster.rest_classes", STMT_READ,
    "SELECT " SID("class", "c.id") ", 'active', c.updated_at, c.name, c.section, 'homeroom', c.room, c.grade_level,"
    " NULL, " ORG_SID("c") ", " SID("year", "c.academic_year_id") ", NULL FROM classes c WHERE c.tenant_id = $1"
    " UNION ALL SELECT " SID("section", "cs.id") ", 'active', cs.updated_at, c.name || ' ' || s.name, c.section,"
    " 'scheduled', c.room, c.grade_level, " SID("subject", "cs.subject_id") ", " ORG_SID("cs") ", " SID(
        "year", "c.academic_year_id") ", s.name FROM class_subjects cs"
                                      " JOIN classes c ON c.tenant_id = cs.tenant_id AND c.id = cs.class_id"
                                      " JOIN subjects s ON s.tenant_id = cs.tenant_id AND s.id = cs.subject_id"
                                      " WHERE cs.tenant_id = $1");
#define AGENTS(AGG)                                                                                                    \
    "(SELECT " AGG "(" SID("guardian", "g.guardian_id") ", ',') FROM student_guardians g"                              \
                                                        " WHERE g.tenant_id = s.tenant_id AND g.student_id = s.id)"
#define USER_STUDENTS(AGG)                                                                                             \
    "SELECT " SID("student", "s.id") ", " LIVE("s.deleted_at") ", s.updated_at,"                                       \
    " CASE WHEN s.deleted_at IS NULL THEN 'true' ELSE 'false' END, " ORG_SID("s") ", 'student',"                       \
    " COALESCE(s.email, s.admission_no), s.first_name, s.last_name, s.middle_name, s.admission_no, s.email, s.phone, " \
    AGENTS(AGG) " FROM students s WHERE s.tenant_id = $1"
#define USER_TEACHERS                                                                                                  \
    "SELECT " SID("teacher", "s.id") ", CASE WHEN s.status = 'active' THEN 'active' ELSE 'tobedeleted' END,"           \
    " s.updated_at, CASE WHEN s.status = 'active' THEN 'true' ELSE 'false' END, " ORG_SID("s") ", 'teacher',"          \
    " COALESCE(s.email, s.employee_no), s.first_name, s.last_name, NULL, s.employee_no, s.email, s.phone, NULL"        \
    " FROM teachers s WHERE s.tenant_id = $1"
#define USER_GUARDIANS                                                                                                 \
    "SELECT " SID("guardian", "s.id") ", 'active', s.updated_at, 'true', " ORG_SID("s") ", 'guardian',"                \
    " COALESCE(s.email, CAST(s.id AS text)), s.first_name, s.last_name, NULL, NULL, s.email, s.phone, NULL"          \
    " FROM guardians s WHERE s.tenant_id = $1"
#define USERS(AGG) USER_STUDENTS(AGG) " UNION ALL " USER_TEACHERS " UNION ALL " USER_GUARDIANS
static stmt_t Q_USERS = STMT2("oneroster.rest_users", STMT_READ, USERS("group_concat"), USERS("string_agg"));
#define STUDENT_OF_E " JOIN students s ON s.tenant_id = e.tenant_id AND s.id = e.student_id"
static stmt_t Q_ENROLLMENTS = STMT(
    "oneroster.rest_enrollments", STMT_READ,
    "SELECT " SID("enrollment", "e.id") ", " LIVE("s.deleted_at") ", e.updated_at, " SID(
        "class", "e.class_id") ", " ORG_SID("e") ", " SID("student", "e.student_id") ", 'student', NULL, e.start_date,"
                                                                                " e.end_date FROM enrollments e" STUDENT_OF_E
    " WHERE e.tenant_id = $1"
    " UNION ALL SELECT " SID("class_teacher", "c.id") ", 'active',"
    " c.updated_at, " SID("class", "c.id") ", " ORG_SID("c") ", " SID("teacher", "c.class_teacher_id") ", 'teacher',"
                                                                                                  " 'true', NULL, NULL"
    " FROM classes c WHERE c.tenant_id = $1 AND c.class_teacher_id IS NOT NULL"
    " UNION ALL SELECT " SID("class_subject", "cs.id") ", 'active', cs.updated_at, " SID("section", "cs.id") ", " ORG_SID("cs")
    ", " SID("teacher", "cs.teacher_id") ", 'teacher', 'true', NULL, NULL FROM class_subjects cs WHERE cs.tenant_id = $1"
    " UNION ALL SELECT CAST(e.id AS text) || '-' || CAST(cs.id AS text), " LIVE("s.deleted_at") ", e.updated_at, " SID(
        "section", "cs.id") ", " ORG_SID("e") ", " SID("student", "e.student_id") ", 'student', NULL, e.start_date,"
                                                                             " e.end_date FROM enrollments e" STUDENT_OF_E
    " JOIN class_subjects cs ON cs.tenant_id = e.tenant_id AND cs.class_id = e.class_id WHERE e.tenant_id = $1");
static stmt_t Q_DEMOGRAPHICS =
    STMT("oneroster.rest_demographics", STMT_READ,
         "SELECT " SID("student", "s.id") ", " LIVE("s.deleted_at") ", s.updated_at, s.date_of_birth,"
         " CASE WHEN s.gender IN ('male', 'female') THEN s.gender END FROM students s WHERE s.tenant_id = $1");

static stmt_t Q_CATEGORIES =
    STMT("oneroster.rest_categories", STMT_READ,
         "SELECT c.category, 'active', MAX(c.at), c.category FROM (SELECT category, updated_at AS at FROM assessments"
         " WHERE tenant_id = $1 UNION ALL SELECT category, updated_at FROM grade_category_weights WHERE tenant_id = $1)"
         " c GROUP BY c.category");
static stmt_t Q_LINEITEMS = STMT(
    "oneroster.rest_lineitems", STMT_READ,
    "SELECT " SID("assessment", "a.id") ", 'active', a.updated_at, a.name, CAST(a.date AS text) || 'T00:00:00.000Z',"
    " CAST(a.date AS text) || 'T00:00:00.000Z', " SID("section", "cs.id") ", a.category, " SID(
        "term", "a.term_id") ", 0, a.max_marks FROM assessments a JOIN class_subjects cs ON cs.tenant_id = a.tenant_id"
                             " AND cs.class_id = a.class_id AND cs.subject_id = a.subject_id WHERE a.tenant_id = $1");
static stmt_t Q_RESULTS = STMT(
    "oneroster.rest_results", STMT_READ,
    "SELECT COALESCE(r.sourced_id, CAST(m.assessment_id AS text) || '-' || CAST(m.student_id AS text)), " LIVE(
        "s.deleted_at") ", m.marked_at, " SID("assessment", "m.assessment_id") ", " SID("student", "m.student_id")
    ", CASE m.status WHEN 'mark' THEN 'fully graded' WHEN 'exempt' THEN 'exempt' ELSE 'not submitted' END,"
    " COALESCE(m.mark, 0), CAST(a.date AS text), m.comment FROM assessment_marks m"
    " JOIN assessments a ON a.tenant_id = m.tenant_id AND a.id = m.assessment_id"
    " JOIN class_subjects cs ON cs.tenant_id = a.tenant_id AND cs.class_id = a.class_id AND cs.subject_id = a.subject_id"
    " JOIN students s ON s.tenant_id = m.tenant_id AND s.id = m.student_id"
    " LEFT JOIN oneroster_results r ON r.tenant_id = m.tenant_id AND r.assessment_id = m.assessment_id"
    " AND r.student_id = m.student_id WHERE m.tenant_id = $1");

static stmt_t Q_IDS = STMT("oneroster.rest_ids", STMT_READ,
                           "SELECT local_kind || ':' || CAST(local_id AS text), MIN(sourced_id) FROM oneroster_ids"
                           " WHERE tenant_id = $1 GROUP BY local_kind, local_id");

/* The kinds of "<kind>:<id>" the statements answer. */
static const char *const local_kinds[] = {"tenant",  "year",    "term",     "subject",    "class",
                                          "section", "student", "teacher",  "guardian",   "enrollment",
                                          "assessment", "class_subject", "class_teacher", NULL};

/*
 * The sourcedId of a statement's "<kind>:<our id>": the one OneRoster gave (ids), else our id ("<id>-teacher"
 * for a class teacher's enrollment); anything else is a sourcedId as it is.
 */
static const char *sid_of(arena_t *a, json_t *ids, const char *v)
{
    const char *colon = strchr(v, ':');
    if (colon == NULL || strlen(colon + 1) != UUID_STR_LEN)
        return v;
    size_t n = (size_t)(colon - v);
    for (const char *const *k = local_kinds; *k != NULL; k++)
        if (strlen(*k) == n && strncmp(*k, v, n) == 0) {
            const char *mapped = json_string_value(json_object_get(ids, v));
            if (mapped != NULL)
                return mapped;
            return strcmp(*k, "class_teacher") == 0 ? arena_printf(a, "%s-teacher", colon + 1) : colon + 1;
        }
    return v;
}

/* How a column becomes JSON: text, a GUIDRef, a comma-separated list of GUIDRefs, a grade list, a text list. */
typedef enum { COL_TEXT, COL_REF, COL_REFS, COL_GRADES, COL_LIST, COL_HUNDREDTHS } col_shape_t;

typedef struct rcol {
    const char *field;
    col_shape_t shape;
    const char *type; /* COL_REF(S): the GUIDRef type */
    const char *path; /* COL_REF(S): the collection the href points into */
} rcol_t;

#define TEXT(f) {f, COL_TEXT, NULL, NULL}
#define ORGREF(f, s) {f, s, "org", "orgs"}
#define END {NULL, COL_TEXT, NULL, NULL}

static const rcol_t org_cols[] = {TEXT("name"), TEXT("type"), TEXT("identifier"), END};
static const rcol_t session_cols[] = {
    TEXT("title"), TEXT("type"), TEXT("startDate"), TEXT("endDate"),
    {"parent", COL_REF, "academicSession", "academicSessions"}, TEXT("schoolYear"), END};
static const rcol_t course_cols[] = {TEXT("title"), TEXT("courseCode"), ORGREF("org", COL_REF), END};
static const rcol_t class_cols[] = {TEXT("title"),
                                      TEXT("classCode"),
                                      TEXT("classType"),
                                      TEXT("location"),
                                      {"grades", COL_GRADES, NULL, NULL},
                                      {"course", COL_REF, "course", "courses"},
                                      ORGREF("school", COL_REF),
                                      {"terms", COL_REFS, "academicSession", "academicSessions"},
                                      {"subjects", COL_LIST, NULL, NULL},
                                      END};
static const rcol_t user_cols[] = {TEXT("enabledUser"), ORGREF("orgs", COL_REFS), TEXT("role"),  TEXT("username"),
                                     TEXT("givenName"),   TEXT("familyName"),        TEXT("middleName"),
                                     TEXT("identifier"),  TEXT("email"),             TEXT("phone"),
                                     {"agents", COL_REFS, "user", "users"},          END};
static const rcol_t enrollment_cols[] = {{"class", COL_REF, "class", "classes"},
                                           ORGREF("school", COL_REF),
                                           {"user", COL_REF, "user", "users"},
                                           TEXT("role"),
                                           TEXT("primary"),
                                           TEXT("beginDate"),
                                           TEXT("endDate"),
                                           END};
static const rcol_t category_cols[] = {TEXT("title"), END};
static const rcol_t lineitem_cols[] = {TEXT("title"),
                                       TEXT("assignDate"),
                                       TEXT("dueDate"),
                                       {"class", COL_REF, "class", "classes"},
                                       {"category", COL_REF, "category", "categories"},
                                       {"gradingPeriod", COL_REF, "academicSession", "academicSessions"},
                                       {"resultValueMin", COL_HUNDREDTHS, NULL, NULL},
                                       {"resultValueMax", COL_HUNDREDTHS, NULL, NULL},
                                       END};
static const rcol_t result_cols[] = {{"lineItem", COL_REF, "lineItem", "lineItems"},
                                     {"student", COL_REF, "user", "users"},
                                     TEXT("scoreStatus"),
                                     {"score", COL_HUNDREDTHS, NULL, NULL},
                                     TEXT("scoreDate"),
                                     TEXT("comment"),
                                     END};
static const rcol_t demographics_cols[] = {TEXT("birthDate"), TEXT("sex"), END};

static const struct {
    stmt_t *st;
    const rcol_t *cols;
    const char *const fields[20];
} kinds[ORK_COUNT] = {
    [ORK_ORGS] = {&Q_ORGS, org_cols, {"sourcedId", "status", "dateLastModified", "metadata", "name", "type",
                                      "identifier", "parent", "children", NULL}},
    [ORK_SESSIONS] = {&Q_SESSIONS, session_cols, {"sourcedId", "status", "dateLastModified", "metadata", "title",
                                                  "type", "startDate", "endDate", "parent", "children", "schoolYear",
                                                  NULL}},
    [ORK_COURSES] = {&Q_COURSES, course_cols, {"sourcedId", "status", "dateLastModified", "metadata", "title",
                                               "schoolYear", "courseCode", "grades", "subjects", "org",
                                               "subjectCodes", NULL}},
    [ORK_CLASSES] = {&Q_CLASSES, class_cols, {"sourcedId", "status", "dateLastModified", "metadata", "title",
                                              "classCode", "classType", "location", "grades", "subjects", "course",
                                              "school", "terms", "subjectCodes", "periods", NULL}},
    [ORK_USERS] = {&Q_USERS, user_cols, {"sourcedId", "status", "dateLastModified", "metadata", "username",
                                         "userIds", "enabledUser", "givenName", "familyName", "middleName", "role",
                                         "identifier", "email", "sms", "phone", "agents", "orgs", "grades", NULL}},
    [ORK_ENROLLMENTS] = {&Q_ENROLLMENTS, enrollment_cols, {"sourcedId", "status", "dateLastModified", "metadata",
                                                           "user", "class", "school", "role", "primary",
                                                           "beginDate", "endDate", NULL}},
    [ORK_DEMOGRAPHICS] = {&Q_DEMOGRAPHICS, demographics_cols, {"sourcedId", "status", "dateLastModified",
                                                               "metadata", "birthDate", "sex", NULL}},
    [ORK_CATEGORIES] = {&Q_CATEGORIES, category_cols, {"sourcedId", "status", "dateLastModified", "metadata", "title",
                                                       NULL}},
    [ORK_LINEITEMS] = {&Q_LINEITEMS, lineitem_cols, {"sourcedId", "status", "dateLastModified", "metadata", "title",
                                                     "description", "assignDate", "dueDate", "class", "category",
                                                     "gradingPeriod", "resultValueMin", "resultValueMax", NULL}},
    [ORK_RESULTS] = {&Q_RESULTS, result_cols, {"sourcedId", "status", "dateLastModified", "metadata", "lineItem",
                                               "student", "scoreStatus", "score", "scoreDate", "comment", NULL}},
};

const char *const *or_kind_fields(or_kind_t k)
{
    return kinds[k].fields;
}

static json_t *guid_ref(arena_t *a, json_t *ids, const rcol_t *c, const char *sid)
{
    sid = sid_of(a, ids, sid);
    return json_pack("{s:s,s:s,s:s}", "href", arena_printf(a, OR_BASE "/%s/%s", c->path, sid), "sourcedId", sid,
                     "type", c->type);
}

static json_t *guid_refs(arena_t *a, json_t *ids, const rcol_t *c, const char *list)
{
    json_t *arr = json_array();
    for (const char *p = list; arr != NULL && *p != '\0';) {
        size_t n = strcspn(p, ",");
        if (json_array_append_new(arr, guid_ref(a, ids, c, arena_printf(a, "%.*s", (int)n, p))) != 0) {
            json_decref(arr);
            return NULL;
        }
        p += n + (p[n] == ',');
    }
    return arr;
}

static json_t *cell_json(arena_t *a, json_t *ids, const rcol_t *c, const db_result_t *res, int row, int col)
{
    const char *v = db_get(res, row, col);
    switch (c->shape) {
    case COL_TEXT: return json_string(v);
    case COL_REF: return guid_ref(a, ids, c, v);
    case COL_REFS: return guid_refs(a, ids, c, v);
    case COL_GRADES: return json_pack("[s]", or_grade_code((int)db_get_int(res, row, col)));
    case COL_LIST: return json_pack("[s]", v);
    case COL_HUNDREDTHS: {
        long long h = db_get_int(res, row, col);
        return h % 100 == 0 ? json_integer(h / 100) : json_real((double)h / 100.0);
    }
    }
    return NULL;
}

/* One record; NULL when out of memory or the text is not UTF-8. Null cells are left out. */
static json_t *record_json(arena_t *a, json_t *ids, const rcol_t *cols, const db_result_t *res, int row)
{
    json_t *o = json_pack("{s:s,s:s,s:s}", "sourcedId", sid_of(a, ids, db_get(res, row, 0)), "status", db_get(res, row, 1),
                          "dateLastModified", iso_time(a, db_get_int(res, row, 2)));
    for (int i = 0; o != NULL && cols[i].field != NULL; i++) {
        if (db_is_null(res, row, 3 + i))
            continue;
        json_t *v = cell_json(a, ids, &cols[i], res, row, 3 + i);
        if (v == NULL || json_object_set_new(o, cols[i].field, v) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    return o;
}

/* The school's sourcedIds from OneRoster, {"<kind>:<our id>": sourcedId}; NULL after a database error. */
static json_t *load_ids(req_t *r)
{
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_IDS, DB_ARGS(DB_TEXT(r->auth.tenant_id)), &r->arena, &res) != 0) {
        db_fail(r, db);
        return NULL;
    }
    json_t *ids = json_object();
    for (int i = 0; ids != NULL && i < res.nrows; i++)
        json_object_set_new(ids, db_get(&res, i, 0), json_string(db_get(&res, i, 1)));
    if (ids == NULL)
        res_fail(r, ERR_INTERNAL, "sourcedId map");
    return ids;
}

/* The school's rows of st into *res and its sourcedId map into *ids (a new reference). 0, or -1. */
static int load_rows(req_t *r, stmt_t *st, db_result_t *res, json_t **ids)
{
    db_t *db = req_db(r);
    if ((*ids = load_ids(r)) == NULL)
        return -1;
    if (db_exec(db, st, DB_ARGS(DB_TEXT(r->auth.tenant_id)), &r->arena, res) != 0) {
        json_decref(*ids);
        return db_fail(r, db);
    }
    return 0;
}

typedef struct keyed_row {
    const char *sid;
    int row;
} keyed_row_t;

static int by_sid(const void *a, const void *b)
{
    return strcmp(((const keyed_row_t *)a)->sid, ((const keyed_row_t *)b)->sid);
}

/* The column of field in kind k's statement, or -1. */
static int column_of(or_kind_t k, const char *field)
{
    for (int i = 0; kinds[k].cols[i].field != NULL; i++)
        if (strcmp(kinds[k].cols[i].field, field) == 0)
            return 3 + i;
    return -1;
}

int or_records_page(req_t *r, or_kind_t k, const char *where, const char *is, long long offset, long long limit,
                    int desc, long long *total, json_t **page)
{
    db_result_t res;
    json_t *ids;
    if (load_rows(r, kinds[k].st, &res, &ids) != 0)
        return -1;
    int wcol = where != NULL ? column_of(k, where) : -1;
    keyed_row_t *v = arena_alloc(&r->arena, sizeof(*v) * (size_t)(res.nrows ? res.nrows : 1));
    long long n = 0;
    for (int i = 0; i < res.nrows; i++)
        if (wcol < 0 || (!db_is_null(&res, i, wcol) && strcmp(db_get(&res, i, wcol), is) == 0))
            v[n++] = (keyed_row_t){sid_of(&r->arena, ids, db_get(&res, i, 0)), i};
    qsort(v, (size_t)n, sizeof(*v), by_sid);
    *total = n;
    *page = json_array();
    for (long long i = offset; *page != NULL && i < n && i < offset + limit; i++) {
        long long at = desc ? n - 1 - i : i;
        if (json_array_append_new(*page, record_json(&r->arena, ids, kinds[k].cols, &res, v[at].row)) != 0) {
            json_decref(*page);
            *page = NULL;
        }
    }
    json_decref(ids);
    return *page != NULL ? 0 : res_fail(r, ERR_INTERNAL, "OneRoster page");
}

/*
 * What an enrollment links, by the parent's local kind and the child's role: the classes of a teacher or a
 * student; $2 our id. (A class's students and teachers are read as users: linked_users below.)
 */
#define KEY(K, ID) "'" K ":' || CAST(" ID " AS text)"
typedef struct link_stmt {
    const char *parent, *role;
    stmt_t st;
} link_stmt_t;

static link_stmt_t links[] = {
    {"teacher", "teacher",
     STMT("oneroster.links_teacher_classes", STMT_READ,
          "SELECT " KEY("class", "c.id") " FROM classes c WHERE c.tenant_id = $1 AND c.class_teacher_id = $2"
          " UNION ALL SELECT " KEY("section", "cs.id") " FROM class_subjects cs WHERE cs.tenant_id = $1"
          " AND cs.teacher_id = $2")},
    {"student", "student",
     STMT("oneroster.links_student_classes", STMT_READ,
          "SELECT " KEY("class", "e.class_id") " FROM enrollments e WHERE e.tenant_id = $1 AND e.student_id = $2"
          " UNION ALL SELECT " KEY("section", "cs.id") " FROM enrollments e JOIN class_subjects cs"
          " ON cs.tenant_id = e.tenant_id AND cs.class_id = e.class_id WHERE e.tenant_id = $1 AND e.student_id = $2")},
};

/* Our id of a record of local kind with sourcedId sid (arena), or NULL when it is none of ours. */
static const char *local_id_of(arena_t *a, json_t *ids, const char *kind, const char *sid)
{
    const char *key;
    json_t *v;
    size_t n = strlen(kind);
    json_object_foreach(ids, key, v) if (strncmp(key, kind, n) == 0 && key[n] == ':' &&
                                         strcmp(json_string_value(v), sid) == 0) return arena_strdup(a, key + n + 1);
    return ids_uuid_valid(sid, strlen(sid)) && json_object_get(ids, arena_printf(a, "%s:%s", kind, sid)) == NULL
               ? sid
               : NULL;
}

/*
 * Runs the statement of table (n rows) for parent and role with our id of the parent record of sourcedId sid
 * ($2): the school's sourcedId map into *ids (a new reference), the rows into *res (none when sid is none of
 * ours). 0, or -1 (answered).
 */
static int run_link(req_t *r, link_stmt_t *table, size_t n, const char *parent, const char *role, const char *sid,
                    json_t **ids, db_result_t *res)
{
    size_t i = 0;
    while (i < n && (strcmp(table[i].parent, parent) != 0 || strcmp(table[i].role, role) != 0))
        i++;
    if (i == n)
        return res_fail(r, ERR_INTERNAL, "no link of %s to %s", parent, role);
    if ((*ids = load_ids(r)) == NULL)
        return -1;
    const char *id = local_id_of(&r->arena, *ids, parent, sid);
    db_t *db = req_db(r);
    memset(res, 0, sizeof(*res));
    if (id != NULL && db_exec(db, &table[i].st, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, res) != 0) {
        json_decref(*ids);
        return db_fail(r, db);
    }
    return 0;
}

int or_links_load(req_t *r, const char *parent, const char *role, const char *sid, json_t **set)
{
    json_t *ids;
    db_result_t res;
    if (run_link(r, links, sizeof(links) / sizeof(links[0]), parent, role, sid, &ids, &res) != 0)
        return -1;
    *set = json_object();
    for (int k = 0; *set != NULL && k < res.nrows; k++)
        json_object_set_new(*set, sid_of(&r->arena, ids, db_get(&res, k, 0)), json_true());
    json_decref(ids);
    return *set != NULL ? 0 : res_fail(r, ERR_INTERNAL, "enrollment set");
}

int or_records_load(req_t *r, or_kind_t k, json_t **out)
{
    db_result_t res;
    json_t *ids;
    if (load_rows(r, kinds[k].st, &res, &ids) != 0)
        return -1;
    json_t *arr = json_array();
    for (int i = 0; arr != NULL && i < res.nrows; i++)
        if (json_array_append_new(arr, record_json(&r->arena, ids, kinds[k].cols, &res, i)) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    json_decref(ids);
    if (arr == NULL)
        return res_fail(r, ERR_INTERNAL, "OneRoster records of kind %d", (int)k);
    *out = arr;
    return 0;
}

/* ------------------------------------------------------------------ users paged in SQL */

/*
 * A page of users is cut in two statements: the keys (role, our id) of the page's users, filtered, sorted,
 * counted and cut by the database over narrow rows, then those users' records (agents read for them only).
 * Slot i of the filter (slots.h) is $(2+5i)…$(6+5i): field, operator, value, lo, hi; then $27 the sort field,
 * $28 descending, $29 limit, $30 offset. Text compares byte-wise (COLL), as strcmp() does in memory.
 * A school none of whose users has a sourcedId from OneRoster (the usual case) has our ids as sourcedIds,
 * whose text sorts as the ids do: that page is read along the primary keys; else sourcedIds are mapped in SQL.
 */
#define MAPPED(K)                                                                                                      \
    " LEFT JOIN (SELECT local_id, MIN(sourced_id) AS sid FROM oneroster_ids WHERE tenant_id = $1 AND local_kind = '" K \
    "' GROUP BY local_id) m ON m.local_id = s.id"
#define OURS "CAST(s.id AS text)"
#define MAPPED_SID "COALESCE(m.sid, CAST(s.id AS text))"
/* One kind of user as the columns a filter or sort names (SIDX: the sourcedId; JOIN: what it needs). */
#define UB_STUDENTS(SIDX, JOIN)                                                                                        \
    "SELECT 'student' AS role, s.id AS id, " LIVE("s.deleted_at") " AS status, s.updated_at AS at,"                   \
    " CASE WHEN s.deleted_at IS NULL THEN 'true' ELSE 'false' END AS enabled, COALESCE(s.email, s.admission_no)"      \
    " AS username, s.first_name AS given, s.last_name AS family, s.middle_name AS middle, s.admission_no AS ident,"   \
    " s.email AS email, s.phone AS phone, " SIDX " AS sid FROM students s" JOIN " WHERE s.tenant_id = $1"
#define UB_TEACHERS(SIDX, JOIN)                                                                                        \
    "SELECT 'teacher' AS role, s.id AS id, CASE WHEN s.status = 'active' THEN 'active' ELSE 'tobedeleted' END"        \
    " AS status, s.updated_at AS at, CASE WHEN s.status = 'active' THEN 'true' ELSE 'false' END AS enabled,"          \
    " COALESCE(s.email, s.employee_no) AS username, s.first_name AS given, s.last_name AS family, NULL AS middle,"    \
    " s.employee_no AS ident, s.email AS email, s.phone AS phone, " SIDX " AS sid FROM teachers s" JOIN               \
    " WHERE s.tenant_id = $1"
#define UB_GUARDIANS(SIDX, JOIN)                                                                                       \
    "SELECT 'guardian' AS role, s.id AS id, 'active' AS status, s.updated_at AS at, 'true' AS enabled,"               \
    " COALESCE(s.email, CAST(s.id AS text)) AS username, s.first_name AS given, s.last_name AS family,"               \
    " NULL AS middle, NULL AS ident, s.email AS email, s.phone AS phone, " SIDX " AS sid FROM guardians s" JOIN        \
    " WHERE s.tenant_id = $1"
/* The text column of field number F (user_columns[F - 1]); dateLastModified (3) is the time u.at. */
#define U_FIELD(F)                                                                                                     \
    "(CASE CAST(" F " AS integer) WHEN 1 THEN u.sid WHEN 2 THEN u.status WHEN 4 THEN u.enabled WHEN 5 THEN u.role"     \
    " WHEN 6 THEN u.username WHEN 7 THEN u.given WHEN 8 THEN u.family WHEN 9 THEN u.middle WHEN 10 THEN u.ident"       \
    " WHEN 11 THEN u.email WHEN 12 THEN u.phone END)"
#define U_SLOT(COLL, POS, F, OP, V, LO, HI)                                                                            \
    " AND (" F " = 0 OR (" F " = 3 AND ((" OP " = 7 AND u.at >= " LO " AND u.at < " HI ") OR (" OP " = 8 AND"         \
    " (u.at < " LO " OR u.at >= " HI "))))"                                                                            \
    " OR (" F " <> 3 AND CASE CAST(" OP " AS integer) WHEN 0 THEN " U_FIELD(F) COLL " = CAST(" V " AS text)"          \
    " WHEN 1 THEN (" U_FIELD(F) " IS NULL OR " U_FIELD(F) COLL " <> CAST(" V " AS text))"                             \
    " WHEN 2 THEN " U_FIELD(F) COLL " > CAST(" V " AS text) WHEN 3 THEN " U_FIELD(F) COLL " >= CAST(" V " AS text)"   \
    " WHEN 4 THEN " U_FIELD(F) COLL " < CAST(" V " AS text) WHEN 5 THEN " U_FIELD(F) COLL " <= CAST(" V " AS text)"   \
    " WHEN 6 THEN " POS "(lower(" U_FIELD(F) COLL "), lower(CAST(" V " AS text)" COLL ")) > 0 END))"
#define U_WHERE(COLL, POS)                                                                                             \
    " WHERE 1 = 1" U_SLOT(COLL, POS, "$2", "$3", "$4", "$5", "$6") U_SLOT(COLL, POS, "$7", "$8", "$9", "$10", "$11")  \
    U_SLOT(COLL, POS, "$12", "$13", "$14", "$15", "$16") U_SLOT(COLL, POS, "$17", "$18", "$19", "$20", "$21")         \
    U_SLOT(COLL, POS, "$22", "$23", "$24", "$25", "$26")
/*
 * Sort key SK (field $27; NULL first), ties by the sourcedId (KEY: the id when it is our id, whose text sorts
 * as the id does), all descending when $28 is 1: the order of compare_records().
 */
#define U_ORDER(COLL, SK, KEY)                                                                                         \
    " ORDER BY CASE WHEN $28 = 0 THEN " SK " END" COLL " ASC NULLS FIRST, CASE WHEN $28 = 1 THEN " SK " END" COLL     \
    " DESC NULLS LAST, CASE WHEN $28 = 0 THEN " KEY " END ASC, CASE WHEN $28 = 1 THEN " KEY " END DESC"
/*
 * The keys of a page: each kind's first offset + limit in order (along its primary key when the order is
 * the id's), merged and cut.
 */
#define U_FIRST(B, COLL, POS, KEY)                                                                                     \
    "SELECT * FROM (SELECT u.role, u.id, u.sid, " U_FIELD("$27") " AS sk FROM (" B ") u" U_WHERE(COLL, POS)           \
    U_ORDER(COLL, U_FIELD("$27"), "u." KEY) " LIMIT CAST($29 AS bigint) + CAST($30 AS bigint)) k"
/* k.sk, written so that the planner sees it is none without a sort field (the merge then follows the ids) */
#define K_SK "CASE WHEN CAST($27 AS integer) <> 0 THEN k.sk END"
#define U_KEYS(SIDX, JS, JT, JG, COLL, POS, KEY)                                                                       \
    "SELECT k.role, CAST(k.id AS text) FROM (" U_FIRST(UB_STUDENTS(SIDX, JS), COLL, POS, KEY)                         \
    " UNION ALL " U_FIRST(UB_TEACHERS(SIDX, JT), COLL, POS, KEY) " UNION ALL "                                         \
    U_FIRST(UB_GUARDIANS(SIDX, JG), COLL, POS, KEY) ") k" U_ORDER(COLL, K_SK, "k." KEY) " LIMIT $29 OFFSET $30"
#define U_COUNT1(B, COLL, POS) "(SELECT COUNT(*) FROM (" B ") u" U_WHERE(COLL, POS) ")"
#define U_COUNT(SIDX, JS, JT, JG, COLL, POS)                                                                           \
    "SELECT " U_COUNT1(UB_STUDENTS(SIDX, JS), COLL, POS) " + " U_COUNT1(UB_TEACHERS(SIDX, JT), COLL, POS) " + "         \
    U_COUNT1(UB_GUARDIANS(SIDX, JG), COLL, POS)
#define KEYS_OF(...) U_KEYS(__VA_ARGS__) /* expands U_OURS / U_MAPPED first */
#define COUNT_OF(...) U_COUNT(__VA_ARGS__)
#define U_OURS OURS, "", "", ""
#define U_MAPPED MAPPED_SID, MAPPED("student"), MAPPED("teacher"), MAPPED("guardian")
#define SQLITE_TEXT " COLLATE BINARY"
#define PG_TEXT " COLLATE \"C\""
static stmt_t Q_USER_KEYS = STMT2("oneroster.rest_user_keys", STMT_READ, KEYS_OF(U_OURS, SQLITE_TEXT, "instr", "id"),
                                  KEYS_OF(U_OURS, PG_TEXT, "strpos", "id"));
static stmt_t Q_USER_COUNT = STMT2("oneroster.rest_user_count", STMT_READ, COUNT_OF(U_OURS, SQLITE_TEXT, "instr"),
                                   COUNT_OF(U_OURS, PG_TEXT, "strpos"));
static stmt_t Q_USER_KEYS_MAPPED =
    STMT2("oneroster.rest_user_keys_mapped", STMT_READ, KEYS_OF(U_MAPPED, SQLITE_TEXT, "instr", "sid" SQLITE_TEXT),
          KEYS_OF(U_MAPPED, PG_TEXT, "strpos", "sid" PG_TEXT));
static stmt_t Q_USER_COUNT_MAPPED = STMT2("oneroster.rest_user_count_mapped", STMT_READ,
                                          COUNT_OF(U_MAPPED, SQLITE_TEXT, "instr"), COUNT_OF(U_MAPPED, PG_TEXT, "strpos"));
/*
 * The same without a filter or sort (a full sync's walk), in less text for the planner: $2 the role ('': all),
 * $3 descending, $4 limit, $5 offset.
 */
#define P_FIRST(B)                                                                                                     \
    "SELECT * FROM (SELECT u.role, u.id FROM (" B ") u WHERE ($2 = '' OR u.role = $2) ORDER BY CASE WHEN $3 = 0 THEN" \
    " u.id END ASC, CASE WHEN $3 = 1 THEN u.id END DESC LIMIT CAST($4 AS bigint) + CAST($5 AS bigint)) k"
#define P_COUNT1(T, ROLE) "(SELECT COUNT(*) FROM " T " s WHERE s.tenant_id = $1 AND ($2 = '' OR $2 = '" ROLE "'))"
#define P_COUNT P_COUNT1("students", "student") " + " P_COUNT1("teachers", "teacher") " + " P_COUNT1("guardians", "guardian")
/* The page's keys with the count in each row (read once); the count alone answers a page past the end. */
static stmt_t Q_USER_KEYS_PLAIN =
    STMT("oneroster.rest_user_keys_plain", STMT_READ,
         "SELECT k.role, CAST(k.id AS text), (" P_COUNT ") FROM (" P_FIRST(UB_STUDENTS(OURS, "")) " UNION ALL " P_FIRST(
             UB_TEACHERS(OURS, "")) " UNION ALL " P_FIRST(UB_GUARDIANS(OURS, "")) ") k ORDER BY CASE WHEN $3 = 0 THEN"
                                                                                   " k.id END ASC, CASE WHEN $3 = 1"
                                                                                   " THEN k.id END DESC LIMIT $4"
                                                                                   " OFFSET $5");
static stmt_t Q_USER_COUNT_PLAIN = STMT("oneroster.rest_user_count_plain", STMT_READ, "SELECT " P_COUNT);

/* The records of the users whose ids $2 (a JSON array of text) lists. */
#define IDS_SQLITE " AND s.id IN (SELECT value FROM json_each($2))"
#define IDS_PG " AND s.id = ANY(ARRAY(SELECT CAST(value AS uuid) FROM json_array_elements_text(CAST($2 AS json))))"
#define USERS_OF(AGG, IDS) USER_STUDENTS(AGG) IDS " UNION ALL " USER_TEACHERS IDS " UNION ALL " USER_GUARDIANS IDS
static stmt_t Q_USERS_OF = STMT2("oneroster.rest_users_of", STMT_READ, USERS_OF("group_concat", IDS_SQLITE),
                                 USERS_OF("string_agg", IDS_PG));

static const char *const user_columns[] = {"sourcedId", "status",     "dateLastModified", "enabledUser",
                                           "role",      "username",   "givenName",        "familyName",
                                           "middleName", "identifier", "email",            "phone",
                                           NULL};

const char *const *or_user_columns(void)
{
    return user_columns;
}

/* Binds slots after the school: 5 arguments per slot, unused ones field 0. */
static void bind_slots(req_t *r, const or_slots_t *s, db_arg_t *args)
{
    args[0] = DB_TEXT(r->auth.tenant_id);
    for (int i = 0; i < OR_SLOT_MAX; i++) {
        const or_slot_t *v = &s->v[i];
        int used = i < s->n;
        args[1 + 5 * i] = DB_INT(used ? v->field : 0);
        args[2 + 5 * i] = DB_INT(used ? v->op : 0);
        args[3 + 5 * i] = DB_TEXT(used && v->value != NULL ? v->value : "");
        args[4 + 5 * i] = DB_INT(used ? v->lo : 0);
        args[5 + 5 * i] = DB_INT(used ? v->hi : 0);
    }
}

/* Whether a user of the school has a sourcedId from OneRoster (ids: load_ids()). */
static int users_mapped(json_t *ids)
{
    const char *key;
    json_t *v;
    json_object_foreach(ids, key, v) if (strncmp(key, "student:", 8) == 0 || strncmp(key, "teacher:", 8) == 0 ||
                                         strncmp(key, "guardian:", 9) == 0) return 1;
    return 0;
}

/* The records of the users keys names ("<role>", "<id>" rows), in that order, into *page. 0, or -1. */
static int users_of_keys(req_t *r, json_t *ids, const db_result_t *keys, json_t **page)
{
    json_t *list = json_array(), *at = json_object();
    for (int i = 0; list != NULL && i < keys->nrows; i++)
        if (json_array_append_new(list, json_string(db_get(keys, i, 1))) != 0) {
            json_decref(list);
            list = NULL;
        }
    char *text = list != NULL ? json_dumps(list, JSON_COMPACT) : NULL;
    json_decref(list);
    if (text == NULL || at == NULL) {
        free(text);
        json_decref(at);
        return res_fail(r, ERR_INTERNAL, "user keys");
    }
    db_t *db = req_db(r);
    db_result_t res = {0};
    int rc = keys->nrows > 0
                 ? db_exec(db, &Q_USERS_OF, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(text)), &r->arena, &res)
                 : 0;
    free(text);
    if (rc != 0) {
        json_decref(at);
        return db_fail(r, db);
    }
    for (int i = 0; i < res.nrows; i++) /* row i by its "<role>:<id>" */
        json_object_set_new(at, db_get(&res, i, 0), json_integer(i));
    *page = json_array();
    for (int i = 0; *page != NULL && i < keys->nrows; i++) {
        json_t *row = json_object_get(at, arena_printf(&r->arena, "%s:%s", db_get(keys, i, 0), db_get(keys, i, 1)));
        if (row == NULL)
            continue; /* gone between the two reads */
        if (json_array_append_new(*page, record_json(&r->arena, ids, user_cols, &res, (int)json_integer_value(row))) !=
            0) {
            json_decref(*page);
            *page = NULL;
        }
    }
    json_decref(at);
    return *page != NULL ? 0 : res_fail(r, ERR_INTERNAL, "OneRoster users page");
}

/* The role a page without filter or sort keeps ("": all), or NULL when it has a filter or sort. */
static const char *plain_role(const or_slots_t *s, int sort_field)
{
    if (sort_field > 1) /* 1: sourcedId, the default */
        return NULL;
    if (s->n == 0)
        return "";
    return s->n == 1 && s->v[0].field == 5 && s->v[0].op == OR_EQ ? s->v[0].value : NULL;
}

/* Reads the count of a page's users into *total and its keys into *keys. 0, or -1 (database). */
static int page_keys(req_t *r, const or_slots_t *s, int sort_field, int desc, long long offset, long long limit,
                     int mapped, long long *total, db_result_t *keys)
{
    db_t *db = req_db(r);
    db_result_t count;
    const char *role = mapped ? NULL : plain_role(s, sort_field);
    if (role != NULL) {
        db_arg_t args[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(role), DB_INT(desc), DB_INT(limit), DB_INT(offset)};
        if (db_exec(db, &Q_USER_KEYS_PLAIN, args, 5, &r->arena, keys) != 0)
            return -1;
        if (keys->nrows > 0) {
            *total = db_get_int(keys, 0, 2);
            return 0;
        }
        if (db_exec(db, &Q_USER_COUNT_PLAIN, args, 2, &r->arena, &count) != 0)
            return -1;
    } else {
        db_arg_t args[1 + 5 * OR_SLOT_MAX + 4];
        bind_slots(r, s, args);
        args[1 + 5 * OR_SLOT_MAX] = DB_INT(sort_field);
        args[2 + 5 * OR_SLOT_MAX] = DB_INT(desc);
        args[3 + 5 * OR_SLOT_MAX] = DB_INT(limit);
        args[4 + 5 * OR_SLOT_MAX] = DB_INT(offset);
        if (db_exec(db, mapped ? &Q_USER_COUNT_MAPPED : &Q_USER_COUNT, args, 1 + 5 * OR_SLOT_MAX, &r->arena, &count) !=
                0 ||
            db_exec(db, mapped ? &Q_USER_KEYS_MAPPED : &Q_USER_KEYS, args, (int)(sizeof(args) / sizeof(args[0])),
                    &r->arena, keys) != 0)
            return -1;
    }
    *total = count.nrows > 0 ? db_get_int(&count, 0, 0) : 0;
    return 0;
}

int or_users_page(req_t *r, const or_slots_t *s, int sort_field, int desc, long long offset, long long limit,
                  long long *total, json_t **page)
{
    json_t *ids = load_ids(r);
    if (ids == NULL)
        return -1;
    db_result_t keys;
    if (page_keys(r, s, sort_field, desc, offset, limit, users_mapped(ids), total, &keys) != 0) {
        json_decref(ids);
        return db_fail(r, req_db(r));
    }
    int rc = users_of_keys(r, ids, &keys, page);
    json_decref(ids);
    return rc;
}

/* The users a class or section links to by enrollment or teaching ($2: our id of the class or section). */
#define IN_CLASS " AND s.id IN (SELECT e.student_id FROM enrollments e WHERE e.tenant_id = $1 AND e.class_id = $2)"
#define IN_SECTION                                                                                                     \
    " AND s.id IN (SELECT e.student_id FROM enrollments e JOIN class_subjects cs ON cs.tenant_id = e.tenant_id"       \
    " AND cs.class_id = e.class_id WHERE e.tenant_id = $1 AND cs.id = $2)"
static link_stmt_t linked_users[] = {
    {"class", "student",
     STMT2("oneroster.rest_class_students", STMT_READ, USER_STUDENTS("group_concat") IN_CLASS,
           USER_STUDENTS("string_agg") IN_CLASS)},
    {"section", "student",
     STMT2("oneroster.rest_section_students", STMT_READ, USER_STUDENTS("group_concat") IN_SECTION,
           USER_STUDENTS("string_agg") IN_SECTION)},
    {"class", "teacher",
     STMT("oneroster.rest_class_teachers", STMT_READ,
          USER_TEACHERS " AND s.id IN (SELECT c.class_teacher_id FROM classes c WHERE c.tenant_id = $1 AND c.id = $2)")},
    {"section", "teacher",
     STMT("oneroster.rest_section_teachers", STMT_READ,
          USER_TEACHERS " AND s.id IN (SELECT cs.teacher_id FROM class_subjects cs WHERE cs.tenant_id = $1"
                        " AND cs.id = $2)")},
};

static stmt_t Q_CLASS_KIND = STMT("oneroster.rest_class_kind", STMT_READ,
                                  "SELECT 'class' FROM classes WHERE tenant_id = $1 AND id = $2"
                                  " UNION ALL SELECT 'section' FROM class_subjects WHERE tenant_id = $1 AND id = $3");

/* The local kind ("class", "section") of the class with sourcedId sid into *kind (NULL: none). 0, or -1. */
static int class_kind(req_t *r, json_t *ids, const char *sid, const char **kind)
{
    db_t *db = req_db(r);
    db_result_t res;
    const char *as_class = local_id_of(&r->arena, ids, "class", sid);
    const char *as_section = local_id_of(&r->arena, ids, "section", sid);
    *kind = NULL;
    if (as_class == NULL && as_section == NULL)
        return 0;
    if (db_exec(db, &Q_CLASS_KIND, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(as_class), DB_TEXT(as_section)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    *kind = res.nrows > 0 ? arena_strdup(&r->arena, db_get(&res, 0, 0)) : NULL;
    return 0;
}

int or_class_users(req_t *r, const char *role, const char *sid, json_t **out)
{
    const char *kind;
    json_t *ids = load_ids(r);
    *out = NULL;
    if (ids == NULL)
        return -1;
    int rc = class_kind(r, ids, sid, &kind);
    json_decref(ids);
    if (rc != 0 || kind == NULL)
        return rc;
    db_result_t res;
    if (run_link(r, linked_users, sizeof(linked_users) / sizeof(linked_users[0]), kind, role, sid, &ids, &res) != 0)
        return -1;
    *out = json_array();
    for (int k = 0; *out != NULL && k < res.nrows; k++)
        if (json_array_append_new(*out, record_json(&r->arena, ids, user_cols, &res, k)) != 0) {
            json_decref(*out);
            *out = NULL;
        }
    json_decref(ids);
    return *out != NULL ? 0 : res_fail(r, ERR_INTERNAL, "linked users");
}
