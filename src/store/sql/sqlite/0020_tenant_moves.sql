-- Moving a school between clusters (src/shard/move.c): PostgreSQL clusters only. The embedded profile is one
-- cluster, so these stay empty; they exist so both engines share one schema.
ALTER TABLE tenant_shards ADD COLUMN frozen INTEGER NOT NULL DEFAULT 0;

CREATE TABLE tenant_moves (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
    source TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 63),
    target TEXT NOT NULL CHECK (length(target) BETWEEN 1 AND 63),
    state TEXT NOT NULL CHECK (state IN ('copying', 'frozen', 'switched', 'done')),
    started_at INTEGER NOT NULL,
    frozen_at INTEGER,
    switched_at INTEGER,
    done_at INTEGER,
    freeze_ms INTEGER,
    CHECK (source <> target)
);

CREATE TABLE tenant_fences (
    tenant_id TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    fenced_at INTEGER NOT NULL
);
