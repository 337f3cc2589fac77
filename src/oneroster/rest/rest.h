/*
 * rest.h - the OneRoster 1.1 REST binding (/ims/oneroster/v1p1/…) and the
 * OAuth 2.0 clients that call it.
 *
 * Clients (clients.c): a school admin registers a program under
 * /api/v1/oauth-clients with a name and the OneRoster scopes it may ask for;
 * the secret is shown once and kept as its SHA-256 digest; revoking stops
 * the client's tokens at once. Each token request stamps lastUsedAt.
 *
 * Tokens (token.c): POST /ims/oneroster/v1p1/oauth/token, RFC 6749 §4.4
 * (client credentials), credentials by HTTP Basic or in the form body,
 * application/x-www-form-urlencoded. A token ("or1.<school id>.<random>") is
 * an opaque bearer string kept only as its SHA-256 digest in oauth_tokens,
 * so every instance of the server accepts it and a revocation is seen on the
 * next request. It lives OR_TOKEN_TTL seconds. Errors follow RFC 6749 §5.2.
 *
 * The binding's routes are ROUTE_PUBLIC for the dispatcher (no user
 * account): or_authenticate() checks the client's token and scope inside the
 * handler and fills r->auth with the school and the client (user_id is the
 * client's id, roles 0: the audit trail shows the client as the actor).
 * Every error of the binding is an imsx_StatusInfo document
 * ({"statusInfoSet": [...]}), as OneRoster clients expect, with the HTTP
 * status the specification gives (400, 401, 403, 404, 422).
 */
#ifndef ERP_ONEROSTER_REST_REST_H
#define ERP_ONEROSTER_REST_REST_H

#include "http/handler.h"

#define OR_BASE "/ims/oneroster/v1p1"
#define OR_SCOPE_PREFIX "https://purl.imsglobal.org/spec/or/v1p1/scope/"
#define OR_TOKEN_TTL 3600

/* Scope bits (oauth_clients.scopes, oauth_tokens.scopes). */
enum {
    OR_SCOPE_ROSTER_CORE = 1u << 0,         /* roster-core.readonly */
    OR_SCOPE_ROSTER = 1u << 1,              /* roster.readonly */
    OR_SCOPE_DEMOGRAPHICS = 1u << 2,        /* roster-demographics.readonly */
    OR_SCOPE_GRADEBOOK_READ = 1u << 3,      /* gradebook.readonly */
    OR_SCOPE_GRADEBOOK_CREATEPUT = 1u << 4, /* gradebook.createput */
    OR_SCOPE_GRADEBOOK_DELETE = 1u << 5,    /* gradebook.delete */
};
#define OR_SCOPE_COUNT 6

/* The name of scope bit i ("roster-core.readonly"), or NULL. */
const char *or_scope_name(int i);
/*
 * Parses a space-separated list of scope URIs (or bare names) into bits.
 * Returns 0, or -1 with *bad (arena) naming the first unknown one.
 */
int or_scopes_parse(arena_t *a, const char *list, unsigned *bits, const char **bad);
/* The space-separated URIs of bits, in the arena. */
const char *or_scopes_text(arena_t *a, unsigned bits);

/*
 * Authenticates a OneRoster request: a bearer token of the binding, alive,
 * of a client not revoked, of an active school, carrying one of the scope
 * bits in any_of. Returns 0 with r->auth filled; 1 after answering 401
 * (with WWW-Authenticate) or 403 as imsx_StatusInfo (the handler returns 0);
 * -1 on a database error (the handler returns -1).
 */
int or_authenticate(req_t *r, unsigned any_of);

/* Answers an imsx_StatusInfo error; code_minor as the specification names them. Returns 0 (a response is set). */
int or_error(req_t *r, int status, const char *code_minor, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* /api/v1/oauth-clients (clients.c) */
int oauth_clients_create(req_t *r);
int oauth_clients_list(req_t *r);
int oauth_clients_get(req_t *r);
int oauth_clients_revoke(req_t *r);

/* POST /ims/oneroster/v1p1/oauth/token (token.c) */
int oneroster_token(req_t *r);

/* Rostering (rostering.c): one handler per collection shape; the route's path says which collection. */
int oneroster_collection(req_t *r);
int oneroster_record(req_t *r);
int oneroster_nested(req_t *r);
/*
 * GET classes/{classId}/students/{studentId}/results: the results of one of a class's students on the class's
 * line items (gradebook scopes); 404 for an unknown class or student, or a student not in the class.
 */
int oneroster_class_student_results(req_t *r);

/*
 * Gradebook writes (gradebook.c): PUT creates (201) or replaces (200) a lineItem or result by the client's
 * sourcedId through the native assessment handlers; DELETE removes it (204). Scopes gradebook.createput and
 * gradebook.delete.
 */
int oneroster_put_line_item(req_t *r);
int oneroster_delete_line_item(req_t *r);
int oneroster_put_result(req_t *r);
int oneroster_delete_result(req_t *r);

#endif
