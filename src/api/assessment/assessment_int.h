/*
 * assessment_int.h - what the assessment area's files share: numbers with two
 * decimals, the caller's teaching of a subject in a class, the publication
 * state of a term and the audit of a change.
 */
#ifndef ERP_API_ASSESSMENT_INT_H
#define ERP_API_ASSESSMENT_INT_H

#include <jansson.h>
#include <stdint.h>

#include "api/app.h"
#include "domain/grading.h"
#include "http/handler.h"
#include "store/store.h"

/*
 * A JSON number with at most two decimals in [0, max] hundredths (17.5 ->
 * 1750) into *out: 1, or -1 after a field error on field (the number as a
 * whole, an integer or a real). v NULL or null: 0 (absent).
 */
int asm_hundredths(req_t *r, const char *field, json_t *v, int64_t max, int64_t *out);
/* Hundredths as a JSON number (1750 -> 17.5). */
json_t *asm_number(int64_t hundredths);

/* Whether the caller may write for subject_id in class_id: 1 admin or one of its teachers, 0 not, -1 error. */
int asm_teaches_subject(req_t *r, const char *class_id, const char *subject_id);
/* Whether term_id's grades are published: 1, 0, -1 after a database error (answered). */
int asm_published(req_t *r, db_t *db, const char *term_id);
/*
 * The assessment id into *res (columns: id, class_id, subject_id, term_id, name, category, date, max_marks,
 * weight, state, version, created_at, updated_at) when the caller may read it (admin, staff, a teacher of its
 * class): 0, or -1 after answering 404 (or a database error).
 */
int asm_load(req_t *r, const char *id, db_result_t *res);
enum { ASM_ID, ASM_CLASS, ASM_SUBJECT, ASM_TERM, ASM_NAME, ASM_CATEGORY, ASM_DATE, ASM_MAX, ASM_WEIGHT, ASM_STATE,
       ASM_VERSION };

/* A grading scale's bands (at most ASM_MAX_BANDS; scales take 20). */
#define ASM_MAX_BANDS 32
typedef struct asm_scale {
    grade_band_t bands[ASM_MAX_BANDS];
    size_t n;
} asm_scale_t;
/*
 * The scale of a term's grades: the one it was published with, else the
 * school's default; none (n 0) when the school has no default. 0, or -1 after
 * a database error (not answered: db_fail()).
 */
int asm_scale(req_t *r, db_t *db, const char *term_id, asm_scale_t *out);

/*
 * The category weights of subject from rows (subject_id, category, weight)
 * into cats/weights (at most GRADE_MAX_CATEGORIES); their count. Strings point into w.
 */
size_t asm_weights_of(const db_result_t *w, const char *subject, const char **cats, uint32_t *weights);
/* The index of category among cats: 0 when there are none (one pool), -1 when it has no weight. */
int asm_category(const char *const *cats, size_t ncat, const char *category);
/* The grade_status_t of a stored status ("mark", "absent", …; NULL: unmarked). */
int asm_status(const char *status);

/*
 * A student's grades of a term (grades.c): {subjects, averagePercentage, gpa}; NULL after a database error (not
 * answered) or when the document cannot be built.
 */
json_t *asm_grades_json(req_t *r, db_t *db, const char *student_id, const char *term_id);

/*
 * Locks the school's grading scales until the transaction ends (PostgreSQL: FOR UPDATE; SQLite's BEGIN
 * IMMEDIATE serializes writers already): scale writes and publications then see each other's commits. 0 or -1.
 */
int asm_lock_scales(req_t *r, db_t *db);

/* Records an audit event of the caller (a write: in the caller's transaction). */
int asm_audit(req_t *r, db_t *db, const char *action, const char *type, const char *id, const char *detail);

#endif
