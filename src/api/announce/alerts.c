/*
 * alerts.c - absence alerts (announce.h): the school's settings, a guardian's
 * opt-out, the check a register save enqueues and the job that runs it, and
 * the admins' list of the alerts sent.
 */
#include <stdio.h>
#include <string.h>

#include "api/announce/announce.h"
#include "api/announce/announce_int.h"
#include "api/app.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "auth/crypto.h"
#include "auth/policy.h"
#include "auth/roles.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "mail/mail.h"
#include "queue/queue.h"

#define GRACE_DEFAULT 1800
#define GRACE_MAX 86400

static stmt_t Q_SETTINGS = STMT("alerts.settings", 0,
                                "SELECT enabled, include_late, grace_seconds, version, updated_at"
                                " FROM absence_alert_settings WHERE tenant_id = $1");
static stmt_t Q_SETTINGS_INSERT = STMT("alerts.settings_insert", 0,
                                       "INSERT INTO absence_alert_settings (tenant_id, enabled, include_late,"
                                       " grace_seconds, version, updated_at) VALUES ($1, $2, $3, $4, $6 + 1, $5)"
                                       " ON CONFLICT (tenant_id) DO NOTHING");
static stmt_t Q_SETTINGS_UPDATE = STMT("alerts.settings_update", 0,
                                       "UPDATE absence_alert_settings SET enabled = $2, include_late = $3,"
                                       " grace_seconds = $4, version = version + 1, updated_at = $5"
                                       " WHERE tenant_id = $1 AND version = $6");
static stmt_t Q_GUARDIAN = STMT("alerts.guardian", STMT_READ, "SELECT 1 FROM guardians WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_OPT_OUT = STMT("alerts.opt_out", 0,
                               "INSERT INTO guardian_alert_optouts (tenant_id, guardian_id, created_at)"
                               " VALUES ($1, $2, $3) ON CONFLICT (tenant_id, guardian_id) DO NOTHING");
static stmt_t Q_OPT_IN = STMT("alerts.opt_in", 0,
                              "DELETE FROM guardian_alert_optouts WHERE tenant_id = $1 AND guardian_id = $2");
/* the marks a save left (marked_at) that still stand, absent or (with $5) late */
static stmt_t Q_STANDING = STMT("alerts.standing", 0,
                                "SELECT a.student_id, a.status, s.first_name, s.last_name, c.name FROM attendance a"
                                " JOIN students s ON s.tenant_id = a.tenant_id AND s.id = a.student_id"
                                " JOIN classes c ON c.tenant_id = a.tenant_id AND c.id = a.class_id"
                                " WHERE a.tenant_id = $1 AND a.class_id = $2 AND a.date = $3 AND a.marked_at = $4"
                                " AND (a.status = 'absent' OR (a.status = 'late' AND $5 = 1)) AND s.deleted_at IS NULL"
                                " ORDER BY a.student_id");
/* whether the save is visible: it, or a later one, wrote marks of the class that day */
static stmt_t Q_VISIBLE = STMT("alerts.visible", 0,
                               "SELECT 1 FROM attendance WHERE tenant_id = $1 AND class_id = $2 AND date = $3"
                               " AND marked_at >= $4 LIMIT 1");
static stmt_t Q_ALERT = STMT("alerts.insert", 0,
                             "INSERT INTO absence_alerts (tenant_id, id, student_id, date, class_id, status, marked_at,"
                             " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                             " ON CONFLICT (tenant_id, student_id, date) DO NOTHING");
/* email, name, account, guardian: the guardians of a student who get alerts */
static stmt_t Q_GUARDIANS = STMT("alerts.guardians", 0,
                                 "SELECT lower(g.email), g.first_name || ' ' || g.last_name, g.user_id, g.id"
                                 " FROM student_guardians sg JOIN guardians g ON g.tenant_id = sg.tenant_id"
                                 " AND g.id = sg.guardian_id WHERE sg.tenant_id = $1 AND sg.student_id = $2"
                                 " AND g.email IS NOT NULL AND NOT EXISTS (SELECT 1 FROM guardian_alert_optouts o"
                                 " WHERE o.tenant_id = g.tenant_id AND o.guardian_id = g.id) ORDER BY g.id");
static stmt_t Q_RECIPIENT = STMT("alerts.recipient", 0,
                                 "INSERT INTO absence_alert_recipients (tenant_id, alert_id, guardian_id, email,"
                                 " unsubscribe_hash) VALUES ($1, $2, $3, $4, $5)");
static stmt_t Q_LIST = STMT("alerts.list", STMT_READ,
                            "SELECT a.id, a.student_id, s.first_name, a.class_id, a.date, a.status, a.created_at,"
                            " s.last_name FROM absence_alerts a JOIN students s ON s.tenant_id = a.tenant_id"
                            " AND s.id = a.student_id WHERE a.tenant_id = $1 AND a.date = $2"
                            " AND ((a.created_at, a.id) > ($3, $4) OR $3 IS NULL) ORDER BY a.created_at, a.id LIMIT $5");
static stmt_t Q_RECIPIENTS = STMT("alerts.recipients", STMT_READ,
                                  "SELECT guardian_id, email FROM absence_alert_recipients WHERE tenant_id = $1"
                                  " AND alert_id = $2 ORDER BY email");

/* ---------------------------------------------------------------- settings */

typedef struct settings {
    int enabled, include_late;
    long long grace, version;
    const char *updated_at; /* NULL: never changed */
} settings_t;

static int settings_load(db_t *db, arena_t *a, const char *tenant_id, settings_t *s)
{
    db_result_t res;
    *s = (settings_t){1, 0, GRACE_DEFAULT, 1, NULL};
    if (db_exec(db, &Q_SETTINGS, DB_ARGS(DB_TEXT(tenant_id)), a, &res) != 0)
        return -1;
    if (res.nrows == 1)
        *s = (settings_t){db_get_bool(&res, 0, 0), db_get_bool(&res, 0, 1), db_get_int(&res, 0, 2),
                          db_get_int(&res, 0, 3), db_get(&res, 0, 4)};
    return 0;
}

static int settings_respond(req_t *r)
{
    settings_t s;
    if (settings_load(req_db(r), &r->arena, r->auth.tenant_id, &s) != 0)
        return db_fail(r, req_db(r));
    set_etag(r, s.version);
    return res_json(r, 200, json_pack("{s:b,s:b,s:I,s:I,s:o}", "enabled", s.enabled, "includeLate", s.include_late,
                                      "graceSeconds", (json_int_t)s.grace, "version", (json_int_t)s.version,
                                      "updatedAt", json_time_or_null(&r->arena, s.updated_at)));
}

int absence_alert_settings_get(req_t *r)
{
    return settings_respond(r);
}

int absence_alert_settings_update(req_t *r)
{
    static const char *const fields[] = {"enabled", "includeLate", "graceSeconds", NULL};
    settings_t s;
    db_t *db = req_db(r);
    db_read_primary(db, 1);
    if (settings_load(db, &r->arena, r->auth.tenant_id, &s) != 0)
        return db_fail(r, db);
    body_only_fields(r, fields);
    body_bool(r, "enabled", 0, &s.enabled);
    body_bool(r, "includeLate", 0, &s.include_late);
    body_int(r, "graceSeconds", 0, 0, GRACE_MAX, &s.grace);
    if (res_check_fields(r) != 0 || if_match(r, s.version, "absence alert settings") != 0)
        return -1;
    if (patch_is_empty(r))
        return settings_respond(r);
    db_result_t res;
    stmt_t *st = s.updated_at == NULL ? &Q_SETTINGS_INSERT : &Q_SETTINGS_UPDATE;
    if (db_exec(db, st,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_BOOL(s.enabled), DB_BOOL(s.include_late), DB_INT(s.grace),
                        DB_INT(clock_wall_ms()), DB_INT(s.version)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.changes == 0)
        return stale_write(r, "absence alert settings");
    if (audit_caller(db, r, "absence_alerts.settings", "school", r->auth.tenant_id,
                     arena_printf(&r->arena, "enabled %d, late %d, grace %llds", s.enabled, s.include_late,
                                  s.grace)) != 0)
        return -1;
    return settings_respond(r);
}

/* ---------------------------------------------------------------- a guardian's choice */

int alerts_opt_out(db_t *db, arena_t *a, const char *tenant_id, const char *guardian_id)
{
    return db_exec(db, &Q_OPT_OUT, DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(guardian_id), DB_INT(clock_wall_ms())), a,
                   NULL);
}

int guardian_absence_alerts_set(req_t *r)
{
    static const char *const fields[] = {"enabled", NULL};
    const char *id = req_param(r, 0);
    int enabled = 1;
    if (require_id(r, id) != 0)
        return -1;
    body_only_fields(r, fields);
    body_bool(r, "enabled", 1, &enabled);
    if (res_check_fields(r) != 0)
        return -1;
    if (!policy_sees_school(r)) { /* a parent: their own guardian record only */
        const char *own;
        int rc = policy_guardian_id(r, &own);
        if (rc < 0)
            return -1;
        if (rc == 0 || strcmp(own, id) != 0)
            return policy_hidden(r, "guardian");
    }
    if (school_ref(r, &Q_GUARDIAN, id, "guardian", NULL, NULL) != 1)
        return -1;
    db_t *db = req_db(r);
    int rc = enabled ? db_exec(db, &Q_OPT_IN, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, NULL)
                     : alerts_opt_out(db, &r->arena, r->auth.tenant_id, id);
    if (rc != 0)
        return db_fail(r, db);
    if (audit_caller(db, r, enabled ? "guardian.absence_alerts_on" : "guardian.absence_alerts_off", "guardian", id,
                     NULL) != 0)
        return -1;
    return res_json(r, 200, json_pack("{s:s,s:b}", "guardianId", id, "enabled", enabled));
}

/* ---------------------------------------------------------------- after a register save */

int absence_alerts_after_marking(req_t *r, db_t *db, const char *class_id, const char *date, long long marked_at,
                                 int any_absent, int any_late)
{
    if (!any_absent && !any_late)
        return 0;
    settings_t s;
    if (settings_load(db, &r->arena, r->auth.tenant_id, &s) != 0)
        return -1;
    if (!s.enabled || (!any_absent && !s.include_late))
        return 0;
    char job_id[QUEUE_ID_MAX];
    int existed = 0;
    const char *payload = arena_printf(&r->arena, "{\"classId\":\"%s\",\"date\":\"%s\",\"markedAt\":%lld}", class_id,
                                       date, marked_at);
    /* "a-<class>-<YYYYMMDD>-<ms>": at most 61 characters (QUEUE_ID_MAX) */
    job_spec_t spec = {.id = arena_printf(&r->arena, "a-%s-%.4s%.2s%.2s-%lld", class_id, date, date + 5, date + 8,
                                          marked_at),
                       .tenant_id = r->auth.tenant_id, .type = "absence.alert", .payload = payload,
                       .delay_ms = s.grace * 1000};
    if (queue_enqueue_in(app.queue, db, &spec, job_id, &existed) != 0) {
        log_error("cannot enqueue an absence alert", "%s", queue_error(app.queue));
        return res_fail(r, ERR_UNAVAILABLE, "The job queue cannot be reached; try again.");
    }
    return 0;
}

/* ---------------------------------------------------------------- the job */

typedef struct alerting {
    arena_t *a;
    const char *tenant_id, *class_id, *date;
    long long marked_at;
    int include_late;
    int alerts, messages;
    int unseen; /* the save is not visible (yet): on Redis the job can start before the save commits */
} alerting_t;

/*
 * Records guardian row of rcpts as a recipient of alert id, with the hash of
 * a new one-click unsubscribe token, and queues their message, whose link
 * carries the token. 0 or -1.
 */
static int mail_guardian(db_t *db, alerting_t *al, const char *id, notice_t *n, const db_result_t *rcpts, int row)
{
    char token[48], hash[65];
    crypto_random_b64(token, sizeof(token), 32);
    crypto_sha256_hex(token, strlen(token), hash);
    if (db_exec(db, &Q_RECIPIENT,
                DB_ARGS(DB_TEXT(al->tenant_id), DB_TEXT(id), DB_TEXT(db_get(rcpts, row, 3)),
                        DB_TEXT(db_get(rcpts, row, 0)), DB_TEXT(hash)),
                al->a, NULL) != 0)
        return -1;
    n->unsubscribe_url = arena_printf(al->a, "%s/api/v1/absence-alerts/unsubscribe?token=%s", mail_public_url(), token);
    db_result_t one = {.nrows = 1, .ncols = rcpts->ncols, .cells = &rcpts->cells[row * rcpts->ncols]};
    return notice_send(db, al->a, al->tenant_id, n, &one);
}

/* Records the alert of one student (once a day) and mails their guardians. */
static int alert_student(db_t *db, alerting_t *al, const db_result_t *marks, int row)
{
    const char *student = db_get(marks, row, 0), *status = db_get(marks, row, 1);
    char id[40];
    ids_uuid7(id);
    db_result_t res, rcpts;
    if (db_exec(db, &Q_ALERT,
                DB_ARGS(DB_TEXT(al->tenant_id), DB_TEXT(id), DB_TEXT(student), DB_TEXT(al->date),
                        DB_TEXT(al->class_id), DB_TEXT(status), DB_INT(al->marked_at), DB_INT(clock_wall_ms())),
                al->a, &res) != 0)
        return -1;
    if (res.changes == 0)
        return 0; /* alerted already today */
    if (db_exec(db, &Q_GUARDIANS, DB_ARGS(DB_TEXT(al->tenant_id), DB_TEXT(student)), al->a, &rcpts) != 0)
        return -1;
    const char *name = arena_printf(al->a, "%s %s", db_get(marks, row, 2), db_get(marks, row, 3));
    int late = strcmp(status, "late") == 0;
    notice_t n = {.kind = "absence",
                  .ref_id = arena_strdup(al->a, id),
                  .subject = arena_printf(al->a, "%s was marked %s on %s", name, late ? "late" : "absent", al->date),
                  .text = arena_printf(al->a,
                                       "%s was marked %s in class %s on %s.\n\nIf you did not expect this, please "
                                       "contact the school.",
                                       name, late ? "late" : "absent", db_get(marks, row, 4), al->date)};
    for (int i = 0; i < rcpts.nrows; i++)
        if (mail_guardian(db, al, id, &n, &rcpts, i) != 0)
            return -1;
    al->alerts++;
    al->messages += rcpts.nrows;
    return 0;
}

/*
 * Looks for the save first, then reads its standing marks: on PostgreSQL each
 * statement of the transaction reads what had committed when it began, so a
 * save that commits between the two reads is either unseen (the job is tried
 * again) or seen by both; read the other way round, a save committing between
 * them would look visible yet hold no marks, and its alerts would be lost.
 */
static int alert_in_tx(db_t *db, void *ctx)
{
    alerting_t *al = ctx;
    db_result_t marks, seen;
    al->alerts = al->messages = 0;
    if (db_exec(db, &Q_VISIBLE,
                DB_ARGS(DB_TEXT(al->tenant_id), DB_TEXT(al->class_id), DB_TEXT(al->date), DB_INT(al->marked_at)),
                al->a, &seen) != 0)
        return -1;
    al->unseen = seen.nrows == 0;
    if (al->unseen)
        return 0;
    if (db_exec(db, &Q_STANDING,
                DB_ARGS(DB_TEXT(al->tenant_id), DB_TEXT(al->class_id), DB_TEXT(al->date), DB_INT(al->marked_at),
                        DB_INT(al->include_late)),
                al->a, &marks) != 0)
        return -1;
    for (int i = 0; i < marks.nrows; i++)
        if (alert_student(db, al, &marks, i) != 0)
            return -1;
    return 0;
}

int job_absence_alert(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen)
{
    const job_t *job = job_current(ctx);
    json_t *at = json_object_get(payload, "markedAt");
    alerting_t al = {.tenant_id = job->tenant_id,
                     .class_id = json_string_value(json_object_get(payload, "classId")),
                     .date = json_string_value(json_object_get(payload, "date"))};
    if (al.class_id == NULL || al.date == NULL || !json_is_integer(at)) {
        snprintf(reason, reasonlen, "the payload names no register save");
        return JOB_FATAL;
    }
    al.marked_at = (long long)json_integer_value(at);
    arena_t a;
    arena_init(&a);
    al.a = &a;
    db_t *db = job_db(ctx);
    settings_t s;
    int rc = settings_load(db, &a, al.tenant_id, &s);
    al.include_late = rc == 0 && s.include_late;
    if (rc == 0 && s.enabled)
        rc = db_transaction(db, alert_in_tx, &al);
    arena_destroy(&a);
    if (rc != 0) {
        const db_error_t *e = db_error(db);
        snprintf(reason, reasonlen, "absence alerts: the database failed (%s)", e->message);
        return e->status == DB_UNAVAILABLE || e->status == DB_RETRY ? JOB_RETRY : JOB_FATAL;
    }
    if (al.unseen) {
        snprintf(reason, reasonlen, "the register save is not visible yet");
        return JOB_RETRY;
    }
    *result = json_pack("{s:i,s:i}", "alerts", al.alerts, "messages", al.messages);
    return JOB_DONE;
}

/* ---------------------------------------------------------------- the admins' list */

static json_t *alert_json(req_t *r, const db_result_t *res, int row)
{
    db_result_t rc;
    const char *id = db_get(res, row, 0);
    if (db_exec(req_db(r), &Q_RECIPIENTS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &rc) != 0)
        return NULL;
    json_t *rcpts = json_array();
    for (int i = 0; i < rc.nrows; i++)
        rcpts = json_push(rcpts, json_pack("{s:s,s:s}", "guardianId", db_get(&rc, i, 0), "email", db_get(&rc, i, 1)));
    json_t *o = json_pack("{s:s,s:s,s:{s:s,s:s,s:s},s:s,s:s,s:s,s:s}", "id", id, "studentId", db_get(res, row, 1),
                          "student", "id", db_get(res, row, 1), "firstName", db_get(res, row, 2), "lastName",
                          db_get(res, row, 7), "classId", db_get(res, row, 3), "date", db_get(res, row, 4), "status",
                          db_get(res, row, 5), "createdAt", iso_time(&r->arena, db_get_int(res, row, 6)));
    return json_with(o, "recipients", rcpts);
}

static const char *created_key(req_t *r, const db_result_t *res, int row)
{
    return arena_printf(&r->arena, "%lld", db_get_int(res, row, 6));
}

int absence_alerts_list(req_t *r)
{
    page_t page;
    const char *date = req_query(r, "date");
    if (date == NULL)
        date = school_today(r);
    else if (!valid_date(date))
        res_field_error(r, "date", "must be a date YYYY-MM-DD");
    if (page_read(r, &page) != 0 || res_check_fields(r) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_LIST,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(date), page_key_arg(r, &page, 1), page_id_arg(&page),
                        DB_INT(page.limit + 1)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    return res_json(r, 200, page_json(r, &res, page.limit, alert_json, 0, created_key));
}
