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

/* Records an audit event of the caller (a write: in the caller's transaction). */
int asm_audit(req_t *r, db_t *db, const char *action, const char *type, const char *id, const char *detail);

#endif
