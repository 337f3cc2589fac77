-- Files: uploads (student photos, documents) whose bytes live in the blob store (src/blob), addressed by
-- content: blob_id is "sha256-<hex>", shared by every upload of the same bytes.

CREATE TABLE files (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    blob_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('studentPhoto', 'document', 'import', 'export', 'report')),
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
    filename TEXT,
    owner_id TEXT NOT NULL,
    student_id TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id)
);
-- a student's files, newest first
CREATE INDEX files_student_idx ON files (tenant_id, student_id, created_at, id);

-- the student's current photo (a file of kind studentPhoto of this student)
ALTER TABLE students ADD COLUMN photo_file_id TEXT;
