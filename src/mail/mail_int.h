/*
 * mail_int.h - inside the mail port: message composition (message.c), the
 * school's template (template.c), settings and transports (transport.c).
 */
#ifndef ERP_MAIL_MAIL_INT_H
#define ERP_MAIL_MAIL_INT_H
#include <stdint.h>

#include "core/arena.h"
#include "core/sbuf.h"
#include "mail/mail.h"

/* The parts of one message to one recipient, ready to compose. */
typedef struct mail_parts {
    const char *from;        /* "Name <addr>" as configured */
    const char *to_email;
    const char *to_name;     /* may be NULL */
    const char *subject;
    const char *message_id;  /* without brackets */
    int64_t date_ms;
    const char *text;        /* whole plain text body */
    const char *html;        /* whole HTML document */
    const char *unsubscribe_url; /* may be NULL */
    const void *logo;        /* the school's logo, an inline part the HTML names by logo_cid; NULL: none */
    size_t logo_len;
    const char *logo_type;
    const char *logo_cid;
} mail_parts_t;

/* The RFC 5322 message (CRLF line ends, MIME multipart/alternative, base64 bodies, RFC 2047 headers). */
const char *mail_compose(arena_t *a, const mail_parts_t *p);
/* Appends an unstructured header's value, as RFC 2047 encoded words when it is not plain ASCII. */
void mail_header_text(sbuf_t *b, const char *name, const char *value);

/* Renders msg with the school's template: *text and *html are the whole bodies; logo_cid (may be NULL) heads the HTML. */
void mail_render(arena_t *a, const char *school, const char *logo_cid, const mail_msg_t *msg, const char **text,
                 const char **html);

/* Settings read once from the environment (mail.h). */
typedef struct mail_settings {
    const char *smtp_url; /* NULL: the file outbox */
    const char *ca_file;  /* ERP_SMTP_CA_FILE: the CA bundle the server's certificate is checked with; NULL: the system's */
    const char *from;
    const char *from_addr; /* the address inside from */
    const char *domain;    /* of from_addr: Message-IDs' right side */
    const char *public_url;
    int attempts;
    int64_t backoff_ms;
    int64_t retention_ms; /* ERP_MAIL_RETENTION_DAYS (ERP_MAIL_RETENTION_SECONDS overrides it) */
} mail_settings_t;
const mail_settings_t *mail_settings(void);

/* What a transport did with a message. */
typedef enum {
    MAIL_SENT = 0,
    MAIL_TRANSIENT = 1, /* not delivered; worth another attempt (connection refused, 4xx) */
    MAIL_PERMANENT = 2, /* refused for good (5xx) */
} mail_outcome_t;

/* Hands message (CRLF text) for to_email over; code: the SMTP answer when there was one, else 0. */
mail_outcome_t mail_transport_send(const char *message_id, const char *to_email, const char *subject,
                                   const char *message, int *code, char *err, size_t errlen);

#endif
