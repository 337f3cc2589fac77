/*
 * sessions.h - logging in, refreshing, logging out, changing passwords, and
 * authenticating every request.
 *
 * A login creates a session row; its refresh tokens rotate on each use (the
 * spent one is kept, marked used); presenting a spent one again revokes the
 * whole session, since two parties hold it. Every request's access token is
 * checked against its session, account and school in one indexed read, so a
 * logout, a disabled account, a suspended school or a role change takes effect
 * on the next request, without waiting for tokens to expire.
 *
 * Password guesses (logins and password changes) are limited per address,
 * per account and address, and per account (auth/throttle.h; 429 with
 * Retry-After). A wrong school, email or password answers with the same
 * message, whether or not the email exists, and takes as long as a real
 * password check.
 */
#ifndef ERP_AUTH_SESSIONS_H
#define ERP_AUTH_SESSIONS_H

#include <jansson.h>

#include "core/config.h"
#include "http/handler.h"
#include "store/store.h"

/* Reads the settings (lockout limits, token lifetimes). */
void sessions_setup(const config_t *cfg);

/*
 * Logs in: tenant is the school's slug (NULL or "" for platform admins).
 * On success *out is {accessToken, refreshToken, tokenType, expiresIn, user}.
 */
int sessions_login(req_t *r, db_t *db, const char *tenant, const char *email, const char *password, json_t **out);

/* Exchanges a refresh token for a new pair; *out as for login. */
int sessions_refresh(req_t *r, db_t *db, const char *refresh_token, json_t **out);

/* Revokes the session of the calling token. */
int sessions_logout(req_t *r, db_t *db);

/* Changes the caller's password and revokes their other sessions. */
int sessions_change_password(req_t *r, db_t *db, const char *current, const char *next);

/* The authenticator for dispatch (uses r's thread database session). */
int sessions_authenticate(req_t *r);

/* The database id of the caller's school (the platform's id for platform admins). */
const char *sessions_tenant_of(const req_t *r);

#endif
