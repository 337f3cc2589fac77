-- Password-guessing limits per address, per account and address, and per account (src/auth/throttle.h):
-- one row per counter; an attempt is counted and decided in one upsert. Accounts no longer carry counters.
ALTER TABLE login_throttle ADD COLUMN delay_ms bigint NOT NULL DEFAULT 0;
ALTER TABLE login_throttle ADD COLUMN attempt text;
ALTER TABLE login_throttle ADD COLUMN last_success_at bigint NOT NULL DEFAULT 0;
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until;
