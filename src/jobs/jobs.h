/*
 * jobs.h - the product's job types: what the API enqueues and the workers run
 * (src/queue/worker.h calls the handlers; src/queue/jobs.c lists them).
 *
 *   type                 payload                                   result (GET /jobs/{id} "result")
 *   import.students      {fileId, blobId}: the uploaded CSV          the import's report (imports.h) and
 *   import.teachers                                                  "imported": true | false
 *   import.staff         {csv}: the file itself (it may hold passwords: not kept as a file)
 *   import.oneroster     {fileId, blobId}: the uploaded zip           the OneRoster import's report (oneroster.h)
 *   export.students      {params}: from, to, classId (attendance)   {fileId, filename, contentType, size}
 *   export.guardians
 *   export.enrollments
 *   export.attendance
 *   export.oneroster     {params}: {}                              the same; a zip of OneRoster 1.1 CSV files
 *   export.invoices      {params}: {}                              the same; amounts in minor units
 *   export.payments
 *   register.pdf         {classId | gradeLevel, month "YYYY-MM"}    {fileId, filename, contentType, size}
 *   report-cards.pdf     {classId, termId}: a page per student       the same and classId, termId; a draft
 *                        enrolled in the class during the term       (term not published) is watermarked
 *   fees.invoice         {structureId}: a fee structure             {structureId, students, created, existing}:
 *                        invoiced to its students (api/fees/bulk.c)  invoices made now and found made before
 *   mail.send            {outboxId}: a row of mail_outbox            {state}: sent, failed, uncertain (mail.h)
 *   account.password-reset {tenant (slug), email}: a public request  {sent}: whether such an account exists
 *                        for a reset link (api/accounts/accounts.h)   (the request's answer never says)
 *   announcement.mail    {announcementId, publishAt}: an announcement's {mailed, recipients}: mailed once when
 *                        e-mail when published (api/announce)         due and unchanged
 *   absence.alert        {classId, date, markedAt}: a register save   {alerts, messages}: its marks that still
 *                        (api/announce/alerts.c)                      stand, one alert per student and day
 *
 * The school is the job's tenant, the account the job's owner (imports and
 * exports act for it: audit events name it). A file a job writes goes to the
 * blob store and gets a row of `files` (kind "export" or "report") owned by
 * the job's owner, readable by it and by the school's admins (an export) or office (a report).
 *
 * Outcomes: a job ends "completed" when it ran to its end; an import refused
 * for wrong rows is completed with "imported": false and the row errors (the
 * report is the answer the user waits for, and running it again would not
 * change it). A database or blob store that cannot be reached is retried with
 * backoff; a request that cannot succeed (no such class, bad parameters) fails
 * for good with the reason. Every handler may run twice (delivery is at least
 * once): imports are idempotent, exports and registers write a new file row
 * whose bytes are stored once.
 */
#ifndef ERP_JOBS_JOBS_H
#define ERP_JOBS_JOBS_H

#include "api/announce/announce.h"
#include "queue/worker.h"

int job_import(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen);
int job_export(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen);
int job_register(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen);
int job_report_cards(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen);
/* fees.invoice (src/api/fees/bulk.c) */
int job_fees_invoice(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen);
/* src/mail/deliver.c */
int job_mail_send(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen);
/* src/api/accounts/reset.c */
int job_password_reset(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen);

/* The registry rows of the product's job types (src/queue/jobs.c). */
#define PRODUCT_JOB_HANDLERS                                                                                          \
    {"import.students", job_import}, {"import.teachers", job_import}, {"import.staff", job_import},                    \
        {"import.oneroster", job_import}, {"export.students", job_export}, {"export.guardians", job_export},           \
        {"export.enrollments", job_export}, {"export.attendance", job_export}, {"export.oneroster", job_export},       \
        {"register.pdf", job_register}, {"report-cards.pdf", job_report_cards}, {"fees.invoice", job_fees_invoice},   \
        {"export.invoices", job_export}, {"export.payments", job_export}, {"mail.send", job_mail_send},                \
        {"account.password-reset", job_password_reset}, {"announcement.mail", job_announcement_mail},               \
        {"absence.alert", job_absence_alert}
#define PRODUCT_JOB_COUNT 18

/* Frees what the handlers keep for the process (fonts); call once at exit of a process that ran them. */
void jobs_shutdown(void);

#endif
