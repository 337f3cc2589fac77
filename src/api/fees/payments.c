/*
 * payments.c - POST /payments and a student's balance. A payment takes an
 * Idempotency-Key (400 without: a retried payment must never be counted
 * twice), pays the student's open issued invoices oldest first (by due date,
 * then creation; or the invoices named, in the order named), and keeps what
 * is left as credit on the student's fee account. Every payment gets the
 * next receipt number of the school's year, R-YYYY-NNNNNN, without gaps.
 */
#include "api/fees/fees.h"
#include "api/fees/fees_int.h"

#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "auth/policy.h"
#include "core/clock.h"
#include "core/ids.h"
#include "domain/fees.h"


const char *const fees_methods[] = {"cash", "bank_transfer", "card", "online", NULL};

/* writing the account row first: a student's payments queue behind each other */
static stmt_t Q_ACCOUNT = STMT("payments.account", 0,
                               "INSERT INTO fee_accounts (tenant_id, student_id, credit, updated_at)"
                               " VALUES ($1, $2, 0, $3) ON CONFLICT (tenant_id, student_id)"
                               " DO UPDATE SET updated_at = excluded.updated_at RETURNING credit");
static stmt_t Q_RECEIPT = STMT("payments.receipt", 0,
                               "INSERT INTO receipt_counters (tenant_id, year, last_seq) VALUES ($1, $2, 1)"
                               " ON CONFLICT (tenant_id, year) DO UPDATE SET last_seq = receipt_counters.last_seq + 1"
                               " RETURNING last_seq");
static stmt_t Q_OPEN = STMT2("payments.open", 0,
                             "SELECT id, balance FROM invoices WHERE tenant_id = $1 AND student_id = $2"
                             " AND state = 'issued' AND balance > 0 ORDER BY due_date, id",
                             "SELECT id, balance FROM invoices WHERE tenant_id = $1 AND student_id = $2"
                             " AND state = 'issued' AND balance > 0 ORDER BY due_date, id FOR UPDATE");
static stmt_t Q_INSERT =
    STMT("payments.insert", 0,
         "INSERT INTO payments (tenant_id, id, student_id, receipt_year, receipt_seq, receipt_no, amount, currency,"
         " method, reference, paid_on, unallocated, created_by, created_at, provider, provider_ref)"
         " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)");
static stmt_t Q_PAY_INVOICE = STMT("payments.pay_invoice", 0,
                                   "UPDATE invoices SET allocated = allocated + $3, balance = balance - $3,"
                                   " version = version + 1, updated_at = $4"
                                   " WHERE tenant_id = $1 AND id = $2 AND state = 'issued' AND balance >= $3"
                                   " RETURNING balance");
static stmt_t Q_ALLOC = STMT("payments.alloc", 0,
                             "INSERT INTO payment_allocations (tenant_id, payment_id, invoice_id, amount)"
                             " VALUES ($1, $2, $3, $4)");
static stmt_t Q_CREDIT = STMT("payments.credit", 0,
                              "UPDATE fee_accounts SET credit = credit + $3 WHERE tenant_id = $1 AND student_id = $2");
static stmt_t Q_LEDGER = STMT("payments.ledger", 0,
                              "INSERT INTO fee_ledger (tenant_id, id, student_id, kind, amount, occurred_on,"
                              " payment_id, memo, created_at) VALUES ($1, $2, $3, 'payment', $4, $5, $6, $7, $8)");
static stmt_t Q_INVOICE = STMT("payments.invoice", STMT_READ, "SELECT id FROM invoices WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_ONE = STMT("payments.one", 0,
                           "SELECT id, student_id, receipt_no, amount, currency, method, reference, paid_on,"
                           " unallocated, created_at FROM payments WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_ALLOCS = STMT("payments.allocs", 0,
                              "SELECT invoice_id, amount FROM payment_allocations WHERE tenant_id = $1"
                              " AND payment_id = $2 ORDER BY invoice_id");
static stmt_t Q_BALANCE = STMT("payments.balance", STMT_READ,
                               "SELECT COALESCE((SELECT SUM(balance) FROM invoices WHERE tenant_id = $1"
                               " AND student_id = $2 AND state = 'issued'), 0), COALESCE((SELECT credit FROM"
                               " fee_accounts WHERE tenant_id = $1 AND student_id = $2), 0)");


static int read_payment(req_t *r, payment_in_t *in)
{
    static const char *const fields[] = {"studentId", "amount", "method", "reference", "paidOn", "invoiceIds", NULL};
    body_only_fields(r, fields);
    body_uuid(r, "studentId", 1, &in->student_id);
    body_int(r, "amount", 1, 1, FEES_AMOUNT_MAX, &in->amount);
    body_enum(r, "method", 1, fees_methods, &in->method);
    body_string(r, "reference", 0, 1, 200, &in->reference);
    body_date(r, "paidOn", 1, &in->paid_on);
    json_t *ids = json_object_get(r->json, "invoiceIds");
    if (ids != NULL && !json_is_null(ids)) {
        size_t i;
        json_t *e;
        if (!json_is_array(ids) || json_array_size(ids) == 0 || json_array_size(ids) > FEES_MAX_INVOICES)
            res_field_error(r, "invoiceIds", "must be an array of 1 to %d invoice ids", FEES_MAX_INVOICES);
        else
            json_array_foreach(ids, i, e)
            {
                char *id = json_is_string(e) ? arena_strdup(&r->arena, json_string_value(e)) : NULL;
                if (id == NULL || !ids_uuid_valid(id, strlen(id))) {
                    res_field_error(r, arena_printf(&r->arena, "invoiceIds[%zu]", i), "must be an invoice id");
                    continue;
                }
                for (char *p = id; *p; p++)
                    *p = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
                in->invoices[in->ninvoices++] = id;
            }
    }
    return res_check_fields(r);
}


/* The open invoices to pay, in order, into ids/balances; their count, or -1. */
static int open_invoices(db_t *db, paying_t *c, const char **ids, int64_t *balances)
{
    req_t *r = c->r;
    db_result_t res;
    if (db_exec(db, &Q_OPEN, DB_ARGS(DB_TEXT(c->tenant), DB_TEXT(c->in->student_id)), &r->arena, &res) != 0)
        return -1;
    if (c->in->ninvoices == 0) {
        int n = res.nrows < FEES_MAX_INVOICES ? res.nrows : FEES_MAX_INVOICES;
        for (int i = 0; i < n; i++) {
            ids[i] = db_get(&res, i, 0);
            balances[i] = db_get_int(&res, i, 1);
        }
        return n;
    }
    for (size_t k = 0; k < c->in->ninvoices; k++) {
        int found = -1;
        for (int i = 0; i < res.nrows && found < 0; i++)
            if (strcmp(db_get(&res, i, 0), c->in->invoices[k]) == 0)
                found = i;
        if (found < 0) {
            c->bad_invoice = (int)k + 1;
            return -1;
        }
        ids[k] = c->in->invoices[k];
        balances[k] = db_get_int(&res, found, 1);
    }
    return (int)c->in->ninvoices;
}

int fees_pay_in_tx(db_t *db, paying_t *c)
{
    req_t *r = c->r;
    const payment_in_t *in = c->in;
    const char *t = c->tenant;
    long long now = (long long)clock_wall_ms();
    int year = atoi(in->paid_on);
    db_result_t res;
    const char *ids[FEES_MAX_INVOICES];
    int64_t balances[FEES_MAX_INVOICES], alloc[FEES_MAX_INVOICES], credit;
    c->bad_invoice = 0;
    if (db_exec(db, &Q_ACCOUNT, DB_ARGS(DB_TEXT(t), DB_TEXT(in->student_id), DB_INT(now)), &r->arena, NULL) != 0)
        return -1;
    int n = open_invoices(db, c, ids, balances);
    if (n < 0 || fees_allocate(in->amount, balances, (size_t)n, alloc, &credit) != 0)
        return -1;
    if (db_exec(db, &Q_RECEIPT, DB_ARGS(DB_TEXT(t), DB_INT(year)), &r->arena, &res) != 0 || res.nrows != 1)
        return -1;
    long long seq = db_get_int(&res, 0, 0);
    char receipt[32];
    if (fees_receipt_number(year, seq, receipt, sizeof receipt) != 0)
        return -1;
    if (db_exec(db, &Q_INSERT,
                DB_ARGS(DB_TEXT(t), DB_TEXT(c->id), DB_TEXT(in->student_id), DB_INT(year), DB_INT(seq),
                        DB_TEXT(receipt), DB_INT(in->amount), DB_TEXT(c->currency), DB_TEXT(fees_methods[in->method]),
                        DB_TEXT(in->reference), DB_TEXT(in->paid_on), DB_INT(credit), DB_TEXT(c->actor),
                        DB_INT(now), DB_TEXT(in->provider), DB_TEXT(in->provider_ref)),
                &r->arena, NULL) != 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (alloc[i] == 0)
            continue;
        if (db_exec(db, &Q_PAY_INVOICE, DB_ARGS(DB_TEXT(t), DB_TEXT(ids[i]), DB_INT(alloc[i]), DB_INT(now)),
                    &r->arena, &res) != 0 ||
            res.nrows != 1 ||
            db_exec(db, &Q_ALLOC, DB_ARGS(DB_TEXT(t), DB_TEXT(c->id), DB_TEXT(ids[i]), DB_INT(alloc[i])), &r->arena,
                    NULL) != 0)
            return -1;
    }
    char lid[40];
    ids_uuid7(lid);
    if ((credit > 0 && db_exec(db, &Q_CREDIT, DB_ARGS(DB_TEXT(t), DB_TEXT(in->student_id), DB_INT(credit)),
                               &r->arena, NULL) != 0) ||
        db_exec(db, &Q_LEDGER,
                DB_ARGS(DB_TEXT(t), DB_TEXT(lid), DB_TEXT(in->student_id), DB_INT(-in->amount), DB_TEXT(in->paid_on),
                        DB_TEXT(c->id), DB_TEXT(receipt), DB_INT(now)),
                &r->arena, NULL) != 0)
        return -1;
    audit_event_t e = {.tenant_id = t,
                       .actor_id = c->actor,
                       .actor_roles = c->actor != NULL ? r->auth.roles : 0,
                       .action = "payment.create",
                       .subject_type = "payment",
                       .subject_id = c->id,
                       .detail = receipt};
    return audit_record(db, r, &e);
}

static int pay_in_tx(db_t *db, void *ctx)
{
    return fees_pay_in_tx(db, ctx);
}

static json_t *payment_json(req_t *r, const db_result_t *p, const db_result_t *allocs)
{
    json_t *list = json_array();
    for (int i = 0; i < allocs->nrows; i++)
        list = json_push(list, json_pack("{s:s,s:I}", "invoiceId", db_get(allocs, i, 0), "amount",
                                         (json_int_t)db_get_int(allocs, i, 1)));
    const char *ref = db_get(p, 0, 6);
    return json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:o,s:s,s:o,s:I,s:s}", "id", db_get(p, 0, 0), "studentId",
                     db_get(p, 0, 1), "receiptNumber", db_get(p, 0, 2), "amount", (json_int_t)db_get_int(p, 0, 3),
                     "currency", db_get(p, 0, 4), "method", db_get(p, 0, 5), "reference",
                     ref != NULL ? json_string(ref) : json_null(), "paidOn", db_get(p, 0, 7), "allocations", list,
                     "credit", (json_int_t)db_get_int(p, 0, 8), "createdAt", iso_time(&r->arena, db_get_int(p, 0, 9)));
}

int payments_create(req_t *r)
{
    if (r->hdr.idempotency_key == NULL)
        return res_fail(r, ERR_MALFORMED, "A payment needs an Idempotency-Key header (a key the client makes, "
                                          "sent again with every retry of this payment).");
    payment_in_t in;
    memset(&in, 0, sizeof(in));
    const char *currency;
    if (read_payment(r, &in) != 0 || (currency = fees_student_currency(r, in.student_id, "studentId")) == NULL)
        return -1;
    char id[40];
    ids_uuid7(id);
    paying_t c = {r, &in, r->auth.tenant_id, r->auth.user_id, id, currency, 0};
    db_t *db = req_db(r);
    if (db_transaction(db, pay_in_tx, &c) != 0) {
        if (c.bad_invoice > 0) {
            const char *field = arena_printf(&r->arena, "invoiceIds[%d]", c.bad_invoice - 1);
            if (school_ref(r, &Q_INVOICE, in.invoices[c.bad_invoice - 1], "invoice", field, NULL) != 1)
                return -1;
            res_field_error(r, arena_printf(&r->arena, "invoiceIds[%d]", c.bad_invoice - 1),
                            "is not an open issued invoice of the student");
            return res_check_fields(r);
        }
        return r->err.code != ERR_NONE ? -1 : db_fail(r, db);
    }
    db_result_t p, allocs;
    if (db_exec(db, &Q_ONE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &p) != 0 || p.nrows != 1 ||
        db_exec(db, &Q_ALLOCS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &allocs) != 0)
        return db_fail(r, db);
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/payments/%s", id));
    return res_json(r, 201, payment_json(r, &p, &allocs));
}

static stmt_t Q_STATEMENT = STMT("payments.statement", STMT_READ,
                                 "SELECT id, kind, amount, occurred_on, invoice_id, payment_id, memo, created_at"
                                 " FROM fee_ledger WHERE tenant_id = $1 AND student_id = $2 ORDER BY id");

/*
 * The path's student, when the caller may read their money, with st's rows of them (tenant, student) in *res:
 * the school's currency, or NULL after answering.
 */
static const char *student_view(req_t *r, stmt_t *st, db_result_t *res)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return NULL;
    db_t *db = req_db(r);
    const char *currency = fees_student_currency(r, id, NULL);
    if (currency == NULL || fees_may_read_student(r, id) != 1)
        return NULL;
    if (db_exec(db, st, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, res) != 0) {
        db_fail(r, db);
        return NULL;
    }
    return currency;
}

int student_fee_balance(req_t *r)
{
    db_result_t res;
    const char *currency = student_view(r, &Q_BALANCE, &res), *id = req_param(r, 0);
    if (currency == NULL)
        return -1;
    int64_t owed = db_get_int(&res, 0, 0), credit = db_get_int(&res, 0, 1);
    return res_json(r, 200, json_pack("{s:s,s:s,s:I,s:I,s:I}", "studentId", id, "currency", currency, "owed",
                                      (json_int_t)owed, "credit", (json_int_t)credit, "balance",
                                      (json_int_t)(owed - credit)));
}

static json_t *text_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

int student_fee_statement(req_t *r)
{
    db_result_t res;
    const char *currency = student_view(r, &Q_STATEMENT, &res), *id = req_param(r, 0);
    if (currency == NULL)
        return -1;
    json_t *lines = json_array();
    int64_t running = 0;
    for (int i = 0; i < res.nrows; i++) {
        running += db_get_int(&res, i, 2);
        lines = json_push(lines, json_pack("{s:s,s:s,s:I,s:s,s:o,s:o,s:o,s:I,s:s}", "id", db_get(&res, i, 0), "kind",
                                           db_get(&res, i, 1), "amount", (json_int_t)db_get_int(&res, i, 2), "date",
                                           db_get(&res, i, 3), "invoiceId", text_or_null(db_get(&res, i, 4)),
                                           "paymentId", text_or_null(db_get(&res, i, 5)), "memo",
                                           text_or_null(db_get(&res, i, 6)), "balance", (json_int_t)running,
                                           "recordedAt", iso_time(&r->arena, db_get_int(&res, i, 7))));
    }
    return res_json(r, 200, json_pack("{s:s,s:s,s:o,s:I}", "studentId", id, "currency", currency, "lines", lines,
                                      "balance", (json_int_t)running));
}
