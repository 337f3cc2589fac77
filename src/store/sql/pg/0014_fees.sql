-- Fees and payments: fee items, structures with their items and instalments, discounts per student, invoices and
-- their lines, credit notes, payments and their allocations, refunds, the students' fee accounts (credit), an
-- append-only ledger, per-school gapless receipt numbers and payment-provider webhook events.
-- Amounts are integer minor units of the school's currency (tenants.currency); percentages are basis points
-- (src/domain/fees.h). Dates are ISO dates; instants are Unix ms. An issued invoice is never edited: corrections
-- are credit notes or a void with a reason.

CREATE TABLE fee_items (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    name text NOT NULL,
    description text,
    amount bigint NOT NULL CHECK (amount >= 0),
    version integer NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT fee_items_name_key UNIQUE (tenant_id, name)
);

-- a structure applies to a grade level of a year, or to one class of it
CREATE TABLE fee_structures (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    name text NOT NULL,
    academic_year_id uuid NOT NULL,
    grade_level integer CHECK (grade_level IS NULL OR grade_level BETWEEN 0 AND 13),
    class_id uuid,
    version integer NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, academic_year_id) REFERENCES academic_years (tenant_id, id),
    FOREIGN KEY (tenant_id, class_id) REFERENCES classes (tenant_id, id),
    CONSTRAINT fee_structures_name_key UNIQUE (tenant_id, academic_year_id, name),
    CHECK ((grade_level IS NULL) <> (class_id IS NULL))
);

CREATE TABLE fee_structure_items (
    tenant_id uuid NOT NULL,
    structure_id uuid NOT NULL,
    item_id uuid NOT NULL,
    amount bigint NOT NULL CHECK (amount >= 0), -- the item's amount when it was added, or another
    position integer NOT NULL,
    PRIMARY KEY (tenant_id, structure_id, item_id),
    FOREIGN KEY (tenant_id, structure_id) REFERENCES fee_structures (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, item_id) REFERENCES fee_items (tenant_id, id)
);

-- an instalment bills share_bp of every item on due_date; a structure's shares add up to 10000
CREATE TABLE fee_instalments (
    tenant_id uuid NOT NULL,
    structure_id uuid NOT NULL,
    seq integer NOT NULL CHECK (seq >= 1),
    label text NOT NULL,
    due_date date NOT NULL,
    share_bp integer NOT NULL CHECK (share_bp BETWEEN 1 AND 10000),
    PRIMARY KEY (tenant_id, structure_id, seq),
    FOREIGN KEY (tenant_id, structure_id) REFERENCES fee_structures (tenant_id, id) ON DELETE CASCADE
);

-- discounts and scholarships of a student, on one item or (item_id NULL) on all; audited; ended, never deleted
CREATE TABLE fee_discounts (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    student_id uuid NOT NULL,
    item_id uuid,
    kind text NOT NULL CHECK (kind IN ('percentage', 'fixed')),
    value bigint NOT NULL CHECK (value >= 0 AND (kind <> 'percentage' OR value <= 10000)),
    reason text NOT NULL,
    academic_year_id uuid,
    created_by uuid NOT NULL,
    created_at bigint NOT NULL,
    ended_at bigint,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES fee_items (tenant_id, id),
    FOREIGN KEY (tenant_id, academic_year_id) REFERENCES academic_years (tenant_id, id)
);
CREATE INDEX fee_discounts_student_idx ON fee_discounts (tenant_id, student_id);

-- state is what was done (draft, issued, void); paid, partially paid and overdue follow from the figures.
-- balance = total - allocated + refunded - credited, kept in the transaction that changes a figure.
CREATE TABLE invoices (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    student_id uuid NOT NULL,
    structure_id uuid,
    instalment_seq integer,
    currency text NOT NULL CHECK (length(currency) = 3),
    state text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'issued', 'void')),
    due_date date NOT NULL,
    total bigint NOT NULL CHECK (total >= 0),
    allocated bigint NOT NULL DEFAULT 0 CHECK (allocated >= 0),
    refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0),
    credited bigint NOT NULL DEFAULT 0 CHECK (credited >= 0),
    balance bigint NOT NULL CHECK (balance >= 0),
    issued_at bigint,
    voided_at bigint,
    void_reason text,
    version integer NOT NULL DEFAULT 1,
    created_by uuid NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id),
    FOREIGN KEY (tenant_id, structure_id) REFERENCES fee_structures (tenant_id, id),
    CHECK (balance = total - allocated + refunded - credited),
    CHECK (state <> 'void' OR void_reason IS NOT NULL),
    CHECK ((structure_id IS NULL) = (instalment_seq IS NULL))
);
-- bulk invoicing twice creates nothing new
CREATE UNIQUE INDEX invoices_structure_key ON invoices (tenant_id, structure_id, instalment_seq, student_id)
    WHERE structure_id IS NOT NULL;
CREATE INDEX invoices_student_idx ON invoices (tenant_id, student_id, due_date, id);
CREATE INDEX invoices_due_idx ON invoices (tenant_id, state, due_date);

CREATE TABLE invoice_lines (
    tenant_id uuid NOT NULL,
    invoice_id uuid NOT NULL,
    line_no integer NOT NULL CHECK (line_no >= 1),
    item_id uuid,
    description text NOT NULL,
    amount bigint NOT NULL CHECK (amount >= 0),
    discount bigint NOT NULL DEFAULT 0 CHECK (discount >= 0 AND discount <= amount),
    net bigint NOT NULL CHECK (net = amount - discount),
    PRIMARY KEY (tenant_id, invoice_id, line_no),
    FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES fee_items (tenant_id, id)
);

CREATE TABLE credit_notes (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    invoice_id uuid NOT NULL,
    amount bigint NOT NULL CHECK (amount > 0),
    reason text NOT NULL,
    created_by uuid NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id)
);
CREATE INDEX credit_notes_invoice_idx ON credit_notes (tenant_id, invoice_id);

-- a student's fee account: the credit left by over-payments; its row is locked by every payment of the student
CREATE TABLE fee_accounts (
    tenant_id uuid NOT NULL,
    student_id uuid NOT NULL,
    credit bigint NOT NULL DEFAULT 0 CHECK (credit >= 0),
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, student_id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id)
);

-- gapless receipt numbers: the row of a school and year is updated in the payment's transaction
CREATE TABLE receipt_counters (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    year integer NOT NULL,
    last_seq bigint NOT NULL CHECK (last_seq >= 0),
    PRIMARY KEY (tenant_id, year)
);

CREATE TABLE payments (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    student_id uuid NOT NULL,
    receipt_year integer NOT NULL,
    receipt_seq bigint NOT NULL CHECK (receipt_seq >= 1),
    receipt_no text NOT NULL,
    amount bigint NOT NULL CHECK (amount > 0),
    currency text NOT NULL CHECK (length(currency) = 3),
    method text NOT NULL CHECK (method IN ('cash', 'bank_transfer', 'card', 'online')),
    reference text,
    paid_on date NOT NULL,
    unallocated bigint NOT NULL CHECK (unallocated >= 0 AND unallocated <= amount), -- went to credit
    refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
    provider text,
    provider_ref text,
    created_by uuid,
    created_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id),
    CONSTRAINT payments_receipt_key UNIQUE (tenant_id, receipt_year, receipt_seq),
    CHECK ((provider IS NULL) = (provider_ref IS NULL))
);
CREATE INDEX payments_student_idx ON payments (tenant_id, student_id, paid_on, id);
CREATE INDEX payments_day_idx ON payments (tenant_id, paid_on, method);
CREATE UNIQUE INDEX payments_provider_key ON payments (tenant_id, provider, provider_ref) WHERE provider IS NOT NULL;

CREATE TABLE payment_allocations (
    tenant_id uuid NOT NULL,
    payment_id uuid NOT NULL,
    invoice_id uuid NOT NULL,
    amount bigint NOT NULL CHECK (amount > 0),
    refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
    PRIMARY KEY (tenant_id, payment_id, invoice_id),
    FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id),
    FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id)
);
CREATE INDEX payment_allocations_invoice_idx ON payment_allocations (tenant_id, invoice_id);

CREATE TABLE refunds (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    payment_id uuid NOT NULL,
    amount bigint NOT NULL CHECK (amount > 0),
    method text NOT NULL CHECK (method IN ('cash', 'bank_transfer', 'card', 'online')),
    reason text NOT NULL,
    refunded_on date NOT NULL,
    created_by uuid,
    created_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id)
);
CREATE INDEX refunds_payment_idx ON refunds (tenant_id, payment_id);

-- every change of what a student owes, in order; amount > 0 raises what is owed, < 0 lowers it. Never changed.
CREATE TABLE fee_ledger (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL, -- UUIDv7: the order of the entries
    student_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('invoice', 'payment', 'refund', 'credit_note', 'void')),
    amount bigint NOT NULL,
    occurred_on date NOT NULL,
    invoice_id uuid,
    payment_id uuid,
    credit_note_id uuid,
    refund_id uuid,
    memo text,
    created_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id)
);
CREATE INDEX fee_ledger_student_idx ON fee_ledger (tenant_id, student_id, id);

CREATE FUNCTION fee_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'fee_ledger is append-only' USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER fee_ledger_no_update BEFORE UPDATE OR DELETE ON fee_ledger
    FOR EACH ROW EXECUTE FUNCTION fee_ledger_append_only();

-- the lines of an issued or void invoice are never changed
CREATE FUNCTION invoice_lines_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM invoices i WHERE i.tenant_id = OLD.tenant_id AND i.id = OLD.invoice_id
               AND i.state <> 'draft') THEN
        RAISE EXCEPTION 'the lines of an issued invoice are never changed' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER invoice_lines_no_change BEFORE UPDATE OR DELETE ON invoice_lines
    FOR EACH ROW EXECUTE FUNCTION invoice_lines_frozen();

-- events of payment providers, recorded once each
CREATE TABLE payment_webhook_events (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    provider text NOT NULL,
    event_id text NOT NULL,
    type text NOT NULL,
    payload text NOT NULL,
    payment_id uuid,
    received_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, provider, event_id)
);
