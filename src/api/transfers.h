/*
 * transfers.h - bulk work a school asks for and gets back later, through the
 * job queue (src/jobs/jobs.h says what each job does):
 *
 *   POST /api/v1/imports/{kind}             a CSV body (text/csv, at most 10 MiB) → 202 {jobId}; kinds
 *                                           students (with guardians), teachers, staff; oneroster: a zip
 *                                           of OneRoster 1.1 CSV files (application/zip) (admins)
 *   GET  /api/v1/imports/{kind}/template    the kind's columns and an example record (text/csv)
 *   GET  /api/v1/exports/{kind}             → 202 {jobId}: students, guardians, enrollments, attendance
 *                                           (?from=&to= required, ?classId=) as CSV; oneroster as a zip
 *                                           (admins, staff)
 *   POST /api/v1/reports/attendance-register {classId | gradeLevel, month: "YYYY-MM"} → 202 {jobId}:
 *                                           the monthly register as PDF (admins, staff; a teacher for
 *                                           a class they teach)
 *   POST /api/v1/report-cards {termId, classId} → 202 {jobId}: the report cards of the class's students
 *                                           in the term, a page each, as one PDF (admins, staff, the
 *                                           class's class teacher); a term not yet published prints as
 *                                           a draft, watermarked
 *
 * The answer names the job (Location: /api/v1/jobs/{id}); the job's result
 * names the file it wrote (GET /api/v1/files/{id}/content). The uploaded CSV
 * is kept as a file of kind "import" and the job enqueued in the same
 * transaction (SQL queue): the job exists exactly when the upload is recorded.
 * A staff file may hold passwords: it is not kept, it travels in the job.
 * An export asked for again within the same 10 seconds with the same
 * parameters by the same account is the same job (a reload does not start a
 * second one).
 */
#ifndef ERP_API_TRANSFERS_H
#define ERP_API_TRANSFERS_H
#include <jansson.h>

#include "http/handler.h"

#define IMPORT_MAX_BYTES (10u << 20) /* the largest upload of the server (h2o has one body limit): ~60,000 students */

int imports_create(req_t *r);   /* POST /api/v1/imports/{kind} */
int imports_template(req_t *r); /* GET /api/v1/imports/{kind}/template */
int exports_create(req_t *r);   /* GET /api/v1/exports/{kind} */
int reports_register(req_t *r); /* POST /api/v1/reports/attendance-register */
int reports_report_cards(req_t *r); /* POST /api/v1/report-cards */
/* Enqueues a job of type with payload (stolen; NULL answers 500) for the caller's school and answers 202; 0 or -1. */
int transfers_start_job(req_t *r, const char *type, json_t *payload);

#endif
