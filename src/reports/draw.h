/*
 * draw.h - the drawing helpers of the printed reports (the attendance
 * register, report cards): text in DejaVu Sans through cairo's toy font API
 * (fontconfig finds the font; the PDF embeds a subset, so its text is real
 * text), aligned or cut to a width, filled rectangles and lines. Colours go
 * back to black after each helper.
 */
#ifndef ERP_REPORTS_DRAW_H
#define ERP_REPORTS_DRAW_H

#include <cairo.h>

#include "core/sbuf.h"

#define DRAW_FONT "DejaVu Sans"

/* Selects DejaVu Sans of size pt, bold or not. */
void draw_font(cairo_t *cr, double pt, int bold);
/* The advance width of s in the current font. */
double draw_text_w(cairo_t *cr, const char *s);
/* Text with its left edge at x (align 0), centred on x (1) or its right edge at x (2); y is the baseline. */
void draw_text(cairo_t *cr, double x, double y, int align, const char *s);
/* Text cut to width w with an ellipsis when it is wider (at a character boundary of UTF-8; at most 250 bytes). */
void draw_text_fit(cairo_t *cr, double x, double y, double w, const char *s);
/* A rectangle filled with grey (0 black … 1 white). */
void draw_rect(cairo_t *cr, double x, double y, double w, double h, double grey);
/* A black line of width. */
void draw_line(cairo_t *cr, double x0, double y0, double x1, double y1, double width);

/* A cairo context on a new PDF of pages w x h points that writes into out, titled title (creator school-erp). */
cairo_t *draw_pdf_begin(sbuf_t *out, double w, double h, const char *title);
/* Ends the PDF of cr (its last bytes go into out) and frees cr: CAIRO_STATUS_SUCCESS or the first error. */
cairo_status_t draw_pdf_end(cairo_t *cr);

#endif
