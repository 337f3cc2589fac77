-- OAuth 2.0 clients of the OneRoster binding (src/oneroster/rest/): programs a school admin registers, each
-- with the OneRoster scopes it may ask for (bits, src/oneroster/rest/scopes.h). The secret is shown once and
-- kept only as its SHA-256 (32 random bytes: a digest is enough, no password stretching needed). A revoked
-- client keeps its row (the audit trail names it) and gets no more tokens; its tokens stop at once.
CREATE TABLE oauth_clients (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    name text NOT NULL,
    scopes integer NOT NULL CHECK (scopes > 0),
    secret_digest text NOT NULL,
    created_by uuid,
    created_at bigint NOT NULL,
    revoked_at bigint,
    last_used_at bigint,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX oauth_clients_created_idx ON oauth_clients (tenant_id, created_at, id);

-- Bearer tokens of those clients, kept only as SHA-256 digests, shared by every instance of the server.
CREATE TABLE oauth_tokens (
    tenant_id uuid NOT NULL,
    digest text NOT NULL,
    client_id uuid NOT NULL,
    scopes integer NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, digest),
    FOREIGN KEY (tenant_id, client_id) REFERENCES oauth_clients (tenant_id, id)
);
CREATE INDEX oauth_tokens_client_idx ON oauth_tokens (tenant_id, client_id, expires_at);

-- OneRoster results a client created with its own sourcedId (PUT /results/{sourcedId}): which mark it names.
-- (Line items map onto assessments through oneroster_ids, kind lineItem, local_kind assessment.)
CREATE TABLE oneroster_results (
    tenant_id uuid NOT NULL,
    sourced_id text NOT NULL,
    assessment_id uuid NOT NULL,
    student_id uuid NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, sourced_id),
    CONSTRAINT oneroster_results_mark_key UNIQUE (tenant_id, assessment_id, student_id),
    FOREIGN KEY (tenant_id, assessment_id) REFERENCES assessments (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id)
);
