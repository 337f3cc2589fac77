/* delivery.c - the announcement.mail job: an announcement's e-mail, once, when it is published (announce.h). */
#include <stdio.h>
#include <string.h>

#include "api/announce/announce.h"
#include "api/announce/announce_int.h"
#include "core/arena.h"
#include "core/clock.h"

static stmt_t Q_MARK = STMT("announce.mark_mailed", 0,
                            "UPDATE announcements SET mailed_at = $3 WHERE tenant_id = $1 AND id = $2"
                            " AND mailed_at IS NULL AND status = 'active' AND email AND publish_at <= $3"
                            " AND publish_at = $4");
/* why Q_MARK changed nothing: 1 while the announcement is still to be mailed at that publishAt */
static stmt_t Q_PENDING = STMT("announce.pending", 0,
                               "SELECT count(*) FROM announcements WHERE tenant_id = $1 AND id = $2"
                               " AND mailed_at IS NULL AND status = 'active' AND email AND publish_at = $3");
static stmt_t Q_EXISTS = STMT("announce.exists", 0, "SELECT 1 FROM announcements WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_TEXT = STMT("announce.text", 0, "SELECT title, body FROM announcements WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_COUNT = STMT("announce.mail_count", 0,
                             "UPDATE announcements SET mail_count = $3 WHERE tenant_id = $1 AND id = $2");

typedef struct mailing {
    arena_t *a;
    const char *tenant_id, *id;
    long long publish_at;
    int sent;  /* addresses mailed; -1: nothing to do */
    int early; /* not visible yet, or not due yet: on Redis the job can start before the write commits */
} mailing_t;

/* After a mark that changed nothing: whether the job came too early (the row not committed, or not due). */
static int too_early(db_t *db, mailing_t *m)
{
    db_result_t ex, pend;
    if (db_exec(db, &Q_EXISTS, DB_ARGS(DB_TEXT(m->tenant_id), DB_TEXT(m->id)), m->a, &ex) != 0 ||
        db_exec(db, &Q_PENDING, DB_ARGS(DB_TEXT(m->tenant_id), DB_TEXT(m->id), DB_INT(m->publish_at)), m->a,
                &pend) != 0)
        return -1;
    m->early = ex.nrows == 0 || db_get_int(&pend, 0, 0) > 0;
    return 0;
}

static int mail_in_tx(db_t *db, void *ctx)
{
    mailing_t *m = ctx;
    db_result_t res, text, rcpts;
    m->sent = -1;
    if (db_exec(db, &Q_MARK, DB_ARGS(DB_TEXT(m->tenant_id), DB_TEXT(m->id), DB_INT(clock_wall_ms()),
                                     DB_INT(m->publish_at)),
                m->a, &res) != 0)
        return -1;
    if (res.changes == 0) /* withdrawn, moved, switched off, mailed already; or early */
        return too_early(db, m);
    const char *today = school_day_of(db, m->a, m->tenant_id);
    if (today == NULL || db_exec(db, &Q_TEXT, DB_ARGS(DB_TEXT(m->tenant_id), DB_TEXT(m->id)), m->a, &text) != 0 ||
        aud_recipients(db, m->a, m->tenant_id, m->id, today, &rcpts) != 0)
        return -1;
    notice_t n = {.kind = "announcement", .ref_id = m->id, .subject = db_get(&text, 0, 0), .text = db_get(&text, 0, 1)};
    if (notice_send(db, m->a, m->tenant_id, &n, &rcpts) != 0 ||
        db_exec(db, &Q_COUNT, DB_ARGS(DB_TEXT(m->tenant_id), DB_TEXT(m->id), DB_INT(rcpts.nrows)), m->a, NULL) != 0)
        return -1;
    m->sent = rcpts.nrows;
    return 0;
}

int job_announcement_mail(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen)
{
    const job_t *job = job_current(ctx);
    const char *id = json_string_value(json_object_get(payload, "announcementId"));
    json_t *at = json_object_get(payload, "publishAt");
    if (id == NULL || !json_is_integer(at)) {
        snprintf(reason, reasonlen, "the payload names no announcement");
        return JOB_FATAL;
    }
    arena_t a;
    arena_init(&a);
    mailing_t m = {.a = &a, .tenant_id = job->tenant_id, .id = id, .publish_at = (long long)json_integer_value(at)};
    db_t *db = job_db(ctx);
    if (db_transaction(db, mail_in_tx, &m) != 0) {
        const db_error_t *e = db_error(db);
        snprintf(reason, reasonlen, "mailing the announcement: the database failed (%s)", e->message);
        arena_destroy(&a);
        return e->status == DB_UNAVAILABLE || e->status == DB_RETRY ? JOB_RETRY : JOB_FATAL;
    }
    arena_destroy(&a);
    if (m.early) {
        snprintf(reason, reasonlen, "the announcement is not due or not visible yet");
        return JOB_RETRY;
    }
    *result = m.sent < 0 ? json_pack("{s:b}", "mailed", 0) : json_pack("{s:b,s:i}", "mailed", 1, "recipients", m.sent);
    return JOB_DONE;
}
