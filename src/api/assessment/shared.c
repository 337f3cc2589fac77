/* shared.c - numbers with two decimals, subject teaching, publication state and audit (assessment_int.h). */
#include "api/assessment/assessment_int.h"

#include <math.h>
#include <string.h>

#include "auth/audit.h"
#include "auth/policy.h"
#include "auth/roles.h"

/* The caller teaches the subject in the class (its assignment), while their teacher record is active. */
static stmt_t Q_TEACHES = STMT("assessment.teaches", STMT_ACCESS,
                               "SELECT 1 FROM class_subjects cs JOIN teachers t ON t.tenant_id = cs.tenant_id"
                               " AND t.id = cs.teacher_id WHERE cs.tenant_id = $1 AND cs.class_id = $2"
                               " AND cs.subject_id = $3 AND t.user_id = $4 AND t.status = 'active'");
/* on the primary: a publication just made locks the very next write */
static stmt_t Q_PUBLISHED = STMT("assessment.published", STMT_ACCESS,
                                 "SELECT 1 FROM grade_publications WHERE tenant_id = $1 AND term_id = $2");

static stmt_t Q_SCALE = STMT2("assessment.scale", STMT_READ,
                              "SELECT b.min_bp, b.label, b.descriptor, b.points FROM grading_scale_bands b"
                              " WHERE b.tenant_id = $1 AND b.scale_id = COALESCE((SELECT p.scale_id FROM"
                              " grade_publications p WHERE p.tenant_id = $1 AND p.term_id = $2), (SELECT g.id FROM"
                              " grading_scales g WHERE g.tenant_id = $1 AND g.is_default = 1))",
                              "SELECT b.min_bp, b.label, b.descriptor, b.points FROM grading_scale_bands b"
                              " WHERE b.tenant_id = $1 AND b.scale_id = COALESCE((SELECT p.scale_id FROM"
                              " grade_publications p WHERE p.tenant_id = $1 AND p.term_id = $2), (SELECT g.id FROM"
                              " grading_scales g WHERE g.tenant_id = $1 AND g.is_default))");
static stmt_t Q_LOCK_SCALES = STMT2("assessment.lock_scales", 0, "SELECT id FROM grading_scales WHERE tenant_id = $1",
                                    "SELECT id FROM grading_scales WHERE tenant_id = $1 FOR UPDATE");
int asm_lock_scales(req_t *r, db_t *db)
{
    return db_exec(db, &Q_LOCK_SCALES, DB_ARGS(DB_TEXT(r->auth.tenant_id)), &r->arena, NULL);
}

int asm_scale(req_t *r, db_t *db, const char *term_id, asm_scale_t *s)
{
    db_result_t res;
    if (db_exec(db, &Q_SCALE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(term_id)), &r->arena, &res) != 0)
        return -1;
    s->n = 0;
    for (int i = 0; i < res.nrows && s->n < ASM_MAX_BANDS; i++, s->n++) {
        s->bands[s->n].min_bp = db_get_int(&res, i, 0);
        s->bands[s->n].label = db_get(&res, i, 1);
        s->bands[s->n].descriptor = db_get(&res, i, 2);
        s->bands[s->n].points = db_is_null(&res, i, 3) ? -1 : db_get_int(&res, i, 3);
    }
    return 0;
}

int asm_hundredths(req_t *r, const char *field, json_t *v, int64_t max, int64_t *out)
{
    if (v == NULL || json_is_null(v))
        return 0;
    double x = json_is_integer(v) ? (double)json_integer_value(v) : json_is_real(v) ? json_real_value(v) : -1;
    /* input only: the number as sent, read to hundredths; no arithmetic happens on doubles */
    double h = x * 100.0, rounded = nearbyint(h);
    if (!json_is_number(v) || x < 0 || fabs(h - rounded) > 1e-6 * (rounded > 1 ? rounded : 1)) {
        res_field_error(r, field, "must be a number from 0 to %lld.%02lld with at most two decimals",
                        (long long)(max / 100), (long long)(max % 100));
        return -1;
    }
    if (rounded > (double)max) {
        res_field_error(r, field, "must be at most %lld.%02lld", (long long)(max / 100), (long long)(max % 100));
        return -1;
    }
    *out = (int64_t)rounded;
    return 1;
}

json_t *asm_number(int64_t hundredths)
{
    return hundredths % 100 == 0 ? json_integer(hundredths / 100) : json_real((double)hundredths / 100.0);
}

int asm_teaches_subject(req_t *r, const char *class_id, const char *subject_id)
{
    if (r->auth.roles & ROLE_ADMIN)
        return 1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_TEACHES,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(class_id), DB_TEXT(subject_id), DB_TEXT(r->auth.user_id)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    return res.nrows > 0;
}

int asm_published(req_t *r, db_t *db, const char *term_id)
{
    db_result_t res;
    if (db_exec(db, &Q_PUBLISHED, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(term_id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    return res.nrows > 0;
}

int asm_audit(req_t *r, db_t *db, const char *action, const char *type, const char *id, const char *detail)
{
    audit_event_t e = audit_caller_event(r, action, type, id, detail);
    return audit_record(db, r, &e);
}

size_t asm_weights_of(const db_result_t *w, const char *subject, const char **cats, uint32_t *weights)
{
    size_t n = 0;
    for (int i = 0; i < w->nrows && n < GRADE_MAX_CATEGORIES; i++)
        if (strcmp(db_get(w, i, 0), subject) == 0) {
            cats[n] = db_get(w, i, 1);
            weights[n++] = (uint32_t)db_get_int(w, i, 2);
        }
    return n;
}

int asm_category(const char *const *cats, size_t ncat, const char *category)
{
    if (ncat == 0)
        return 0;
    for (size_t c = 0; c < ncat; c++)
        if (strcmp(cats[c], category) == 0)
            return (int)c;
    return -1;
}

int asm_status(const char *status)
{
    if (status == NULL)
        return GRADE_UNMARKED;
    return strcmp(status, "mark") == 0 ? GRADE_MARK : grade_status_parse(status);
}
