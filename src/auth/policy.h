/*
 * policy.h - who may see which records: the property-level rules shared by
 * every route (the route table only says which roles may call a route).
 *
 *   admin, staff   everything of their school
 *   teacher        the classes they teach (as class teacher or subject
 *                  teacher) and the students enrolled in them, at any time
 *   parent         the students linked to their guardian record
 *   student        their own student record
 *
 * A record the caller may not see is answered as 404, exactly as a record that
 * does not exist, so its existence is not revealed. Functions return 1 (may),
 * 0 (may not) or -1 after a database error (r->err set).
 */
#ifndef ERP_AUTH_POLICY_H
#define ERP_AUTH_POLICY_H

#include "http/handler.h"

/* Whether the caller sees the whole school (admin or staff). */
int policy_sees_school(const req_t *r);

/* The caller's teacher record id (teachers.user_id), or NULL when there is none; cached per request. */
const char *policy_teacher_id(req_t *r);
/* The caller's guardian record id (guardians.user_id), or NULL; cached per request. */
const char *policy_guardian_id(req_t *r);
/* The caller's student record id (students.user_id), or NULL; cached per request. */
const char *policy_student_id(req_t *r);

/* Whether the caller teaches the class (class teacher or a subject teacher of it). */
int policy_teaches_class(req_t *r, const char *class_id);
/* Whether the caller may read the class (admin/staff; its teachers; students in it and their parents). */
int policy_can_read_class(req_t *r, const char *class_id);
/* Whether the caller may read the student's record (see above). */
int policy_can_read_student(req_t *r, const char *student_id);

/* Answers 404 for a record the caller may not see; returns -1 (so `return policy_hidden(r, "student")`). */
int policy_hidden(req_t *r, const char *what);

#endif
