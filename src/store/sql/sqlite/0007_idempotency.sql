-- The first successful response to a POST with an Idempotency-Key, per (school, user, key), for replays
-- (src/api/idempotency.h). status 0: the first request is still running.
CREATE TABLE idempotency_keys (
    tenant_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    status INTEGER NOT NULL DEFAULT 0,
    content_type TEXT,
    location TEXT,
    etag TEXT,
    body TEXT,
    PRIMARY KEY (tenant_id, user_id, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
