-- E-mail (src/mail/mail.h): one outbox row per message and recipient, with the whole rendered RFC 5322 message
-- and its stable Message-ID; the delivery job moves state by conditional updates. Account tokens: password
-- resets, invitations and e-mail changes, stored as SHA-256 digests, single use. Contact fields of accounts.
-- Times are Unix ms.
CREATE TABLE mail_outbox (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id text NOT NULL,
    message_id text NOT NULL,
    kind text NOT NULL,
    ref_id text,
    user_id text,
    to_email text NOT NULL,
    subject text NOT NULL,
    message text NOT NULL,
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'uncertain')),
    send_token text,
    attempts bigint NOT NULL DEFAULT 0,
    last_error text,
    smtp_code bigint,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    sent_at bigint,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT mail_outbox_message_id_key UNIQUE (message_id)
);
CREATE INDEX mail_outbox_ref_idx ON mail_outbox (tenant_id, kind, ref_id);
CREATE INDEX mail_outbox_created_idx ON mail_outbox (tenant_id, created_at);

CREATE TABLE account_tokens (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id text NOT NULL,
    user_id uuid NOT NULL,
    purpose text NOT NULL CHECK (purpose IN ('reset', 'invite', 'email')),
    token_hash text NOT NULL,
    new_email text,
    expires_at bigint NOT NULL,
    used_at bigint,
    created_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    CONSTRAINT account_tokens_hash_key UNIQUE (token_hash)
);
CREATE INDEX account_tokens_user_idx ON account_tokens (tenant_id, user_id, purpose);

-- requests for reset links per address and per account, in fixed windows
CREATE TABLE mail_throttle (
    key text PRIMARY KEY,
    window_start bigint NOT NULL,
    count bigint NOT NULL
);
CREATE INDEX mail_throttle_window_idx ON mail_throttle (window_start);

-- the school's logo in messages (PUT /school/logo): bytes in the blob store
ALTER TABLE tenants ADD COLUMN logo_blob_id text;
ALTER TABLE tenants ADD COLUMN logo_type text;
ALTER TABLE users ADD COLUMN phone text;
ALTER TABLE users ADD COLUMN preferred_language text;
