/*
 * policy.h - who may see which records: the property-level rules shared by
 * every route (the route table only says which roles may call a route).
 *
 *   admin, staff   everything of their school
 *   teacher        the classes they teach (as class teacher or subject
 *                  teacher) and the students enrolled in them, at any time,
 *                  while their teacher record is active
 *   parent         the students linked to their guardian record
 *   student        their own student record
 *
 * A record the caller may not see is answered as 404, exactly as a record that
 * does not exist, so its existence is not revealed. Functions return 1 (may),
 * 0 (may not) or -1 after a database error (r->err set: 503 or 500, never
 * taken for "may not"). The statements run on the primary (STMT_ACCESS): a
 * link just removed is no longer honoured on the very next request.
 */
#ifndef ERP_AUTH_POLICY_H
#define ERP_AUTH_POLICY_H

#include "http/handler.h"

/* Whether the caller reads the whole school (admin, staff, or a bursar, who reads the office's records to bill). */
int policy_sees_school(const req_t *r);

/*
 * The caller's own records, looked up once per request: 1 with *id set, 0
 * when there is none (*id NULL), -1 after a database error (503 answered).
 * A teacher record counts only while the teacher is active.
 */
/* The caller's teacher record (teachers.user_id, status active). */
int policy_teacher_id(req_t *r, const char **id);
/* The caller's guardian record (guardians.user_id). */
int policy_guardian_id(req_t *r, const char **id);
/* The caller's student record (students.user_id, not deleted). */
int policy_student_id(req_t *r, const char **id);

/* Whether the caller teaches the class (class teacher or a subject teacher of it). */
int policy_teaches_class(req_t *r, const char *class_id);
/* Whether the caller may read the class (admin/staff; its teachers; students in it and their parents). */
int policy_can_read_class(req_t *r, const char *class_id);
/* Whether the caller may read the student's record (see above). */
int policy_can_read_student(req_t *r, const char *student_id);
/*
 * Whether the caller may read a guardian's record: admin/staff; the parent
 * whose record it is; a teacher of one of the guardian's (not deleted) students.
 */
int policy_can_read_guardian(req_t *r, const char *guardian_id);

/*
 * The same rules for lists, applied in SQL (never by filtering rows in C):
 * policy_student_scope() gives the caller's side; POLICY_STUDENT_IDS is a
 * query of the ids of the students a caller who does not see the whole school
 * may see, to drive a list from (`FROM (" POLICY_STUDENT_IDS(...) ") v CROSS
 * JOIN students s WHERE s.tenant_id = $1 AND s.id = v.id`: SQLite then starts
 * from the few visible ids instead of scanning the school), and
 * POLICY_STUDENT_VISIBLE the condition on a student id column with the "sees
 * the school" flag. T, ALL, STUDENT, GUARDIAN, TEACHER are parameter
 * references ("$1") for the tenant, scope.all (bind as an integer) and the
 * three ids (text or NULL); each id parameter's first use is typed, as
 * PostgreSQL needs.
 */
typedef struct policy_scope {
    int all;              /* admin or staff */
    const char *student;  /* the caller's own student record, or NULL */
    const char *guardian; /* the caller's guardian record, or NULL */
    const char *teacher;  /* the caller's teacher record, or NULL */
} policy_scope_t;
/* Fills *out; 0, or -1 after a database error (503 answered). */
int policy_student_scope(req_t *r, policy_scope_t *out);

#define POLICY_STUDENT_IDS(t, student, guardian, teacher)                                                              \
    "SELECT ps0.id FROM students ps0 WHERE ps0.tenant_id = " t " AND ps0.id = " student                              \
    " UNION SELECT pg.student_id FROM student_guardians pg WHERE pg.tenant_id = " t " AND pg.guardian_id = " guardian \
    " UNION SELECT pe.student_id FROM (SELECT pc.id FROM classes pc WHERE pc.tenant_id = " t                         \
    " AND pc.class_teacher_id = " teacher " UNION SELECT ps.class_id FROM class_subjects ps"                          \
    " WHERE ps.tenant_id = " t " AND ps.teacher_id = " teacher ") tc CROSS JOIN enrollments pe"                      \
    " WHERE pe.tenant_id = " t " AND pe.class_id = tc.id"
#define POLICY_STUDENT_VISIBLE(col, t, all, student, guardian, teacher)                                                \
    "(" all " = 1 OR " col " IN (" POLICY_STUDENT_IDS(t, student, guardian, teacher) "))"

/* Answers 404 for a record the caller may not see; returns -1 (so `return policy_hidden(r, "student")`). */
int policy_hidden(req_t *r, const char *what);

#endif
