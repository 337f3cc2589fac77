/*
 * assessments.c - /assessments (create, read), a subject's category weights
 * of a term, and the publication of a term's grades.
 */
#include "api/assessment/assessment.h"
#include "api/assessment/assessment_int.h"

#include <string.h>

#include "api/common.h"
#include "api/validate.h"
#include "auth/policy.h"
#include "auth/roles.h"
#include "core/clock.h"
#include "core/ids.h"
#include "domain/grading.h"

static const char *const states[] = {"draft", "open", "closed", NULL};

#define ASSESSMENT_COLS                                                                                                \
    "a.id, a.class_id, a.subject_id, a.term_id, a.name, a.category, a.date, a.max_marks, a.weight, a.state,"          \
    " a.version, a.created_at, a.updated_at"
static stmt_t Q_GET = STMT("assessments.get", STMT_READ,
                           "SELECT " ASSESSMENT_COLS " FROM assessments a WHERE a.tenant_id = $1 AND a.id = $2");
static stmt_t Q_INSERT =
    STMT("assessments.insert", 0,
         "INSERT INTO assessments (tenant_id, id, class_id, subject_id, term_id, name, category, date, max_marks,"
         " weight, state, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
         " $12, $13, $13)");
static stmt_t Q_UPDATE = STMT("assessments.update", 0,
                              "UPDATE assessments SET name = $4, category = $5, date = $6, max_marks = $7, weight = $8,"
                              " state = $9, version = version + 1, updated_at = $10 WHERE tenant_id = $1 AND id = $2"
                              " AND version = $3");
static stmt_t Q_MAX_MARK = STMT("assessments.max_mark", 0,
                                "SELECT MAX(mark) FROM assessment_marks WHERE tenant_id = $1 AND assessment_id = $2");
static stmt_t Q_CLASS = STMT("assessments.class", STMT_READ, "SELECT id FROM classes WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_SUBJECT =
    STMT("assessments.subject", STMT_READ, "SELECT id FROM subjects WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_TERM = STMT("assessments.term", STMT_READ,
                            "SELECT id, start_date, end_date FROM terms WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_TAUGHT = STMT("assessments.taught", STMT_READ,
                              "SELECT 1 FROM class_subjects WHERE tenant_id = $1 AND class_id = $2 AND subject_id = $3");
static stmt_t Q_WEIGHTS = STMT("assessments.weights", STMT_READ,
                               "SELECT category, weight FROM grade_category_weights WHERE tenant_id = $1"
                               " AND subject_id = $2 AND term_id = $3 ORDER BY category");
static stmt_t Q_WEIGHTS_DELETE = STMT("assessments.weights_delete", 0,
                                      "DELETE FROM grade_category_weights WHERE tenant_id = $1 AND subject_id = $2"
                                      " AND term_id = $3");
static stmt_t Q_WEIGHT_INSERT = STMT("assessments.weight_insert", 0,
                                     "INSERT INTO grade_category_weights (tenant_id, subject_id, term_id, category,"
                                     " weight, updated_at) VALUES ($1, $2, $3, $4, $5, $6)");
static stmt_t Q_USED_CATEGORIES = STMT("assessments.used_categories", 0,
                                       "SELECT DISTINCT category FROM assessments WHERE tenant_id = $1"
                                       " AND subject_id = $2 AND term_id = $3 ORDER BY category");
static stmt_t Q_DEFAULT_SCALE = STMT2("assessments.default_scale", 0,
                                      "SELECT id FROM grading_scales WHERE tenant_id = $1 AND is_default = 1",
                                      "SELECT id FROM grading_scales WHERE tenant_id = $1 AND is_default");
static stmt_t Q_PUBLISH = STMT("assessments.publish", 0,
                               "INSERT INTO grade_publications (tenant_id, term_id, scale_id, published_by,"
                               " published_at) VALUES ($1, $2, $3, $4, $5)");

static json_t *assessment_json(req_t *r, const db_result_t *res)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:I,s:s,s:I,s:s,s:s}", "id", db_get(res, 0, 0), "classId",
                     db_get(res, 0, 1), "subjectId", db_get(res, 0, 2), "termId", db_get(res, 0, 3), "name",
                     db_get(res, 0, 4), "category", db_get(res, 0, 5), "date", db_get(res, 0, 6), "maxMarks",
                     asm_number(db_get_int(res, 0, 7)), "weight", (json_int_t)db_get_int(res, 0, 8), "state",
                     db_get(res, 0, 9), "version", (json_int_t)db_get_int(res, 0, 10), "createdAt",
                     iso_time(&r->arena, db_get_int(res, 0, 11)), "updatedAt",
                     iso_time(&r->arena, db_get_int(res, 0, 12)));
}

int asm_load(req_t *r, const char *id, db_result_t *res)
{
    db_t *db = req_db(r);
    if (db_exec(db, &Q_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, res) != 0)
        return db_fail(r, db);
    if (res->nrows == 0)
        return policy_hidden(r, "assessment");
    if (policy_sees_school(r))
        return 0;
    int rc = policy_teaches_class(r, db_get(res, 0, 1));
    return rc < 0 ? -1 : rc == 0 ? policy_hidden(r, "assessment") : 0;
}

typedef struct assessment_in {
    const char *class_id, *subject_id, *term_id, *name, *category, *date;
    int64_t max;
    long long weight;
    int state;
} assessment_in_t;

static int read_assessment(req_t *r, assessment_in_t *in)
{
    static const char *const fields[] = {"classId", "subjectId", "termId", "name", "category",
                                         "date",    "maxMarks",  "weight", "state",  NULL};
    body_only_fields(r, fields);
    in->class_id = body_id(r, "classId", 1);
    in->subject_id = body_id(r, "subjectId", 1);
    in->term_id = body_id(r, "termId", 1);
    body_string(r, "name", 1, 1, 100, &in->name);
    body_string(r, "category", 1, 1, 40, &in->category);
    body_date(r, "date", 1, &in->date);
    in->max = 0;
    int has = asm_hundredths(r, "maxMarks", json_object_get(r->json, "maxMarks"), 100000, &in->max);
    if (has == 0)
        res_field_error(r, "maxMarks", "is required");
    else if (has == 1 && in->max == 0)
        res_field_error(r, "maxMarks", "must be more than 0");
    in->weight = 1;
    body_int(r, "weight", 0, 1, 100, &in->weight);
    in->state = 1;
    body_enum(r, "state", 0, states, &in->state);
    return res_check_fields(r);
}

/*
 * What an assessment's term decides, checked: its date within the term, its category weighted (when the subject
 * has weights in the term), and (for teachers) the term not published: 0, or -1 with 422 or 409.
 */
static int check_term(req_t *r, const assessment_in_t *in, const db_result_t *term)
{
    db_t *db = req_db(r);
    db_result_t res;
    if (strcmp(in->date, db_get(term, 0, 1)) < 0 || strcmp(in->date, db_get(term, 0, 2)) > 0)
        res_field_error(r, "date", "must be within the term (%s to %s)", db_get(term, 0, 1), db_get(term, 0, 2));
    db_arg_t wkey[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(in->subject_id), DB_TEXT(in->term_id)};
    if (db_exec(db, &Q_WEIGHTS, wkey, 3, &r->arena, &res) != 0)
        return db_fail(r, db);
    int known = res.nrows == 0;
    for (int i = 0; i < res.nrows && !known; i++)
        known = strcmp(db_get(&res, i, 0), in->category) == 0;
    if (!known)
        res_field_error(r, "category", "is not one of the subject's categories of the term (its category weights)");
    if (res_check_fields(r) != 0)
        return -1;
    int rc = asm_published(r, db, in->term_id);
    if (rc != 0 && !(r->auth.roles & ROLE_ADMIN))
        return rc < 0 ? -1 : res_fail(r, ERR_CONFLICT, "The term's grades are published: only an admin may change them.");
    return 0;
}

/* The records an assessment refers to, checked (404 naming the field, 422, 403, 409). */
static int check_refs(req_t *r, const assessment_in_t *in)
{
    db_t *db = req_db(r);
    db_result_t term, res;
    if (school_ref(r, &Q_CLASS, in->class_id, "class", "classId", NULL) != 1 ||
        school_ref(r, &Q_SUBJECT, in->subject_id, "subject", "subjectId", NULL) != 1 ||
        school_ref(r, &Q_TERM, in->term_id, "term", "termId", &term) != 1)
        return -1;
    if (!policy_sees_school(r)) {
        int rc = policy_teaches_class(r, in->class_id);
        if (rc <= 0)
            return rc < 0 ? -1 : res_fail(r, ERR_NOT_FOUND, "No such class (classId).");
    }
    int rc = asm_teaches_subject(r, in->class_id, in->subject_id);
    if (rc <= 0)
        return rc < 0 ? -1 : res_fail(r, ERR_FORBIDDEN, "Only the subject's teachers in this class (and admins) may.");
    db_arg_t key[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(in->class_id), DB_TEXT(in->subject_id)};
    if (db_exec(db, &Q_TAUGHT, key, 3, &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0)
        res_field_error(r, "subjectId", "is not taught in this class");
    return check_term(r, in, &term);
}

int assessments_create(req_t *r)
{
    assessment_in_t in;
    if (read_assessment(r, &in) != 0 || check_refs(r, &in) != 0)
        return -1;
    char id[40];
    ids_uuid7(id);
    db_t *db = req_db(r);
    if (db_exec(db, &Q_INSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT(in.class_id), DB_TEXT(in.subject_id),
                        DB_TEXT(in.term_id), DB_TEXT(in.name), DB_TEXT(in.category), DB_TEXT(in.date), DB_INT(in.max),
                        DB_INT(in.weight), DB_TEXT(states[in.state]), DB_TEXT(r->auth.user_id), DB_INT(clock_wall_ms())),
                &r->arena, NULL) != 0 ||
        asm_audit(r, db, "assessment.create", "assessment", id, in.name) != 0)
        return db_fail(r, db);
    db_result_t res;
    if (db_exec(db, &Q_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/assessments/%s", id));
    set_etag(r, db_get_int(&res, 0, ASM_VERSION));
    return res_json(r, 201, assessment_json(r, &res));
}

int assessments_get(req_t *r)
{
    const char *id = req_param(r, 0);
    db_result_t res;
    if (require_id(r, id) != 0 || asm_load(r, id, &res) != 0)
        return -1;
    set_etag(r, db_get_int(&res, 0, ASM_VERSION));
    return res_json(r, 200, assessment_json(r, &res));
}

/* Reads a PATCH's fields over the assessment's current values in *in. */
static int read_changes(req_t *r, const db_result_t *a, assessment_in_t *in)
{
    static const char *const fields[] = {"name", "category", "date", "maxMarks", "weight", "state", NULL};
    body_only_fields(r, fields);
    in->class_id = db_get(a, 0, ASM_CLASS);
    in->subject_id = db_get(a, 0, ASM_SUBJECT);
    in->term_id = db_get(a, 0, ASM_TERM);
    in->name = db_get(a, 0, ASM_NAME);
    in->category = db_get(a, 0, ASM_CATEGORY);
    in->date = db_get(a, 0, ASM_DATE);
    in->max = db_get_int(a, 0, ASM_MAX);
    in->weight = db_get_int(a, 0, ASM_WEIGHT);
    in->state = 0;
    for (int i = 0; states[i] != NULL; i++)
        if (strcmp(states[i], db_get(a, 0, ASM_STATE)) == 0)
            in->state = i;
    body_string(r, "name", 0, 1, 100, &in->name);
    body_string(r, "category", 0, 1, 40, &in->category);
    body_date(r, "date", 0, &in->date);
    if (asm_hundredths(r, "maxMarks", json_object_get(r->json, "maxMarks"), 100000, &in->max) == 1 && in->max == 0)
        res_field_error(r, "maxMarks", "must be more than 0");
    body_int(r, "weight", 0, 1, 100, &in->weight);
    body_enum(r, "state", 0, states, &in->state);
    return res_check_fields(r);
}

/* The highest mark given must stay within a new maximum: 0, or -1 with 422. */
static int check_max(req_t *r, const char *id, const assessment_in_t *in)
{
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_MAX_MARK, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    long long top = db_is_null(&res, 0, 0) ? 0 : db_get_int(&res, 0, 0);
    if (top > in->max)
        res_field_error(r, "maxMarks", "must be at least %lld.%02lld, the highest mark given", top / 100, top % 100);
    return res_check_fields(r);
}

int assessments_update(req_t *r)
{
    const char *id = req_param(r, 0);
    db_result_t a, term, res;
    if (require_id(r, id) != 0 || asm_load(r, id, &a) != 0)
        return -1;
    int rc = asm_teaches_subject(r, db_get(&a, 0, ASM_CLASS), db_get(&a, 0, ASM_SUBJECT));
    if (rc <= 0)
        return rc < 0 ? -1 : res_fail(r, ERR_FORBIDDEN, "Only the subject's teachers in this class (and admins) may.");
    long long version = db_get_int(&a, 0, ASM_VERSION);
    assessment_in_t in;
    if (if_match(r, version, "assessment") != 0 || read_changes(r, &a, &in) != 0)
        return -1;
    if (patch_is_empty(r)) {
        set_etag(r, version);
        return res_json(r, 200, assessment_json(r, &a));
    }
    if (school_ref(r, &Q_TERM, in.term_id, "term", NULL, &term) != 1 || check_term(r, &in, &term) != 0 ||
        check_max(r, id, &in) != 0)
        return -1;
    db_t *db = req_db(r);
    if (db_exec(db, &Q_UPDATE,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_INT(version), DB_TEXT(in.name),
                        DB_TEXT(in.category), DB_TEXT(in.date), DB_INT(in.max), DB_INT(in.weight),
                        DB_TEXT(states[in.state]), DB_INT(clock_wall_ms())),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.changes == 0)
        return stale_write(r, "assessment");
    if (asm_audit(r, db, "assessment.update", "assessment", id,
                  arena_printf(&r->arena, "%s %s %s max %lld weight %lld %s -> %s %s %s max %lld weight %lld %s",
                               db_get(&a, 0, ASM_NAME), db_get(&a, 0, ASM_CATEGORY), db_get(&a, 0, ASM_DATE),
                               db_get_int(&a, 0, ASM_MAX), db_get_int(&a, 0, ASM_WEIGHT), db_get(&a, 0, ASM_STATE),
                               in.name, in.category, in.date, (long long)in.max, in.weight, states[in.state])) != 0 ||
        db_exec(db, &Q_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    set_etag(r, db_get_int(&res, 0, ASM_VERSION));
    return res_json(r, 200, assessment_json(r, &res));
}

/* ---------------------------------------------------------------- category weights */

#define MAX_CATEGORIES GRADE_MAX_CATEGORIES

typedef struct weights_in {
    req_t *r;
    const char *subject_id, *term_id;
    const char *category[MAX_CATEGORIES];
    uint32_t weight[MAX_CATEGORIES];
    size_t n;
    int unused; /* a category of an assessment left out: 422 */
    sbuf_t old;
} weights_in_t;

/* Reads weights[i] (r->json); body_array() prefixes the errors. */
static void read_weight(req_t *r, size_t i, void *ctx)
{
    static const char *const fields[] = {"category", "weight", NULL};
    weights_in_t *w = ctx;
    long long wt = 0;
    body_only_fields(r, fields);
    body_string(r, "category", 1, 1, 40, &w->category[i]);
    body_int(r, "weight", 1, 1, 100, &wt);
    w->weight[i] = (uint32_t)wt;
    for (size_t k = 0; k < i && w->category[i] != NULL; k++)
        if (w->category[k] != NULL && strcmp(w->category[k], w->category[i]) == 0)
            res_field_error(r, "category", "repeats weights[%zu]", k);
}

static int read_weights(req_t *r, weights_in_t *w)
{
    static const char *const fields[] = {"termId", "weights", NULL};
    body_only_fields(r, fields);
    w->term_id = body_id(r, "termId", 1);
    int n = body_array(r, "weights", 0, MAX_CATEGORIES, "{category, weight}", read_weight, w);
    if (n < 0 || res_check_fields(r) != 0)
        return res_check_fields(r);
    w->n = (size_t)n;
    uint64_t sum;
    if (grade_weights_check(w->weight, w->n, &sum) != 0)
        res_field_error(r, "weights", "must add up to 100 (they add up to %llu)", (unsigned long long)sum);
    return res_check_fields(r);
}

static int weights_in_tx(db_t *db, void *ctx)
{
    weights_in_t *w = ctx;
    req_t *r = w->r;
    db_arg_t key[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(w->subject_id), DB_TEXT(w->term_id)};
    db_result_t res;
    if (db_exec(db, &Q_USED_CATEGORIES, key, 3, &r->arena, &res) != 0)
        return -1;
    for (int i = 0; i < res.nrows && w->n > 0; i++) {
        int found = 0;
        for (size_t k = 0; k < w->n && !found; k++)
            found = strcmp(w->category[k], db_get(&res, i, 0)) == 0;
        if (!found) {
            res_field_error(r, "weights", "must weigh category %s: the term has assessments of it", db_get(&res, i, 0));
            w->unused = 1;
        }
    }
    if (w->unused)
        return 1;
    if (db_exec(db, &Q_WEIGHTS, key, 3, &r->arena, &res) != 0)
        return -1;
    sbuf_init(&w->old, &r->arena, 128);
    for (int i = 0; i < res.nrows; i++)
        sbuf_printf(&w->old, "%s%s %s", i ? ", " : "", db_get(&res, i, 0), db_get(&res, i, 1));
    if (db_exec(db, &Q_WEIGHTS_DELETE, key, 3, &r->arena, NULL) != 0)
        return -1;
    sbuf_t now;
    sbuf_init(&now, &r->arena, 128);
    for (size_t i = 0; i < w->n; i++) {
        if (db_exec(db, &Q_WEIGHT_INSERT,
                    DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(w->subject_id), DB_TEXT(w->term_id),
                            DB_TEXT(w->category[i]), DB_INT(w->weight[i]), DB_INT(clock_wall_ms())),
                    &r->arena, NULL) != 0)
            return -1;
        sbuf_printf(&now, "%s%s %u", i ? ", " : "", w->category[i], w->weight[i]);
    }
    return asm_audit(r, db, "gradeWeights.update", "subject", w->subject_id,
                     arena_printf(&r->arena, "term %s: [%s] -> [%s]", w->term_id, w->old.p, now.p));
}

int grade_weights_put(req_t *r)
{
    weights_in_t w;
    memset(&w, 0, sizeof(w));
    w.r = r;
    w.subject_id = req_param(r, 0);
    if (require_id(r, w.subject_id) != 0 || read_weights(r, &w) != 0)
        return -1;
    if (school_ref(r, &Q_SUBJECT, w.subject_id, "subject", NULL, NULL) != 1 ||
        school_ref(r, &Q_TERM, w.term_id, "term", "termId", NULL) != 1)
        return -1;
    db_t *db = req_db(r);
    if (db_transaction(db, weights_in_tx, &w) != 0)
        return w.unused ? res_check_fields(r) : r->err.code != ERR_NONE ? -1 : db_fail(r, db);
    json_t *items = json_array();
    for (size_t i = 0; i < w.n; i++)
        items = json_push(items, json_pack("{s:s,s:i}", "category", w.category[i], "weight", (int)w.weight[i]));
    return res_json(r, 200,
                    json_pack("{s:s,s:s,s:o}", "subjectId", w.subject_id, "termId", w.term_id, "weights", items));
}

/* ---------------------------------------------------------------- publication */

typedef struct publishing {
    req_t *r;
    const char *term_id;
    char scale_id[40];
    int conflict;
    int64_t at;
} publishing_t;

static int publish_in_tx(db_t *db, void *ctx)
{
    publishing_t *p = ctx;
    req_t *r = p->r;
    db_result_t res;
    int rc = asm_published(r, db, p->term_id);
    if (rc != 0) {
        p->conflict = rc > 0;
        return rc > 0 ? (res_fail(r, ERR_CONFLICT, "The term's grades are published already."), 1) : -1;
    }
    /* after a scale write in flight: its commit (a new default, new bands) is what gets published */
    if (asm_lock_scales(r, db) != 0 ||
        db_exec(db, &Q_DEFAULT_SCALE, DB_ARGS(DB_TEXT(r->auth.tenant_id)), &r->arena, &res) != 0)
        return -1;
    if (res.nrows == 0) {
        p->conflict = 1;
        res_fail(r, ERR_CONFLICT, "The school has no default grading scale to publish grades with.");
        return 1;
    }
    snprintf(p->scale_id, sizeof(p->scale_id), "%s", db_get(&res, 0, 0));
    p->at = clock_wall_ms();
    if (db_exec(db, &Q_PUBLISH,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(p->term_id), DB_TEXT(p->scale_id), DB_TEXT(r->auth.user_id),
                        DB_INT(p->at)),
                &r->arena, NULL) != 0)
        return -1;
    return asm_audit(r, db, "grades.publish", "term", p->term_id, p->scale_id);
}

int terms_publish_grades(req_t *r)
{
    publishing_t p = {.r = r, .term_id = req_param(r, 0)};
    if (require_id(r, p.term_id) != 0 || school_ref(r, &Q_TERM, p.term_id, "term", NULL, NULL) != 1)
        return -1;
    db_t *db = req_db(r);
    if (db_transaction(db, publish_in_tx, &p) != 0)
        return p.conflict ? -1 : r->err.code != ERR_NONE ? -1 : db_fail(r, db);
    return res_json(r, 200,
                    json_pack("{s:s,s:s,s:s,s:s}", "termId", p.term_id, "scaleId", p.scale_id, "publishedById",
                              r->auth.user_id, "publishedAt", iso_time(&r->arena, p.at)));
}
