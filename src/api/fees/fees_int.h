/* fees_int.h - what the fees area's files share (not for other areas). */
#ifndef ERP_API_FEES_INT_H
#define ERP_API_FEES_INT_H

#include "http/handler.h"
#include "store/store.h"

/* Whether the caller may read a student's money: 1 yes, 0 after answering 404, -1 after an error answered. */
int fees_may_read_student(req_t *r, const char *student_id);

/*
 * The school's ISO currency code (arena memory) once student_id (unless NULL) is a student of the school; NULL
 * after answering 404 "No such student (field)." (field may be NULL) or an error.
 */
const char *fees_student_currency(req_t *r, const char *student_id, const char *field);

#define INVOICE_COLS                                                                                             \
    "id, student_id, currency, state, due_date, total, allocated, refunded, credited, balance, issued_at,"      \
    " version, created_at, updated_at"
enum { I_ID, I_STUDENT, I_CURRENCY, I_STATE, I_DUE, I_TOTAL, I_ALLOC, I_REFUND, I_CREDIT, I_BALANCE, I_ISSUED,
       I_VERSION, I_CREATED, I_UPDATED };

/* The status (draft, issued, partially_paid, paid, overdue, void) of row `row` of an INVOICE_COLS result. */
const char *fees_status_of(req_t *r, const db_result_t *inv, int row);

#define FEES_MAX_INVOICES 200
#define FEES_MAX_INSTALMENTS 12 /* of a fee structure */

/* A payment as received (the body of POST /payments, or a provider's event). */
typedef struct payment_in {
    const char *student_id;
    long long amount;
    int method; /* index into fees_methods */
    const char *reference;
    const char *paid_on;
    const char *invoices[FEES_MAX_INVOICES]; /* named invoices, in order; none: the oldest first */
    size_t ninvoices;
    const char *provider; /* a provider's payment: its name and its payment id; else NULL */
    const char *provider_ref;
} payment_in_t;

/* "cash", "bank_transfer", "card", "online", NULL. */
extern const char *const fees_methods[];

typedef struct paying {
    req_t *r;
    const payment_in_t *in;
    const char *tenant;   /* the school */
    const char *actor;    /* the account recording it; NULL for a provider's event */
    const char *id;       /* the new payment's id */
    const char *currency; /* the school's */
    int bad_invoice;      /* out: index + 1 of a named invoice that is not open */
} paying_t;

/* Records payment c->in in db's open transaction (allocation, credit, receipt number, ledger, audit); 0 or -1. */
int fees_pay_in_tx(db_t *db, paying_t *c);

#endif
