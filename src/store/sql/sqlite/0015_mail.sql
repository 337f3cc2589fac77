-- E-mail (src/mail/mail.h): one outbox row per message and recipient, with the whole rendered RFC 5322 message
-- and its stable Message-ID; the delivery job moves state by conditional updates. Account tokens: password
-- resets, invitations and e-mail changes, stored as SHA-256 digests, single use. Contact fields of accounts.
-- Times are Unix ms.
CREATE TABLE mail_outbox (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    ref_id TEXT,
    user_id TEXT,
    to_email TEXT NOT NULL,
    subject TEXT NOT NULL,
    message TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'uncertain')),
    send_token TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    smtp_code INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    sent_at INTEGER,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT mail_outbox_message_id_key UNIQUE (message_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX mail_outbox_ref_idx ON mail_outbox (tenant_id, kind, ref_id);
CREATE INDEX mail_outbox_created_idx ON mail_outbox (tenant_id, created_at);

CREATE TABLE account_tokens (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('reset', 'invite', 'email')),
    token_hash TEXT NOT NULL,
    new_email TEXT,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    CONSTRAINT account_tokens_hash_key UNIQUE (token_hash)
) STRICT, WITHOUT ROWID;
CREATE INDEX account_tokens_user_idx ON account_tokens (tenant_id, user_id, purpose);

-- requests for reset links per address and per account, in fixed windows
CREATE TABLE mail_throttle (
    key TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX mail_throttle_window_idx ON mail_throttle (window_start);

-- the school's logo in messages (PUT /school/logo): bytes in the blob store
ALTER TABLE tenants ADD COLUMN logo_blob_id TEXT;
ALTER TABLE tenants ADD COLUMN logo_type TEXT;
ALTER TABLE users ADD COLUMN phone TEXT;
ALTER TABLE users ADD COLUMN preferred_language TEXT;
