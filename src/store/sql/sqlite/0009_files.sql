-- Reserved for the blob store's tables (branch blob); empty here so that 0010 follows without a gap.
SELECT 1;
