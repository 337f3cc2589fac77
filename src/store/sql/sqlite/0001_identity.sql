-- Schools, accounts, sessions, login throttling and the audit trail.
-- Rules: tenant_id leads every key of tenant-owned rows; ids are UUIDv7; times are Unix milliseconds.

CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    currency TEXT NOT NULL DEFAULT 'USD' CHECK (length(currency) = 3),
    max_users INTEGER NOT NULL DEFAULT 10000 CHECK (max_users > 0),
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT tenants_slug_key UNIQUE (slug)
) STRICT;

INSERT INTO tenants (id, slug, name, created_at, updated_at)
VALUES ('00000000-0000-0000-0000-000000000000', '-platform-', 'Platform operators', 0, 0);

CREATE TABLE users (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    roles INTEGER NOT NULL CHECK (roles > 0),
    password_hash TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0,
    last_login_at INTEGER,
    password_changed_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT users_email_key UNIQUE (tenant_id, email)
) STRICT, WITHOUT ROWID;

CREATE TABLE sessions (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
    revoked_reason TEXT,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    remote_addr TEXT,
    user_agent TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user_idx ON sessions (tenant_id, user_id, status);

CREATE TABLE refresh_tokens (
    tenant_id TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    session_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'used')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (tenant_id, session_id);

CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    failures INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_events (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor_id TEXT,
    actor_roles INTEGER NOT NULL DEFAULT 0,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL DEFAULT 'ok',
    subject_type TEXT,
    subject_id TEXT,
    request_id TEXT,
    remote_addr TEXT,
    detail TEXT,
    PRIMARY KEY (tenant_id, at, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX audit_events_subject_idx ON audit_events (tenant_id, subject_type, subject_id, at);
CREATE INDEX audit_events_actor_idx ON audit_events (tenant_id, actor_id, at);
