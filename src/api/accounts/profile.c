/* profile.c - PATCH /me (the caller's contact details) and confirming a new e-mail address (accounts.h). */
#include <ctype.h>
#include <string.h>

#include "api/accounts/accounts_int.h"
#include "api/app.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "cache/cache.h"
#include "core/clock.h"
#include "core/sbuf.h"
#include "domain/people.h"
#include "mail/mail.h"

static stmt_t Q_PROFILE = STMT("users.profile", 0,
                               "SELECT u.id, u.email, u.display_name, u.phone, u.preferred_language,"
                               " (SELECT k.new_email FROM account_tokens k WHERE k.tenant_id = u.tenant_id"
                               "  AND k.user_id = u.id AND k.purpose = 'email' AND k.used_at IS NULL"
                               "  AND k.expires_at > $3 ORDER BY k.created_at DESC LIMIT 1)"
                               " FROM users u WHERE u.tenant_id = $1 AND u.id = $2");
static stmt_t Q_UPDATE = STMT("users.profile_update", 0,
                              "UPDATE users SET display_name = COALESCE($3, display_name),"
                              " phone = CASE WHEN $4 = 1 THEN $5 ELSE phone END,"
                              " preferred_language = CASE WHEN $6 = 1 THEN $7 ELSE preferred_language END,"
                              " version = version + 1, updated_at = $8 WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_EMAIL_USED = STMT("users.email_used", 0,
                                  "SELECT 1 FROM users WHERE tenant_id = $1 AND email = $2 AND id <> $3");
static stmt_t Q_SET_EMAIL = STMT("users.set_email", 0,
                                 "UPDATE users SET email = $3, version = version + 1, updated_at = $4"
                                 " WHERE tenant_id = $1 AND id = $2");

static json_t *cell(const char *v)
{
    return v != NULL ? json_string(v) : json_null();
}

/* What PATCH /me was given; *_set: the member was present (null clears). */
typedef struct profile_in {
    const char *display_name, *phone, *language, *email;
    int phone_set, language_set;
    char email_buf[256];
} profile_in_t;

/* A language tag as BCP 47 writes them, loosely: letters, digits and '-', starting with 2 or 3 letters. */
static int valid_language(const char *s)
{
    size_t n = strlen(s), lead = 0;
    while (lead < n && isalpha((unsigned char)s[lead]))
        lead++;
    if (n < 2 || n > 35 || lead < 2 || lead > 3 || (lead < n && s[lead] != '-'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return 0;
    return 1;
}

/* A nullable string member: 1 when present (*out NULL for null), 0 when absent. */
static int nullable(req_t *r, const char *field, size_t maxlen, const char **out)
{
    json_t *v = json_object_get(r->json, field);
    *out = NULL;
    if (v == NULL)
        return 0;
    if (!json_is_null(v))
        body_string(r, field, 1, 1, maxlen, out);
    return 1;
}

static void profile_read(req_t *r, profile_in_t *in)
{
    static const char *const fields[] = {"displayName", "phone", "preferredLanguage", "email", NULL};
    const char *raw = NULL;
    body_only_fields(r, fields);
    body_string(r, "displayName", 0, 1, 200, &in->display_name);
    in->phone_set = nullable(r, "phone", 40, &in->phone);
    if (in->phone != NULL && !people_valid_phone(in->phone))
        res_field_error(r, "phone", "must be a phone number: digits, spaces and + - ( ) . /, at least 3 digits");
    in->language_set = nullable(r, "preferredLanguage", 35, &in->language);
    if (in->language != NULL && !valid_language(in->language))
        res_field_error(r, "preferredLanguage", "must be a language tag such as en, fr or pt-BR");
    if (body_string(r, "email", 0, 3, 254, &raw) == 1) {
        if (valid_email(raw, in->email_buf, sizeof(in->email_buf)))
            in->email = in->email_buf;
        else
            res_field_error(r, "email", "must be an email address");
    }
}

/* The caller's profile row into *res: 0, or -1 answered. */
static int load(req_t *r, db_t *db, db_result_t *res)
{
    if (db_exec(db, &Q_PROFILE,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(r->auth.user_id), DB_INT((int64_t)clock_wall_ms())),
                &r->arena, res) != 0)
        return db_fail(r, db);
    if (res->nrows != 1)
        return res_fail(r, ERR_UNAUTHENTICATED, "The account no longer exists.");
    return 0;
}

static int respond(req_t *r, const db_result_t *res)
{
    return res_json(r, 200, json_pack("{s:s,s:s,s:s,s:o,s:o,s:o}", "id", db_get(res, 0, 0), "email",
                                      db_get(res, 0, 1), "displayName", db_get(res, 0, 2), "phone",
                                      cell(db_get(res, 0, 3)), "preferredLanguage", cell(db_get(res, 0, 4)),
                                      "pendingEmail", cell(db_get(res, 0, 5))));
}

/* The audit detail: which fields changed. */
static const char *changed(arena_t *a, const profile_in_t *in, int email_link)
{
    sbuf_t b;
    sbuf_init(&b, a, 64);
    sbuf_puts(&b, "changed:");
    if (in->display_name != NULL)
        sbuf_puts(&b, " displayName");
    if (in->phone_set)
        sbuf_puts(&b, " phone");
    if (in->language_set)
        sbuf_puts(&b, " preferredLanguage");
    if (email_link)
        sbuf_puts(&b, " email (confirmation sent to the new address)");
    return b.p;
}

/* Inside the transaction: the confirmation link to a new address; 0, 1 (answered: taken), -1 or MAIL_EQUEUE. */
static int email_link(req_t *r, db_t *db, const profile_in_t *in, const char *display_name)
{
    db_result_t res;
    if (db_exec(db, &Q_EMAIL_USED, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(in->email), DB_TEXT(r->auth.user_id)),
                &r->arena, &res) != 0)
        return -1;
    if (res.nrows > 0) {
        duplicate(r, "email", arena_printf(&r->arena, "email %s is already used by another account of this school",
                                           in->email));
        return 1;
    }
    account_link_t to = {.tenant_id = r->auth.tenant_id, .user_id = r->auth.user_id, .email = in->email,
                         .display_name = display_name, .new_email = in->email};
    return account_link_send(db, &r->arena, TOKEN_EMAIL, &to);
}

static int update(req_t *r, db_t *db, const profile_in_t *in, const char *current_email, const char *name)
{
    int link = in->email != NULL && strcmp(in->email, current_email) != 0;
    if (db_begin(db) != 0)
        return db_fail(r, db);
    int rc = db_exec(db, &Q_UPDATE,
                     DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(r->auth.user_id), DB_TEXT(in->display_name),
                             DB_INT(in->phone_set), DB_TEXT(in->phone), DB_INT(in->language_set),
                             DB_TEXT(in->language), DB_INT((int64_t)clock_wall_ms())),
                     &r->arena, NULL);
    if (rc == 0 && link)
        rc = email_link(r, db, in, in->display_name != NULL ? in->display_name : name);
    if (rc == 0)
        rc = audit_caller(db, r, "user.profile_update", "user", r->auth.user_id, changed(&r->arena, in, link));
    if (rc == 0)
        rc = db_commit(db);
    if (rc != 0) {
        db_rollback(db);
        if (rc == 1)
            return -1;
        return rc == MAIL_EQUEUE ? account_queue_down(r) : db_fail(r, db);
    }
    return 0;
}

int me_update(req_t *r)
{
    profile_in_t in = {0};
    profile_read(r, &in);
    if (res_check_fields(r) != 0)
        return -1;
    db_t *db = req_db(r);
    db_read_primary(db, 1);
    db_result_t res;
    if (load(r, db, &res) != 0)
        return -1;
    if (!patch_is_empty(r) &&
        (update(r, db, &in, db_get(&res, 0, 1), db_get(&res, 0, 2)) != 0 || load(r, db, &res) != 0))
        return -1;
    return respond(r, &res);
}

/* ---- POST /auth/email-change/confirm ---- */

int auth_email_change_confirm(req_t *r)
{
    static const char *const fields[] = {"token", NULL};
    const char *token = NULL;
    body_only_fields(r, fields);
    body_string(r, "token", 1, 1, 200, &token);
    if (res_check_fields(r) != 0)
        return -1;
    token_row_t t;
    if (account_token_find(r, token, TOKEN_EMAIL, &t) != 0)
        return -1;
    db_t *db = req_db(r);
    audit_event_t e = {.tenant_id = t.tenant_id, .actor_id = t.user_id, .action = "user.email_change",
                       .subject_type = "user", .subject_id = t.user_id,
                       .detail = arena_printf(&r->arena, "%s -> %s", t.email, t.new_email)};
    if (db_begin(db) != 0)
        return db_fail(r, db);
    int taken = account_token_take(db, &r->arena, &t);
    if (taken == 1) {
        db_rollback(db);
        return res_fail(r, ERR_CONFLICT, "This link has already been used.");
    }
    if (taken != 0 ||
        db_exec(db, &Q_SET_EMAIL,
                DB_ARGS(DB_TEXT(t.tenant_id), DB_TEXT(t.user_id), DB_TEXT(t.new_email),
                        DB_INT((int64_t)clock_wall_ms())),
                &r->arena, NULL) != 0 ||
        audit_record(db, r, &e) != 0 || db_commit(db) != 0) {
        db_rollback(db);
        if (db_error(db)->status == DB_UNIQUE)
            return res_fail(r, ERR_CONFLICT, "Another account of this school uses this address now.");
        return db_fail(r, db);
    }
    cache_invalidate_family(t.tenant_id, CACHE_ACCOUNT);
    cache_invalidate_family(t.tenant_id, CACHE_SESSION);
    return res_empty(r, 204);
}
