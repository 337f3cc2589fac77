-- The paper a school prints on (report cards): A4 or US Letter.

ALTER TABLE tenants ADD COLUMN paper_size text NOT NULL DEFAULT 'A4' CHECK (paper_size IN ('A4', 'Letter'));
