/*
 * fees.h - the fees area's handlers: invoices (created one by one, issued
 * or kept as drafts), payments (Idempotency-Key required) allocated to a
 * student's open invoices oldest first with the rest kept as credit, and a
 * student's balance; fee items, structures (frozen once invoiced), students'
 * discounts, bulk invoicing (a job), the list of invoices, receipts as PDF.
 * Routes: src/api/routes/fees.inc and fee_setup.inc; schemas:
 * src/api/schemas/fees.json and fee_setup.json; the arithmetic:
 * src/domain/fees.h; tables: migration 0014_fees.
 *
 * Who may do what:
 *   admin, bursar  everything of the school's money
 *   parent         reads the invoices and balance of their children
 *   student        reads their own
 *   teacher, staff nothing of it (403)
 *
 * Concurrency: a payment's transaction first writes its student's fee
 * account row (fee_accounts), so two payments of one student run one after
 * the other on PostgreSQL (SQLite runs one writer at a time anyway); every
 * change of an invoice's figures is a conditional update that keeps
 * balance = total - allocated + refunded - credited >= 0 (a CHECK as well).
 * Receipt numbers come from the school's counter row of the year, bumped in
 * the payment's transaction: no gaps, no duplicates.
 * Each handler answers as handlers do (handler.h): 0 with a response, -1 with r->err.
 */
#ifndef ERP_API_FEES_H
#define ERP_API_FEES_H

#include "http/handler.h"

int invoices_create(req_t *r);
int invoices_get(req_t *r);
int invoices_issue(req_t *r);
int invoices_credit_note(req_t *r);
int invoices_void(req_t *r);
int payments_create(req_t *r);
int payments_refund(req_t *r);
int student_fee_balance(req_t *r);
int student_fee_statement(req_t *r);
int payment_webhook(req_t *r);
int fees_outstanding_report(req_t *r);
int fees_collections_report(req_t *r);
/* Fee items and structures (items.c, structures.c), students' discounts (discounts.c), bulk invoicing (bulk.c). */
int fee_items_create(req_t *r);
int fee_items_list(req_t *r);
int fee_items_get(req_t *r);
int fee_items_update(req_t *r);
int fee_structures_create(req_t *r);
int fee_structures_list(req_t *r);
int fee_structures_get(req_t *r);
int fee_structures_update(req_t *r);
int fee_structures_invoice(req_t *r);
int fee_discounts_create(req_t *r);
int fee_discounts_list(req_t *r);
int fee_discounts_end(req_t *r);
/* The list of invoices (invoice_list.c). */
int invoices_list(req_t *r);
/* A payment's receipt as PDF (receipt.c). */
int payment_receipt_pdf(req_t *r);

#endif
