/* tokens.c - single-use links of account flows: issuing them with their message, taking them (accounts.h). */
#include <stdio.h>
#include <string.h>

#include "api/accounts/accounts_int.h"
#include "api/app.h"
#include "auth/crypto.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/ids.h"
#include "mail/mail.h"
#include "queue/queue.h"

static stmt_t Q_SPEND = STMT("account_tokens.spend", 0,
                             "UPDATE account_tokens SET used_at = $4 WHERE tenant_id = $1 AND user_id = $2"
                             " AND purpose = $3 AND used_at IS NULL");
static stmt_t Q_INSERT = STMT("account_tokens.insert", 0,
                              "INSERT INTO account_tokens (tenant_id, id, user_id, purpose, token_hash, new_email,"
                              " expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
static stmt_t Q_FIND = STMT("account_tokens.find", 0,
                            "SELECT k.tenant_id, k.id, k.user_id, k.purpose, k.expires_at, k.used_at, k.new_email,"
                            " u.email, u.status FROM account_tokens k JOIN users u ON u.tenant_id = k.tenant_id"
                            " AND u.id = k.user_id WHERE k.token_hash = $1");
static stmt_t Q_TAKE = STMT("account_tokens.take", 0,
                            "UPDATE account_tokens SET used_at = $3 WHERE tenant_id = $1 AND id = $2"
                            " AND used_at IS NULL AND expires_at > $3");

static const struct {
    const char *purpose;
    int64_t ttl_ms;
    const char *subject, *text, *path, *label;
} kinds[] = {
    [TOKEN_RESET] = {"reset", 30LL * 60 * 1000, "Reset your password",
                     "Someone, probably you, asked to reset the password of the account %s.\n\nThe link below "
                     "works once, for 30 minutes. If you did not ask for it, ignore this message: your password "
                     "stays as it is.",
                     "/reset-password", "Choose a new password"},
    [TOKEN_INVITE] = {"invite", 7LL * 24 * 3600 * 1000, "Your new account",
                      "An account was made for you: %s.\n\nChoose its password with the link below. The link "
                      "works once, for 7 days.",
                      "/accept-invitation", "Set your password"},
    [TOKEN_EMAIL] = {"email", 24LL * 3600 * 1000, "Confirm your new e-mail address",
                     "You asked to use %s as the e-mail address of your account.\n\nConfirm it with the link "
                     "below (once, within 24 hours). Until then the account keeps its current address.",
                     "/confirm-email", "Confirm this address"},
};

const char *account_token_purpose(account_token_kind_t kind)
{
    return kinds[kind].purpose;
}

int account_link_send(db_t *db, arena_t *a, account_token_kind_t kind, const account_link_t *to)
{
    char token[ACCOUNT_TOKEN_MAX], digest[65], id[UUID_STR_LEN + 1];
    crypto_random_b64(token, sizeof(token), 32);
    crypto_sha256_hex(token, strlen(token), digest);
    ids_uuid7(id);
    int64_t now = (int64_t)clock_wall_ms();
    if (db_exec(db, &Q_SPEND, DB_ARGS(DB_TEXT(to->tenant_id), DB_TEXT(to->user_id), DB_TEXT(kinds[kind].purpose),
                                      DB_INT(now)),
                a, NULL) != 0 ||
        db_exec(db, &Q_INSERT,
                DB_ARGS(DB_TEXT(to->tenant_id), DB_TEXT(id), DB_TEXT(to->user_id), DB_TEXT(kinds[kind].purpose),
                        DB_TEXT(digest), DB_TEXT(to->new_email), DB_INT(now + kinds[kind].ttl_ms), DB_INT(now)),
                a, NULL) != 0)
        return -1;
    mail_msg_t msg = {.kind = arena_printf(a, "account.%s", kinds[kind].purpose),
                      .ref_id = id,
                      .subject = kinds[kind].subject,
                      .text = arena_printf(a, kinds[kind].text, to->email),
                      .action_url = arena_printf(a, "%s%s?token=%s", mail_public_url(), kinds[kind].path, token),
                      .action_label = kinds[kind].label};
    mail_rcpt_t rcpt = {.email = to->email, .name = to->display_name, .user_id = to->user_id};
    return mail_enqueue(db, a, to->tenant_id, &msg, &rcpt, 1, NULL);
}

int account_queue_down(req_t *r)
{
    log_error("cannot enqueue mail", "%s", app.queue != NULL ? queue_error(app.queue) : "no queue");
    return res_fail(r, ERR_UNAVAILABLE, "The job queue cannot be reached; try again.");
}

int account_token_find(req_t *r, const char *token, account_token_kind_t kind, token_row_t *out)
{
    char digest[65];
    crypto_sha256_hex(token, strlen(token), digest);
    db_result_t res;
    if (app_find_on_shards(r, &Q_FIND, DB_ARGS(DB_TEXT(digest)), &res) != 0)
        return -1;
    if (res.nrows == 0 || strcmp(db_get(&res, 0, 3), kinds[kind].purpose) != 0 ||
        strcmp(db_get(&res, 0, 8), "active") != 0)
        return res_fail(r, ERR_NOT_FOUND, "This link is not valid.");
    if (!db_is_null(&res, 0, 5))
        return res_fail(r, ERR_CONFLICT, "This link has already been used.");
    if (db_get_int(&res, 0, 4) <= (long long)clock_wall_ms())
        return res_fail(r, ERR_GONE, "This link has expired; ask for a new one.");
    out->tenant_id = db_get(&res, 0, 0);
    out->id = db_get(&res, 0, 1);
    out->user_id = db_get(&res, 0, 2);
    out->new_email = db_get(&res, 0, 6);
    out->email = db_get(&res, 0, 7);
    return 0;
}

int account_token_take(db_t *db, arena_t *a, const token_row_t *t)
{
    db_result_t res;
    if (db_exec(db, &Q_TAKE, DB_ARGS(DB_TEXT(t->tenant_id), DB_TEXT(t->id), DB_INT((int64_t)clock_wall_ms())), a,
                &res) != 0)
        return -1;
    return res.changes == 1 ? 0 : 1;
}
