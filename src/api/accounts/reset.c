/* reset.c - password resets and invitations: asking for a link, an admin sending one, setting the password (accounts.h). */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/accounts/accounts_int.h"
#include "api/app.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "auth/password.h"
#include "cache/cache.h"
#include "core/clock.h"
#include "mail/mail.h"
#include "queue/queue.h"
#include "shard/shard.h"

static stmt_t Q_COUNT = STMT("mail_throttle.count", 0,
                             "INSERT INTO mail_throttle (key, window_start, count) VALUES ($1, $2, 1)"
                             " ON CONFLICT (key) DO UPDATE SET"
                             " count = CASE WHEN mail_throttle.window_start <= $3 THEN 1"
                             "   ELSE mail_throttle.count + 1 END,"
                             " window_start = CASE WHEN mail_throttle.window_start <= $3 THEN $2"
                             "   ELSE mail_throttle.window_start END"
                             " RETURNING count, window_start");
/* counters whose window is over count nothing any more */
static stmt_t Q_TRIM = STMT("mail_throttle.trim", 0, "DELETE FROM mail_throttle WHERE window_start <= $1");
static stmt_t Q_ACCOUNT = STMT("account_tokens.account", 0,
                               "SELECT t.id, u.id, u.email, u.display_name FROM tenants t JOIN users u"
                               " ON u.tenant_id = t.id WHERE t.slug = $1 AND u.email = $2 AND u.status = 'active'"
                               " AND t.status = 'active'");
static stmt_t Q_SCHOOL = STMT("account_tokens.school", 0, "SELECT id FROM tenants WHERE slug = $1");
static stmt_t Q_USER = STMT("account_tokens.user", 0,
                            "SELECT email, display_name, status FROM users WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_SET_PASSWORD = STMT("users.reset_password", 0,
                                    "UPDATE users SET password_hash = $3, password_changed_at = $4, updated_at = $4,"
                                    " version = version + 1 WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_END_SESSIONS = STMT("sessions.end_user", 0,
                                    "UPDATE sessions SET status = 'revoked', revoked_reason = $3"
                                    " WHERE tenant_id = $1 AND user_id = $2 AND status = 'active'");

static struct {
    int address_max, account_max;
    int64_t window_ms;
} limits;
static pthread_once_t limits_once = PTHREAD_ONCE_INIT;

static int env_int(const char *name, int dflt)
{
    const char *v = getenv(name);
    int n = v != NULL ? atoi(v) : 0;
    return n > 0 ? n : dflt;
}

static void limits_load(void)
{
    limits.address_max = env_int("ERP_RESET_ADDRESS_MAX", 20);
    limits.account_max = env_int("ERP_RESET_ACCOUNT_MAX", 3);
    limits.window_ms = (int64_t)env_int("ERP_RESET_WINDOW_SECONDS", 900) * 1000;
}

/* Counts a request on key: 1 within the limit, 0 past it (*retry_ms: until its window ends), -1 on error. */
static int count(req_t *r, db_t *db, const char *key, int limit, int64_t *retry_ms)
{
    int64_t now = (int64_t)clock_wall_ms();
    db_result_t res;
    if (db_exec(db, &Q_COUNT, DB_ARGS(DB_TEXT(key), DB_INT(now), DB_INT(now - limits.window_ms)), &r->arena, &res) !=
            0 ||
        res.nrows != 1)
        return -1;
    *retry_ms = db_get_int(&res, 0, 1) + limits.window_ms - now;
    return db_get_int(&res, 0, 0) <= limit;
}

static int enqueue_lookup(req_t *r, const char *slug, const char *email)
{
    json_t *o = json_pack("{s:s,s:s}", "tenant", slug, "email", email);
    char *payload = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (payload == NULL)
        return res_fail(r, ERR_INTERNAL, "out of memory");
    job_spec_t spec = {.tenant_id = PLATFORM_TENANT_ID, .type = "account.password-reset", .payload = payload};
    char id[QUEUE_ID_MAX];
    int existed = 0, rc = queue_enqueue(app.queue, &spec, id, &existed);
    free(payload);
    return rc != 0 ? account_queue_down(r) : 0;
}

int auth_password_reset(req_t *r)
{
    static const char *const fields[] = {"tenant", "email", NULL};
    const char *slug = NULL, *raw = NULL;
    char email[256];
    body_only_fields(r, fields);
    body_string(r, "tenant", 1, 1, 63, &slug);
    if (body_string(r, "email", 1, 3, 254, &raw) == 1 && !valid_email(raw, email, sizeof(email)))
        res_field_error(r, "email", "must be an email address");
    if (res_check_fields(r) != 0)
        return -1;
    char *school = arena_strdup(&r->arena, slug); /* slugs are lower case: "School-A" is school-a */
    for (char *p = school; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    slug = school;
    pthread_once(&limits_once, limits_load);
    db_t *db = req_db(r);
    int64_t retry_ms;
    int rc = count(r, db, arena_printf(&r->arena, "reset-ip|%s", r->remote_addr), limits.address_max, &retry_ms);
    if (rc < 0)
        return db_fail(r, db);
    if (rc == 0) {
        r->err.retry_after = retry_ms > 1000 ? (int)((retry_ms + 999) / 1000) : 1;
        return res_fail(r, ERR_RATE_LIMITED, "Too many reset requests from this address; try again later.");
    }
    rc = count(r, db, arena_printf(&r->arena, "reset-acct|%s|%s", slug, email), limits.account_max, &retry_ms);
    if (rc < 0)
        return db_fail(r, db);
    if (rc == 1 && enqueue_lookup(r, slug, email) != 0) /* past the account's limit: the same answer, no message */
        return -1;
    res_header(r, "cache-control", "no-store");
    return res_json(r, 202, json_pack("{s:s}", "detail",
                                      "If an account of this school has this e-mail address, a link to choose a new "
                                      "password is on its way."));
}

/* ---- the job behind a public request ---- */

static int send_reset(db_t *db, arena_t *a, const db_result_t *acc)
{
    account_link_t to = {.tenant_id = db_get(acc, 0, 0), .user_id = db_get(acc, 0, 1), .email = db_get(acc, 0, 2),
                         .display_name = db_get(acc, 0, 3)};
    audit_event_t e = {.tenant_id = to.tenant_id, .actor_id = to.user_id, .action = "user.password_reset_request",
                       .subject_type = "user", .subject_id = to.user_id};
    if (db_begin(db) != 0)
        return -1;
    if (account_link_send(db, a, TOKEN_RESET, &to) != 0 || audit_record(db, NULL, &e) != 0 || db_commit(db) != 0) {
        db_rollback(db);
        return -1;
    }
    return 0;
}

int job_password_reset(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen)
{
    const char *slug = json_string_value(json_object_get(payload, "tenant"));
    const char *email = json_string_value(json_object_get(payload, "email"));
    if (slug == NULL || email == NULL) {
        snprintf(reason, reasonlen, "the job names no account");
        return JOB_FATAL;
    }
    db_t *db = job_db(ctx);
    arena_t a;
    arena_init(&a);
    db_result_t acc = {0};
    pthread_once(&limits_once, limits_load);
    int rc = db_exec(db, &Q_TRIM, DB_ARGS(DB_INT((int64_t)clock_wall_ms() - limits.window_ms)), &a, NULL);
    db_result_t school = {0};
    if (rc == 0 && shards_count() > 1) { /* the account is on its school's shard */
        rc = db_exec(db, &Q_SCHOOL, DB_ARGS(DB_TEXT(slug)), &a, &school);
        db_t *home = rc == 0 && school.nrows == 1 ? job_db_for(ctx, db_get(&school, 0, 0)) : db;
        rc = home != NULL ? rc : -1;
        db = home != NULL ? home : db;
    }
    if (rc == 0)
        rc = db_exec(db, &Q_ACCOUNT, DB_ARGS(DB_TEXT(slug), DB_TEXT(email)), &a, &acc);
    if (rc == 0 && acc.nrows == 1)
        rc = send_reset(db, &a, &acc);
    int sent = rc == 0 && acc.nrows == 1;
    arena_destroy(&a);
    if (rc != 0) {
        snprintf(reason, reasonlen, "sending a reset link: %s",
                 db_error(db)->status != DB_OK ? db_error(db)->message : "the job queue failed");
        return JOB_RETRY;
    }
    *result = json_pack("{s:b}", "sent", sent);
    return JOB_DONE;
}

/* ---- an admin sends a link ---- */

int users_password_reset(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    db_t *db = req_db(r);
    db_read_primary(db, 1);
    db_result_t res;
    if (db_exec(db, &Q_USER, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such user.");
    if (strcmp(db_get(&res, 0, 2), "active") != 0)
        return res_fail(r, ERR_CONFLICT, "The account is disabled: enable it first.");
    account_link_t to = {.tenant_id = r->auth.tenant_id, .user_id = id, .email = db_get(&res, 0, 0),
                         .display_name = db_get(&res, 0, 1)};
    if (db_begin(db) != 0)
        return db_fail(r, db);
    int rc = account_link_send(db, &r->arena, TOKEN_RESET, &to);
    if (rc == 0)
        rc = audit_caller(db, r, "user.password_reset_send", "user", id, NULL);
    if (rc == 0)
        rc = db_commit(db);
    if (rc != 0) {
        db_rollback(db);
        return rc == MAIL_EQUEUE ? account_queue_down(r) : db_fail(r, db);
    }
    return res_json(r, 202, json_pack("{s:s}", "detail", "A link to choose a new password was sent to the account."));
}

/* ---- setting the password with a link ---- */

int account_end_sessions(db_t *db, arena_t *a, const char *tenant_id, const char *user_id, const char *why)
{
    return db_exec(db, &Q_END_SESSIONS, DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(user_id), DB_TEXT(why)), a, NULL);
}

static int set_password(req_t *r, db_t *db, const token_row_t *t, const char *hash, const char *action)
{
    int64_t now = (int64_t)clock_wall_ms();
    audit_event_t e = {.tenant_id = t->tenant_id, .actor_id = t->user_id, .action = action, .subject_type = "user",
                       .subject_id = t->user_id, .detail = "every session ended"};
    if (db_begin(db) != 0)
        return db_fail(r, db);
    int taken = account_token_take(db, &r->arena, t);
    if (taken == 1) {
        db_rollback(db);
        return res_fail(r, ERR_CONFLICT, "This link has already been used.");
    }
    if (taken != 0 ||
        db_exec(db, &Q_SET_PASSWORD, DB_ARGS(DB_TEXT(t->tenant_id), DB_TEXT(t->user_id), DB_TEXT(hash), DB_INT(now)),
                &r->arena, NULL) != 0 ||
        account_end_sessions(db, &r->arena, t->tenant_id, t->user_id, "password reset") != 0 ||
        audit_record(db, r, &e) != 0 || db_commit(db) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    cache_invalidate_family(t->tenant_id, CACHE_SESSION);
    cache_invalidate_family(t->tenant_id, CACHE_ACCOUNT);
    return res_empty(r, 204);
}

static int password_by_link(req_t *r, account_token_kind_t kind, const char *action)
{
    static const char *const fields[] = {"token", "newPassword", NULL};
    const char *token = NULL, *next = NULL;
    body_only_fields(r, fields);
    body_string(r, "token", 1, 1, 200, &token);
    body_string(r, "newPassword", 1, 1, 1024, &next);
    if (res_check_fields(r) != 0)
        return -1;
    token_row_t t;
    if (account_token_find(r, token, kind, &t) != 0)
        return -1;
    db_t *db = req_db(r);
    const char *why = password_policy(next, t.email);
    if (why != NULL) {
        res_field_error(r, "newPassword", "%s", why);
        return res_check_fields(r);
    }
    char hash[PASSWORD_HASH_MAX];
    if (password_hash(next, hash) != 0)
        return res_fail(r, ERR_UNAVAILABLE, "Not enough memory to hash the password; try again.");
    return set_password(r, db, &t, hash, action);
}

int auth_password_reset_confirm(req_t *r)
{
    return password_by_link(r, TOKEN_RESET, "user.password_reset");
}

int auth_invitation_accept(req_t *r)
{
    return password_by_link(r, TOKEN_INVITE, "user.invitation_accept");
}
