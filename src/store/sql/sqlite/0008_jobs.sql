-- Placeholder for the job queue's migration (branch q-sql): on merge, its 0008_jobs.sql replaces this file.
SELECT 1;
