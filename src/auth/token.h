/*
 * token.h - access tokens (JWT, HS256, signed with libjwt) and refresh tokens
 * (opaque random strings, stored only as SHA-256 digests).
 *
 * Every access token names its signing key in the "kid" header (the first 16
 * hex digits of the key's SHA-256), so keys can rotate: ERP_JWT_SECRET signs,
 * ERP_JWT_PREVIOUS_SECRETS still verify. Claims: iss "school-erp", sub (user
 * id), tid (school id, "" for platform admins), sid (session id), jti (token
 * id), rol (role bits), iat, exp.
 *
 * A refresh token reads "rt1.<school id hex>.<43 random base64url chars>": the
 * school it belongs to travels with it, so its row is found by (tenant, digest).
 */
#ifndef ERP_AUTH_TOKEN_H
#define ERP_AUTH_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

typedef struct token_claims {
    char tenant_id[40]; /* "" for platform admins */
    char user_id[40];
    char session_id[40];
    char token_id[40];
    unsigned roles;
    int64_t issued_at;  /* Unix seconds */
    int64_t expires_at; /* Unix seconds */
} token_claims_t;

typedef enum {
    TOKEN_OK = 0,
    TOKEN_MALFORMED,
    TOKEN_UNKNOWN_KEY,
    TOKEN_BAD_SIGNATURE,
    TOKEN_EXPIRED,
} token_status_t;

/*
 * Loads the signing keys. Without ERP_JWT_SECRET the embedded profile keeps a
 * generated secret in DATA_DIR/jwt-secret (mode 0600); the PostgreSQL profile
 * requires the variable, since every instance must share the key.
 * Returns 0, or -1 with a message.
 */
int token_setup(const config_t *cfg, char *err, size_t errlen);

/* Signs claims; returns a malloc'd token, or NULL on failure. */
char *token_issue(const token_claims_t *claims);

/* Verifies signature, key, issuer and expiry (at now, Unix seconds) and fills claims. */
token_status_t token_verify(const char *token, int64_t now, token_claims_t *claims);

/* Human-readable reason for a status. */
const char *token_status_text(token_status_t st);

#define REFRESH_TOKEN_MAX 128

/* Makes a refresh token for a school (tenant id with dashes) and the hex SHA-256 of it. */
void refresh_token_new(const char *tenant_id, char out[REFRESH_TOKEN_MAX], char digest[65]);

/* Reads the school id (with dashes) and digest from a refresh token; 0, or -1 when malformed. */
int refresh_token_parse(const char *token, char tenant_id[40], char digest[65]);

#endif
