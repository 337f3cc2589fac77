-- The tenant directory (src/shard/): which database cluster holds a school's rows, read from the catalog
-- (the database of ERP_DATABASE_URL). A school without a row lives on the catalog's own cluster, "main", so a
-- deployment with one cluster needs no row at all. On the other clusters this table stays empty.
CREATE TABLE tenant_shards (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
    shard text NOT NULL CHECK (length(shard) BETWEEN 1 AND 63),
    placed_at bigint NOT NULL
);
CREATE INDEX tenant_shards_shard_idx ON tenant_shards (shard);
