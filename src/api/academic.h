/*
 * academic.h - handlers of the academic routes (rows in src/api/routes/academic.inc):
 * the school's calendar (academic.c: years and terms; holidays.c: holidays and
 * school days), its subjects (subjects.c), its classes with their teaching
 * assignments and rosters (classes.c), and the enrollment of students in
 * classes (enrollments.c).
 */
#ifndef ERP_API_ACADEMIC_H
#define ERP_API_ACADEMIC_H

#include "http/handler.h"
#include "store/store.h"

/* /academic-years: at most one current year per school. */
int years_create(req_t *r);
int years_list(req_t *r);
int years_get(req_t *r);
int years_current(req_t *r);
int years_current_loop(req_t *r);
int years_update(req_t *r);
int years_delete(req_t *r);

/* /terms: inside their year, not overlapping one another. */
int terms_create(req_t *r);
int terms_list(req_t *r);
int terms_get(req_t *r);
int terms_update(req_t *r);
int terms_delete(req_t *r);

/* /holidays, keyed by date. */
int holidays_create(req_t *r);
int holidays_list(req_t *r);
int holidays_get(req_t *r);
int holidays_delete(req_t *r);

/* GET /calendar/school-days. */
int calendar_school_days(req_t *r);

/* /subjects. */
int subjects_create(req_t *r);
int subjects_list(req_t *r);
int subjects_get(req_t *r);
int subjects_update(req_t *r);
int subjects_delete(req_t *r);

/* /classes. */
int classes_create(req_t *r);
int classes_list(req_t *r);
int classes_get(req_t *r);
int classes_update(req_t *r);
int classes_delete(req_t *r);

/* /classes/{id}/subjects: teaching assignments. */
int class_subjects_list(req_t *r);
int class_subjects_create(req_t *r);
int class_subjects_get(req_t *r);
int class_subjects_update(req_t *r);
int class_subjects_delete(req_t *r);

/* GET /classes/{id}/students: the roster as of a date. */
int class_students(req_t *r);
int class_students_loop(req_t *r);

/* /enrollments. */
int enrollments_create(req_t *r);
/*
 * What POST /enrollments does, inside the caller's open transaction (the
 * imports): enrolls student_id in class_id from start with the same checks
 * (the class and its year, no overlapping enrollment, a free seat) and audit
 * event. Returns 0 with new_id set, or -1: a refusal (r->err set) or a
 * database error (r->err untouched).
 */
int enrollments_enroll(req_t *r, db_t *db, const char *student_id, const char *class_id, const char *start,
                       char new_id[40]);
int enrollments_list(req_t *r);
int enrollments_get(req_t *r);
int enrollments_delete(req_t *r);
int enrollments_transfer(req_t *r);
int enrollments_end(req_t *r);

#endif
