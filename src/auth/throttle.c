#include "auth/throttle.h"

#include <stdio.h>
#include <string.h>

#include "api/common.h"
#include "core/clock.h"
#include "core/ids.h"

#define KNOWN_ADDRESS_MS (90LL * 24 * 3600 * 1000) /* a successful login makes an address the account's this long */
#define FIRST_DELAY_MS 1000

static int max_failures = 5, ip_max_failures = 50;
static long long window_ms = 900000;

void throttle_setup(const config_t *cfg)
{
    max_failures = cfg->login_max_failures;
    ip_max_failures = cfg->login_ip_max_failures;
    window_ms = (long long)cfg->login_lockout_seconds * 1000;
}

/*
 * One attempt on one counter: $1 key, $2 now, $3 the start of the current
 * window (now - window), $4 the limit, $5 the first delay (0: a plain lockout
 * of $6 ms), $6 the lockout, $7 this attempt's token. While the counter is
 * held back ($2 < locked_until) nothing changes; otherwise the attempt is
 * counted (a new window when the last one is over) and, at the limit, the
 * counter is held back: for the lockout, or for the last delay doubled (the
 * first delay to start with, the lockout at most). attempt = $7 afterwards
 * tells that this attempt got through. (The casts give PostgreSQL one type
 * per parameter.)
 */
#define NOW "CAST($2 AS BIGINT)"
#define START "CAST($3 AS BIGINT)"
#define LIMIT "CAST($4 AS BIGINT)"
#define FIRST "CAST($5 AS BIGINT)"
#define LOCKOUT "CAST($6 AS BIGINT)"
#define LOCKED "login_throttle.locked_until > " NOW
#define NEWF "(CASE WHEN login_throttle.window_start <= " START " THEN 1 ELSE login_throttle.failures + 1 END)"
#define NEWDELAY                                                                                                       \
    "(CASE WHEN " FIRST " = 0 THEN " LOCKOUT " WHEN login_throttle.delay_ms = 0 THEN " FIRST                           \
    " WHEN login_throttle.delay_ms * 2 > " LOCKOUT " THEN " LOCKOUT " ELSE login_throttle.delay_ms * 2 END)"
static stmt_t Q_COUNT = STMT(
    "login_throttle.count", 0,
    "INSERT INTO login_throttle (key, window_start, failures, locked_until, delay_ms, attempt, last_success_at)"
    " VALUES ($1, " NOW ", 1, CASE WHEN 1 >= " LIMIT " THEN " NOW " + (CASE WHEN " FIRST " > 0 THEN " FIRST
    " ELSE " LOCKOUT " END) ELSE 0 END, CASE WHEN 1 >= " LIMIT " AND " FIRST " > 0 THEN " FIRST " ELSE 0 END, $7, 0)"
    " ON CONFLICT (key) DO UPDATE SET"
    " failures = CASE WHEN " LOCKED " THEN login_throttle.failures ELSE " NEWF " END,"
    " window_start = CASE WHEN " LOCKED " THEN login_throttle.window_start"
    "   WHEN login_throttle.window_start <= " START " THEN " NOW " ELSE login_throttle.window_start END,"
    " delay_ms = CASE WHEN " LOCKED " THEN login_throttle.delay_ms WHEN " NEWF " >= " LIMIT " THEN " NEWDELAY
    "   WHEN login_throttle.window_start <= " START " THEN 0 ELSE login_throttle.delay_ms END,"
    " locked_until = CASE WHEN " LOCKED " THEN login_throttle.locked_until"
    "   WHEN " NEWF " >= " LIMIT " THEN " NOW " + " NEWDELAY " ELSE login_throttle.locked_until END,"
    " attempt = CASE WHEN " LOCKED " THEN login_throttle.attempt ELSE $7 END"
    " RETURNING attempt, failures, window_start, locked_until, last_success_at");
/*
 * takes back one attempt counted in window $2 (not one of a later window), releasing the hold its count set
 * when the counter goes back below the limit $4; with $3 (not NULL) the account was logged into from this
 * address at $3
 */
static stmt_t Q_UNCOUNT = STMT("login_throttle.uncount", 0,
                               "UPDATE login_throttle SET"
                               " locked_until = CASE WHEN window_start = $2 AND failures - 1 < $4 THEN 0"
                               "   ELSE locked_until END,"
                               " failures = CASE WHEN window_start = $2 AND failures > 0 THEN failures - 1"
                               "   ELSE failures END,"
                               " last_success_at = COALESCE($3, last_success_at) WHERE key = $1");
static stmt_t Q_CLEAR = STMT("login_throttle.clear", 0,
                             "DELETE FROM login_throttle WHERE key = $1 OR substr(key, 1, $3) = $2");

/* The slug as it goes into keys: "" for the platform, "?" for text that cannot be a slug. */
static const char *slug_key(const char *slug)
{
    return slug == NULL || *slug == '\0' ? "" : valid_slug(slug) ? slug : "?";
}

static int uncount(req_t *r, db_t *db, const char *key, long long window, int limit, long long success_at);

/* Counts the attempt on one counter; 1 when it got through, 0 when held back (*retry_ms set), -1 on error. */
static int count(req_t *r, db_t *db, const char *key, int limit, long long first_delay, throttle_t *t,
                 long long *window, long long *last_success, long long *retry_ms)
{
    long long now = (long long)clock_wall_ms();
    db_result_t res;
    if (db_exec(db, &Q_COUNT,
                DB_ARGS(DB_TEXT(key), DB_INT(now), DB_INT(now - window_ms), DB_INT(limit), DB_INT(first_delay),
                        DB_INT(window_ms), DB_TEXT(t->token)),
                &r->arena, &res) != 0 ||
        res.nrows != 1)
        return -1;
    if (last_success != NULL)
        *last_success = db_get_int(&res, 0, 4);
    if (db_is_null(&res, 0, 0) || strcmp(db_get(&res, 0, 0), t->token) != 0) {
        *retry_ms = db_get_int(&res, 0, 3) - now;
        return 0;
    }
    *window = db_get_int(&res, 0, 2);
    return 1;
}

static int refused(req_t *r, long long retry_ms, const char *why)
{
    r->err.retry_after = retry_ms > 1000 ? (int)((retry_ms + 999) / 1000) : 1; /* whole seconds, rounded up */
    return res_fail(r, ERR_RATE_LIMITED, "%s", why);
}

int throttle_begin(req_t *r, db_t *db, const char *slug, const char *email, throttle_t *t)
{
    memset(t, 0, sizeof(*t));
    ids_random_hex(t->token, 16);
    const char *s = slug_key(slug), *addr = r->remote_addr;
    snprintf(t->addr_key, sizeof(t->addr_key), "ip|%s", addr);
    snprintf(t->pair_key, sizeof(t->pair_key), "pair|%s|%s|%s", s, email, addr);
    snprintf(t->account_key, sizeof(t->account_key), "acct|%s|%s", s, email);
    long long retry = 0, last_success = 0;
    int rc = count(r, db, t->addr_key, ip_max_failures, 0, t, &t->addr_window, NULL, &retry);
    if (rc <= 0)
        return rc < 0 ? db_fail(r, db) : refused(r, retry, "Too many failed attempts from this address; try again later.");
    rc = count(r, db, t->pair_key, max_failures, 0, t, &t->pair_window, &last_success, &retry);
    if (rc <= 0)
        return rc < 0 ? db_fail(r, db)
                      : refused(r, retry, "Too many failed attempts for this account from this address; try again later.");
    if (last_success > (long long)clock_wall_ms() - KNOWN_ADDRESS_MS)
        return 0; /* the account's own address: guesses from elsewhere do not hold it back */
    rc = count(r, db, t->account_key, max_failures, FIRST_DELAY_MS, t, &t->account_window, NULL, &retry);
    if (rc < 0)
        return db_fail(r, db);
    if (rc == 0) {
        /* held back for the account as a whole: waiting out the delay must not use up this address's own limit */
        if (uncount(r, db, t->pair_key, t->pair_window, max_failures, 0) != 0)
            return db_fail(r, db);
        return refused(r, retry, "Too many failed attempts for this account; try again later.");
    }
    return 0;
}

/* Takes back the attempt on one counter (when it was counted there). */
static int uncount(req_t *r, db_t *db, const char *key, long long window, int limit, long long success_at)
{
    if (window == 0)
        return 0;
    return db_exec(db, &Q_UNCOUNT,
                   DB_ARGS(DB_TEXT(key), DB_INT(window), success_at ? DB_INT(success_at) : DB_NULL, DB_INT(limit)),
                   &r->arena, NULL);
}

int throttle_succeeded(req_t *r, db_t *db, const throttle_t *t)
{
    if (uncount(r, db, t->pair_key, t->pair_window, max_failures, (long long)clock_wall_ms()) != 0 ||
        uncount(r, db, t->addr_key, t->addr_window, ip_max_failures, 0) != 0 ||
        uncount(r, db, t->account_key, t->account_window, max_failures, 0) != 0)
        return -1;
    return 0;
}

int throttle_clear(req_t *r, db_t *db, const char *slug, const char *email)
{
    const char *s = slug_key(slug);
    const char *account = arena_printf(&r->arena, "acct|%s|%s", s, email);
    const char *pairs = arena_printf(&r->arena, "pair|%s|%s|", s, email);
    return db_exec(db, &Q_CLEAR, DB_ARGS(DB_TEXT(account), DB_TEXT(pairs), DB_INT((long long)strlen(pairs))),
                   &r->arena, NULL);
}
