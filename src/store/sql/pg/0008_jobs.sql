-- The SQL job queue (src/queue/sql.c). run_at: when a waiting job was enqueued (its place in line) or when a
-- delayed one is due; fetch takes due waiting and delayed jobs by priority, then run_at. Times are Unix ms.
CREATE TABLE jobs (
    tenant_id uuid NOT NULL,
    id text NOT NULL,
    queue text NOT NULL,
    type text NOT NULL,
    owner_id text,
    payload text NOT NULL,
    state text NOT NULL CHECK (state IN ('waiting', 'delayed', 'active', 'completed', 'failed', 'cancelled')),
    priority integer NOT NULL DEFAULT 0,
    attempts integer NOT NULL,
    attempts_made integer NOT NULL DEFAULT 0,
    backoff_ms bigint NOT NULL,
    stalled integer NOT NULL DEFAULT 0,
    progress integer NOT NULL DEFAULT 0,
    run_at bigint NOT NULL,
    lock_token text,
    lock_until bigint,
    result text,
    error text,
    created_at bigint NOT NULL,
    started_at bigint,
    finished_at bigint,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX jobs_due_idx ON jobs (queue, priority DESC, run_at) WHERE state IN ('waiting', 'delayed');
CREATE INDEX jobs_active_idx ON jobs (queue, lock_until) WHERE state = 'active';
CREATE INDEX jobs_finished_idx ON jobs (queue, state, finished_at) WHERE state IN ('completed', 'failed', 'cancelled');
CREATE INDEX jobs_tenant_idx ON jobs (tenant_id, created_at DESC);
-- One row per queue: the last stalled sweep (claimed by one worker per interval) and the limiter's window.
CREATE TABLE queue_meta (
    queue text PRIMARY KEY,
    last_sweep bigint NOT NULL DEFAULT 0,
    window_start bigint NOT NULL DEFAULT 0,
    window_count integer NOT NULL DEFAULT 0
);
