/* receipt.c - a payment's receipt as PDF (see receipt.h). */
#include "reports/receipt.h"

#include <stdio.h>
#include <string.h>

#include "domain/fees.h"
#include "reports/draw.h"

#define PAGE_W 419.53 /* A5 portrait, points */
#define PAGE_H 595.28
#define MARGIN 36.0

static const char *money(const receipt_t *rc, int64_t amount, char *buf, size_t size)
{
    return fees_format_amount(amount, rc->currency, buf, size) == 0 ? buf : "?";
}

/* A label and its value on one row at y; the next row's y. */
static double field(cairo_t *cr, double y, const char *label, const char *value)
{
    draw_font(cr, 9, 0);
    draw_text(cr, MARGIN, y, 0, label);
    draw_font(cr, 10, 1);
    draw_text_fit(cr, MARGIN + 110, y, PAGE_W - 2 * MARGIN - 110, value != NULL ? value : "\xe2\x80\x94");
    return y + 18;
}

static double header(cairo_t *cr, const receipt_t *rc)
{
    draw_font(cr, 15, 1);
    draw_text_fit(cr, MARGIN, MARGIN + 12, PAGE_W - 2 * MARGIN, rc->school);
    draw_rect(cr, MARGIN, MARGIN + 24, PAGE_W - 2 * MARGIN, 30, 0.92);
    draw_font(cr, 13, 1);
    draw_text(cr, MARGIN + 8, MARGIN + 44, 0, "Receipt");
    draw_text(cr, PAGE_W - MARGIN - 8, MARGIN + 44, 2, rc->number);
    return MARGIN + 80;
}

static double allocations(cairo_t *cr, const receipt_t *rc, double y)
{
    char buf[64];
    draw_font(cr, 9, 1);
    draw_text(cr, MARGIN, y, 0, "Paid to invoices (due date, invoice)");
    draw_text(cr, PAGE_W - MARGIN, y, 2, "Amount");
    draw_line(cr, MARGIN, y + 4, PAGE_W - MARGIN, y + 4, 0.5);
    y += 17;
    draw_font(cr, 8, 0);
    size_t shown = rc->nallocs < RECEIPT_MAX_ROWS ? rc->nallocs : RECEIPT_MAX_ROWS;
    for (size_t i = 0; i < shown; i++, y += 14) {
        snprintf(buf, sizeof buf, "%s   %s", rc->allocs[i].due_date, rc->allocs[i].invoice_id);
        draw_text_fit(cr, MARGIN, y, PAGE_W - 2 * MARGIN - 75, buf);
        draw_text(cr, PAGE_W - MARGIN, y, 2, money(rc, rc->allocs[i].amount, buf, sizeof buf));
    }
    if (rc->nallocs > shown) {
        snprintf(buf, sizeof buf, "and %zu more invoices", rc->nallocs - shown);
        draw_text(cr, MARGIN, y, 0, buf);
        y += 14;
    }
    if (rc->unallocated > 0) {
        draw_text(cr, MARGIN, y, 0, "Kept as credit on the student's account");
        draw_text(cr, PAGE_W - MARGIN, y, 2, money(rc, rc->unallocated, buf, sizeof buf));
        y += 14;
    }
    draw_line(cr, MARGIN, y - 8, PAGE_W - MARGIN, y - 8, 0.5);
    return y + 10;
}

int receipt_pdf(const receipt_t *rc, sbuf_t *out, char *err, size_t errlen)
{
    char title[80], amount[64], refunded[64];
    snprintf(title, sizeof title, "Receipt %s", rc->number);
    cairo_t *cr = draw_pdf_begin(out, PAGE_W, PAGE_H, title);
    double y = header(cr, rc);
    y = field(cr, y, "Received on", rc->paid_on);
    y = field(cr, y, "Received from", rc->student);
    y = field(cr, y, "Admission no.", rc->admission_no);
    y = field(cr, y, "Amount", money(rc, rc->amount, amount, sizeof amount));
    y = field(cr, y, "Method", rc->method);
    y = field(cr, y, "Reference", rc->reference);
    if (rc->refunded > 0)
        y = field(cr, y, "Refunded since", money(rc, rc->refunded, refunded, sizeof refunded));
    y = allocations(cr, rc, y + 10);
    draw_font(cr, 8, 0);
    draw_text(cr, MARGIN, PAGE_H - MARGIN, 0, "Receipt numbers follow each other without gaps; refunds are "
                                              "entries of their own.");
    cairo_status_t st = draw_pdf_end(cr);
    if (st != CAIRO_STATUS_SUCCESS) {
        snprintf(err, errlen, "%s", cairo_status_to_string(st));
        return -1;
    }
    (void)y;
    return 0;
}
