/*
 * announce.h - the communication area: announcements to an audience of the
 * school, read receipts, and absence alerts to guardians. Routes:
 * src/api/routes/announce.inc; schemas: src/api/schemas/announce.json;
 * tables: migration 0016_announcements; jobs: announcement.mail and
 * absence.alert (src/jobs/jobs.h).
 *
 * Announcements. An audience is a list of parts, resolved in SQL on the day
 * it is asked about (audience.c): the whole school (every active account); a
 * grade level or a class (the students enrolled in it that day and its
 * teachers: class teacher and subject teachers); a role (the accounts that
 * hold it); the guardians of a class (the parent accounts, and for e-mail
 * also the guardian records with an address but no account, of the students
 * enrolled in it that day). An announcement shows from publishAt to
 * expiresAt (open-ended without) unless withdrawn (DELETE).
 *
 * Who may do what:
 *   admin          everything, any audience
 *   teacher        announces to the classes they teach and to their
 *                  guardians; edits, withdraws and lists their own
 *   everyone       reads what their audience membership shows now
 *                  (GET /me/announcements, GET /announcements/{id}), marks
 *                  it read, downloads its attachments (files.c asks
 *                  announce_file_visible())
 *   admin, author  the read count and the audience size
 *
 * E-mail: once per announcement, when it is published: creating or moving
 * publishAt enqueues a job delayed until publishAt (id
 * "ann-<id>-<publishAt>", so a repeat changes nothing); the job
 * marks the announcement mailed by a conditional update (still active, due,
 * publishAt as the job knew it, never mailed) and, in the same transaction,
 * queues one message per address of the audience. A PATCH after that sends
 * nothing more.
 *
 * Absence alerts (alerts.c): a saved register with an absent mark (or late,
 * when the school includes late) enqueues one job for that save, delayed by
 * the school's grace period. The job takes the marks of that class and day
 * still as that save left them (marked_at unchanged: a correction re-marks
 * and so drops out) and still alert-worthy, records one alert per student
 * and day (a unique key: a second save the same day sends nothing) and mails
 * each guardian of the student with an address who has not opted out. Each
 * message carries a one-click unsubscribe link (List-Unsubscribe, RFC 8058)
 * with a random token of its own, kept as its SHA-256: a POST of it opts
 * that guardian out, no account needed. The same link opened in a browser
 * (GET) shows a page that says what will stop, with a button (a plain form,
 * no script) that POSTs to …/unsubscribe/confirm, which answers a page that
 * confirms it (unsubscribe.c).
 *
 * Handlers answer as handlers do (handler.h): 0 with a response, -1 with r->err.
 */
#ifndef ERP_API_ANNOUNCE_H
#define ERP_API_ANNOUNCE_H

#include "http/handler.h"
#include "queue/worker.h"
#include "store/store.h"

int announcements_create(req_t *r);
int announcements_list(req_t *r);
int announcements_get(req_t *r);
int announcements_update(req_t *r);
int announcements_delete(req_t *r);
int announcements_read(req_t *r);
int announcements_mine(req_t *r);

int absence_alerts_list(req_t *r);
int absence_alert_settings_get(req_t *r);
int absence_alert_settings_update(req_t *r);
int guardian_absence_alerts_set(req_t *r);
int absence_alerts_unsubscribe(req_t *r);
int absence_alerts_unsubscribe_page(req_t *r);
int absence_alerts_unsubscribe_confirm(req_t *r);

/*
 * Whether the caller may download file_id as an attachment of an announcement
 * they see now (its audience, published and not expired, or its author).
 * 1, 0, or -1 after a database error (answered).
 */
int announce_file_visible(req_t *r, const char *file_id);

/*
 * Called in the transaction of a register save (attendance.c) that wrote
 * marks at marked_at: when the save holds an absent (or late) mark, enqueues
 * the alert check of that save after the school's grace period.
 * any_absent / any_late: whether the marks the save changed (those written
 * at marked_at: an unchanged mark keeps its earlier save's time, and that
 * save's check) include those statuses.
 * 0, or -1 (the transaction fails; db_error() or r->err says why).
 */
int absence_alerts_after_marking(req_t *r, db_t *db, const char *class_id, const char *date, long long marked_at,
                                 int any_absent, int any_late);

/* The jobs (src/jobs/jobs.h lists them). */
int job_announcement_mail(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen);
int job_absence_alert(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen);

#endif
