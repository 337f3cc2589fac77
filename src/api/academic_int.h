/*
 * academic_int.h - what the handlers of the academic area share (academic.c,
 * classes.c, enrollments.c); not for other areas.
 */
#ifndef ERP_API_ACADEMIC_INT_H
#define ERP_API_ACADEMIC_INT_H

#include <jansson.h>

#include "api/common.h"
#include "domain/calendar.h"
#include "http/handler.h"
#include "store/store.h"

/* SQL: teacher p (a parameter) teaches class c, as its class teacher or a subject teacher. */
#define ACAD_TEACHES(p)                                                                                                \
    "(c.class_teacher_id = " p " OR EXISTS (SELECT 1 FROM class_subjects cs WHERE cs.tenant_id = c.tenant_id"          \
    " AND cs.class_id = c.id AND cs.teacher_id = " p "))"

/*
 * SQL: enrollment e covers date p (a parameter): from its start to its end,
 * or while open to the end of its academic year y (an enrollment is for a
 * year; an open one does not run on into the next).
 */
#define ACAD_COVERS(e, y, p) "(" e ".start_date <= " p " AND COALESCE(" e ".end_date, " y ".end_date) >= " p ")"
/* SQL: enrollment e (of year y) shares a day with [p, q] (parameters). */
#define ACAD_COVERS_RANGE(e, y, p, q) "(" e ".start_date <= " q " AND COALESCE(" e ".end_date, " y ".end_date) >= " p ")"
/* SQL: the academic year y of a row r (a class or an enrollment). */
#define ACAD_JOIN_YEAR(r) " JOIN academic_years y ON y.tenant_id = " r ".tenant_id AND y.id = " r ".academic_year_id"



/*
 * Two-part cursor keys ("<length of a>:<a><b>"), for orders on two columns
 * before the id. acad_key2_split() returns 0 with the parts in arena memory,
 * or -1 after answering 400 for a cursor this server did not make.
 */
const char *acad_key2(arena_t *a, const char *first, const char *second);
int acad_key2_split(req_t *r, const char *key, const char **first, const char **second);

/* A date query parameter; NULL when absent (with a 422 when required), or after a 422 when not a date. */
const char *acad_query_date(req_t *r, const char *name, int required);

/* Whether the body has the member and it is JSON null (a request to clear a nullable field). */
int acad_body_null(req_t *r, const char *field);

/* Sets Location (the path, formatted into the arena) and the ETag of a created record. */
void acad_created(req_t *r, long long version, const char *fmt, const char *id);

/*
 * Appends an audit event about a student (subject_type "student", or the
 * given type) for the caller; in the open transaction when there is one.
 * Returns 0 or -1 (a database error; nothing is answered).
 */
int acad_audit(req_t *r, const char *action, const char *subject_type, const char *subject_id, const char *detail);

/*
 * Ends a write that failed in the database: rolls back, then answers 409 for
 * a unique violation (with a field error on field when not NULL, detail
 * otherwise) and a foreign-key violation of a delete (when in_use is not
 * NULL: 409 with that detail), else whatever db_fail() answers. Returns -1.
 */
int acad_write_failed(req_t *r, db_t *db, const char *field, const char *message, const char *in_use);

/*
 * The school's calendar lock: a change of terms or holidays takes it
 * exclusively (exclusive 1), the marking of a register shared (0), inside
 * their transactions, so no register is marked on a day a concurrent change
 * makes no school day. PostgreSQL: the school's row (FOR NO KEY UPDATE / FOR
 * SHARE); SQLite's write transactions are serialized already. 0, or -1 after a
 * database error (answered).
 */
int acad_lock_calendar(req_t *r, db_t *db, int exclusive);

/*
 * The most students (not deleted) enrolled in a class on one day of [from,
 * to], leaving out enrollment except (NULL: none), and the first such day:
 * what a capacity must hold. 0 with *day and *peak set (*day = from and *peak
 * = 0 when nobody is enrolled), or -1 after a database error (nothing answered).
 */
int acad_class_peak(req_t *r, db_t *db, const char *class_id, const char *from, const char *to, const char *except,
                    const char **day, long long *peak);

/* Text of a result cell, or JSON null. */
json_t *acad_json_str(const char *cell);
/* Integer of a result cell, or JSON null. */
json_t *acad_json_int(const db_result_t *res, int row, int col);

#endif
