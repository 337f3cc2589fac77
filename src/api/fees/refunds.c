/*
 * refunds.c - POST /refunds: money given back on a payment, its own entry
 * (the payment is never changed but for what of it is refunded). A refund
 * comes first out of what the payment left as credit, then out of its
 * allocations, the latest-due invoice first, whose balances rise again.
 * At most what is left of the payment (409). Runs after the student's fee
 * account row, as payments do, so it never races one of them.
 */
#include "api/fees/fees.h"
#include "api/fees/fees_int.h"

#include <string.h>

#include "api/app.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "core/clock.h"
#include "core/ids.h"
#include "domain/fees.h"

static stmt_t Q_PAYMENT = STMT2("refunds.payment", 0,
                                "SELECT student_id, amount, refunded, unallocated FROM payments"
                                " WHERE tenant_id = $1 AND id = $2",
                                "SELECT student_id, amount, refunded, unallocated FROM payments"
                                " WHERE tenant_id = $1 AND id = $2 FOR UPDATE");
static stmt_t Q_ACCOUNT = STMT("refunds.account", 0,
                               "UPDATE fee_accounts SET credit = credit - $3, updated_at = $4"
                               " WHERE tenant_id = $1 AND student_id = $2 AND credit >= $3 RETURNING credit");
static stmt_t Q_ALLOCS = STMT("refunds.allocs", 0,
                              "SELECT a.invoice_id, a.amount - a.refunded FROM payment_allocations a JOIN invoices i"
                              " ON i.tenant_id = a.tenant_id AND i.id = a.invoice_id WHERE a.tenant_id = $1"
                              " AND a.payment_id = $2 AND a.amount > a.refunded ORDER BY i.due_date DESC, i.id DESC");
static stmt_t Q_UNALLOC = STMT("refunds.unalloc", 0,
                               "UPDATE payment_allocations SET refunded = refunded + $4"
                               " WHERE tenant_id = $1 AND payment_id = $2 AND invoice_id = $3");
static stmt_t Q_INVOICE = STMT("refunds.invoice", 0,
                               "UPDATE invoices SET refunded = refunded + $3, balance = balance + $3,"
                               " version = version + 1, updated_at = $4 WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_PAID = STMT("refunds.paid", 0,
                            "UPDATE payments SET refunded = refunded + $3, unallocated = unallocated - $4"
                            " WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_INSERT = STMT("refunds.insert", 0,
                              "INSERT INTO refunds (tenant_id, id, payment_id, amount, method, reason, refunded_on,"
                              " created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
static stmt_t Q_LEDGER = STMT("refunds.ledger", 0,
                              "INSERT INTO fee_ledger (tenant_id, id, student_id, kind, amount, occurred_on,"
                              " payment_id, refund_id, memo, created_at) VALUES ($1, $2, $3, 'refund', $4, $5, $6,"
                              " $7, $8, $9)");
static stmt_t Q_TOUCH = STMT("refunds.touch", 0,
                             "INSERT INTO fee_accounts (tenant_id, student_id, credit, updated_at)"
                             " VALUES ($1, $2, 0, $3) ON CONFLICT (tenant_id, student_id)"
                             " DO UPDATE SET updated_at = excluded.updated_at");
static stmt_t Q_STUDENT_OF = STMT("refunds.student_of", 0,
                                  "SELECT student_id FROM payments WHERE tenant_id = $1 AND id = $2");

typedef struct refunding {
    req_t *r;
    const char *payment;
    const char *id;
    long long amount;
    int method;
    const char *reason;
    const char *refunded_on;
    int missing;
    const char *refuse;
    long long from_credit;
    json_t *allocations;
} refunding_t;

/* Takes up to *left back from the payment's allocations, latest-due invoice first. */
static int unallocate(db_t *db, refunding_t *f, long long *left, long long now)
{
    req_t *r = f->r;
    const char *t = r->auth.tenant_id;
    db_result_t res;
    if (db_exec(db, &Q_ALLOCS, DB_ARGS(DB_TEXT(t), DB_TEXT(f->payment)), &r->arena, &res) != 0)
        return -1;
    for (int i = 0; i < res.nrows && *left > 0; i++) {
        long long open = db_get_int(&res, i, 1), take = open < *left ? open : *left;
        const char *inv = db_get(&res, i, 0);
        if (db_exec(db, &Q_UNALLOC, DB_ARGS(DB_TEXT(t), DB_TEXT(f->payment), DB_TEXT(inv), DB_INT(take)), &r->arena,
                    NULL) != 0 ||
            db_exec(db, &Q_INVOICE, DB_ARGS(DB_TEXT(t), DB_TEXT(inv), DB_INT(take), DB_INT(now)), &r->arena, NULL) != 0)
            return -1;
        f->allocations = json_push(f->allocations, json_pack("{s:s,s:I}", "invoiceId", inv, "amount", (json_int_t)take));
        *left -= take;
    }
    return 0;
}

static int refund_in_tx(db_t *db, void *ctx)
{
    refunding_t *f = ctx;
    req_t *r = f->r;
    const char *t = r->auth.tenant_id;
    long long now = (long long)clock_wall_ms();
    db_result_t res, p;
    f->missing = 0;
    f->refuse = NULL;
    json_array_clear(f->allocations);
    if (db_exec(db, &Q_STUDENT_OF, DB_ARGS(DB_TEXT(t), DB_TEXT(f->payment)), &r->arena, &res) != 0)
        return -1;
    if (res.nrows != 1)
        return f->missing = 1, -1;
    const char *student = db_get(&res, 0, 0);
    if (db_exec(db, &Q_TOUCH, DB_ARGS(DB_TEXT(t), DB_TEXT(student), DB_INT(now)), &r->arena, NULL) != 0 ||
        db_exec(db, &Q_PAYMENT, DB_ARGS(DB_TEXT(t), DB_TEXT(f->payment)), &r->arena, &p) != 0 || p.nrows != 1)
        return -1;
    long long paid = db_get_int(&p, 0, 1), refunded = db_get_int(&p, 0, 2), credit = db_get_int(&p, 0, 3);
    if (fees_refund_check(paid, refunded, f->amount) != 0)
        return f->refuse = arena_printf(&r->arena, "A refund is at most what is left of the payment (%lld).",
                                        paid - refunded), -1;
    f->from_credit = credit < f->amount ? credit : f->amount;
    long long left = f->amount - f->from_credit;
    if ((f->from_credit > 0 && (db_exec(db, &Q_ACCOUNT, DB_ARGS(DB_TEXT(t), DB_TEXT(student), DB_INT(f->from_credit),
                                                                DB_INT(now)), &r->arena, &res) != 0 || res.nrows != 1)) ||
        unallocate(db, f, &left, now) != 0 || left != 0)
        return -1;
    char lid[40];
    ids_uuid7(lid);
    if (db_exec(db, &Q_PAID, DB_ARGS(DB_TEXT(t), DB_TEXT(f->payment), DB_INT(f->amount), DB_INT(f->from_credit)),
                &r->arena, NULL) != 0 ||
        db_exec(db, &Q_INSERT,
                DB_ARGS(DB_TEXT(t), DB_TEXT(f->id), DB_TEXT(f->payment), DB_INT(f->amount),
                        DB_TEXT(fees_methods[f->method]), DB_TEXT(f->reason), DB_TEXT(f->refunded_on),
                        DB_TEXT(r->auth.user_id), DB_INT(now)),
                &r->arena, NULL) != 0 ||
        db_exec(db, &Q_LEDGER,
                DB_ARGS(DB_TEXT(t), DB_TEXT(lid), DB_TEXT(student), DB_INT(f->amount), DB_TEXT(f->refunded_on),
                        DB_TEXT(f->payment), DB_TEXT(f->id), DB_TEXT(f->reason), DB_INT(now)),
                &r->arena, NULL) != 0)
        return -1;
    return audit_caller(db, r, "payment.refund", "payment", f->payment, arena_printf(&r->arena, "%lld", f->amount));
}

int payments_refund(req_t *r)
{
    static const char *const fields[] = {"paymentId", "amount", "method", "reason", "refundedOn", NULL};
    refunding_t f = {.r = r};
    body_only_fields(r, fields);
    body_uuid(r, "paymentId", 1, &f.payment);
    body_int(r, "amount", 1, 1, FEES_AMOUNT_MAX, &f.amount);
    body_enum(r, "method", 1, fees_methods, &f.method);
    body_string(r, "reason", 1, 1, 500, &f.reason);
    body_date(r, "refundedOn", 1, &f.refunded_on);
    if (res_check_fields(r) != 0)
        return -1;
    char id[40];
    ids_uuid7(id);
    f.id = id;
    f.allocations = json_array();
    if (f.allocations == NULL)
        return res_fail(r, ERR_INTERNAL, "Out of memory.");
    db_t *db = req_db(r);
    if (db_transaction(db, refund_in_tx, &f) != 0) {
        json_decref(f.allocations);
        if (f.missing)
            return res_fail(r, ERR_NOT_FOUND, "No such payment (paymentId).");
        if (f.refuse != NULL)
            return res_fail(r, ERR_CONFLICT, "%s", f.refuse);
        return r->err.code != ERR_NONE ? -1 : db_fail(r, db);
    }
    return res_json(r, 201, json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:I,s:o}", "id", id, "paymentId", f.payment, "amount",
                                      (json_int_t)f.amount, "method", fees_methods[f.method], "reason", f.reason,
                                      "refundedOn", f.refunded_on, "fromCredit", (json_int_t)f.from_credit,
                                      "allocations", f.allocations));
}
