/*
 * throttle.h - limits on password guessing (logins and password changes),
 * after OWASP's authentication guidance: counters per address, per account and
 * address, and per account, with progressive delays rather than a lockout
 * anyone could trigger for everyone.
 *
 * Three counters of attempts in a window of ERP_LOGIN_LOCKOUT_SECONDS, each a
 * row of login_throttle:
 *
 *   address            any account, from one client address:
 *                      ERP_LOGIN_IP_MAX_FAILURES, then refused for the lockout
 *   account + address  ERP_LOGIN_MAX_FAILURES, then that address is refused for
 *                      that account for the lockout
 *   account            any address: from ERP_LOGIN_MAX_FAILURES on, each
 *                      further failure makes the next attempt wait twice as
 *                      long as the last (1 s, 2 s, 4 s, … up to the lockout).
 *                      Addresses where the account logged in successfully in
 *                      the last 90 days are not held back by it: an attacker's
 *                      guesses from elsewhere do not lock the owner out from
 *                      their own address.
 *
 * An attempt is counted before the password is checked, and counted and
 * decided in one statement per counter (an upsert returning whether it let
 * the attempt through), so concurrent guesses cannot all pass on a stale read.
 * A correct password takes back this attempt only: earlier failures stay
 * counted until their window is over, so a right password sent among a burst
 * of guesses never buys the burst more checks than the limit.
 *
 * Counters are keyed by the school's slug and the email as typed (lower case),
 * not by account ids, so unknown schools and emails are throttled exactly as
 * real ones: the answers never tell whether an account exists. A refused
 * attempt is 429 with Retry-After, without a password check.
 */
#ifndef ERP_AUTH_THROTTLE_H
#define ERP_AUTH_THROTTLE_H

#include "core/config.h"
#include "http/handler.h"
#include "store/store.h"

/* Reads the limits (ERP_LOGIN_*). */
void throttle_setup(const config_t *cfg);

/* One attempt in progress: what was counted, to take back on success. */
typedef struct throttle {
    char addr_key[96], pair_key[512], account_key[448];
    char token[33];
    long long addr_window, pair_window, account_window; /* window each count was made in; 0: not counted */
} throttle_t;

/*
 * Counts an attempt to guess the password of (school slug, email) from r's
 * client address. Returns 0 when it may go on, or -1 with 429 + Retry-After
 * (or the database's error) answered.
 */
int throttle_begin(req_t *r, db_t *db, const char *slug, const char *email, throttle_t *t);

/* The password was right: takes back what the attempt counted and remembers the address as the account's. 0 or -1. */
int throttle_succeeded(req_t *r, db_t *db, const throttle_t *t);

/* Forgets every counter of an account (an admin's unlock). 0 or -1 (db error, nothing answered). */
int throttle_clear(req_t *r, db_t *db, const char *slug, const char *email);

/* SQL: whether the account of slug expression s and email expression e is held back now ($now): for account lists. */
#define THROTTLE_ACCOUNT_KEY(s, e) "'acct|' || " s " || '|' || " e

#endif
