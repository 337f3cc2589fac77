/* notice.c - the area's messages to people, queued in the caller's transaction through the mail port (announce_int.h). */
#include "api/announce/announce_int.h"
#include "mail/mail.h"

int notice_send(db_t *db, arena_t *a, const char *tenant_id, const notice_t *n, const db_result_t *rcpts)
{
    if (rcpts->nrows == 0)
        return 0;
    mail_rcpt_t *to = arena_calloc(a, sizeof(mail_rcpt_t) * (size_t)rcpts->nrows);
    for (int i = 0; i < rcpts->nrows; i++)
        to[i] = (mail_rcpt_t){.email = db_get(rcpts, i, 0), .name = db_get(rcpts, i, 1), .user_id = db_get(rcpts, i, 2)};
    mail_msg_t msg = {.kind = n->kind, .ref_id = n->ref_id, .subject = n->subject, .text = n->text,
                      .unsubscribe_url = n->unsubscribe_url};
    return mail_enqueue(db, a, tenant_id, &msg, to, rcpts->nrows, NULL);
}
