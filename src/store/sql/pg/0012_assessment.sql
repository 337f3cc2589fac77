-- Assessment: grading scales and their bands, category weights, assessments and their marks, the publication
-- of a term's grades, and report-card remarks. Marks and maxima are hundredths of a mark; percentages are basis
-- points (hundredths of a percent); grade points are hundredths (src/domain/grading.h). Instants are Unix ms.

CREATE TABLE grading_scales (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    name text NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    version integer NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT grading_scales_name_key UNIQUE (tenant_id, name)
);
-- one default scale per school
CREATE UNIQUE INDEX grading_scales_default_key ON grading_scales (tenant_id) WHERE is_default;

-- a band holds the percentages from min_bp up to the next band's min_bp; points NULL: descriptors only
CREATE TABLE grading_scale_bands (
    tenant_id uuid NOT NULL,
    scale_id uuid NOT NULL,
    min_bp integer NOT NULL CHECK (min_bp BETWEEN 0 AND 10000),
    label text NOT NULL,
    descriptor text,
    points integer CHECK (points IS NULL OR points >= 0),
    PRIMARY KEY (tenant_id, scale_id, min_bp),
    FOREIGN KEY (tenant_id, scale_id) REFERENCES grading_scales (tenant_id, id) ON DELETE CASCADE
);

-- the weight (whole percent) of a category in a subject's term grade; a subject's weights of a term add up to 100
CREATE TABLE grade_category_weights (
    tenant_id uuid NOT NULL,
    subject_id uuid NOT NULL,
    term_id uuid NOT NULL,
    category text NOT NULL,
    weight integer NOT NULL CHECK (weight BETWEEN 1 AND 100),
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, subject_id, term_id, category),
    FOREIGN KEY (tenant_id, subject_id) REFERENCES subjects (tenant_id, id),
    FOREIGN KEY (tenant_id, term_id) REFERENCES terms (tenant_id, id)
);

CREATE TABLE assessments (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    class_id uuid NOT NULL,
    subject_id uuid NOT NULL,
    term_id uuid NOT NULL,
    name text NOT NULL,
    category text NOT NULL,
    date date NOT NULL,
    max_marks integer NOT NULL CHECK (max_marks BETWEEN 1 AND 100000),
    weight integer NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 100),
    state text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'open', 'closed')),
    version integer NOT NULL DEFAULT 1,
    created_by uuid NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, class_id) REFERENCES classes (tenant_id, id),
    FOREIGN KEY (tenant_id, subject_id) REFERENCES subjects (tenant_id, id),
    FOREIGN KEY (tenant_id, term_id) REFERENCES terms (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id)
);
-- a class's gradebook of a subject and term; a term's assessments (publication, a student's grades)
CREATE INDEX assessments_class_idx ON assessments (tenant_id, class_id, subject_id, term_id, date);
CREATE INDEX assessments_term_idx ON assessments (tenant_id, term_id, class_id);

-- a student's result: a mark (status 'mark') or absent / excused / exempt
CREATE TABLE assessment_marks (
    tenant_id uuid NOT NULL,
    assessment_id uuid NOT NULL,
    student_id uuid NOT NULL,
    status text NOT NULL CHECK (status IN ('mark', 'absent', 'excused', 'exempt')),
    mark integer CHECK (mark IS NULL OR mark >= 0),
    comment text,
    marked_by uuid NOT NULL,
    marked_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, assessment_id, student_id),
    FOREIGN KEY (tenant_id, assessment_id) REFERENCES assessments (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id),
    FOREIGN KEY (tenant_id, marked_by) REFERENCES users (tenant_id, id),
    CHECK ((status = 'mark') = (mark IS NOT NULL))
);
CREATE INDEX assessment_marks_student_idx ON assessment_marks (tenant_id, student_id);

-- a term whose grades are published: marks are locked (admins only), parents and students see the grades
CREATE TABLE grade_publications (
    tenant_id uuid NOT NULL,
    term_id uuid NOT NULL,
    scale_id uuid NOT NULL,
    published_by uuid NOT NULL,
    published_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, term_id),
    FOREIGN KEY (tenant_id, term_id) REFERENCES terms (tenant_id, id),
    FOREIGN KEY (tenant_id, scale_id) REFERENCES grading_scales (tenant_id, id),
    FOREIGN KEY (tenant_id, published_by) REFERENCES users (tenant_id, id)
);

-- report-card remarks: the class teacher's per student and term, a subject teacher's per student, subject and term
CREATE TABLE class_remarks (
    tenant_id uuid NOT NULL,
    term_id uuid NOT NULL,
    student_id uuid NOT NULL,
    remark text NOT NULL,
    author_id uuid NOT NULL,
    version integer NOT NULL DEFAULT 1,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, term_id, student_id),
    FOREIGN KEY (tenant_id, term_id) REFERENCES terms (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id),
    FOREIGN KEY (tenant_id, author_id) REFERENCES users (tenant_id, id)
);
CREATE TABLE subject_remarks (
    tenant_id uuid NOT NULL,
    term_id uuid NOT NULL,
    student_id uuid NOT NULL,
    subject_id uuid NOT NULL,
    remark text NOT NULL,
    author_id uuid NOT NULL,
    version integer NOT NULL DEFAULT 1,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, term_id, student_id, subject_id),
    FOREIGN KEY (tenant_id, term_id) REFERENCES terms (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id),
    FOREIGN KEY (tenant_id, subject_id) REFERENCES subjects (tenant_id, id),
    FOREIGN KEY (tenant_id, author_id) REFERENCES users (tenant_id, id)
);
