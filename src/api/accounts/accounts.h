/*
 * accounts.h - account flows that go through e-mail: password resets,
 * invitations, e-mail changes, and the caller's own contact details.
 *
 * Links carry a single-use token: 32 random bytes (base64url), stored only as
 * its SHA-256 digest in account_tokens with its purpose and expiry. Taking a
 * token is one conditional UPDATE (used_at IS NULL and not expired), in the
 * transaction that acts on it, so two uses of one link cannot both succeed.
 * An unknown token answers 404, a used one 409, an expired one 410.
 *
 *   reset   30 minutes   POST /auth/password-reset (anyone, by school and e-mail: always 202, the same body;
 *                        the account is looked up by a job, so known and unknown accounts answer alike),
 *                        POST /users/{id}/password-reset (an admin sends the link)
 *                        → POST /auth/password-reset/confirm {token, newPassword}: sets it, ends every session
 *   invite  7 days       POST /users with "invite": true (an account without a password)
 *                        → POST /auth/invitations/accept {token, newPassword}
 *   email   24 hours     PATCH /me with "email" → POST /auth/email-change/confirm {token}
 *
 * Requests for reset links are limited per client address (429 with
 * Retry-After past ERP_RESET_ADDRESS_MAX in ERP_RESET_WINDOW_SECONDS) and per
 * school and e-mail as typed (past ERP_RESET_ACCOUNT_MAX the answer is the same
 * 202 but nothing is sent): neither tells whether the account exists.
 */
#ifndef ERP_API_ACCOUNTS_ACCOUNTS_H
#define ERP_API_ACCOUNTS_ACCOUNTS_H
#include <stdint.h>

#include "http/handler.h"
#include "jobs/jobs.h"
#include "store/store.h"

#define ACCOUNT_TOKEN_MAX 48

typedef enum { TOKEN_RESET, TOKEN_INVITE, TOKEN_EMAIL } account_token_kind_t;

/* One account a link goes to. */
typedef struct account_link {
    const char *tenant_id;
    const char *user_id;
    const char *email;        /* where the message goes (the new address for an e-mail change) */
    const char *display_name;
    const char *new_email;    /* TOKEN_EMAIL only */
} account_link_t;

/*
 * Inside the caller's transaction: issues a token of kind for the account
 * (earlier unused tokens of that kind are spent) and queues its message.
 * 0, -1 (db_error()) or MAIL_EQUEUE.
 */
int account_link_send(db_t *db, arena_t *a, account_token_kind_t kind, const account_link_t *to);

/* Routes. */
int auth_password_reset(req_t *r);
int auth_password_reset_confirm(req_t *r);
int auth_invitation_accept(req_t *r);
int auth_email_change_confirm(req_t *r);
int users_password_reset(req_t *r);
/* The invitation path of POST /users (users.c answers with the account): 0 with *id, or -1 answered. */
int users_invite(req_t *r, const char **id);
int me_update(req_t *r);
/* GET /mail/deliveries (admins): the school's messages per recipient, newest first, without their bodies. */
int mail_deliveries_list(req_t *r);

/* The job that looks the account of a public reset request up and sends its link. */
int job_password_reset(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen);

#endif
