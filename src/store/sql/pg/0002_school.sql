-- The daily work of a school: academic structure, people, enrollment, attendance, timetable.
-- Dates are ISO dates; clock times are minutes after midnight; instants are Unix milliseconds.

CREATE TABLE academic_years (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    name text NOT NULL,
    start_date date NOT NULL,
    end_date date NOT NULL,
    is_current boolean NOT NULL DEFAULT false,
    version integer NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT academic_years_name_key UNIQUE (tenant_id, name),
    CHECK (end_date > start_date)
);
-- one current year per school
CREATE UNIQUE INDEX academic_years_current_key ON academic_years (tenant_id) WHERE is_current;

CREATE TABLE terms (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    academic_year_id uuid NOT NULL,
    name text NOT NULL,
    start_date date NOT NULL,
    end_date date NOT NULL,
    weekdays integer NOT NULL DEFAULT 31 CHECK (weekdays > 0 AND weekdays < 128), -- bit 0 Monday … bit 6 Sunday
    version integer NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, academic_year_id) REFERENCES academic_years (tenant_id, id),
    CONSTRAINT terms_name_key UNIQUE (tenant_id, academic_year_id, name),
    CHECK (end_date >= start_date)
);
CREATE INDEX terms_dates_idx ON terms (tenant_id, start_date, end_date);

-- days without school inside terms
CREATE TABLE holidays (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    date date NOT NULL,
    name text NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, date)
);

CREATE TABLE subjects (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    description text,
    version integer NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT subjects_code_key UNIQUE (tenant_id, code)
);

CREATE TABLE teachers (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    user_id uuid,
    employee_no text NOT NULL,
    first_name text NOT NULL,
    last_name text NOT NULL,
    email text,
    phone text,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    version integer NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    CONSTRAINT teachers_employee_no_key UNIQUE (tenant_id, employee_no),
    CONSTRAINT teachers_user_key UNIQUE (tenant_id, user_id)
);

CREATE TABLE classes (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    academic_year_id uuid NOT NULL,
    name text NOT NULL,
    grade_level integer NOT NULL CHECK (grade_level BETWEEN 0 AND 13),
    section text NOT NULL,
    class_teacher_id uuid,
    room text,
    capacity integer CHECK (capacity IS NULL OR capacity > 0),
    version integer NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, academic_year_id) REFERENCES academic_years (tenant_id, id),
    FOREIGN KEY (tenant_id, class_teacher_id) REFERENCES teachers (tenant_id, id),
    CONSTRAINT classes_section_key UNIQUE (tenant_id, academic_year_id, grade_level, section)
);
CREATE INDEX classes_teacher_idx ON classes (tenant_id, class_teacher_id);

-- teaching assignments: who teaches which subject to which class
CREATE TABLE class_subjects (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    class_id uuid NOT NULL,
    subject_id uuid NOT NULL,
    teacher_id uuid NOT NULL,
    periods_per_week integer CHECK (periods_per_week IS NULL OR periods_per_week BETWEEN 1 AND 60),
    version integer NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, class_id) REFERENCES classes (tenant_id, id),
    FOREIGN KEY (tenant_id, subject_id) REFERENCES subjects (tenant_id, id),
    FOREIGN KEY (tenant_id, teacher_id) REFERENCES teachers (tenant_id, id),
    CONSTRAINT class_subjects_key UNIQUE (tenant_id, class_id, subject_id)
);
CREATE INDEX class_subjects_teacher_idx ON class_subjects (tenant_id, teacher_id);

CREATE TABLE students (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    admission_no text NOT NULL,
    first_name text NOT NULL,
    middle_name text,
    last_name text NOT NULL,
    date_of_birth date NOT NULL,
    gender text NOT NULL DEFAULT 'unspecified' CHECK (gender IN ('female', 'male', 'other', 'unspecified')),
    email text,
    phone text,
    address text,
    admitted_on date,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'transferred', 'graduated', 'withdrawn')),
    user_id uuid,
    search_text text NOT NULL, -- lower-case "first middle last admission_no", for search
    deleted_at bigint,         -- soft delete: the row and its history stay
    version integer NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    CONSTRAINT students_admission_no_key UNIQUE (tenant_id, admission_no),
    CONSTRAINT students_user_key UNIQUE (tenant_id, user_id)
);
CREATE INDEX students_name_idx ON students (tenant_id, last_name, first_name, id);

CREATE TABLE guardians (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    first_name text NOT NULL,
    last_name text NOT NULL,
    email text,
    phone text,
    address text,
    occupation text,
    user_id uuid,
    version integer NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    CONSTRAINT guardians_user_key UNIQUE (tenant_id, user_id)
);
CREATE INDEX guardians_name_idx ON guardians (tenant_id, last_name, first_name, id);

CREATE TABLE student_guardians (
    tenant_id uuid NOT NULL,
    student_id uuid NOT NULL,
    guardian_id uuid NOT NULL,
    relationship text NOT NULL CHECK (relationship IN ('mother', 'father', 'guardian', 'grandparent', 'sibling',
                                                       'other')),
    is_primary boolean NOT NULL DEFAULT false,
    can_pick_up boolean NOT NULL DEFAULT true,
    created_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, student_id, guardian_id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id),
    FOREIGN KEY (tenant_id, guardian_id) REFERENCES guardians (tenant_id, id)
);
CREATE INDEX student_guardians_guardian_idx ON student_guardians (tenant_id, guardian_id);

-- a student's place in a class for a stretch of a year; transfers end one row and start another
CREATE TABLE enrollments (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    student_id uuid NOT NULL,
    class_id uuid NOT NULL,
    academic_year_id uuid NOT NULL,
    start_date date NOT NULL,
    end_date date, -- inclusive; NULL while current
    end_reason text,
    version integer NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id),
    FOREIGN KEY (tenant_id, class_id) REFERENCES classes (tenant_id, id),
    FOREIGN KEY (tenant_id, academic_year_id) REFERENCES academic_years (tenant_id, id),
    CHECK (end_date IS NULL OR end_date >= start_date)
);
-- at most one open enrollment per student and year (overlaps of closed ones are checked in the transaction)
CREATE UNIQUE INDEX enrollments_open_key ON enrollments (tenant_id, student_id, academic_year_id)
    WHERE end_date IS NULL;
CREATE INDEX enrollments_class_idx ON enrollments (tenant_id, class_id, start_date);
CREATE INDEX enrollments_student_idx ON enrollments (tenant_id, student_id, start_date);

-- the fastest-growing table: one row per student and school day; partitioned by date
CREATE TABLE attendance (
    tenant_id uuid NOT NULL,
    student_id uuid NOT NULL,
    date date NOT NULL,
    class_id uuid NOT NULL,
    status text NOT NULL CHECK (status IN ('present', 'absent', 'late', 'excused')),
    note text,
    marked_by uuid,
    marked_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, student_id, date)
) PARTITION BY RANGE (date);
CREATE INDEX attendance_class_idx ON attendance (tenant_id, class_id, date);
CREATE INDEX attendance_date_idx ON attendance (tenant_id, date);
DO $$
BEGIN
    FOR y IN 2020..2040 LOOP
        EXECUTE format('CREATE TABLE attendance_%s PARTITION OF attendance FOR VALUES FROM (%L) TO (%L)',
                       y, make_date(y, 1, 1), make_date(y + 1, 1, 1));
    END LOOP;
END $$;
CREATE TABLE attendance_other PARTITION OF attendance DEFAULT;

CREATE TABLE timetable_slots (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    academic_year_id uuid NOT NULL,
    class_id uuid NOT NULL,
    subject_id uuid NOT NULL,
    teacher_id uuid NOT NULL,
    weekday integer NOT NULL CHECK (weekday BETWEEN 1 AND 7), -- ISO: 1 Monday … 7 Sunday
    start_minute integer NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute integer NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
    room text,
    version integer NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, academic_year_id) REFERENCES academic_years (tenant_id, id),
    FOREIGN KEY (tenant_id, class_id) REFERENCES classes (tenant_id, id),
    FOREIGN KEY (tenant_id, subject_id) REFERENCES subjects (tenant_id, id),
    FOREIGN KEY (tenant_id, teacher_id) REFERENCES teachers (tenant_id, id),
    CHECK (end_minute > start_minute)
);
CREATE INDEX timetable_class_idx ON timetable_slots (tenant_id, class_id, weekday, start_minute);
CREATE INDEX timetable_teacher_idx ON timetable_slots (tenant_id, academic_year_id, teacher_id, weekday);
CREATE INDEX timetable_room_idx ON timetable_slots (tenant_id, academic_year_id, room, weekday);
