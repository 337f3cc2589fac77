/*
 * mail.h - the mail port: e-mail to people of a school, queued in the caller's
 * transaction and delivered by the job queue.
 *
 * Sending: mail_enqueue() renders a message with the school's template (its
 * name in the header, HTML-escaped; plain text and HTML alternatives) and
 * writes one row of mail_outbox per recipient, each with its own stable
 * Message-ID, then enqueues one "mail.send" job per row (job id
 * "mail-<row id>", so enqueueing again changes nothing). Call it inside the
 * transaction of the business write: on the SQL queue the rows and jobs exist
 * exactly when the write commits; on Redis the jobs are enqueued at once (call
 * it last before the commit): a job that finds no row yet is retried with
 * backoff, and fails ("no such message") when its row never committed.
 *
 * Delivery (job_mail_send, jobs.h): the handler moves the row
 *   queued ──▶ sending ──▶ sent
 *     ▲           │ └────▶ failed     (5xx answer, or the last attempt failed)
 *     └───────────┘ transient failure  (connect refused, 4xx: retried with backoff)
 *                 └──────▶ uncertain  (found "sending" by a later attempt: a worker
 *                                      stopped during the SMTP exchange; not resent)
 * Each transition is one conditional UPDATE; a row leaves "sending" only by
 * the attempt that set it. A row is therefore handed to the transport at most
 * once per "sending" mark, and a second attempt after a crash never sends it
 * again (at most once at the SMTP boundary; the file outbox is exactly once:
 * the file's name is the message's id, written by rename).
 *
 * Admins read the rows at GET /mail/deliveries (filter by kind and ref_id to
 * show what became of one announcement's messages).
 *
 * Transports (ERP_SMTP_URL):
 *   unset                 the file outbox: DATA_DIR/outbox/<message id>.eml, logged with its subject
 *   smtp://host:port      SMTP through libcurl, STARTTLS when the server offers it
 *   smtps://user:pass@host:port   SMTP over TLS, with AUTH
 * The server's certificate is verified (ERP_SMTP_CA_FILE: a CA bundle of its own).
 * ERP_MAIL_FROM (default "School ERP <no-reply@localhost>") is the sender,
 * ERP_PUBLIC_URL (default "http://localhost:8080") the base of links in messages,
 * ERP_MAIL_ATTEMPTS (5) and ERP_MAIL_BACKOFF_MS (2000) the jobs' retries.
 *
 * Retention: mail_trim(), run by the workers' maintenance, deletes rows that
 * ended (sent, failed, uncertain) more than ERP_MAIL_RETENTION_DAYS (90) ago,
 * their stored message with them; queued and sending rows stay whatever
 * their age. ERP_MAIL_RETENTION_SECONDS, when set, overrides the days (tests).
 *
 * Errors: 0 or -1; after -1 the database session's error (db_error()) says
 * why when the store failed, else err holds a message.
 */
#ifndef ERP_MAIL_MAIL_H
#define ERP_MAIL_MAIL_H
#include <stddef.h>

#include "core/arena.h"
#include "store/store.h"

#define MAIL_ID_MAX 160 /* a Message-ID without its angle brackets */

/* A recipient. */
typedef struct mail_rcpt {
    const char *email;   /* required */
    const char *name;    /* display name, may be NULL */
    const char *user_id; /* the account it is for, may be NULL (a guardian without an account) */
} mail_rcpt_t;

/* What to send; strings are UTF-8 and copied. */
typedef struct mail_msg {
    const char *kind;    /* "password-reset", "invitation", "email-change", "announcement", "absence", … */
    const char *ref_id;  /* the business object it is about (announcement id, …), may be NULL */
    const char *subject; /* one line */
    const char *text;    /* the body as plain text: paragraphs separated by blank lines */
    const char *html;    /* the body as an HTML fragment, already escaped (mail_html_escape), or NULL: made
                            from text (escaped, a <p> per paragraph) */
    const char *action_url;   /* a link the message is about (reset link, …): a button in HTML, a line in text */
    const char *action_label; /* its label ("Set your password"), NULL: "Open" */
    const char *unsubscribe_url; /* bulk messages (announcements, alerts): List-Unsubscribe and a footer link */
} mail_msg_t;

/*
 * Queues msg to n recipients of school tenant_id inside the caller's open
 * transaction on db (see above). Writes into ids (when not NULL, n entries of
 * MAIL_ID_MAX) the outbox rows' ids. 0, -1 (the store failed: db_error()) or MAIL_EQUEUE (the
 * queue failed: queue_error(app.queue)); either way the caller rolls back.
 */
#define MAIL_EQUEUE (-2)
int mail_enqueue(db_t *db, arena_t *a, const char *tenant_id, const mail_msg_t *msg, const mail_rcpt_t *rcpts,
                 int n, char (*ids)[MAIL_ID_MAX]);

/*
 * Deletes the outbox rows past retention (above), oldest first, in batches of
 * MAIL_TRIM_BATCH, at most MAIL_TRIM_BATCHES batches a call (each its own
 * statement: no long transaction). Returns the rows deleted, or -1 (db_error()).
 */
#define MAIL_TRIM_BATCH 500
#define MAIL_TRIM_BATCHES 20
long mail_trim(db_t *db);

/* Appends s with & < > " ' escaped for HTML text and attribute values; returns the arena copy. */
const char *mail_html_escape(arena_t *a, const char *s);

/* The base of links in messages (ERP_PUBLIC_URL, no trailing slash). */
const char *mail_public_url(void);

/* The transport in use: "file" or "smtp". */
const char *mail_transport_name(void);

#endif
