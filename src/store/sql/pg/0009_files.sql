-- Files: uploads (student photos, documents) whose bytes live in the blob store (src/blob), addressed by
-- content: blob_id is "sha256-<hex>", shared by every upload of the same bytes.

CREATE TABLE files (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    blob_id text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('studentPhoto', 'document', 'import', 'export', 'report')),
    content_type text NOT NULL,
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    filename text,
    owner_id uuid NOT NULL,
    student_id uuid,
    created_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id)
);
-- a student's files, newest first
CREATE INDEX files_student_idx ON files (tenant_id, student_id, created_at, id);

-- the student's current photo (a file of kind studentPhoto of this student)
ALTER TABLE students ADD COLUMN photo_file_id uuid;
ALTER TABLE students ADD CONSTRAINT students_photo_file_fkey FOREIGN KEY (tenant_id, photo_file_id)
    REFERENCES files (tenant_id, id);
