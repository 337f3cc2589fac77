/* deliver.c - the "mail.send" job: one outbox row handed to the transport at most once (mail.h). */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/ids.h"
#include "jobs/jobs.h"
#include "mail/mail_int.h"

/* the attempt takes the row: from "queued" (and, on the file outbox, from "sending": its write is idempotent) */
static stmt_t Q_CLAIM = STMT("mail.claim", 0,
                             "UPDATE mail_outbox SET state = 'sending', send_token = $3, attempts = attempts + 1,"
                             " updated_at = $4 WHERE tenant_id = $1 AND id = $2"
                             " AND (state = 'queued' OR (state = 'sending' AND $5 = 1))"
                             " RETURNING message_id, to_email, subject, message");
static stmt_t Q_STATE = STMT("mail.state", 0, "SELECT state FROM mail_outbox WHERE tenant_id = $1 AND id = $2");
/* a row left "sending" by an attempt that stopped during the SMTP exchange: it may have been delivered */
static stmt_t Q_UNCERTAIN = STMT("mail.uncertain", 0,
                                 "UPDATE mail_outbox SET state = 'uncertain', updated_at = $3, last_error = $4"
                                 " WHERE tenant_id = $1 AND id = $2 AND state = 'sending'");
/* the attempt's outcome, only by the attempt that holds the row */
static stmt_t Q_SETTLE = STMT("mail.settle", 0,
                              "UPDATE mail_outbox SET state = $4, updated_at = $5, smtp_code = $6, last_error = $7,"
                              " sent_at = CASE WHEN $4 = 'sent' THEN $5 ELSE sent_at END, send_token = NULL"
                              " WHERE tenant_id = $1 AND id = $2 AND state = 'sending' AND send_token = $3");

static int db_retry(job_ctx_t *ctx, const char *what, char *reason, size_t reasonlen)
{
    snprintf(reason, reasonlen, "%s: the database failed (%s)", what, db_error(job_db(ctx))->message);
    return JOB_RETRY;
}

static json_t *state_result(const char *state)
{
    return json_pack("{s:s}", "state", state);
}

/* The row was not ours to take: say what became of it, marking an interrupted SMTP exchange uncertain. */
static int not_claimed(job_ctx_t *ctx, arena_t *a, const char *id, json_t **result, char *reason, size_t reasonlen)
{
    const job_t *job = job_current(ctx);
    db_result_t res;
    if (db_exec(job_db(ctx), &Q_STATE, DB_ARGS(DB_TEXT(job->tenant_id), DB_TEXT(id)), a, &res) != 0)
        return db_retry(ctx, "reading the message", reason, reasonlen);
    if (res.nrows == 0) {
        /* on Redis the job exists before the row's transaction commits: wait for it, then give up */
        snprintf(reason, reasonlen, "no such message (its transaction has not committed, or rolled back)");
        return job->attempts_made + 1 < job->attempts ? JOB_RETRY : JOB_FATAL;
    }
    const char *state = db_get(&res, 0, 0);
    if (strcmp(state, "queued") == 0) {
        /* committed between the claim and this read (Redis: the job ran while the row's transaction
         * was committing): not taken by anyone, so take it on the next attempt */
        snprintf(reason, reasonlen, "the message became visible only now");
        return job->attempts_made + 1 < job->attempts ? JOB_RETRY : JOB_FATAL;
    }
    if (strcmp(state, "sending") == 0) {
        const char *why = "an earlier attempt stopped during the SMTP exchange; not sent again";
        if (db_exec(job_db(ctx), &Q_UNCERTAIN,
                    DB_ARGS(DB_TEXT(job->tenant_id), DB_TEXT(id), DB_INT((int64_t)clock_wall_ms()), DB_TEXT(why)),
                    a, NULL) != 0)
            return db_retry(ctx, "recording the message's state", reason, reasonlen);
        state = "uncertain";
    }
    *result = state_result(state);
    return JOB_DONE;
}

static int settle(job_ctx_t *ctx, arena_t *a, const char *id, const char *token, const char *state, int code,
                  const char *error)
{
    const job_t *job = job_current(ctx);
    return db_exec(job_db(ctx), &Q_SETTLE,
                   DB_ARGS(DB_TEXT(job->tenant_id), DB_TEXT(id), DB_TEXT(token), DB_TEXT(state),
                           DB_INT((int64_t)clock_wall_ms()), code > 0 ? DB_INT(code) : DB_NULL, DB_TEXT(error)),
                   a, NULL);
}

/* Sends the claimed row and records the outcome. */
static int deliver(job_ctx_t *ctx, arena_t *a, const char *id, const char *token, const db_result_t *row,
                   json_t **result, char *reason, size_t reasonlen)
{
    const job_t *job = job_current(ctx);
    char err[512] = "";
    int code = 0;
    mail_outcome_t out = mail_transport_send(db_get(row, 0, 0), db_get(row, 0, 1), db_get(row, 0, 2),
                                             db_get(row, 0, 3), &code, err, sizeof(err));
    int last = job->attempts_made + 1 >= job->attempts;
    const char *state = out == MAIL_SENT ? "sent" : out == MAIL_PERMANENT || last ? "failed" : "queued";
    if (settle(ctx, a, id, token, state, code, out == MAIL_SENT ? NULL : err) != 0 && out == MAIL_SENT) {
        *result = state_result("sent"); /* delivered; the row stays "sending" and no attempt sends it again */
        return JOB_DONE;
    }
    if (out == MAIL_SENT) {
        *result = state_result("sent");
        return JOB_DONE;
    }
    snprintf(reason, reasonlen, "%s%s", out == MAIL_PERMANENT ? "refused: " : "not delivered: ", err);
    return strcmp(state, "failed") == 0 ? JOB_FATAL : JOB_RETRY;
}

int job_mail_send(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen)
{
    const job_t *job = job_current(ctx);
    const char *id = json_string_value(json_object_get(payload, "outboxId"));
    if (id == NULL) {
        snprintf(reason, reasonlen, "the job names no message");
        return JOB_FATAL;
    }
    char token[33];
    ids_random_hex(token, 16);
    int reclaim = strcmp(mail_transport_name(), "file") == 0;
    arena_t a;
    arena_init(&a);
    db_result_t res;
    int rc;
    if (db_exec(job_db(ctx), &Q_CLAIM,
                DB_ARGS(DB_TEXT(job->tenant_id), DB_TEXT(id), DB_TEXT(token), DB_INT((int64_t)clock_wall_ms()),
                        DB_INT(reclaim)),
                &a, &res) != 0)
        rc = db_retry(ctx, "taking the message", reason, reasonlen);
    else if (res.nrows == 0)
        rc = not_claimed(ctx, &a, id, result, reason, reasonlen);
    else
        rc = deliver(ctx, &a, id, token, &res, result, reason, reasonlen);
    arena_destroy(&a);
    return rc;
}
