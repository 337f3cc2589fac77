/*
 * audit.h - the append-only audit trail: logins, token revocations, account and
 * role changes, and every read and write of a student's record. Rows are never
 * updated or deleted by the application.
 */
#ifndef ERP_AUTH_AUDIT_H
#define ERP_AUTH_AUDIT_H

#include "http/handler.h"
#include "store/store.h"

typedef struct audit_event {
    const char *tenant_id;    /* school; the platform's id for platform events */
    const char *actor_id;     /* user acting, NULL when unknown (failed login with an unknown email) */
    unsigned actor_roles;
    const char *action;       /* "auth.login", "user.create", "student.read", … */
    const char *outcome;      /* "ok", "failed", "denied"; NULL means "ok" */
    const char *subject_type; /* "user", "tenant", "student", "session"; may be NULL */
    const char *subject_id;
    const char *detail;       /* short free text; may be NULL */
} audit_event_t;

/*
 * Appends an event (request id and client address taken from r, which may be
 * NULL for command-line actions). Runs in the caller's transaction when one is
 * open. Returns 0 or -1 (db error).
 */
int audit_record(db_t *db, const req_t *r, const audit_event_t *e);

/*
 * Appends many events in one statement: rows is a JSON array of objects with
 * the members tenant_id, id, at, actor_id, actor_roles, action, outcome,
 * subject_type, subject_id, request_id, remote_addr, detail (the columns;
 * null where empty). Runs in the caller's transaction when one is open.
 * Returns 0 or -1 (db error).
 */
int audit_insert_json(db_t *db, const char *rows, arena_t *a);
/*
 * The same with COPY where the engine has it (db_can_copy()): rows holds one
 * line per event in COPY text format, the same columns in that order (\N for
 * null). About a fifth cheaper for PostgreSQL than the JSON array.
 */
int audit_insert_copy(db_t *db, const char *rows, size_t len);

/*
 * Whether an action only reads ("….read", "….list"): such events go through
 * the audit queue (auth/audit_queue.h), off the request path; every other
 * event is written in the caller's transaction.
 */
int audit_action_is_read(const char *action);

/*
 * The event of the request's caller (their school, account and roles; no
 * account for the command line) doing action on (subject_type, subject_id).
 */
audit_event_t audit_caller_event(const req_t *r, const char *action, const char *subject_type, const char *subject_id,
                                 const char *detail);
/*
 * Records the caller's event: a read through the audit writer's buffer
 * (audit_queue_read), anything else in the caller's transaction
 * (audit_record). Returns 0 or -1.
 */
int audit_caller(db_t *db, const req_t *r, const char *action, const char *subject_type, const char *subject_id,
                 const char *detail);

/* The platform's pseudo-school id (platform admins and tenant administration events live there). */
extern const char PLATFORM_TENANT_ID[];

#endif
