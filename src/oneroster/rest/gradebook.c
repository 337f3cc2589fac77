/*
 * gradebook.c - the OneRoster 1.1 gradebook writes: PUT and DELETE of
 * lineItems and results, by the client's own sourcedIds (rest.h).
 *
 * A lineItem is one of our assessments, a result one of its marks. PUT runs
 * the native handlers (assessments_create / assessments_update,
 * assessment_marks_put) on the body translated into theirs, so every rule and
 * audit event of the native API applies; they run with the rights of the
 * admin who registered the client (created_by), the account our records name
 * as author (created_by, marked_by), and the client's own event
 * (oneroster.lineItem.put, …) names the client as actor. Their errors come
 * back as imsx_StatusInfo, field names translated to OneRoster's. The
 * client's sourcedIds are kept: oneroster_ids (kind lineItem) for line items,
 * oneroster_results for results.
 */
#include <string.h>

#include "api/app.h"
#include "api/assessment/assessment.h"
#include "auth/audit.h"
#include "auth/roles.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/utf8.h"
#include "oneroster/oneroster_int.h"
#include "oneroster/rest/records.h"
#include "oneroster/rest/rest.h"

static stmt_t Q_REGISTRAR = STMT("oneroster.gb_registrar", STMT_ACCESS,
                                 "SELECT CAST(c.created_by AS text), u.status FROM oauth_clients c JOIN users u"
                                 " ON u.tenant_id = c.tenant_id AND u.id = c.created_by"
                                 " WHERE c.tenant_id = $1 AND c.id = $2");
static stmt_t Q_MAPPED = STMT("oneroster.gb_mapped", 0,
                              "SELECT CAST(local_id AS text) FROM oneroster_ids WHERE tenant_id = $1 AND kind = $2"
                              " AND sourced_id = $3");
static stmt_t Q_ASSESSMENT = STMT("oneroster.gb_assessment", 0,
                                  "SELECT CAST(a.id AS text), CAST(a.class_id AS text), CAST(a.subject_id AS text),"
                                  " CAST(a.term_id AS text), (SELECT count(*) FROM grade_publications p"
                                  " WHERE p.tenant_id = a.tenant_id AND p.term_id = a.term_id)"
                                  " FROM assessments a WHERE a.tenant_id = $1 AND a.id = $2");
static stmt_t Q_SECTION = STMT("oneroster.gb_section", 0,
                               "SELECT CAST(cs.class_id AS text), CAST(cs.subject_id AS text) FROM class_subjects cs"
                               " WHERE cs.tenant_id = $1 AND " SID("section", "cs.id") " = $2");
static stmt_t Q_TERM_SID = STMT("oneroster.gb_term", 0,
                                "SELECT CAST(t.id AS text) FROM terms t WHERE t.tenant_id = $1"
                                " AND " SID("term", "t.id") " = $2");
static stmt_t Q_TERM_OF_DATE = STMT("oneroster.gb_term_of_date", 0,
                                    "SELECT CAST(t.id AS text) FROM terms t JOIN classes c ON c.tenant_id = t.tenant_id"
                                    " AND c.academic_year_id = t.academic_year_id WHERE t.tenant_id = $1 AND c.id = $2"
                                    " AND t.start_date <= $3 AND t.end_date >= $3 ORDER BY t.start_date LIMIT 1");
static stmt_t Q_STUDENT_MAPPED = STMT("oneroster.gb_student_mapped", 0,
                                      "SELECT CAST(local_id AS text) FROM oneroster_ids WHERE tenant_id = $1"
                                      " AND local_kind = 'student' AND sourced_id = $2");
static stmt_t Q_STUDENT = STMT("oneroster.gb_student", 0, "SELECT CAST(id AS text) FROM students WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_MAP_INSERT = STMT("oneroster.gb_map_insert", 0,
                                  "INSERT INTO oneroster_ids (tenant_id, kind, sourced_id, local_kind, local_id, created_at)"
                                  " VALUES ($1, 'lineItem', $2, 'assessment', $3, $4)");
static stmt_t Q_RESULT = STMT("oneroster.gb_result", 0,
                              "SELECT CAST(assessment_id AS text), CAST(student_id AS text) FROM oneroster_results"
                              " WHERE tenant_id = $1 AND sourced_id = $2");
static stmt_t Q_RESULT_OF_MARK = STMT("oneroster.gb_result_of_mark", 0,
                                      "SELECT sourced_id FROM oneroster_results WHERE tenant_id = $1"
                                      " AND assessment_id = $2 AND student_id = $3");
static stmt_t Q_RESULT_INSERT = STMT("oneroster.gb_result_insert", 0,
                                     "INSERT INTO oneroster_results (tenant_id, sourced_id, assessment_id, student_id,"
                                     " created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING");
static stmt_t Q_MARK = STMT("oneroster.gb_mark", 0,
                            "SELECT status, mark FROM assessment_marks WHERE tenant_id = $1 AND assessment_id = $2"
                            " AND student_id = $3");
static stmt_t Q_MARK_DELETE = STMT("oneroster.gb_mark_delete", 0,
                                   "DELETE FROM assessment_marks WHERE tenant_id = $1 AND assessment_id = $2"
                                   " AND student_id = $3");
static stmt_t Q_RESULTS_DELETE = STMT("oneroster.gb_results_delete", 0,
                                      "DELETE FROM oneroster_results WHERE tenant_id = $1 AND assessment_id = $2"
                                      " AND (student_id = $3 OR $3 IS NULL)");
static stmt_t Q_MARKS_DELETE =
    STMT("oneroster.gb_marks_delete", 0, "DELETE FROM assessment_marks WHERE tenant_id = $1 AND assessment_id = $2");
static stmt_t Q_MAP_DELETE = STMT("oneroster.gb_map_delete", 0,
                                  "DELETE FROM oneroster_ids WHERE tenant_id = $1 AND local_kind = 'assessment'"
                                  " AND local_id = $2");
static stmt_t Q_ASSESSMENT_DELETE =
    STMT("oneroster.gb_assessment_delete", 0, "DELETE FROM assessments WHERE tenant_id = $1 AND id = $2");

/* ------------------------------------------------------------------ helpers */


/* 1 for a response set (rc 0), -1 for a failure (r->err set). */
static int answered(int rc)
{
    return rc == 0 ? 1 : -1;
}

/* A sourcedId of the path that is not UTF-8 (none of ours, and none a client may give): 1 after answering. */
static int bad_sid(req_t *r, const char *sid, int status)
{
    if (utf8_valid(sid, strlen(sid)) && strlen(sid) <= 255)
        return 0;
    return answered(or_error(r, status, status == 404 ? "unknown object" : "invalid data",
                             "A sourcedId is 1 to 255 bytes of UTF-8 text."));
}

/* Runs st with (tenant, a, b); the first cell of the first row into *out (arena), NULL when none. 0 or -1. */
static int lookup(req_t *r, stmt_t *st, const char *a, const char *b, const char **out)
{
    db_t *db = req_db(r);
    db_result_t res;
    int rc = b != NULL ? db_exec(db, st, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(a), DB_TEXT(b)), &r->arena, &res)
                       : db_exec(db, st, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(a)), &r->arena, &res);
    if (rc != 0)
        return db_fail(r, db);
    *out = res.nrows > 0 ? db_get(&res, 0, 0) : NULL;
    return 0;
}

/* The assessment a lineItem sourcedId names (the client's, or our id) into *a; 0 (a->nrows 0: none) or -1. */
static int find_line_item(req_t *r, const char *sid, db_result_t *a)
{
    const char *id = NULL;
    a->nrows = 0;
    if (lookup(r, &Q_MAPPED, "lineItem", sid, &id) != 0)
        return -1;
    if (id == NULL && ids_uuid_valid(sid, strlen(sid)))
        id = sid;
    if (id == NULL)
        return 0;
    db_t *db = req_db(r);
    if (db_exec(db, &Q_ASSESSMENT, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, a) != 0)
        return db_fail(r, db);
    return 0;
}

static int find_student(req_t *r, const char *sid, const char **id)
{
    if (lookup(r, &Q_STUDENT_MAPPED, sid, NULL, id) != 0)
        return -1;
    if (*id == NULL && ids_uuid_valid(sid, strlen(sid)) && lookup(r, &Q_STUDENT, sid, NULL, id) != 0)
        return -1;
    return 0;
}

/* The sourcedId of a GUIDRef member of obj, or NULL. */
static const char *ref_sid(json_t *obj, const char *field)
{
    json_t *ref = json_object_get(obj, field);
    return json_string_value(json_object_get(ref, "sourcedId"));
}

/* The record of a PUT body ({"lineItem": {...}}), or NULL after answering 422. */
static json_t *put_record(req_t *r, const char *key)
{
    json_t *rec = json_object_get(r->json, key);
    if (!json_is_object(rec) || json_object_size(r->json) != 1) {
        or_error(r, 422, "invalid data", "The body must be {\"%s\": {...}}.", key);
        return NULL;
    }
    const char *sid = json_string_value(json_object_get(rec, "sourcedId"));
    if (json_object_get(rec, "sourcedId") != NULL && (sid == NULL || strcmp(sid, req_param(r, 0)) != 0)) {
        or_error(r, 422, "invalid data", "sourcedId must be the path's, %s.", req_param(r, 0));
        return NULL;
    }
    return rec;
}

/* The native API's field names in OneRoster's. */
static const char *oneroster_field(const char *f)
{
    static const char *const names[][2] = {{"name", "title"},        {"date", "dueDate"},
                                           {"maxMarks", "resultValueMax"}, {"termId", "gradingPeriod"},
                                           {"classId", "class"},     {"subjectId", "class"},
                                           {"category", "category"}, {"mark", "score"},
                                           {"status", "scoreStatus"}, {"studentId", "student"},
                                           {"comment", "comment"}};
    const char *dot = strrchr(f, '.');
    const char *last = dot != NULL ? dot + 1 : f;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(last, names[i][0]) == 0)
            return names[i][1];
    return last;
}

/* Turns the native handler's error into imsx_StatusInfo; internal errors stay problems. Returns 0 or -1. */
static int native_error(req_t *r)
{
    err_code_t code = r->err.code;
    if (code == ERR_INTERNAL || code == ERR_UNAVAILABLE || code == ERR_NONE)
        return -1;
    sbuf_t b;
    sbuf_init(&b, &r->arena, 256);
    sbuf_puts(&b, r->err.detail != NULL ? r->err.detail : error_title(code));
    for (int i = 0; i < r->err.nfields; i++)
        sbuf_printf(&b, "%s %s %s", i ? ";" : "", oneroster_field(r->err.fields[i].field), r->err.fields[i].message);
    int status = code == ERR_NOT_FOUND ? 404 : code == ERR_FORBIDDEN ? 403 : code == ERR_MALFORMED ? 400 : 422;
    memset(&r->err, 0, sizeof(r->err));
    memset(&r->res, 0, sizeof(r->res));
    return or_error(r, status, status == 404 ? "unknown object" : status == 403 ? "unauthorized" : "invalid data",
                    "%s", b.p);
}

typedef struct acting {
    principal_t client;
    json_t *body;
} acting_t;

/*
 * Acts for the admin who registered the client: 0, 1 after answering 403
 * (no such admin any more, or disabled), -1 on a database error.
 */
static int act_as_registrar(req_t *r, acting_t *act)
{
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_REGISTRAR, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(r->auth.user_id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0 || strcmp(db_get(&res, 0, 1), "active") != 0)
        return answered(or_error(r, 403, "unauthorized",
                                 "The account that registered this client is disabled: register the client again."));
    act->client = r->auth;
    act->body = r->json;
    snprintf(r->auth.user_id, sizeof(r->auth.user_id), "%s", db_get(&res, 0, 0));
    snprintf(r->auth.actor, sizeof(r->auth.actor), "%s:%s", r->auth.tenant_id, r->auth.user_id);
    r->auth.roles = ROLE_ADMIN;
    r->auth.own_looked = 0;
    return 0;
}

/* Back to the client after the native handler (json: its body, released here). */
static void act_as_client(req_t *r, acting_t *act, json_t *json)
{
    json_decref(json);
    r->json = act->body;
    r->auth = act->client;
}

/* Runs a native handler on body (stolen) with path parameter id, for the registrar; 0, 1 answered, -1. */
static int run_native(req_t *r, int (*fn)(req_t *r), json_t *body, const char *id)
{
    acting_t act = {0};
    int rc = act_as_registrar(r, &act);
    if (rc != 0) {
        json_decref(body);
        return rc;
    }
    const char *param = r->params[0];
    int nparams = r->nparams;
    r->json = body;
    r->params[0] = id;
    r->nparams = id != NULL ? 1 : 0;
    const char *if_match = r->hdr.if_match;
    r->hdr.if_match = "*";
    rc = fn(r);
    r->hdr.if_match = if_match;
    r->params[0] = param;
    r->nparams = nparams;
    act_as_client(r, &act, body);
    if (rc != 0)
        return native_error(r) == 0 ? 1 : -1;
    return 0;
}

static int audit_client(req_t *r, const char *action, const char *sid, const char *detail)
{
    db_t *db = req_db(r);
    return audit_caller(db, r, action, "oneroster", sid, detail) != 0 ? db_fail(r, db) : 0;
}

/* ------------------------------------------------------------------ line items */

typedef struct line_item {
    const char *title, *category, *date;
    const char *class_id, *subject_id, *term_id;
    json_t *max;
} line_item_t;

/* Reads and resolves a lineItem; 0, 1 after answering 422, -1. */
static int read_line_item(req_t *r, json_t *rec, line_item_t *li)
{
    li->title = json_string_value(json_object_get(rec, "title"));
    li->category = ref_sid(rec, "category");
    const char *due = json_string_value(json_object_get(rec, "dueDate"));
    if (due == NULL)
        due = json_string_value(json_object_get(rec, "assignDate"));
    li->max = json_object_get(rec, "resultValueMax");
    json_t *min = json_object_get(rec, "resultValueMin");
    const char *cls = ref_sid(rec, "class");
    if (li->title == NULL || li->category == NULL || due == NULL || strlen(due) < 10 || !json_is_number(li->max) ||
        cls == NULL)
        return answered(or_error(r, 422, "invalid data",
                                 "A lineItem needs title, class and category (references with a sourcedId), dueDate "
                                 "(or assignDate) and resultValueMax (a number)."));
    if (min != NULL && !(json_is_number(min) && json_number_value(min) == 0))
        return answered(or_error(r, 422, "invalid data", "resultValueMin must be 0: marks start at 0."));
    li->date = arena_printf(&r->arena, "%.10s", due);
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_SECTION, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(cls)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0)
        return answered(or_error(r, 422, "invalid data",
                                 "class %s is not a scheduled class of this school (a subject taught to a class): "
                                 "line items belong to those.", cls));
    li->class_id = db_get(&res, 0, 0);
    li->subject_id = db_get(&res, 0, 1);
    const char *period = ref_sid(rec, "gradingPeriod");
    if (period != NULL ? lookup(r, &Q_TERM_SID, period, NULL, &li->term_id) != 0
                       : lookup(r, &Q_TERM_OF_DATE, li->class_id, li->date, &li->term_id) != 0)
        return -1;
    if (li->term_id == NULL)
        return answered(or_error(r, 422, "invalid data",
                                 period != NULL ? "gradingPeriod %s is not a term of this school."
                                                : "No term of the class's year holds dueDate %s.",
                                 period != NULL ? period : li->date));
    return 0;
}

static int create_line_item(req_t *r, const char *sid, const line_item_t *li)
{
    json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:O,s:s}", "classId", li->class_id, "subjectId",
                             li->subject_id, "termId", li->term_id, "name", li->title, "category", li->category,
                             "date", li->date, "maxMarks", li->max, "state", "open");
    if (body == NULL)
        return res_fail(r, ERR_INTERNAL, "assessment body");
    db_t *db = req_db(r);
    if (db_begin(db) != 0) {
        json_decref(body);
        return db_fail(r, db);
    }
    int rc = run_native(r, assessments_create, body, NULL);
    if (rc != 0) {
        db_rollback(db);
        return rc;
    }
    json_t *made = json_loadb(r->res.body, r->res.body_len, 0, NULL);
    const char *id = json_string_value(json_object_get(made, "id"));
    rc = id == NULL ? res_fail(r, ERR_INTERNAL, "created assessment")
         : db_exec(db, &Q_MAP_INSERT,
                   DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(sid), DB_TEXT(id), DB_INT(clock_wall_ms())),
                   &r->arena, NULL) != 0 || audit_client(r, "oneroster.lineItem.create", sid, id) != 0 ||
                 db_commit(db) != 0
             ? db_fail(r, db)
             : 0;
    json_decref(made);
    if (rc != 0)
        db_rollback(db);
    return rc;
}

static int replace_line_item(req_t *r, const char *sid, const db_result_t *a, const line_item_t *li)
{
    if (strcmp(li->class_id, db_get(a, 0, 1)) != 0 || strcmp(li->subject_id, db_get(a, 0, 2)) != 0 ||
        strcmp(li->term_id, db_get(a, 0, 3)) != 0)
        return answered(or_error(r, 422, "invalid data",
                                 "A line item's class and gradingPeriod stay as they were created."));
    json_t *body = json_pack("{s:s,s:s,s:s,s:O}", "name", li->title, "category", li->category, "date", li->date,
                             "maxMarks", li->max);
    if (body == NULL)
        return res_fail(r, ERR_INTERNAL, "assessment body");
    int rc = run_native(r, assessments_update, body, db_get(a, 0, 0));
    if (rc == 0)
        rc = audit_client(r, "oneroster.lineItem.replace", sid, db_get(a, 0, 0));
    return rc;
}

int oneroster_put_line_item(req_t *r)
{
    int rc = or_authenticate(r, OR_SCOPE_GRADEBOOK_CREATEPUT);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    const char *sid = req_param(r, 0);
    if ((rc = bad_sid(r, sid, 422)) != 0)
        return rc < 0 ? -1 : 0;
    json_t *rec = put_record(r, "lineItem");
    if (rec == NULL)
        return 0;
    line_item_t li;
    db_result_t a;
    if ((rc = read_line_item(r, rec, &li)) != 0 || (rc = find_line_item(r, sid, &a)) != 0)
        return rc < 0 ? -1 : 0;
    int created = a.nrows == 0;
    rc = created ? create_line_item(r, sid, &li) : replace_line_item(r, sid, &a, &li);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    memset(&r->res, 0, sizeof(r->res));
    return or_respond_record(r, ORK_LINEITEMS, sid, created ? 201 : 200);
}

int oneroster_delete_line_item(req_t *r)
{
    int rc = or_authenticate(r, OR_SCOPE_GRADEBOOK_DELETE);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    const char *sid = req_param(r, 0);
    if ((rc = bad_sid(r, sid, 404)) != 0)
        return rc < 0 ? -1 : 0;
    db_result_t a;
    if (find_line_item(r, sid, &a) != 0)
        return -1;
    if (a.nrows == 0)
        return or_error(r, 404, "unknown object", "No lineItem has sourcedId %s.", sid);
    if (db_get_int(&a, 0, 4) > 0)
        return or_error(r, 422, "invalid data", "The term's grades are published: its line items stay.");
    const char *id = db_get(&a, 0, 0);
    db_t *db = req_db(r);
    db_arg_t key[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(id)};
    if (db_begin(db) != 0 ||
        db_exec(db, &Q_RESULTS_DELETE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_NULL), &r->arena, NULL) != 0 ||
        db_exec(db, &Q_MARKS_DELETE, key, 2, &r->arena, NULL) != 0 ||
        db_exec(db, &Q_MAP_DELETE, key, 2, &r->arena, NULL) != 0 ||
        db_exec(db, &Q_ASSESSMENT_DELETE, key, 2, &r->arena, NULL) != 0 ||
        audit_client(r, "oneroster.lineItem.delete", sid, id) != 0 || db_commit(db) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    return res_empty(r, 204);
}

/* ------------------------------------------------------------------ results */

/* The assessment and student a result names (the client's mapping, or "<assessment id>-<student id>"). */
static int find_result(req_t *r, const char *sid, const char **aid, const char **student)
{
    db_t *db = req_db(r);
    db_result_t res;
    *aid = *student = NULL;
    if (db_exec(db, &Q_RESULT, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(sid)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows > 0) {
        *aid = db_get(&res, 0, 0);
        *student = db_get(&res, 0, 1);
    } else if (strlen(sid) == 2 * UUID_STR_LEN + 1 && sid[UUID_STR_LEN] == '-' &&
               ids_uuid_valid(sid, UUID_STR_LEN) && ids_uuid_valid(sid + UUID_STR_LEN + 1, UUID_STR_LEN)) {
        *aid = arena_printf(&r->arena, "%.*s", UUID_STR_LEN, sid);
        *student = sid + UUID_STR_LEN + 1;
    }
    return 0;
}

/* The native mark of a result: {"studentId", "mark"} or {"studentId", "status"}, with the comment; NULL after 422. */
static json_t *mark_of(req_t *r, json_t *rec, const char *student)
{
    static const char *const statuses[][2] = {{"fully graded", NULL}, {"partially graded", NULL},
                                              {"submitted", NULL},    {"exempt", "exempt"},
                                              {"not submitted", "absent"}};
    const char *st = json_string_value(json_object_get(rec, "scoreStatus"));
    size_t i = 0;
    for (; st != NULL && i < sizeof(statuses) / sizeof(statuses[0]); i++)
        if (strcmp(st, statuses[i][0]) == 0)
            break;
    if (st == NULL || i == sizeof(statuses) / sizeof(statuses[0])) {
        or_error(r, 422, "invalid data",
                 "scoreStatus must be one of: exempt, fully graded, not submitted, partially graded, submitted.");
        return NULL;
    }
    json_t *m = statuses[i][1] != NULL ? json_pack("{s:s,s:s}", "studentId", student, "status", statuses[i][1])
                                       : json_pack("{s:s,s:O}", "studentId", student, "mark",
                                                   json_object_get(rec, "score") != NULL ? json_object_get(rec, "score")
                                                                                          : json_null());
    json_t *comment = json_object_get(rec, "comment");
    if (m != NULL && comment != NULL)
        json_object_set(m, "comment", comment);
    json_t *body = m != NULL ? json_pack("{s:[o]}", "marks", m) : NULL;
    if (body == NULL)
        res_fail(r, ERR_INTERNAL, "marks body");
    return body;
}

/* Resolves the result's lineItem and student; 0, 1 after answering 422, -1. */
static int result_refs(req_t *r, json_t *rec, const char *sid, const char **aid, const char **student)
{
    const char *item = ref_sid(rec, "lineItem"), *who = ref_sid(rec, "student");
    if (item == NULL || who == NULL)
        return answered(or_error(r, 422, "invalid data", "A result needs lineItem and student (references)."));
    db_result_t a;
    if (find_line_item(r, item, &a) != 0 || find_student(r, who, student) != 0)
        return -1;
    if (a.nrows == 0 || *student == NULL)
        return answered(or_error(r, 422, "invalid data", "%s %s is not one of this school's.",
                                 a.nrows == 0 ? "lineItem" : "student", a.nrows == 0 ? item : who));
    *aid = db_get(&a, 0, 0);
    const char *was_aid, *was_student, *other;
    if (find_result(r, sid, &was_aid, &was_student) != 0 || lookup(r, &Q_RESULT_OF_MARK, *aid, *student, &other) != 0)
        return -1;
    if ((was_aid != NULL && (strcmp(was_aid, *aid) != 0 || strcmp(was_student, *student) != 0)) ||
        (other != NULL && strcmp(other, sid) != 0))
        return answered(or_error(r, 422, "invalid data",
                                 other != NULL && strcmp(other, sid) != 0
                                     ? "This student's result of the line item is result %s."
                                     : "A result's lineItem and student stay as they were created (%s).",
                                 other != NULL ? other : sid));
    return 0;
}

int oneroster_put_result(req_t *r)
{
    int rc = or_authenticate(r, OR_SCOPE_GRADEBOOK_CREATEPUT);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    const char *sid = req_param(r, 0), *aid, *student, *had;
    if ((rc = bad_sid(r, sid, 422)) != 0)
        return rc < 0 ? -1 : 0;
    json_t *rec = put_record(r, "result");
    if (rec == NULL)
        return 0;
    if ((rc = result_refs(r, rec, sid, &aid, &student)) != 0)
        return rc < 0 ? -1 : 0;
    if (lookup(r, &Q_MARK, aid, student, &had) != 0)
        return -1;
    json_t *body = mark_of(r, rec, student);
    if (body == NULL)
        return r->res.status != 0 ? 0 : -1;
    if ((rc = run_native(r, assessment_marks_put, body, aid)) != 0)
        return rc < 0 ? -1 : 0;
    db_t *db = req_db(r);
    if (db_exec(db, &Q_RESULT_INSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(sid), DB_TEXT(aid), DB_TEXT(student),
                        DB_INT(clock_wall_ms())),
                &r->arena, NULL) != 0 ||
        audit_client(r, "oneroster.result.put", sid, aid) != 0)
        return db_fail(r, db);
    memset(&r->res, 0, sizeof(r->res));
    return or_respond_record(r, ORK_RESULTS, sid, had == NULL ? 201 : 200);
}

int oneroster_delete_result(req_t *r)
{
    int rc = or_authenticate(r, OR_SCOPE_GRADEBOOK_DELETE);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    const char *sid = req_param(r, 0), *aid, *student, *had = NULL;
    if ((rc = bad_sid(r, sid, 404)) != 0)
        return rc < 0 ? -1 : 0;
    if (find_result(r, sid, &aid, &student) != 0 || (aid != NULL && lookup(r, &Q_MARK, aid, student, &had) != 0))
        return -1;
    if (had == NULL)
        return or_error(r, 404, "unknown object", "No result has sourcedId %s.", sid);
    db_t *db = req_db(r);
    db_arg_t key[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(aid), DB_TEXT(student)};
    if (db_begin(db) != 0 || db_exec(db, &Q_MARK_DELETE, key, 3, &r->arena, NULL) != 0 ||
        db_exec(db, &Q_RESULTS_DELETE, key, 3, &r->arena, NULL) != 0 ||
        audit_client(r, "oneroster.result.delete", sid, arena_printf(&r->arena, "assessment %s student %s was %s",
                                                                    aid, student, had)) != 0 ||
        db_commit(db) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    return res_empty(r, 204);
}
