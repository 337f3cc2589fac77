-- Announcements with their audiences (whole school, grade levels, classes, roles, guardians of a class),
-- attachments (files) and read receipts; absence alerts to guardians: the school's settings, the alerts sent
-- (one per student and day) with their recipients, and the guardians who opted out. Times are Unix ms.

CREATE TABLE announcements (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    publish_at INTEGER NOT NULL,
    expires_at INTEGER CHECK (expires_at IS NULL OR expires_at > publish_at),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
    email INTEGER NOT NULL DEFAULT 1,
    mailed_at INTEGER,   -- when its e-mail was queued (once)
    mail_count INTEGER,  -- to how many addresses
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, author_id) REFERENCES users (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX announcements_publish_idx ON announcements (tenant_id, publish_at, id);
CREATE INDEX announcements_author_idx ON announcements (tenant_id, author_id, publish_at);

-- one row per part of an audience: school; grade (grade_level); class (class_id); role (role_bits: a ROLE_* bit);
-- guardians (class_id: the parents of the students enrolled in it)
CREATE TABLE announcement_audiences (
    tenant_id TEXT NOT NULL,
    announcement_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('school', 'grade', 'class', 'role', 'guardians')),
    grade_level INTEGER CHECK (grade_level IS NULL OR grade_level BETWEEN 0 AND 13),
    class_id TEXT,
    role_bits INTEGER,
    PRIMARY KEY (tenant_id, announcement_id, position),
    FOREIGN KEY (tenant_id, announcement_id) REFERENCES announcements (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, class_id) REFERENCES classes (tenant_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE announcement_files (
    tenant_id TEXT NOT NULL,
    announcement_id TEXT NOT NULL,
    file_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, announcement_id, file_id),
    FOREIGN KEY (tenant_id, announcement_id) REFERENCES announcements (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, file_id) REFERENCES files (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX announcement_files_file_idx ON announcement_files (tenant_id, file_id);

CREATE TABLE announcement_reads (
    tenant_id TEXT NOT NULL,
    announcement_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    read_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, announcement_id, user_id),
    FOREIGN KEY (tenant_id, announcement_id) REFERENCES announcements (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
) STRICT, WITHOUT ROWID;

-- a school without a row has the defaults: alerts on, absences only, 30 minutes' grace
CREATE TABLE absence_alert_settings (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
    enabled INTEGER NOT NULL DEFAULT 1,
    include_late INTEGER NOT NULL DEFAULT 0,
    grace_seconds INTEGER NOT NULL DEFAULT 1800 CHECK (grace_seconds BETWEEN 0 AND 86400),
    version INTEGER NOT NULL DEFAULT 1,
    updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE absence_alerts (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    student_id TEXT NOT NULL,
    date TEXT NOT NULL,
    class_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('absent', 'late')),
    marked_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id),
    CONSTRAINT absence_alerts_day_key UNIQUE (tenant_id, student_id, date)
) STRICT, WITHOUT ROWID;
CREATE INDEX absence_alerts_date_idx ON absence_alerts (tenant_id, date);

CREATE TABLE absence_alert_recipients (
    tenant_id TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    guardian_id TEXT NOT NULL,
    email TEXT NOT NULL,
    unsubscribe_hash TEXT NOT NULL, -- SHA-256 of the one-click unsubscribe token of the message
    PRIMARY KEY (tenant_id, alert_id, guardian_id),
    FOREIGN KEY (tenant_id, alert_id) REFERENCES absence_alerts (tenant_id, id),
    FOREIGN KEY (tenant_id, guardian_id) REFERENCES guardians (tenant_id, id),
    CONSTRAINT absence_alert_recipients_unsubscribe_key UNIQUE (unsubscribe_hash)
) STRICT, WITHOUT ROWID;

-- guardians who asked for no absence alerts
CREATE TABLE guardian_alert_optouts (
    tenant_id TEXT NOT NULL,
    guardian_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, guardian_id),
    FOREIGN KEY (tenant_id, guardian_id) REFERENCES guardians (tenant_id, id)
) STRICT, WITHOUT ROWID;
