-- OneRoster sourcedIds (src/oneroster/): which local record an imported OneRoster record became or was matched
-- with. kind is the OneRoster type (org, academicSession, course, class, user, enrollment), local_kind the table
-- of the record (tenant, year, term, subject, class, class_teacher, class_subject, student, teacher, guardian,
-- enrollment). Several sourcedIds may name one record (a teacher's enrollments of each term in one class).
CREATE TABLE oneroster_ids (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    kind TEXT NOT NULL,
    sourced_id TEXT NOT NULL,
    local_kind TEXT NOT NULL,
    local_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, sourced_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX oneroster_ids_local_idx ON oneroster_ids (tenant_id, local_kind, local_id);
