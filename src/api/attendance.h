/* attendance.h - handlers of the attendance routes (rows in src/api/routes/attendance.inc). */
#ifndef ERP_API_ATTENDANCE_H
#define ERP_API_ATTENDANCE_H

#include "http/handler.h"

/* PUT /classes/{id}/attendance/{date}: marks students of the class that day (upsert, one transaction); the sheet. */
int attendance_mark(req_t *r);
/* GET /classes/{id}/attendance/{date}: every student enrolled that day with their mark or null, and counts. */
int attendance_sheet(req_t *r);
int attendance_sheet_loop(req_t *r);
/* GET /students/{id}/attendance?from=&to=: a student's marks and summary (default: the current term). */
int attendance_student(req_t *r);
/* GET /reports/attendance?classId=&from=&to=: a class's counts and rate for each school day of a range. */
int attendance_class_report(req_t *r);
/* GET /reports/attendance/daily?date=: every class's counts and rate of one day, and the school's totals. */
int attendance_daily_report(req_t *r);

#endif
