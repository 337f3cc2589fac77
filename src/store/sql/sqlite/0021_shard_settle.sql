-- Writes that span the catalog and a school's shard (src/shard/settle.c); the embedded profile is one cluster,
-- so these columns stay at their defaults there. See the PostgreSQL migration of the same number.
ALTER TABLE tenant_shards ADD COLUMN phase TEXT NOT NULL DEFAULT 'active' CHECK (phase IN ('pending', 'active'));
ALTER TABLE tenant_shards ADD COLUMN copied_version INTEGER NOT NULL DEFAULT 0;
