-- Codes a school issues are unique whatever their case: "math" is the subject MATH, "s-1" the student S-1.
-- (Codes are ASCII letters, digits and punctuation, so lower() folds them alike on both engines.)
CREATE UNIQUE INDEX subjects_code_ci ON subjects (tenant_id, lower(code));
CREATE UNIQUE INDEX students_admission_no_ci ON students (tenant_id, lower(admission_no));
CREATE UNIQUE INDEX teachers_employee_no_ci ON teachers (tenant_id, lower(employee_no));
