-- Pages of a school's jobs (queue_list, GET /jobs) by (created_at, id) descending: the keyset's order in full,
-- so a page is an index range read whatever the ties on created_at; and one index for a person's own jobs
-- (the list every non-admin sees), which the school-wide index would have to filter row by row.
DROP INDEX jobs_tenant_idx;
CREATE INDEX jobs_tenant_idx ON jobs (tenant_id, created_at DESC, id DESC);
CREATE INDEX jobs_owner_idx ON jobs (tenant_id, owner_id, created_at DESC, id DESC) WHERE owner_id IS NOT NULL;
