#include "auth/audit.h"
#include "auth/audit_queue.h"

#include <string.h>

#include "core/clock.h"
#include "core/ids.h"

const char PLATFORM_TENANT_ID[] = "00000000-0000-0000-0000-000000000000";

static stmt_t Q_INSERT = STMT("audit.insert", 0,
                              "INSERT INTO audit_events (tenant_id, id, at, actor_id, actor_roles, action, outcome,"
                              " subject_type, subject_id, request_id, remote_addr, detail)"
                              " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)");

int audit_record(db_t *db, const req_t *r, const audit_event_t *e)
{
    char id[UUID_STR_LEN + 1];
    ids_uuid7(id);
    arena_t a;
    arena_init(&a);
    int rc = db_exec(db, &Q_INSERT,
                     DB_ARGS(DB_TEXT(e->tenant_id), DB_TEXT(id), DB_INT(clock_wall_ms()), DB_TEXT(e->actor_id),
                             DB_INT(e->actor_roles), DB_TEXT(e->action), DB_TEXT(e->outcome ? e->outcome : "ok"),
                             DB_TEXT(e->subject_type), DB_TEXT(e->subject_id), DB_TEXT(r ? r->request_id : NULL),
                             DB_TEXT(r && r->remote_addr[0] ? r->remote_addr : NULL), DB_TEXT(e->detail)),
                     &a, NULL);
    arena_destroy(&a);
    return rc;
}

/*
 * One statement per batch, the rows as one JSON array parameter: the same
 * prepared statement serves every batch size, on both engines.
 */
#define AUDIT_COLS                                                                                                  \
    "tenant_id, id, at, actor_id, actor_roles, action, outcome, subject_type, subject_id, request_id, remote_addr," \
    " detail"
static stmt_t Q_INSERT_BATCH = STMT2(
    "audit.insert_batch", 0,
    "INSERT INTO audit_events (" AUDIT_COLS ") SELECT value->>'tenant_id', value->>'id', value->>'at',"
    " value->>'actor_id', value->>'actor_roles', value->>'action', value->>'outcome', value->>'subject_type',"
    " value->>'subject_id', value->>'request_id', value->>'remote_addr', value->>'detail' FROM json_each($1)",
    "INSERT INTO audit_events (" AUDIT_COLS ") SELECT " AUDIT_COLS " FROM json_to_recordset($1::json) AS x("
    "tenant_id uuid, id uuid, at bigint, actor_id uuid, actor_roles integer, action text, outcome text,"
    " subject_type text, subject_id text, request_id text, remote_addr text, detail text)");

int audit_insert_json(db_t *db, const char *rows, arena_t *a)
{
    return db_exec(db, &Q_INSERT_BATCH, DB_ARGS(DB_TEXT(rows)), a, NULL);
}

int audit_insert_copy(db_t *db, const char *rows, size_t len)
{
    return db_copy_in(db, "COPY audit_events (" AUDIT_COLS ") FROM STDIN", rows, len);
}

int audit_action_is_read(const char *action)
{
    const char *dot = strrchr(action, '.');
    return dot != NULL && (strcmp(dot, ".read") == 0 || strcmp(dot, ".list") == 0);
}

audit_event_t audit_caller_event(const req_t *r, const char *action, const char *subject_type, const char *subject_id,
                                 const char *detail)
{
    return (audit_event_t){.tenant_id = r->auth.tenant_id,
                           .actor_id = r->auth.user_id[0] != '\0' ? r->auth.user_id : NULL,
                           .actor_roles = r->auth.roles,
                           .action = action,
                           .subject_type = subject_type,
                           .subject_id = subject_id,
                           .detail = detail};
}

int audit_caller(db_t *db, const req_t *r, const char *action, const char *subject_type, const char *subject_id,
                 const char *detail)
{
    audit_event_t e = audit_caller_event(r, action, subject_type, subject_id, detail);
    return audit_action_is_read(action) ? audit_queue_read(db, r, &e) : audit_record(db, r, &e);
}
