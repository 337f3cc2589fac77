/*
 * records.c - a school's OneRoster records as the REST binding's JSON
 * (records.h): one query per kind whose first three columns are sourcedId,
 * status and dateLastModified (Unix ms), then the kind's own columns, each
 * turned into its JSON shape by a column table.
 */
#include "oneroster/rest/records.h"

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
#define USERS(AGG)                                                                                                     \
    "SELECT " SID("student", "s.id") ", " LIVE("s.deleted_at") ", s.updated_at,"                                       \
                                     " CASE WHEN s.deleted_at IS NULL THEN 'true' ELSE 'false' END, " ORG_SID("s")     \
                                     ", 'student', COALESCE(s.email, s.admission_no), s.first_name, s.last_name,"      \
                                     " s.middle_name, s.admission_no, s.email, s.phone, " AGENTS(AGG)                  \
    " FROM students s WHERE s.tenant_id = $1"                                                                          \
    " UNION ALL SELECT " SID("teacher", "s.id") ", CASE WHEN s.status = 'active' THEN 'active' ELSE 'tobedeleted'"     \
                                                " END, s.updated_at, CASE WHEN s.status = 'active' THEN 'true' ELSE"   \
                                                " 'false' END, " ORG_SID("s") ", 'teacher', COALESCE(s.email,"              \
                                                " s.employee_no), s.first_name, s.last_name, NULL, s.employee_no,"     \
                                                " s.email, s.phone, NULL FROM teachers s WHERE s.tenant_id = $1"       \
    " UNION ALL SELECT " SID("guardian", "s.id") ", 'active', s.updated_at, 'true', " ORG_SID("s") ", 'guardian',"     \
    " COALESCE(s.email, CAST(s.id AS text)), s.first_name, s.last_name, NULL, NULL, s.email, s.phone, NULL"          \
    " FROM guardians s WHERE s.tenant_id = $1"
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
 * What an enrollment links, by the parent's local kind and the child's role: students and teachers of a
 * homeroom (class) or a scheduled class (section), classes of a teacher or a student; $2 our id.
 */
#define KEY(K, ID) "'" K ":' || CAST(" ID " AS text)"
static struct {
    const char *parent, *role;
    stmt_t st;
} links[] = {
    {"class", "student",
     STMT("oneroster.links_class_students", STMT_READ,
          "SELECT " KEY("student", "e.student_id") " FROM enrollments e WHERE e.tenant_id = $1 AND e.class_id = $2")},
    {"section", "student",
     STMT("oneroster.links_section_students", STMT_READ,
          "SELECT " KEY("student", "e.student_id") " FROM enrollments e JOIN class_subjects cs"
          " ON cs.tenant_id = e.tenant_id AND cs.class_id = e.class_id WHERE e.tenant_id = $1 AND cs.id = $2")},
    {"class", "teacher",
     STMT("oneroster.links_class_teachers", STMT_READ,
          "SELECT " KEY("teacher", "c.class_teacher_id") " FROM classes c WHERE c.tenant_id = $1 AND c.id = $2"
          " AND c.class_teacher_id IS NOT NULL")},
    {"section", "teacher",
     STMT("oneroster.links_section_teachers", STMT_READ,
          "SELECT " KEY("teacher", "cs.teacher_id") " FROM class_subjects cs WHERE cs.tenant_id = $1 AND cs.id = $2")},
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

int or_links_load(req_t *r, const char *parent, const char *role, const char *sid, json_t **set)
{
    size_t i = 0;
    while (i < sizeof(links) / sizeof(links[0]) && (strcmp(links[i].parent, parent) != 0 || strcmp(links[i].role, role) != 0))
        i++;
    if (i == sizeof(links) / sizeof(links[0]))
        return res_fail(r, ERR_INTERNAL, "no link of %s to %s", parent, role);
    json_t *ids = load_ids(r);
    if (ids == NULL)
        return -1;
    const char *id = local_id_of(&r->arena, ids, parent, sid);
    db_t *db = req_db(r);
    db_result_t res = {0};
    if (id != NULL &&
        db_exec(db, &links[i].st, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &res) != 0) {
        json_decref(ids);
        return db_fail(r, db);
    }
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
