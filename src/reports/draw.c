/* draw.c - the drawing helpers of the printed reports (see draw.h). */
#include "reports/draw.h"

#include <cairo-pdf.h>
#include <stdio.h>
#include <string.h>

void draw_font(cairo_t *cr, double pt, int bold)
{
    cairo_select_font_face(cr, DRAW_FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, pt);
}

double draw_text_w(cairo_t *cr, const char *s)
{
    cairo_text_extents_t ext;
    cairo_text_extents(cr, s, &ext);
    return ext.x_advance;
}

void draw_text(cairo_t *cr, double x, double y, int align, const char *s)
{
    cairo_move_to(cr, x - draw_text_w(cr, s) * align / 2.0, y);
    cairo_show_text(cr, s);
}

void draw_text_fit(cairo_t *cr, double x, double y, double w, const char *s)
{
    if (draw_text_w(cr, s) <= w) {
        draw_text(cr, x, y, 0, s);
        return;
    }
    char buf[256];
    size_t n = strnlen(s, sizeof(buf) - 4);
    for (;;) {
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        snprintf(buf, sizeof(buf), "%.*s\xe2\x80\xa6", (int)n, s);
        if (n == 0 || draw_text_w(cr, buf) <= w)
            break;
        n--;
    }
    draw_text(cr, x, y, 0, buf);
}

void draw_rect(cairo_t *cr, double x, double y, double w, double h, double grey)
{
    cairo_set_source_rgb(cr, grey, grey, grey);
    cairo_rectangle(cr, x, y, w, h);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
}

void draw_line(cairo_t *cr, double x0, double y0, double x1, double y1, double width)
{
    cairo_set_line_width(cr, width);
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x1, y1);
    cairo_stroke(cr);
}

static cairo_status_t write_out(void *closure, const unsigned char *data, unsigned int len)
{
    sbuf_append(closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

cairo_t *draw_pdf_begin(sbuf_t *out, double w, double h, const char *title)
{
    cairo_surface_t *surface = cairo_pdf_surface_create_for_stream(write_out, out, w, h);
    cairo_t *cr = cairo_create(surface);
    cairo_surface_destroy(surface); /* cr holds it */
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "school-erp");
    return cr;
}

cairo_status_t draw_pdf_end(cairo_t *cr)
{
    cairo_surface_t *surface = cairo_surface_reference(cairo_get_target(cr));
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_finish(surface);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    return st;
}
