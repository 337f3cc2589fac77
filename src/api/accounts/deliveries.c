/* deliveries.c - GET /mail/deliveries: what became of the school's messages, a row per recipient (accounts.h). */
#include <string.h>

#include "api/accounts/accounts_int.h"
#include "api/app.h"
#include "api/validate.h"

/* Newest first by (created_at, id); filters $2 state, $3 kind, $4 refId, $5 recipient; keyset $6, $7; limit $8.
   The message itself is never shown: it may carry a link's token. */
static stmt_t Q_LIST = STMT("mail.deliveries", STMT_READ,
                            "SELECT id, message_id, kind, ref_id, user_id, to_email, subject, state, attempts,"
                            " smtp_code, last_error, created_at, updated_at, sent_at FROM mail_outbox"
                            " WHERE tenant_id = $1 AND (state = $2 OR $2 IS NULL) AND (kind = $3 OR $3 IS NULL)"
                            " AND (ref_id = $4 OR $4 IS NULL) AND (to_email = $5 OR $5 IS NULL)"
                            " AND ((created_at, id) < ($6, $7) OR $6 IS NULL)"
                            " ORDER BY created_at DESC, id DESC LIMIT $8");

static json_t *opt_int(const db_result_t *res, int row, int col)
{
    return db_is_null(res, row, col) ? json_null() : json_integer(db_get_int(res, row, col));
}

static json_t *opt_str(const char *v)
{
    return v != NULL ? json_string(v) : json_null();
}

static json_t *delivery_json(req_t *r, const db_result_t *res, int row)
{
    return json_pack("{s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:s,s:I,s:o,s:o,s:s,s:s,s:o}", "id", db_get(res, row, 0),
                     "messageId", db_get(res, row, 1), "kind", db_get(res, row, 2), "refId",
                     opt_str(db_get(res, row, 3)), "userId", opt_str(db_get(res, row, 4)), "to", db_get(res, row, 5),
                     "subject", db_get(res, row, 6), "state", db_get(res, row, 7), "attempts",
                     (json_int_t)db_get_int(res, row, 8), "smtpCode", opt_int(res, row, 9), "error",
                     opt_str(db_get(res, row, 10)), "createdAt", iso_time(&r->arena, db_get_int(res, row, 11)),
                     "updatedAt", iso_time(&r->arena, db_get_int(res, row, 12)), "sentAt",
                     json_time_or_null(&r->arena, db_get(res, row, 13)));
}

/* A text filter of at most max characters, or NULL when absent; a field error when empty or longer. */
static const char *text_filter(req_t *r, const char *name, size_t max)
{
    const char *v = req_query(r, name);
    if (v != NULL && (*v == '\0' || strlen(v) > max))
        res_field_error(r, name, "must be 1 to %zu characters", max);
    return v;
}

int mail_deliveries_list(req_t *r)
{
    static const char *const states[] = {"queued", "sending", "sent", "failed", "uncertain", NULL};
    page_t page;
    if (page_read(r, &page) != 0)
        return -1;
    const char *state = req_query(r, "state");
    int known = state == NULL;
    for (const char *const *s = states; !known && *s != NULL; s++)
        known = strcmp(*s, state) == 0;
    if (!known)
        res_field_error(r, "state", "must be one of queued, sending, sent, failed, uncertain");
    const char *kind = text_filter(r, "kind", 64), *ref = text_filter(r, "refId", 64);
    const char *to = text_filter(r, "to", 254);
    if (res_check_fields(r) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_LIST,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(state), DB_TEXT(kind), DB_TEXT(ref), DB_TEXT(to),
                        page_key_arg(r, &page, 1), page_id_arg(&page), DB_INT(page.limit + 1)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    return res_json(r, 200, page_json(r, &res, page.limit, delivery_json, 11, NULL));
}
