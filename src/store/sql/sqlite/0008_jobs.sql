-- The SQL job queue (src/queue/sql.c). run_at: when a waiting job was enqueued (its place in line) or when a
-- delayed one is due; fetch takes due waiting and delayed jobs by priority, then run_at. Times are Unix ms.
CREATE TABLE jobs (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    queue TEXT NOT NULL,
    type TEXT NOT NULL,
    owner_id TEXT,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'delayed', 'active', 'completed', 'failed', 'cancelled')),
    priority INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL,
    attempts_made INTEGER NOT NULL DEFAULT 0,
    backoff_ms INTEGER NOT NULL,
    stalled INTEGER NOT NULL DEFAULT 0,
    progress INTEGER NOT NULL DEFAULT 0,
    run_at INTEGER NOT NULL,
    lock_token TEXT,
    lock_until INTEGER,
    result TEXT,
    error TEXT,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX jobs_due_idx ON jobs (queue, priority DESC, run_at) WHERE state IN ('waiting', 'delayed');
CREATE INDEX jobs_active_idx ON jobs (queue, lock_until) WHERE state = 'active';
CREATE INDEX jobs_finished_idx ON jobs (queue, state, finished_at) WHERE state IN ('completed', 'failed', 'cancelled');
CREATE INDEX jobs_tenant_idx ON jobs (tenant_id, created_at DESC);
-- One row per queue: the last stalled sweep (claimed by one worker per interval) and the limiter's window.
CREATE TABLE queue_meta (
    queue TEXT PRIMARY KEY,
    last_sweep INTEGER NOT NULL DEFAULT 0,
    window_start INTEGER NOT NULL DEFAULT 0,
    window_count INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;
