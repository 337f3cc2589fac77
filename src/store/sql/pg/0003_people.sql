-- People: a teacher's hire date, indexes for the orders of the people lists and for the access policy, and at
-- most one primary guardian per student.

ALTER TABLE teachers ADD COLUMN hired_on date;

CREATE INDEX teachers_name_idx ON teachers (tenant_id, last_name, first_name, id);
CREATE INDEX teachers_created_idx ON teachers (tenant_id, created_at, id);
CREATE INDEX students_first_name_idx ON students (tenant_id, first_name, last_name, id);
CREATE INDEX students_birth_idx ON students (tenant_id, date_of_birth, id);
CREATE INDEX students_created_idx ON students (tenant_id, created_at, id);
CREATE INDEX guardians_created_idx ON guardians (tenant_id, created_at, id);

-- covering indexes of the access policy: the classes a teacher teaches, the students ever enrolled in a class
-- (without them SQLite, which has no statistics, reads every enrollment of the school once per class)
CREATE INDEX class_subjects_teacher_class_idx ON class_subjects (tenant_id, teacher_id, class_id);
CREATE INDEX enrollments_class_student_idx ON enrollments (tenant_id, class_id, student_id);

-- setting a primary guardian clears the others in the same transaction; this makes a race a conflict
CREATE UNIQUE INDEX student_guardians_primary_key ON student_guardians (tenant_id, student_id) WHERE is_primary;
