/* accounts_int.h - inside the account flows (accounts.h): finding and taking a link's token. */
#ifndef ERP_API_ACCOUNTS_ACCOUNTS_INT_H
#define ERP_API_ACCOUNTS_ACCOUNTS_INT_H
#include "api/accounts/accounts.h"
#include "api/common.h"

/* A token's row, in the request's arena. */
typedef struct token_row {
    const char *tenant_id, *id, *user_id, *new_email, *email;
} token_row_t;

/* "reset", "invite", "email". */
const char *account_token_purpose(account_token_kind_t kind);
/*
 * Finds a usable token of kind: 0, or -1 answered (404 unknown or another kind, 409 used, 410 expired). With
 * ERP_SHARDS the request is then routed to the token's school's shard: take req_db(r) after this.
 */
int account_token_find(req_t *r, const char *token, account_token_kind_t kind, token_row_t *out);
/* Inside the caller's transaction: spends the token; 0, 1 (used or expired meanwhile) or -1 (db_error()). */
int account_token_take(db_t *db, arena_t *a, const token_row_t *t);
/* 503: the job queue that carries the messages cannot be reached; returns -1. */
int account_queue_down(req_t *r);
/* Ends every session of the account (inside the caller's transaction); 0 or -1. */
int account_end_sessions(db_t *db, arena_t *a, const char *tenant_id, const char *user_id, const char *why);

#endif
