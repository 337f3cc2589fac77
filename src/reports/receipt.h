/*
 * receipt.h - a payment's receipt as one A5 PDF page: the school, the receipt
 * number, the day paid, the student, the amount with its currency (minor
 * units formatted by src/domain/fees.h), the method and reference, the
 * invoices it paid (up to RECEIPT_MAX_ROWS rows, then how many more) and what
 * went to credit; refunds, their own entries, are named when there are some.
 * Text is real text (pdftotext reads it). No I/O but the bytes written.
 */
#ifndef ERP_REPORTS_RECEIPT_H
#define ERP_REPORTS_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "core/sbuf.h"

#define RECEIPT_MAX_ROWS 18

typedef struct receipt_alloc {
    const char *due_date;   /* the invoice's */
    const char *invoice_id;
    int64_t amount;         /* paid to it */
} receipt_alloc_t;

typedef struct receipt {
    const char *school;
    const char *number;     /* "R-2026-000123" */
    const char *paid_on;    /* ISO date */
    const char *student;    /* full name */
    const char *admission_no;
    const char *currency;
    int64_t amount, unallocated, refunded;
    const char *method;     /* cash, bank_transfer, card, online */
    const char *reference;  /* may be NULL */
    const receipt_alloc_t *allocs;
    size_t nallocs;
} receipt_t;

/* Draws rc into out: 0, or -1 with the reason in err. */
int receipt_pdf(const receipt_t *rc, sbuf_t *out, char *err, size_t errlen);

#endif
