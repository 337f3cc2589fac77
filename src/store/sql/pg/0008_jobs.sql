-- Reserved for the jobs queue's tables (branch q-sql); empty here so that 0010 follows without a gap.
SELECT 1;
