/*
 * people.h - handlers of the people routes (rows in src/api/routes/people.inc):
 * teachers (teachers.c), students (students.c), guardians and their links to
 * students (guardians.c); what they share is in people.c (people_int.h).
 */
#ifndef ERP_API_PEOPLE_H
#define ERP_API_PEOPLE_H

#include "http/handler.h"

/* /teachers: employee number unique per school; userId links a teacher account. */
int teachers_create(req_t *r);
int teachers_list(req_t *r);
int teachers_get(req_t *r);
int teachers_update(req_t *r);

/* /students: admission number unique per school; soft delete; every read and write audited. */
int students_create(req_t *r);
int students_list(req_t *r);
int students_get(req_t *r);
int students_get_loop(req_t *r);
int students_update(req_t *r);
int students_delete(req_t *r);
/* GET /me/students: a parent's children, a student's own record. */
int me_students(req_t *r);

/* /guardians: userId links a parent account. */
int guardians_create(req_t *r);
int guardians_list(req_t *r);
int guardians_get(req_t *r);
int guardians_update(req_t *r);
/* /me/guardian: a parent's own guardian record; PATCH edits its contact fields (email, phone, address). */
int guardians_get_own(req_t *r);
int guardians_update_own(req_t *r);

/* Links: PUT/DELETE /students/{id}/guardians/{guardianId}, GET /students/{id}/guardians, GET /guardians/{id}/students. */
int student_guardian_put(req_t *r);
int student_guardian_delete(req_t *r);
int student_guardians_list(req_t *r);
int guardian_students_list(req_t *r);

#endif
