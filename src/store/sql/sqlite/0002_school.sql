-- The daily work of a school: academic structure, people, enrollment, attendance, timetable.
-- Dates are ISO dates (TEXT YYYY-MM-DD); clock times are minutes after midnight; instants are Unix milliseconds.

CREATE TABLE academic_years (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    is_current INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT academic_years_name_key UNIQUE (tenant_id, name),
    CHECK (end_date > start_date)
) STRICT, WITHOUT ROWID;
-- one current year per school
CREATE UNIQUE INDEX academic_years_current_key ON academic_years (tenant_id) WHERE is_current <> 0;

CREATE TABLE terms (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    academic_year_id TEXT NOT NULL,
    name TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    weekdays INTEGER NOT NULL DEFAULT 31 CHECK (weekdays > 0 AND weekdays < 128), -- bit 0 Monday … bit 6 Sunday
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, academic_year_id) REFERENCES academic_years (tenant_id, id),
    CONSTRAINT terms_name_key UNIQUE (tenant_id, academic_year_id, name),
    CHECK (end_date >= start_date)
) STRICT, WITHOUT ROWID;
CREATE INDEX terms_dates_idx ON terms (tenant_id, start_date, end_date);

-- days without school inside terms
CREATE TABLE holidays (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    date TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, date)
) STRICT, WITHOUT ROWID;

CREATE TABLE subjects (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT subjects_code_key UNIQUE (tenant_id, code)
) STRICT, WITHOUT ROWID;

CREATE TABLE teachers (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    user_id TEXT,
    employee_no TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    CONSTRAINT teachers_employee_no_key UNIQUE (tenant_id, employee_no),
    CONSTRAINT teachers_user_key UNIQUE (tenant_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE classes (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    academic_year_id TEXT NOT NULL,
    name TEXT NOT NULL,
    grade_level INTEGER NOT NULL CHECK (grade_level BETWEEN 0 AND 13),
    section TEXT NOT NULL,
    class_teacher_id TEXT,
    room TEXT,
    capacity INTEGER CHECK (capacity IS NULL OR capacity > 0),
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, academic_year_id) REFERENCES academic_years (tenant_id, id),
    FOREIGN KEY (tenant_id, class_teacher_id) REFERENCES teachers (tenant_id, id),
    CONSTRAINT classes_section_key UNIQUE (tenant_id, academic_year_id, grade_level, section)
) STRICT, WITHOUT ROWID;
CREATE INDEX classes_teacher_idx ON classes (tenant_id, class_teacher_id);

-- teaching assignments: who teaches which subject to which class
CREATE TABLE class_subjects (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    class_id TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    teacher_id TEXT NOT NULL,
    periods_per_week INTEGER CHECK (periods_per_week IS NULL OR periods_per_week BETWEEN 1 AND 60),
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, class_id) REFERENCES classes (tenant_id, id),
    FOREIGN KEY (tenant_id, subject_id) REFERENCES subjects (tenant_id, id),
    FOREIGN KEY (tenant_id, teacher_id) REFERENCES teachers (tenant_id, id),
    CONSTRAINT class_subjects_key UNIQUE (tenant_id, class_id, subject_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX class_subjects_teacher_idx ON class_subjects (tenant_id, teacher_id);

CREATE TABLE students (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    admission_no TEXT NOT NULL,
    first_name TEXT NOT NULL,
    middle_name TEXT,
    last_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    gender TEXT NOT NULL DEFAULT 'unspecified' CHECK (gender IN ('female', 'male', 'other', 'unspecified')),
    email TEXT,
    phone TEXT,
    address TEXT,
    admitted_on TEXT,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'transferred', 'graduated', 'withdrawn')),
    user_id TEXT,
    search_text TEXT NOT NULL, -- lower-case "first middle last admission_no", for search
    deleted_at INTEGER,         -- soft delete: the row and its history stay
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    CONSTRAINT students_admission_no_key UNIQUE (tenant_id, admission_no),
    CONSTRAINT students_user_key UNIQUE (tenant_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX students_name_idx ON students (tenant_id, last_name, first_name, id);

CREATE TABLE guardians (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    address TEXT,
    occupation TEXT,
    user_id TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    CONSTRAINT guardians_user_key UNIQUE (tenant_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX guardians_name_idx ON guardians (tenant_id, last_name, first_name, id);

CREATE TABLE student_guardians (
    tenant_id TEXT NOT NULL,
    student_id TEXT NOT NULL,
    guardian_id TEXT NOT NULL,
    relationship TEXT NOT NULL CHECK (relationship IN ('mother', 'father', 'guardian', 'grandparent', 'sibling',
                                                       'other')),
    is_primary INTEGER NOT NULL DEFAULT 0,
    can_pick_up INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, student_id, guardian_id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id),
    FOREIGN KEY (tenant_id, guardian_id) REFERENCES guardians (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX student_guardians_guardian_idx ON student_guardians (tenant_id, guardian_id);

-- a student's place in a class for a stretch of a year; transfers end one row and start another
CREATE TABLE enrollments (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    student_id TEXT NOT NULL,
    class_id TEXT NOT NULL,
    academic_year_id TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT, -- inclusive; NULL while current
    end_reason TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id),
    FOREIGN KEY (tenant_id, class_id) REFERENCES classes (tenant_id, id),
    FOREIGN KEY (tenant_id, academic_year_id) REFERENCES academic_years (tenant_id, id),
    CHECK (end_date IS NULL OR end_date >= start_date)
) STRICT, WITHOUT ROWID;
-- at most one open enrollment per student and year (overlaps of closed ones are checked in the transaction)
CREATE UNIQUE INDEX enrollments_open_key ON enrollments (tenant_id, student_id, academic_year_id)
    WHERE end_date IS NULL;
CREATE INDEX enrollments_class_idx ON enrollments (tenant_id, class_id, start_date);
CREATE INDEX enrollments_student_idx ON enrollments (tenant_id, student_id, start_date);

-- the fastest-growing table: one row per student and school day (partitioned by date on PostgreSQL)
CREATE TABLE attendance (
    tenant_id TEXT NOT NULL,
    student_id TEXT NOT NULL,
    date TEXT NOT NULL,
    class_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('present', 'absent', 'late', 'excused')),
    note TEXT,
    marked_by TEXT,
    marked_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, student_id, date)
) STRICT, WITHOUT ROWID;
CREATE INDEX attendance_class_idx ON attendance (tenant_id, class_id, date);
CREATE INDEX attendance_date_idx ON attendance (tenant_id, date);

CREATE TABLE timetable_slots (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    academic_year_id TEXT NOT NULL,
    class_id TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    teacher_id TEXT NOT NULL,
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7), -- ISO: 1 Monday … 7 Sunday
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute INTEGER NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
    room TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, academic_year_id) REFERENCES academic_years (tenant_id, id),
    FOREIGN KEY (tenant_id, class_id) REFERENCES classes (tenant_id, id),
    FOREIGN KEY (tenant_id, subject_id) REFERENCES subjects (tenant_id, id),
    FOREIGN KEY (tenant_id, teacher_id) REFERENCES teachers (tenant_id, id),
    CHECK (end_minute > start_minute)
) STRICT, WITHOUT ROWID;
CREATE INDEX timetable_class_idx ON timetable_slots (tenant_id, class_id, weekday, start_minute);
CREATE INDEX timetable_teacher_idx ON timetable_slots (tenant_id, academic_year_id, teacher_id, weekday);
CREATE INDEX timetable_room_idx ON timetable_slots (tenant_id, academic_year_id, room, weekday);
