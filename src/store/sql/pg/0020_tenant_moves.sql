-- Moving a school between clusters online (src/shard/move.c, `school-erp tenant move`).
--
-- The directory's entry carries the write freeze of a school being moved: while frozen, every instance and
-- worker answers the school's writes 503 (reads go on); the entry is cached, and invalidated on every change.
ALTER TABLE tenant_shards ADD COLUMN frozen boolean NOT NULL DEFAULT false;

-- One move per school at a time, in the catalog: its state survives the mover (kill -9), so running the
-- command again resumes it where it stopped (or --abort rolls it back). copying: the school's rows are being
-- copied to the target (nothing is frozen yet); frozen: writes are paused, the target catches up and is
-- verified; switched: the directory names the target, the source's copy waits for its cleanup; done.
CREATE TABLE tenant_moves (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
    source text NOT NULL CHECK (length(source) BETWEEN 1 AND 63),
    target text NOT NULL CHECK (length(target) BETWEEN 1 AND 63),
    state text NOT NULL CHECK (state IN ('copying', 'frozen', 'switched', 'done')),
    started_at bigint NOT NULL,
    frozen_at bigint,
    switched_at bigint,
    done_at bigint,
    freeze_ms bigint,
    CHECK (source <> target)
);

-- The fence on the source cluster: a school listed here (or whose move lock a mover holds) cannot be written
-- on this cluster, whatever an instance's cached directory says. The mover puts tenant_write_fence() as a
-- BEFORE ROW trigger on every table holding the school's rows (lazily: a cluster no school ever left pays
-- nothing), lists the school when it freezes it, and removes the row with the school's rows at the cleanup.
-- Writers take the move lock shared (try, never wait); the mover takes it exclusively at the freeze, so it
-- waits for the writes in flight and no write starts after it. 55P03 is the store's "unavailable": 503.
CREATE TABLE tenant_fences (
    tenant_id uuid PRIMARY KEY,
    target text NOT NULL,
    fenced_at bigint NOT NULL
);

CREATE FUNCTION tenant_write_fence() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    school uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.tenant_id ELSE NEW.tenant_id END;
BEGIN
    IF NOT pg_try_advisory_xact_lock_shared(20, hashtext(school::text))
       OR EXISTS (SELECT 1 FROM tenant_fences f WHERE f.tenant_id = school) THEN
        RAISE EXCEPTION 'school % is moving to another database cluster: its writes are paused', school
            USING ERRCODE = 'lock_not_available';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
