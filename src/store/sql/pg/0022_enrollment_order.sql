-- A student's current enrollment is the latest started one, ties broken by id (the student profile, the
-- class roster's "current class"): with the id in the index the newest comes first without a sort.
CREATE INDEX enrollments_student_start_idx ON enrollments (tenant_id, student_id, start_date, id);
DROP INDEX enrollments_student_idx;
