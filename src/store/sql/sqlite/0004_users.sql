-- Orders of the account list (newest first by default; by name) without sorting a school's accounts.
CREATE INDEX users_created_idx ON users (tenant_id, created_at, id);
CREATE INDEX users_name_idx ON users (tenant_id, display_name, id);
