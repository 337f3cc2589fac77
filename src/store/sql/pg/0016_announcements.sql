-- Announcements with their audiences (whole school, grade levels, classes, roles, guardians of a class),
-- attachments (files) and read receipts; absence alerts to guardians: the school's settings, the alerts sent
-- (one per student and day) with their recipients, and the guardians who opted out. Times are Unix ms.

CREATE TABLE announcements (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    author_id uuid NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    publish_at bigint NOT NULL,
    expires_at bigint CHECK (expires_at IS NULL OR expires_at > publish_at),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
    email boolean NOT NULL DEFAULT true,
    mailed_at bigint,   -- when its e-mail was queued (once)
    mail_count integer,  -- to how many addresses
    version integer NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, author_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX announcements_publish_idx ON announcements (tenant_id, publish_at, id);
CREATE INDEX announcements_author_idx ON announcements (tenant_id, author_id, publish_at);

-- one row per part of an audience: school; grade (grade_level); class (class_id); role (role_bits: a ROLE_* bit);
-- guardians (class_id: the parents of the students enrolled in it)
CREATE TABLE announcement_audiences (
    tenant_id uuid NOT NULL,
    announcement_id uuid NOT NULL,
    position integer NOT NULL,
    kind text NOT NULL CHECK (kind IN ('school', 'grade', 'class', 'role', 'guardians')),
    grade_level integer CHECK (grade_level IS NULL OR grade_level BETWEEN 0 AND 13),
    class_id uuid,
    role_bits integer,
    PRIMARY KEY (tenant_id, announcement_id, position),
    FOREIGN KEY (tenant_id, announcement_id) REFERENCES announcements (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, class_id) REFERENCES classes (tenant_id, id)
);

CREATE TABLE announcement_files (
    tenant_id uuid NOT NULL,
    announcement_id uuid NOT NULL,
    file_id uuid NOT NULL,
    position integer NOT NULL,
    PRIMARY KEY (tenant_id, announcement_id, file_id),
    FOREIGN KEY (tenant_id, announcement_id) REFERENCES announcements (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, file_id) REFERENCES files (tenant_id, id)
);
CREATE INDEX announcement_files_file_idx ON announcement_files (tenant_id, file_id);

CREATE TABLE announcement_reads (
    tenant_id uuid NOT NULL,
    announcement_id uuid NOT NULL,
    user_id uuid NOT NULL,
    read_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, announcement_id, user_id),
    FOREIGN KEY (tenant_id, announcement_id) REFERENCES announcements (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

-- a school without a row has the defaults: alerts on, absences only, 30 minutes' grace
CREATE TABLE absence_alert_settings (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
    enabled boolean NOT NULL DEFAULT true,
    include_late boolean NOT NULL DEFAULT false,
    grace_seconds integer NOT NULL DEFAULT 1800 CHECK (grace_seconds BETWEEN 0 AND 86400),
    version integer NOT NULL DEFAULT 1,
    updated_at bigint NOT NULL
);

CREATE TABLE absence_alerts (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    student_id uuid NOT NULL,
    date date NOT NULL,
    class_id uuid NOT NULL,
    status text NOT NULL CHECK (status IN ('absent', 'late')),
    marked_at bigint NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id),
    CONSTRAINT absence_alerts_day_key UNIQUE (tenant_id, student_id, date)
);
CREATE INDEX absence_alerts_date_idx ON absence_alerts (tenant_id, date);

CREATE TABLE absence_alert_recipients (
    tenant_id uuid NOT NULL,
    alert_id uuid NOT NULL,
    guardian_id uuid NOT NULL,
    email text NOT NULL,
    unsubscribe_hash text NOT NULL, -- SHA-256 of the one-click unsubscribe token of the message
    PRIMARY KEY (tenant_id, alert_id, guardian_id),
    FOREIGN KEY (tenant_id, alert_id) REFERENCES absence_alerts (tenant_id, id),
    FOREIGN KEY (tenant_id, guardian_id) REFERENCES guardians (tenant_id, id),
    CONSTRAINT absence_alert_recipients_unsubscribe_key UNIQUE (unsubscribe_hash)
);

-- guardians who asked for no absence alerts
CREATE TABLE guardian_alert_optouts (
    tenant_id uuid NOT NULL,
    guardian_id uuid NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, guardian_id),
    FOREIGN KEY (tenant_id, guardian_id) REFERENCES guardians (tenant_id, id)
);
