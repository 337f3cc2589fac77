/* audit.c - GET /audit-events: who did what to which record, when. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/audit_queue.h"
#include "auth/sessions.h"
#include "core/ids.h"

/*
 * Filters: actor ($2), subject type ($3), subject id ($4), action ($5), time range [$6, $7), keyset ($8, $9).
 * Each optional filter reads "(column = $n OR $n IS NULL)": PostgreSQL takes a parameter's type from its first use.
 */
static stmt_t Q_LIST = STMT("audit_events.list", STMT_READ,
                            "SELECT id, at, actor_id, actor_roles, action, outcome, subject_type, subject_id,"
                            " request_id, remote_addr, detail FROM audit_events"
                            " WHERE tenant_id = $1 AND (actor_id = $2 OR $2 IS NULL)"
                            " AND (subject_type = $3 OR $3 IS NULL) AND (subject_id = $4 OR $4 IS NULL)"
                            " AND (action = $5 OR $5 IS NULL) AND at >= $6 AND at < $7"
                            " AND ((at, id) < ($8, $9) OR $8 IS NULL)"
                            " ORDER BY at DESC, id DESC LIMIT $10");

static stmt_t Q_USER_EXISTS = STMT("users.exists", STMT_READ, "SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2");

static const char *id_filter(req_t *r, const char *name)
{
    const char *v = req_query(r, name);
    if (v != NULL && !ids_uuid_valid(v, strlen(v))) {
        res_field_error(r, name, "must be an id (UUID)");
        return NULL;
    }
    return v;
}

static json_t *event_json(req_t *r, const db_result_t *res, int i)
{
    json_t *e = json_pack("{s:s,s:s,s:o,s:o,s:s,s:s}", "id", db_get(res, i, 0), "at",
                          iso_time(&r->arena, db_get_int(res, i, 1)), "actorId",
                          db_get(res, i, 2) ? json_string(db_get(res, i, 2)) : json_null(), "actorRoles",
                          roles_json((unsigned)db_get_int(res, i, 3)), "action", db_get(res, i, 4), "outcome",
                          db_get(res, i, 5));
    static const char *const optional[] = {NULL, NULL, NULL, NULL, NULL, NULL, "subjectType", "subjectId",
                                           "requestId", "remoteAddr", "detail"};
    for (int c = 6; c <= 10 && e != NULL; c++)
        if (json_object_set_new(e, optional[c], db_get(res, i, c) ? json_string(db_get(res, i, c)) : json_null()) !=
            0) {
            json_decref(e);
            e = NULL;
        }
    return e;
}

int audit_list(req_t *r)
{
    /* this instance's reads not yet written are part of the trail the caller asks for */
    if (audit_queue_sync(2000) != 0)
        return res_fail(r, ERR_UNAVAILABLE, "The audit trail is being written; try again shortly.");
    page_t page;
    if (page_read(r, &page) != 0)
        return -1;
    const char *actor = id_filter(r, "actorId");
    const char *subject_type = req_query(r, "subjectType");
    const char *subject_id = req_query(r, "subjectId");
    const char *action = req_query(r, "action");
    long long from = 0, to = 4102444800000LL; /* 2100-01-01 */
    const char *v;
    if ((v = req_query(r, "from")) != NULL && !valid_instant(v, &from))
        res_field_error(r, "from", "must be a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:MM:SS[.mmm]Z)");
    if ((v = req_query(r, "to")) != NULL && !valid_instant(v, &to))
        res_field_error(r, "to", "must be a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:MM:SS[.mmm]Z)");
    if (subject_type != NULL && (strlen(subject_type) == 0 || strlen(subject_type) > 40))
        res_field_error(r, "subjectType", "must be 1 to 40 characters");
    if (subject_id != NULL && (strlen(subject_id) == 0 || strlen(subject_id) > 64))
        res_field_error(r, "subjectId", "must be 1 to 64 characters");
    if (action != NULL && (strlen(action) == 0 || strlen(action) > 64))
        res_field_error(r, "action", "must be 1 to 64 characters");
    if (res_check_fields(r) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    /* an account of another school is "no such user", as everywhere */
    if (actor != NULL) {
        if (db_exec(db, &Q_USER_EXISTS, DB_ARGS(DB_TEXT(sessions_tenant_of(r)), DB_TEXT(actor)), &r->arena, &res) != 0)
            return db_fail(r, db);
        if (res.nrows == 0)
            return res_fail(r, ERR_NOT_FOUND, "No such user (actorId).");
    }
    if (db_exec(db, &Q_LIST,
                DB_ARGS(DB_TEXT(sessions_tenant_of(r)), DB_TEXT(actor), DB_TEXT(subject_type), DB_TEXT(subject_id),
                        DB_TEXT(action), DB_INT(from), DB_INT(to),
                        page.has_cursor ? DB_INT(strtoll(page.key, NULL, 10)) : DB_NULL,
                        page_id_arg(&page), DB_INT(page.limit + 1)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    return res_json(r, 200, page_json(r, &res, page.limit, event_json, 1, NULL));
}
