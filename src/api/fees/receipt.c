/*
 * receipt.c - GET /payments/{id}/receipt/pdf: a payment's receipt as one PDF
 * page (src/reports/receipt.h), drawn on each request from the payment as it
 * stands (refunds since are named). For the bursar and admins, the student's
 * guardians and the student (404 for anyone else, as for a missing payment).
 */
#include "api/fees/fees.h"
#include "api/fees/fees_int.h"

#include <string.h>

#include "api/app.h"
#include "api/common.h"
#include "auth/policy.h"
#include "reports/receipt.h"

static stmt_t Q_PAYMENT = STMT("receipts.payment", 0,
                               "SELECT p.student_id, p.receipt_no, p.paid_on, p.amount, p.currency, p.method,"
                               " p.reference, p.unallocated, p.refunded, s.first_name, s.last_name, s.admission_no,"
                               " t.name FROM payments p JOIN students s ON s.tenant_id = p.tenant_id"
                               " AND s.id = p.student_id JOIN tenants t ON t.id = p.tenant_id"
                               " WHERE p.tenant_id = $1 AND p.id = $2");
static stmt_t Q_ALLOCS = STMT("receipts.allocs", 0,
                              "SELECT i.due_date, i.id, a.amount FROM payment_allocations a JOIN invoices i"
                              " ON i.tenant_id = a.tenant_id AND i.id = a.invoice_id WHERE a.tenant_id = $1"
                              " AND a.payment_id = $2 ORDER BY i.due_date, i.id");
enum { P_STUDENT, P_NO, P_PAID, P_AMOUNT, P_CURRENCY, P_METHOD, P_REF, P_UNALLOC, P_REFUNDED, P_FIRST, P_LAST,
       P_ADMISSION, P_SCHOOL };

/* The receipt of payment row p with its allocations a (arena memory). */
static receipt_t receipt_of(req_t *r, const db_result_t *p, const db_result_t *a)
{
    receipt_alloc_t *allocs = arena_calloc(&r->arena, sizeof(*allocs) * (size_t)(a->nrows + 1));
    for (int i = 0; allocs != NULL && i < a->nrows; i++)
        allocs[i] = (receipt_alloc_t){db_get(a, i, 0), db_get(a, i, 1), db_get_int(a, i, 2)};
    return (receipt_t){.school = db_get(p, 0, P_SCHOOL), .number = db_get(p, 0, P_NO),
                       .paid_on = db_get(p, 0, P_PAID),
                       .student = arena_printf(&r->arena, "%s %s", db_get(p, 0, P_FIRST), db_get(p, 0, P_LAST)),
                       .admission_no = db_get(p, 0, P_ADMISSION), .currency = db_get(p, 0, P_CURRENCY),
                       .amount = db_get_int(p, 0, P_AMOUNT), .unallocated = db_get_int(p, 0, P_UNALLOC),
                       .refunded = db_get_int(p, 0, P_REFUNDED), .method = db_get(p, 0, P_METHOD),
                       .reference = db_get(p, 0, P_REF), .allocs = allocs,
                       .nallocs = allocs != NULL ? (size_t)a->nrows : 0};
}

int payment_receipt_pdf(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t p, a;
    if (db_exec(db, &Q_PAYMENT, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &p) != 0)
        return db_fail(r, db);
    if (p.nrows != 1)
        return policy_hidden(r, "payment");
    int may = policy_can_read_student(r, db_get(&p, 0, P_STUDENT));
    if (may != 1)
        return may == 0 ? policy_hidden(r, "payment") : -1;
    if (db_exec(db, &Q_ALLOCS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &a) != 0)
        return db_fail(r, db);
    receipt_t rc = receipt_of(r, &p, &a);
    sbuf_t pdf;
    sbuf_init(&pdf, &r->arena, 16 * 1024);
    char err[160];
    if (receipt_pdf(&rc, &pdf, err, sizeof err) != 0)
        return res_fail(r, ERR_INTERNAL, "the receipt could not be drawn: %s", err);
    res_header(r, "content-disposition", arena_printf(&r->arena, "inline; filename=\"%s.pdf\"", rc.number));
    return res_body(r, 200, "application/pdf", pdf.p, pdf.len);
}
