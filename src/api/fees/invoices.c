/*
 * invoices.c - /invoices: a student's invoice of lines (a description and an
 * amount in minor units each), due on a date, issued at once or kept as a
 * draft. An issued invoice is never edited (its lines are frozen by a
 * trigger); what changes afterwards are its figures: allocated, refunded,
 * credited and the balance they leave.
 */
#include "api/fees/fees.h"
#include "api/fees/fees_int.h"

#include <string.h>

#include "api/app.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "auth/policy.h"
#include "core/clock.h"
#include "core/ids.h"
#include "domain/fees.h"

#define MAX_LINES 100

static stmt_t Q_STUDENT = STMT("fees.student", STMT_READ,
                               "SELECT id FROM students WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL");
static stmt_t Q_CURRENCY = STMT("fees.currency", STMT_READ, "SELECT currency FROM tenants WHERE id = $1");
static stmt_t Q_INSERT =
    STMT("invoices.insert", 0,
         "INSERT INTO invoices (tenant_id, id, student_id, currency, state, due_date, total, balance, issued_at,"
         " created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $10)");
static stmt_t Q_LINE = STMT("invoices.line", 0,
                            "INSERT INTO invoice_lines (tenant_id, invoice_id, line_no, description, amount, discount,"
                            " net) VALUES ($1, $2, $3, $4, $5, 0, $5)");
static stmt_t Q_LEDGER = STMT("invoices.ledger", 0,
                              "INSERT INTO fee_ledger (tenant_id, id, student_id, kind, amount, occurred_on,"
                              " invoice_id, created_at) VALUES ($1, $2, $3, 'invoice', $4, $5, $6, $7)");
static stmt_t Q_ONE = STMT("invoices.one", 0, "SELECT " INVOICE_COLS " FROM invoices WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_LINES = STMT("invoices.lines", 0,
                             "SELECT line_no, description, amount, discount, net FROM invoice_lines"
                             " WHERE tenant_id = $1 AND invoice_id = $2 ORDER BY line_no");

typedef struct line_in {
    const char *description;
    long long amount;
} line_in_t;

typedef struct invoice_in {
    const char *student_id;
    const char *due_date;
    int issue;
    line_in_t lines[MAX_LINES];
    size_t nlines;
    int64_t total;
} invoice_in_t;

int fees_may_read_student(req_t *r, const char *student_id)
{
    int rc = policy_can_read_student(r, student_id);
    if (rc == 0)
        return policy_hidden(r, "student");
    return rc;
}

const char *fees_student_currency(req_t *r, const char *student_id, const char *field)
{
    if (student_id != NULL && school_ref(r, &Q_STUDENT, student_id, "student", field, NULL) != 1)
        return NULL;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_CURRENCY, DB_ARGS(DB_TEXT(r->auth.tenant_id)), &r->arena, &res) != 0 || res.nrows != 1) {
        db_fail(r, db);
        return NULL;
    }
    return db_get(&res, 0, 0);
}

static void read_line(req_t *r, size_t i, void *ctx)
{
    static const char *const fields[] = {"description", "amount", NULL};
    line_in_t *l = &((line_in_t *)ctx)[i];
    body_only_fields(r, fields);
    body_string(r, "description", 1, 1, 200, &l->description);
    body_int(r, "amount", 1, 0, FEES_AMOUNT_MAX, &l->amount);
}

static int read_invoice(req_t *r, invoice_in_t *in)
{
    static const char *const fields[] = {"studentId", "dueDate", "issue", "lines", NULL};
    body_only_fields(r, fields);
    body_uuid(r, "studentId", 1, &in->student_id);
    body_date(r, "dueDate", 1, &in->due_date);
    in->issue = 1;
    body_bool(r, "issue", 0, &in->issue);
    int n = body_array(r, "lines", 1, MAX_LINES, "{description, amount}", read_line, in->lines);
    if (n < 0 || res_check_fields(r) != 0)
        return res_check_fields(r);
    in->nlines = (size_t)n;
    int64_t amounts[MAX_LINES];
    for (size_t i = 0; i < in->nlines; i++)
        amounts[i] = in->lines[i].amount;
    if (fees_sum(amounts, in->nlines, &in->total) != 0 || !fees_amount_valid(in->total))
        res_field_error(r, "lines", "add up to more than the largest amount");
    return res_check_fields(r);
}

typedef struct creating {
    req_t *r;
    const invoice_in_t *in;
    const char *id;
    const char *currency;
} creating_t;

static int create_in_tx(db_t *db, void *ctx)
{
    creating_t *c = ctx;
    req_t *r = c->r;
    const invoice_in_t *in = c->in;
    long long now = (long long)clock_wall_ms();
    if (db_exec(db, &Q_INSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(c->id), DB_TEXT(in->student_id), DB_TEXT(c->currency),
                        DB_TEXT(in->issue ? "issued" : "draft"), DB_TEXT(in->due_date), DB_INT(in->total),
                        in->issue ? DB_INT(now) : DB_NULL, DB_TEXT(r->auth.user_id), DB_INT(now)),
                &r->arena, NULL) != 0)
        return -1;
    for (size_t i = 0; i < in->nlines; i++)
        if (db_exec(db, &Q_LINE,
                    DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(c->id), DB_INT(i + 1), DB_TEXT(in->lines[i].description),
                            DB_INT(in->lines[i].amount)),
                    &r->arena, NULL) != 0)
            return -1;
    if (in->issue) {
        char lid[40];
        ids_uuid7(lid);
        if (db_exec(db, &Q_LEDGER,
                    DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(lid), DB_TEXT(in->student_id), DB_INT(in->total),
                            DB_TEXT(school_today(r)), DB_TEXT(c->id), DB_INT(now)),
                    &r->arena, NULL) != 0)
            return -1;
    }
    return audit_caller(db, r, in->issue ? "invoice.issue" : "invoice.create", "invoice", c->id,
                      arena_printf(&r->arena, "%lld", (long long)in->total));
}

const char *fees_status_of(req_t *r, const db_result_t *inv, int row)
{
    const char *state = db_get(inv, row, I_STATE);
    if (strcmp(state, "issued") != 0)
        return state;
    int64_t due = strcmp(db_get(inv, row, I_DUE), school_today(r)) < 0 ? 0 : 1; /* ISO dates compare as text */
    return fees_invoice_status_names[fees_invoice_status(db_get_int(inv, row, I_TOTAL),
                                                         db_get_int(inv, row, I_BALANCE), due, 1)];
}

/* The invoice document of a Q_ONE row with its lines. */
static json_t *invoice_json(req_t *r, const db_result_t *inv, const db_result_t *lines)
{
    json_t *list = json_array();
    for (int i = 0; i < lines->nrows; i++)
        list = json_push(list, json_pack("{s:I,s:s,s:I,s:I,s:I}", "lineNo", (json_int_t)db_get_int(lines, i, 0),
                                         "description", db_get(lines, i, 1), "amount",
                                         (json_int_t)db_get_int(lines, i, 2), "discount",
                                         (json_int_t)db_get_int(lines, i, 3), "net", (json_int_t)db_get_int(lines, i, 4)));
    const char *status = fees_status_of(r, inv, 0);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:I,s:s,s:s}", "id", db_get(inv, 0, I_ID),
                     "studentId", db_get(inv, 0, I_STUDENT), "currency", db_get(inv, 0, I_CURRENCY), "status", status,
                     "dueDate", db_get(inv, 0, I_DUE), "total", (json_int_t)db_get_int(inv, 0, I_TOTAL), "allocated",
                     (json_int_t)db_get_int(inv, 0, I_ALLOC), "refunded", (json_int_t)db_get_int(inv, 0, I_REFUND),
                     "credited", (json_int_t)db_get_int(inv, 0, I_CREDIT), "balance",
                     (json_int_t)db_get_int(inv, 0, I_BALANCE), "issuedAt",
                     json_time_or_null(&r->arena, db_get(inv, 0, I_ISSUED)), "lines", list, "version",
                     (json_int_t)db_get_int(inv, 0, I_VERSION), "createdAt",
                     iso_time(&r->arena, db_get_int(inv, 0, I_CREATED)), "updatedAt",
                     iso_time(&r->arena, db_get_int(inv, 0, I_UPDATED)));
}

/* Answers the invoice id with status. */
static int answer(req_t *r, const char *id, int status)
{
    db_t *db = req_db(r);
    db_result_t inv, lines;
    if (db_exec(db, &Q_ONE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &inv) != 0)
        return db_fail(r, db);
    if (inv.nrows != 1)
        return policy_hidden(r, "invoice");
    int rc = policy_can_read_student(r, db_get(&inv, 0, I_STUDENT));
    if (rc != 1)
        return rc == 0 ? policy_hidden(r, "invoice") : -1;
    if (db_exec(db, &Q_LINES, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &lines) != 0)
        return db_fail(r, db);
    set_etag(r, db_get_int(&inv, 0, I_VERSION));
    return res_json(r, status, invoice_json(r, &inv, &lines));
}

int invoices_create(req_t *r)
{
    invoice_in_t in;
    memset(&in, 0, sizeof(in));
    const char *currency;
    if (read_invoice(r, &in) != 0 || (currency = fees_student_currency(r, in.student_id, "studentId")) == NULL)
        return -1;
    char id[40];
    ids_uuid7(id);
    creating_t c = {r, &in, id, currency};
    db_t *db = req_db(r);
    if (db_transaction(db, create_in_tx, &c) != 0)
        return r->err.code != ERR_NONE ? -1 : db_fail(r, db);
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/invoices/%s", id));
    return answer(r, id, 201);
}

int invoices_get(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    return answer(r, id, 200);
}

/* ---- corrections: issuing a draft, credit notes, voids. An issued invoice's lines never change. */

static stmt_t Q_LOCK = STMT2("invoices.lock", 0,
                             "SELECT state, balance, allocated - refunded, student_id FROM invoices"
                             " WHERE tenant_id = $1 AND id = $2",
                             "SELECT state, balance, allocated - refunded, student_id FROM invoices"
                             " WHERE tenant_id = $1 AND id = $2 FOR UPDATE");
static stmt_t Q_ISSUE = STMT("invoices.issue", 0,
                             "UPDATE invoices SET state = 'issued', issued_at = $3, version = version + 1,"
                             " updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND state = 'draft' RETURNING total");
static stmt_t Q_CREDIT = STMT("invoices.credit", 0,
                              "UPDATE invoices SET credited = credited + $3, balance = balance - $3,"
                              " version = version + 1, updated_at = $4"
                              " WHERE tenant_id = $1 AND id = $2 AND state = 'issued' AND balance >= $3 RETURNING id");
static stmt_t Q_CREDIT_NOTE = STMT("invoices.credit_note", 0,
                                   "INSERT INTO credit_notes (tenant_id, id, invoice_id, amount, reason, created_by,"
                                   " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)");
static stmt_t Q_VOID = STMT("invoices.void", 0,
                            "UPDATE invoices SET state = 'void', voided_at = $3, void_reason = $4,"
                            " version = version + 1, updated_at = $3 WHERE tenant_id = $1 AND id = $2"
                            " AND state <> 'void' AND allocated = refunded RETURNING id");
static stmt_t Q_LEDGER_ENTRY = STMT("invoices.ledger_entry", 0,
                                    "INSERT INTO fee_ledger (tenant_id, id, student_id, kind, amount, occurred_on,"
                                    " invoice_id, credit_note_id, memo, created_at)"
                                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");

typedef enum { FIX_ISSUE, FIX_CREDIT, FIX_VOID } fix_kind_t;

typedef struct fixing {
    req_t *r;
    fix_kind_t kind;
    const char *id;
    long long amount;
    const char *reason;
    int missing;        /* out: no such invoice */
    const char *refuse; /* out: why the state refuses it (409) */
} fixing_t;

static int ledger_entry(db_t *db, fixing_t *f, const char *student, const char *kind, long long amount,
                        const char *note)
{
    req_t *r = f->r;
    char lid[40];
    ids_uuid7(lid);
    return db_exec(db, &Q_LEDGER_ENTRY,
                   DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(lid), DB_TEXT(student), DB_TEXT(kind), DB_INT(amount),
                           DB_TEXT(school_today(r)), DB_TEXT(f->id), DB_TEXT(note), DB_TEXT(f->reason),
                           DB_INT((long long)clock_wall_ms())),
                   &r->arena, NULL);
}

/* The change of f->kind on the locked invoice inv; 0, or -1 (f->refuse set when the state refuses it). */
static int apply_fix(db_t *db, fixing_t *f, const db_result_t *inv)
{
    req_t *r = f->r;
    const char *t = r->auth.tenant_id, *state = db_get(inv, 0, 0), *student = db_get(inv, 0, 3);
    long long now = (long long)clock_wall_ms(), balance = db_get_int(inv, 0, 1);
    db_result_t res;
    if (f->kind == FIX_ISSUE) {
        if (db_exec(db, &Q_ISSUE, DB_ARGS(DB_TEXT(t), DB_TEXT(f->id), DB_INT(now)), &r->arena, &res) != 0)
            return -1;
        if (res.nrows != 1)
            return f->refuse = "Only a draft is issued; this invoice is issued or void already.", -1;
        return ledger_entry(db, f, student, "invoice", db_get_int(&res, 0, 0), NULL);
    }
    if (f->kind == FIX_CREDIT) {
        if (strcmp(state, "issued") != 0)
            return f->refuse = "Credit notes are for issued invoices; this one is a draft or void.", -1;
        if (fees_credit_note_check(balance, f->amount) != 0)
            return f->refuse = arena_printf(&r->arena, "A credit note is at most the balance (%lld).", balance), -1;
        char nid[40];
        ids_uuid7(nid);
        if (db_exec(db, &Q_CREDIT, DB_ARGS(DB_TEXT(t), DB_TEXT(f->id), DB_INT(f->amount), DB_INT(now)), &r->arena,
                    &res) != 0 || res.nrows != 1 ||
            db_exec(db, &Q_CREDIT_NOTE,
                    DB_ARGS(DB_TEXT(t), DB_TEXT(nid), DB_TEXT(f->id), DB_INT(f->amount), DB_TEXT(f->reason),
                            DB_TEXT(r->auth.user_id), DB_INT(now)),
                    &r->arena, NULL) != 0)
            return -1;
        return ledger_entry(db, f, student, "credit_note", -f->amount, nid);
    }
    if (db_exec(db, &Q_VOID, DB_ARGS(DB_TEXT(t), DB_TEXT(f->id), DB_INT(now), DB_TEXT(f->reason)), &r->arena,
                &res) != 0)
        return -1;
    if (res.nrows != 1)
        return f->refuse = "A void or paid invoice is not voided: refund its payments first.", -1;
    return strcmp(state, "issued") == 0 ? ledger_entry(db, f, student, "void", -balance, NULL) : 0;
}

static int fix_in_tx(db_t *db, void *ctx)
{
    fixing_t *f = ctx;
    req_t *r = f->r;
    db_result_t inv;
    f->missing = 0;
    f->refuse = NULL;
    if (db_exec(db, &Q_LOCK, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(f->id)), &r->arena, &inv) != 0)
        return -1;
    if (inv.nrows != 1)
        return f->missing = 1, -1;
    static const char *const actions[] = {"invoice.issue", "invoice.credit_note", "invoice.void"};
    if (apply_fix(db, f, &inv) != 0)
        return -1;
    return audit_caller(db, r, actions[f->kind], "invoice", f->id,
                        f->reason != NULL ? f->reason : arena_printf(&r->arena, "%lld", f->amount));
}

static int fix(req_t *r, fixing_t *f)
{
    f->r = r;
    f->id = req_param(r, 0);
    if (require_id(r, f->id) != 0)
        return -1;
    db_t *db = req_db(r);
    if (db_transaction(db, fix_in_tx, f) != 0) {
        if (f->missing)
            return policy_hidden(r, "invoice");
        if (f->refuse != NULL)
            return res_fail(r, ERR_CONFLICT, "%s", f->refuse);
        return r->err.code != ERR_NONE ? -1 : db_fail(r, db);
    }
    return answer(r, f->id, 200);
}

int invoices_issue(req_t *r)
{
    fixing_t f = {.kind = FIX_ISSUE};
    return fix(r, &f);
}

int invoices_credit_note(req_t *r)
{
    static const char *const fields[] = {"amount", "reason", NULL};
    fixing_t f = {.kind = FIX_CREDIT};
    body_only_fields(r, fields);
    body_int(r, "amount", 1, 1, FEES_AMOUNT_MAX, &f.amount);
    body_string(r, "reason", 1, 1, 500, &f.reason);
    return res_check_fields(r) != 0 ? -1 : fix(r, &f);
}

int invoices_void(req_t *r)
{
    static const char *const fields[] = {"reason", NULL};
    fixing_t f = {.kind = FIX_VOID};
    body_only_fields(r, fields);
    body_string(r, "reason", 1, 1, 500, &f.reason);
    return res_check_fields(r) != 0 ? -1 : fix(r, &f);
}
