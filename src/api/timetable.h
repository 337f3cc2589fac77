/* timetable.h - handlers of the timetable routes (rows in src/api/routes/timetable.inc). */
#ifndef ERP_API_TIMETABLE_H
#define ERP_API_TIMETABLE_H

#include "http/handler.h"

/* POST /timetable-slots: a weekly lesson; 409 naming the clash when it double-books a teacher, room or class. */
int timetable_create(req_t *r);
/* PATCH /timetable-slots/{id} (If-Match): changes or moves a slot, with the same checks (not against itself). */
int timetable_update(req_t *r);
/* DELETE /timetable-slots/{id}. */
int timetable_delete(req_t *r);
/* GET /timetable-slots/{id}. */
int timetable_get(req_t *r);
/* GET /timetable-slots?classId=&teacherId=&weekday=&room=&academicYearId=: a page of slots. */
int timetable_list(req_t *r);
/* GET /classes/{id}/timetable: the class's week, by weekday and start time. */
int timetable_of_class(req_t *r);
int timetable_of_class_loop(req_t *r);
/* GET /teachers/{id}/timetable?academicYearId=: the teacher's week (the current year unless asked). */
int timetable_of_teacher(req_t *r);

#endif
