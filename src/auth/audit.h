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

/* audit_record() of an action of r's caller (its school, account and roles) on one subject. */
int audit_caller(db_t *db, const req_t *r, const char *action, const char *type, const char *id, const char *detail);

/*
 * Appends many events in one statement: rows is a JSON array of objects with
 * the members tenant_id, id, at, actor_id, actor_roles, action, outcome,
 * subject_type, subject_id, request_id, remote_addr, detail (the columns;
 * null where empty). Runs in the caller's transaction when one is open.
 * Returns 0 or -1 (db error).
 */
int audit_insert_json(db_t *db, const char *rows, arena_t *a);

/*
 * Whether an action only reads ("….read", "….list"): such events go through
 * the audit queue (auth/audit_queue.h), off the request path; every other
 * event is written in the caller's transaction.
 */
int audit_action_is_read(const char *action);

/* The platform's pseudo-school id (platform admins and tenant administration events live there). */
extern const char PLATFORM_TENANT_ID[];

#endif
