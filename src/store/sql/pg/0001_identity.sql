-- Schools, accounts, sessions, login throttling and the audit trail.
-- Rules: tenant_id leads every key of tenant-owned rows; ids are UUIDv7; times are Unix milliseconds.

CREATE TABLE tenants (
    id uuid PRIMARY KEY,
    slug text NOT NULL,
    name text NOT NULL,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    time_zone text NOT NULL DEFAULT 'UTC',
    currency text NOT NULL DEFAULT 'USD' CHECK (length(currency) = 3),
    max_users integer NOT NULL DEFAULT 10000 CHECK (max_users > 0),
    version integer NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    CONSTRAINT tenants_slug_key UNIQUE (slug)
);

-- The platform's own pseudo-school: its users are the platform admins.
INSERT INTO tenants (id, slug, name, created_at, updated_at)
VALUES ('00000000-0000-0000-0000-000000000000', '-platform-', 'Platform operators', 0, 0);

CREATE TABLE users (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    email text NOT NULL,
    display_name text NOT NULL,
    roles integer NOT NULL CHECK (roles > 0),
    password_hash text NOT NULL,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until bigint NOT NULL DEFAULT 0,
    last_login_at bigint,
    password_changed_at bigint NOT NULL,
    version integer NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT users_email_key UNIQUE (tenant_id, email)
);

-- One row per login; refresh tokens rotate within it. Revoking a session ends every token issued in it.
CREATE TABLE sessions (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
    revoked_reason text,
    created_at bigint NOT NULL,
    last_used_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    remote_addr text,
    user_agent text,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX sessions_user_idx ON sessions (tenant_id, user_id, status);

CREATE TABLE refresh_tokens (
    tenant_id uuid NOT NULL,
    token_hash text NOT NULL,
    session_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'used')),
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    used_at bigint,
    PRIMARY KEY (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id)
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (tenant_id, session_id);

-- Failed-login counters per client address (per account they live on users).
CREATE TABLE login_throttle (
    key text PRIMARY KEY,
    window_start bigint NOT NULL,
    failures integer NOT NULL,
    locked_until bigint NOT NULL DEFAULT 0
);

-- Append-only. Partitioned by time (monthly partitions are added by `school-erp migrate`).
CREATE TABLE audit_events (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    at bigint NOT NULL,
    actor_id uuid,
    actor_roles integer NOT NULL DEFAULT 0,
    action text NOT NULL,
    outcome text NOT NULL DEFAULT 'ok',
    subject_type text,
    subject_id text,
    request_id text,
    remote_addr text,
    detail text,
    PRIMARY KEY (tenant_id, at, id)
) PARTITION BY RANGE (at);
CREATE TABLE audit_events_default PARTITION OF audit_events DEFAULT;
CREATE INDEX audit_events_subject_idx ON audit_events (tenant_id, subject_type, subject_id, at);
CREATE INDEX audit_events_actor_idx ON audit_events (tenant_id, actor_id, at);
