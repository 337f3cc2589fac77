/*
 * idempotency.h - Idempotency-Key on POST (the semantics of Stripe's API).
 *
 * A client that may retry a POST sends a key it made (1-255 visible ASCII
 * characters). The first request with a key runs; its response, when it is a
 * success (2xx), is kept per (school, user, key) for ERP_IDEMPOTENCY_TTL_SECONDS
 * (24 h) and answered again, status, body, Location and ETag alike (with
 * Idempotent-Replayed: true), to every later request with that key, which does
 * not run. The key is bound to the request it came with (method, path, query
 * and body, by SHA-256): the same key with another request is 422. While the
 * first request runs, another with the same key is 409 (retry shortly), so two
 * concurrent requests with one key execute once. A request that fails (4xx,
 * 5xx) keeps nothing: the client may fix it and retry with the same key.
 *
 * Applies to every authenticated POST; the public ones (login, refresh) mint
 * credentials and never keep their responses. The key rows live in the
 * primary database, so every instance sees them.
 */
#ifndef ERP_API_IDEMPOTENCY_H
#define ERP_API_IDEMPOTENCY_H

#include "core/config.h"
#include "http/handler.h"

#define IDEMPOTENCY_KEY_MAX 255 /* characters of an Idempotency-Key */

/* Whether k is a well-formed Idempotency-Key: 1 to IDEMPOTENCY_KEY_MAX visible ASCII characters (0x21-0x7e). */
int idempotency_key_valid(const char *k);

/* Reads the retention (ERP_IDEMPOTENCY_TTL_SECONDS). */
void idempotency_setup(const config_t *cfg);

/*
 * Before the handler of a request (dispatch's before hook): 0 to run it, 1
 * when the response was set from a kept one (do not run), -1 with an error
 * answered (400 malformed key, 409 in progress, 422 another request, 503).
 */
int idempotency_begin(req_t *r);

/* After the handler: keeps a success for replays, or releases the key. */
void idempotency_end(req_t *r);

#endif
