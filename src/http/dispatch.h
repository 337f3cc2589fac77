/*
 * dispatch.h - runs a matched request through the checks every route shares
 * (authentication, role, body media type and JSON) and then its handler.
 * Independent of the HTTP library; runs on whichever thread executes the route.
 */
#ifndef ERP_HTTP_DISPATCH_H
#define ERP_HTTP_DISPATCH_H

#include "http/handler.h"

/*
 * Verifies r->hdr.authorization and fills r->auth. Returns 0, or -1 with r->err
 * set (401, or 503 when the check cannot be made).
 */
typedef int (*authenticate_fn)(req_t *r);

/* Installs the authenticator; without one every non-public route answers 401. */
void dispatch_set_authenticator(authenticate_fn fn);

/* Installs a function run first for every request on its thread (to reset per-thread state); may be NULL. */
void dispatch_set_begin(void (*fn)(req_t *r));

/*
 * Installs a function run on a pool thread after the checks and just before
 * the handler (Idempotency-Key): it returns 0 to run the handler, 1 when it
 * answered instead (a kept response), -1 after setting an error.
 */
void dispatch_set_before(int (*fn)(req_t *r));

/*
 * Installs a function run after the handler of every request on a pool thread
 * (to check per-thread state, a transaction left open, and to settle what the
 * before hook began). It sees the response or the error as they will be sent;
 * it returns 0, or -1 after setting an error in place of the handler's success.
 */
void dispatch_set_end(int (*fn)(req_t *r));

/*
 * Runs r (r->route set) to completion: afterwards r->res holds the response to
 * send, a problem document when anything failed. Never fails.
 */
void dispatch_run(req_t *r);

/*
 * Whether the routes' loop functions can answer at all (they serve cached
 * responses: with the response cache off every attempt would be a miss that
 * checked the token twice). On unless turned off.
 */
void dispatch_set_loop_answers(int on);

/*
 * On an event loop thread: runs the checks of every route and the route's
 * loop function (route_t.loop). Returns 1 when r->res holds the answer; 0 when
 * the request must go to a handler thread, r left as it came.
 */
int dispatch_try_loop(req_t *r);

/* Whether a Content-Type value is application/json (parameters such as charset allowed). */
int dispatch_is_json_type(const char *content_type);

#endif
