-- The tenant directory (src/shard/): which database cluster holds a school's rows. The embedded profile is one
-- cluster ("main"), so the table stays empty there; it exists so both engines share one schema.
CREATE TABLE tenant_shards (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
    shard TEXT NOT NULL CHECK (length(shard) BETWEEN 1 AND 63),
    placed_at INTEGER NOT NULL
);
CREATE INDEX tenant_shards_shard_idx ON tenant_shards (shard);
