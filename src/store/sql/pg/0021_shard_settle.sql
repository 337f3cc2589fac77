-- Writes that span the catalog and a school's shard (src/shard/settle.c). A school placed on another cluster
-- is "pending" from the catalog's first write until its rows exist on that cluster; copied_version is the
-- version of the catalog's row of the school last copied to its cluster. A row that is pending, or whose
-- copied_version is behind tenants.version, is brought in step before the school's next request (or by
-- `school-erp tenant repair`). Rows from before this migration start at 0: each school's row is copied once.
ALTER TABLE tenant_shards ADD COLUMN phase text NOT NULL DEFAULT 'active' CHECK (phase IN ('pending', 'active'));
ALTER TABLE tenant_shards ADD COLUMN copied_version integer NOT NULL DEFAULT 0;
