-- The first successful response to a POST with an Idempotency-Key, per (school, user, key), for replays
-- (src/api/idempotency.h). status 0: the first request is still running.
CREATE TABLE idempotency_keys (
    tenant_id uuid NOT NULL,
    user_id uuid NOT NULL,
    key text NOT NULL,
    fingerprint text NOT NULL,
    created_at bigint NOT NULL,
    status integer NOT NULL DEFAULT 0,
    content_type text,
    location text,
    etag text,
    body text,
    PRIMARY KEY (tenant_id, user_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
