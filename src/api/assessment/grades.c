/*
 * grades.c - GET /students/{id}/grades?termId=: a student's term grade per
 * subject (weighted percentage, the scale's band and grade point), the
 * overall average and the GPA, computed in C from the marks
 * (domain/grading.h: exact fractions, one rounding, half up).
 *
 * Draft assessments do not count. The scale is the one the term was
 * published with, else the school's default (no scale: no letters). Students
 * and parents see a term's grades once it is published; before that the
 * answer says so and holds no grades.
 */
#include "api/assessment/assessment.h"
#include "api/assessment/assessment_int.h"

#include <string.h>

#include "api/common.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "auth/audit_queue.h"
#include "auth/policy.h"
#include "auth/roles.h"
#include "domain/grading.h"

static stmt_t Q_STUDENT = STMT("grades.student", STMT_READ,
                               "SELECT id FROM students WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL");
static stmt_t Q_TERM = STMT("grades.term", STMT_READ, "SELECT id FROM terms WHERE tenant_id = $1 AND id = $2");
enum { I_SUBJECT, I_NAME, I_CODE, I_CATEGORY, I_WEIGHT, I_MAX, I_STATUS, I_MARK };
static stmt_t Q_ITEMS = STMT("grades.items", STMT_READ,
                             "SELECT a.subject_id, sj.name, sj.code, a.category, a.weight, a.max_marks, m.status,"
                             " m.mark FROM assessments a"
                             " JOIN subjects sj ON sj.tenant_id = a.tenant_id AND sj.id = a.subject_id"
                             " LEFT JOIN assessment_marks m ON m.tenant_id = a.tenant_id AND m.assessment_id = a.id"
                             " AND m.student_id = $3"
                             " WHERE a.tenant_id = $1 AND a.term_id = $2 AND a.state <> 'draft'"
                             " AND a.class_id IN (SELECT e.class_id FROM enrollments e WHERE e.tenant_id = $1"
                             " AND e.student_id = $3)"
                             " ORDER BY sj.name, sj.id, a.date, a.id");
static stmt_t Q_WEIGHTS = STMT("grades.weights", STMT_READ,
                               "SELECT subject_id, category, weight FROM grade_category_weights"
                               " WHERE tenant_id = $1 AND term_id = $2 ORDER BY subject_id, category");

typedef struct totals {
    int64_t pct[256], points[256];
    size_t npct, npoints;
} totals_t;

/* One subject's grade from rows [from, to) of the items (one subject), added to the totals. */
static json_t *subject_json(req_t *r, const db_result_t *items, int from, int to, const db_result_t *w,
                            const asm_scale_t *scale, totals_t *t)
{
    const char *subject = db_get(items, from, I_SUBJECT), *cats[GRADE_MAX_CATEGORIES];
    uint32_t weights[GRADE_MAX_CATEGORIES];
    size_t ncat = asm_weights_of(w, subject, cats, weights);
    grade_item_t *list = arena_alloc(&r->arena, sizeof(*list) * (size_t)(to - from));
    size_t n = 0;
    for (int i = from; i < to; i++, n++) {
        list[n].category = asm_category(cats, ncat, db_get(items, i, I_CATEGORY));
        list[n].weight = (uint64_t)db_get_int(items, i, I_WEIGHT);
        list[n].max = db_get_int(items, i, I_MAX);
        list[n].status = asm_status(db_get(items, i, I_STATUS));
        list[n].mark = db_is_null(items, i, I_MARK) ? 0 : db_get_int(items, i, I_MARK);
    }
    int64_t bp = 0;
    int has = grade_percentage(list, n, ncat ? weights : NULL, ncat, &bp) == 0;
    const grade_band_t *band = has ? grade_scale_lookup(scale->bands, scale->n, bp) : NULL;
    if (has && t->npct < 256)
        t->pct[t->npct++] = bp;
    if (band != NULL && band->points >= 0 && t->npoints < 256)
        t->points[t->npoints++] = band->points;
    return json_pack("{s:s,s:s,s:s,s:i,s:o,s:o,s:o,s:o}", "subjectId", subject, "subjectName",
                     db_get(items, from, I_NAME), "subjectCode", db_get(items, from, I_CODE), "assessments",
                     to - from, "percentage", has ? asm_number(bp) : json_null(), "grade",
                     band != NULL ? json_string(band->label) : json_null(), "descriptor",
                     band != NULL && band->descriptor != NULL ? json_string(band->descriptor) : json_null(),
                     "gradePoint", band != NULL && band->points >= 0 ? asm_number(band->points) : json_null());
}

static json_t *mean_json(const int64_t *v, size_t n)
{
    int64_t m;
    return grade_mean(v, n, &m) == 0 ? asm_number(m) : json_null();
}

/* Whether the caller sees a term's grades before publication (the school's adults). */
static int sees_unpublished(const req_t *r)
{
    return (r->auth.roles & (ROLE_ADMIN | ROLE_STAFF | ROLE_TEACHER)) != 0;
}

static int read_args(req_t *r, const char **sid, const char **term)
{
    *sid = req_param(r, 0);
    if (require_id(r, *sid) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t st;
    if (db_exec(db, &Q_STUDENT, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(*sid)), &r->arena, &st) != 0)
        return db_fail(r, db);
    int may = st.nrows == 1 ? policy_can_read_student(r, *sid) : 0;
    if (may <= 0)
        return may < 0 ? -1 : policy_hidden(r, "student");
    *term = query_id(r, "termId", 1);
    if (res_check_fields(r) != 0)
        return -1;
    return school_ref(r, &Q_TERM, *term, "term", "termId", NULL) == 1 ? 0 : -1;
}

json_t *asm_grades_json(req_t *r, db_t *db, const char *sid, const char *term)
{
    db_result_t items, w;
    db_arg_t key[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(term), DB_TEXT(sid)};
    asm_scale_t scale;
    if (db_exec(db, &Q_ITEMS, key, 3, &r->arena, &items) != 0 || db_exec(db, &Q_WEIGHTS, key, 2, &r->arena, &w) != 0 ||
        asm_scale(r, db, term, &scale) != 0)
        return NULL;
    json_t *subjects = json_array();
    totals_t *t = arena_calloc(&r->arena, sizeof(*t));
    for (int from = 0, to; from < items.nrows; from = to) {
        for (to = from + 1; to < items.nrows && strcmp(db_get(&items, to, I_SUBJECT), db_get(&items, from, I_SUBJECT)) == 0;
             to++)
            ;
        subjects = json_push(subjects, subject_json(r, &items, from, to, &w, &scale, t));
    }
    return json_pack("{s:o,s:o,s:o}", "subjects", subjects, "averagePercentage", mean_json(t->pct, t->npct), "gpa",
                     mean_json(t->points, t->npoints));
}

int student_grades(req_t *r)
{
    const char *sid = NULL, *term = NULL;
    if (read_args(r, &sid, &term) != 0)
        return -1;
    db_t *db = req_db(r);
    int published = asm_published(r, db, term);
    if (published < 0)
        return -1;
    audit_event_t e = audit_caller_event(r, "grades.read", "student", sid, term);
    if (audit_queue_read(db, r, &e) != 0)
        return db_fail(r, db);
    json_t *doc = published || sees_unpublished(r)
                      ? asm_grades_json(r, db, sid, term)
                      : json_pack("{s:[],s:n,s:n}", "subjects", "averagePercentage", "gpa");
    if (doc == NULL)
        return db_fail(r, db);
    doc = json_with(doc, "studentId", json_string(sid));
    doc = json_with(doc, "termId", json_string(term));
    return res_json(r, 200, json_with(doc, "published", json_boolean(published)));
}
