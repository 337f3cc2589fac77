/* outbox.c - queueing messages: outbox rows and their delivery jobs in the caller's transaction (mail.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "mail/mail_int.h"
#include "queue/queue.h"

static stmt_t Q_SCHOOL = STMT("mail.school", 0, "SELECT name, logo_blob_id, logo_type FROM tenants WHERE id = $1");
static stmt_t Q_INSERT = STMT("mail.outbox_insert", 0,
                              "INSERT INTO mail_outbox (tenant_id, id, message_id, kind, ref_id, user_id, to_email,"
                              " subject, message, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
                              " $10, $10)");

/* Text with CRLF line ends, as a message's body must have. */
static const char *crlf(arena_t *a, const char *s)
{
    sbuf_t b;
    sbuf_init(&b, a, strlen(s) + 64);
    for (; *s != '\0'; s++) {
        if (*s == '\n' && (b.len == 0 || b.p[b.len - 1] != '\r'))
            sbuf_putc(&b, '\r');
        sbuf_putc(&b, *s);
    }
    return b.p != NULL ? b.p : "";
}

static int enqueue_job(db_t *db, const char *tenant_id, const char *row_id)
{
    const mail_settings_t *s = mail_settings();
    char job_id[QUEUE_ID_MAX], dedup[QUEUE_ID_MAX], payload[128];
    snprintf(dedup, sizeof(dedup), "mail-%s", row_id);
    snprintf(payload, sizeof(payload), "{\"outboxId\":\"%s\"}", row_id);
    job_spec_t spec = {.id = dedup, .tenant_id = tenant_id, .type = "mail.send", .payload = payload,
                       .attempts = s->attempts, .backoff_ms = s->backoff_ms};
    int existed = 0;
    if (app.queue == NULL)
        return MAIL_EQUEUE; /* a process without a queue cannot send mail */
    return queue_enqueue_in(app.queue, db, &spec, job_id, &existed) == 0 ? 0 : MAIL_EQUEUE;
}

/* What every recipient's message shares: the rendered bodies and the school's logo. */
typedef struct rendered {
    const char *text, *html;
    const void *logo;
    size_t logo_len;
    const char *logo_type, *logo_cid;
} rendered_t;

static int enqueue_one(db_t *db, arena_t *a, const char *tenant_id, const mail_msg_t *msg, const mail_rcpt_t *to,
                       const rendered_t *body, char id[MAIL_ID_MAX])
{
    const mail_settings_t *s = mail_settings();
    int64_t now = (int64_t)clock_wall_ms();
    char row_id[UUID_STR_LEN + 1];
    ids_uuid7(row_id);
    const char *message_id = arena_printf(a, "%s@%s", row_id, s->domain);
    mail_parts_t p = {.from = s->from, .to_email = to->email, .to_name = to->name, .subject = msg->subject,
                      .message_id = message_id, .date_ms = now, .text = body->text, .html = body->html,
                      .unsubscribe_url = msg->unsubscribe_url, .logo = body->logo, .logo_len = body->logo_len,
                      .logo_type = body->logo_type, .logo_cid = body->logo_cid};
    const char *message = mail_compose(a, &p);
    if (db_exec(db, &Q_INSERT,
                DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(row_id), DB_TEXT(message_id), DB_TEXT(msg->kind),
                        DB_TEXT(msg->ref_id), DB_TEXT(to->user_id), DB_TEXT(to->email), DB_TEXT(msg->subject),
                        DB_TEXT(message), DB_INT(now)),
                a, NULL) != 0)
        return -1;
    if (id != NULL)
        snprintf(id, MAIL_ID_MAX, "%s", row_id);
    return enqueue_job(db, tenant_id, row_id);
}

/* The school's logo (columns 1 and 2 of Q_SCHOOL) when it has one and this process has the file store; a logo
   that cannot be read is left out (logged): the message matters more than its decoration. */
static void load_logo(arena_t *a, const db_result_t *school, rendered_t *out)
{
    const char *blob_id = db_get(school, 0, 1), *type = db_get(school, 0, 2);
    if (blob_id == NULL || type == NULL || app.blob == NULL)
        return;
    void *data;
    size_t len;
    blob_err_t e;
    if (blob_get(app.blob, blob_id, &data, &len, &e) != 0) {
        log_warn("mail without the school's logo", "blob=%s error=%s", blob_id, e.message);
        return;
    }
    out->logo = arena_memdup(a, data, len);
    free(data);
    out->logo_len = len;
    out->logo_type = type;
    out->logo_cid = arena_printf(a, "logo@%s", mail_settings()->domain);
}

int mail_enqueue(db_t *db, arena_t *a, const char *tenant_id, const mail_msg_t *msg, const mail_rcpt_t *rcpts,
                 int n, char (*ids)[MAIL_ID_MAX])
{
    db_result_t res;
    if (db_exec(db, &Q_SCHOOL, DB_ARGS(DB_TEXT(tenant_id)), a, &res) != 0)
        return -1;
    rendered_t body = {0};
    if (res.nrows > 0)
        load_logo(a, &res, &body);
    mail_render(a, res.nrows > 0 ? db_get(&res, 0, 0) : "School", body.logo_cid, msg, &body.text, &body.html);
    body.text = crlf(a, body.text);
    body.html = crlf(a, body.html);
    for (int i = 0; i < n; i++) {
        int rc = enqueue_one(db, a, tenant_id, msg, &rcpts[i], &body, ids != NULL ? ids[i] : NULL);
        if (rc != 0)
            return rc;
    }
    return 0;
}
