-- People: a teacher's hire date, indexes for the orders of the people lists, and at most one primary
-- guardian per student.

ALTER TABLE teachers ADD COLUMN hired_on TEXT;

CREATE INDEX teachers_name_idx ON teachers (tenant_id, last_name, first_name, id);
CREATE INDEX teachers_created_idx ON teachers (tenant_id, created_at, id);
CREATE INDEX students_first_name_idx ON students (tenant_id, first_name, last_name, id);
CREATE INDEX students_birth_idx ON students (tenant_id, date_of_birth, id);
CREATE INDEX students_created_idx ON students (tenant_id, created_at, id);
CREATE INDEX guardians_created_idx ON guardians (tenant_id, created_at, id);

-- setting a primary guardian clears the others in the same transaction; this makes a race a conflict
CREATE UNIQUE INDEX student_guardians_primary_key ON student_guardians (tenant_id, student_id) WHERE is_primary <> 0;
