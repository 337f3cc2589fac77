-- Fees and payments: fee items, structures with their items and instalments, discounts per student, invoices and
-- their lines, credit notes, payments and their allocations, refunds, the students' fee accounts (credit), an
-- append-only ledger, per-school gapless receipt numbers and payment-provider webhook events.
-- Amounts are INTEGER minor units of the school's currency (tenants.currency); percentages are basis points
-- (src/domain/fees.h). Dates are ISO dates; instants are Unix ms. An issued invoice is never edited: corrections
-- are credit notes or a void with a reason.

CREATE TABLE fee_items (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    amount INTEGER NOT NULL CHECK (amount >= 0),
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT fee_items_name_key UNIQUE (tenant_id, name)
) STRICT, WITHOUT ROWID;

-- a structure applies to a grade level of a year, or to one class of it
CREATE TABLE fee_structures (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    academic_year_id TEXT NOT NULL,
    grade_level INTEGER CHECK (grade_level IS NULL OR grade_level BETWEEN 0 AND 13),
    class_id TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, academic_year_id) REFERENCES academic_years (tenant_id, id),
    FOREIGN KEY (tenant_id, class_id) REFERENCES classes (tenant_id, id),
    CONSTRAINT fee_structures_name_key UNIQUE (tenant_id, academic_year_id, name),
    CHECK ((grade_level IS NULL) <> (class_id IS NULL))
) STRICT, WITHOUT ROWID;

CREATE TABLE fee_structure_items (
    tenant_id TEXT NOT NULL,
    structure_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount >= 0), -- the item's amount when it was added, or another
    position INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, structure_id, item_id),
    FOREIGN KEY (tenant_id, structure_id) REFERENCES fee_structures (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, item_id) REFERENCES fee_items (tenant_id, id)
) STRICT, WITHOUT ROWID;

-- an instalment bills share_bp of every item on due_date; a structure's shares add up to 10000
CREATE TABLE fee_instalments (
    tenant_id TEXT NOT NULL,
    structure_id TEXT NOT NULL,
    seq INTEGER NOT NULL CHECK (seq >= 1),
    label TEXT NOT NULL,
    due_date TEXT NOT NULL,
    share_bp INTEGER NOT NULL CHECK (share_bp BETWEEN 1 AND 10000),
    PRIMARY KEY (tenant_id, structure_id, seq),
    FOREIGN KEY (tenant_id, structure_id) REFERENCES fee_structures (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- discounts and scholarships of a student, on one item or (item_id NULL) on all; audited; ended, never deleted
CREATE TABLE fee_discounts (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    student_id TEXT NOT NULL,
    item_id TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('percentage', 'fixed')),
    value INTEGER NOT NULL CHECK (value >= 0 AND (kind <> 'percentage' OR value <= 10000)),
    reason TEXT NOT NULL,
    academic_year_id TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    ended_at INTEGER,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES fee_items (tenant_id, id),
    FOREIGN KEY (tenant_id, academic_year_id) REFERENCES academic_years (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX fee_discounts_student_idx ON fee_discounts (tenant_id, student_id);

-- state is what was done (draft, issued, void); paid, partially paid and overdue follow from the figures.
-- balance = total - allocated + refunded - credited, kept in the transaction that changes a figure.
CREATE TABLE invoices (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    student_id TEXT NOT NULL,
    structure_id TEXT,
    instalment_seq INTEGER,
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    state TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'issued', 'void')),
    due_date TEXT NOT NULL,
    total INTEGER NOT NULL CHECK (total >= 0),
    allocated INTEGER NOT NULL DEFAULT 0 CHECK (allocated >= 0),
    refunded INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0),
    credited INTEGER NOT NULL DEFAULT 0 CHECK (credited >= 0),
    balance INTEGER NOT NULL CHECK (balance >= 0),
    issued_at INTEGER,
    voided_at INTEGER,
    void_reason TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id),
    FOREIGN KEY (tenant_id, structure_id) REFERENCES fee_structures (tenant_id, id),
    CHECK (balance = total - allocated + refunded - credited),
    CHECK (state <> 'void' OR void_reason IS NOT NULL),
    CHECK ((structure_id IS NULL) = (instalment_seq IS NULL))
) STRICT, WITHOUT ROWID;
-- bulk invoicing twice creates nothing new
CREATE UNIQUE INDEX invoices_structure_key ON invoices (tenant_id, structure_id, instalment_seq, student_id)
    WHERE structure_id IS NOT NULL;
CREATE INDEX invoices_student_idx ON invoices (tenant_id, student_id, due_date, id);
CREATE INDEX invoices_due_idx ON invoices (tenant_id, state, due_date);

CREATE TABLE invoice_lines (
    tenant_id TEXT NOT NULL,
    invoice_id TEXT NOT NULL,
    line_no INTEGER NOT NULL CHECK (line_no >= 1),
    item_id TEXT,
    description TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount >= 0),
    discount INTEGER NOT NULL DEFAULT 0 CHECK (discount >= 0 AND discount <= amount),
    net INTEGER NOT NULL CHECK (net = amount - discount),
    PRIMARY KEY (tenant_id, invoice_id, line_no),
    FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES fee_items (tenant_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE credit_notes (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    invoice_id TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX credit_notes_invoice_idx ON credit_notes (tenant_id, invoice_id);

-- a student's fee account: the credit left by over-payments; its row is locked by every payment of the student
CREATE TABLE fee_accounts (
    tenant_id TEXT NOT NULL,
    student_id TEXT NOT NULL,
    credit INTEGER NOT NULL DEFAULT 0 CHECK (credit >= 0),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, student_id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id)
) STRICT, WITHOUT ROWID;

-- gapless receipt numbers: the row of a school and year is updated in the payment's transaction
CREATE TABLE receipt_counters (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    year INTEGER NOT NULL,
    last_seq INTEGER NOT NULL CHECK (last_seq >= 0),
    PRIMARY KEY (tenant_id, year)
) STRICT, WITHOUT ROWID;

CREATE TABLE payments (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    student_id TEXT NOT NULL,
    receipt_year INTEGER NOT NULL,
    receipt_seq INTEGER NOT NULL CHECK (receipt_seq >= 1),
    receipt_no TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    method TEXT NOT NULL CHECK (method IN ('cash', 'bank_transfer', 'card', 'online')),
    reference TEXT,
    paid_on TEXT NOT NULL,
    unallocated INTEGER NOT NULL CHECK (unallocated >= 0 AND unallocated <= amount), -- went to credit
    refunded INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
    provider TEXT,
    provider_ref TEXT,
    created_by TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id),
    CONSTRAINT payments_receipt_key UNIQUE (tenant_id, receipt_year, receipt_seq),
    CHECK ((provider IS NULL) = (provider_ref IS NULL))
) STRICT, WITHOUT ROWID;
CREATE INDEX payments_student_idx ON payments (tenant_id, student_id, paid_on, id);
CREATE INDEX payments_day_idx ON payments (tenant_id, paid_on, method);
CREATE UNIQUE INDEX payments_provider_key ON payments (tenant_id, provider, provider_ref) WHERE provider IS NOT NULL;

CREATE TABLE payment_allocations (
    tenant_id TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    invoice_id TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    refunded INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
    PRIMARY KEY (tenant_id, payment_id, invoice_id),
    FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id),
    FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX payment_allocations_invoice_idx ON payment_allocations (tenant_id, invoice_id);

CREATE TABLE refunds (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    method TEXT NOT NULL CHECK (method IN ('cash', 'bank_transfer', 'card', 'online')),
    reason TEXT NOT NULL,
    refunded_on TEXT NOT NULL,
    created_by TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX refunds_payment_idx ON refunds (tenant_id, payment_id);

-- every change of what a student owes, in order; amount > 0 raises what is owed, < 0 lowers it. Never changed.
CREATE TABLE fee_ledger (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL, -- UUIDv7: the order of the entries
    student_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'payment', 'refund', 'credit_note', 'void')),
    amount INTEGER NOT NULL,
    occurred_on TEXT NOT NULL,
    invoice_id TEXT,
    payment_id TEXT,
    credit_note_id TEXT,
    refund_id TEXT,
    memo TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX fee_ledger_student_idx ON fee_ledger (tenant_id, student_id, id);

CREATE TRIGGER fee_ledger_no_update BEFORE UPDATE ON fee_ledger
BEGIN
    SELECT RAISE(ABORT, 'fee_ledger is append-only');
END;
CREATE TRIGGER fee_ledger_no_delete BEFORE DELETE ON fee_ledger
BEGIN
    SELECT RAISE(ABORT, 'fee_ledger is append-only');
END;

-- the lines of an issued or void invoice are never changed
CREATE TRIGGER invoice_lines_no_update BEFORE UPDATE ON invoice_lines
WHEN EXISTS (SELECT 1 FROM invoices i WHERE i.tenant_id = OLD.tenant_id AND i.id = OLD.invoice_id AND i.state <> 'draft')
BEGIN
    SELECT RAISE(ABORT, 'the lines of an issued invoice are never changed');
END;
CREATE TRIGGER invoice_lines_no_delete BEFORE DELETE ON invoice_lines
WHEN EXISTS (SELECT 1 FROM invoices i WHERE i.tenant_id = OLD.tenant_id AND i.id = OLD.invoice_id AND i.state <> 'draft')
BEGIN
    SELECT RAISE(ABORT, 'the lines of an issued invoice are never changed');
END;

-- events of payment providers, recorded once each
CREATE TABLE payment_webhook_events (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    payment_id TEXT,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, provider, event_id)
) STRICT, WITHOUT ROWID;
