/*
 * register_draw.c - draws a class's monthly register (register_int.h) with
 * cairo on the pages reg_layout() computes: the header, the column heads,
 * the student rows, the day totals on the last page, the legend and page
 * number at the foot, with the helpers of draw.h.
 */
#include "reports/register_int.h"
#include "reports/layout.h"
#include "reports/draw.h"

#include <stdio.h>
#include <string.h>

#define CELL_PT 7.0 /* marks and counts */
#define NAME_PT 7.5 /* names and the day totals' labels */
#define GREY_NO_SCHOOL 0.85
#define GREY_HEAD 0.93

static const char *const TOTAL_HEADS[] = {"P", "A", "L", "E", "Days", "%"};
#define NTOTALS (int)(sizeof(TOTAL_HEADS) / sizeof(TOTAL_HEADS[0]))
static const char *const SUMMARY_HEADS[ATT_NSTATUS] = {"Present", "Absent", "Late", "Excused"};
static const char *const MONTHS[] = {"January", "February", "March",     "April",   "May",      "June",
                                     "July",    "August",   "September", "October", "November", "December"};
static const char WEEKDAY_INITIALS[] = "MTWTFSS"; /* ISO 1 Monday … 7 Sunday */

static const reg_layout_in_t GEOMETRY = {
    .page_w = REG_PAGE_W,
    .page_h = REG_PAGE_H,
    .margin = 28,
    .header_h = 58,
    .head_h = 22,
    .footer_h = 18,
    .row_h = 10,
    .name_w = 170,
    .total_w = 24,
    .ntotals = NTOTALS,
    .nsummary = ATT_NSTATUS,
};

/* The baseline of text of size pt centred in a row whose top is y. */
static double baseline(const reg_layout_t *l, double y, double pt)
{
    return y + (l->row_h + pt * 0.72) / 2;
}

/* The grid of a page: rows lines from the top of the heads to bottom, column lines between. */
static void grid(cairo_t *cr, const reg_t *r, const reg_layout_t *l, int nrows)
{
    double top = l->table_y, bottom = reg_row_y(l, nrows);
    double right = reg_total_x(&GEOMETRY, l, NTOTALS);
    for (int i = 0; i <= nrows; i++)
        draw_line(cr, l->name_x, reg_row_y(l, i), right, reg_row_y(l, i), i % 5 == 0 ? 0.6 : 0.25);
    draw_line(cr, l->name_x, top, right, top, 0.8);
    draw_line(cr, l->name_x, bottom, right, bottom, 0.8);
    draw_line(cr, l->name_x, top, l->name_x, bottom, 0.8);
    for (int d = 0; d <= r->ndays; d++)
        draw_line(cr, reg_day_x(l, d), top, reg_day_x(l, d), bottom, d == 0 || d == r->ndays ? 0.8 : 0.25);
    for (int t = 1; t <= NTOTALS; t++)
        draw_line(cr, reg_total_x(&GEOMETRY, l, t), top, reg_total_x(&GEOMETRY, l, t), bottom, t == NTOTALS ? 0.8 : 0.25);
}

/* ---------------------------------------------------------------- parts of a page */

static void header(cairo_t *cr, const reg_t *r)
{
    double x = GEOMETRY.margin, y = GEOMETRY.margin;
    char buf[512];
    draw_font(cr, 14, 1);
    draw_text(cr, x, y + 14, 0, r->school);
    draw_font(cr, 11, 1);
    snprintf(buf, sizeof(buf), "Attendance register \xe2\x80\x94 %s %d", MONTHS[r->month - 1], r->year);
    draw_text(cr, x, y + 31, 0, buf);
    draw_font(cr, 9, 0);
    snprintf(buf, sizeof(buf), "Class %s   \xc2\xb7   Academic year %s   \xc2\xb7   Class teacher: %s", r->class_name,
             r->year_name, r->teacher != NULL ? r->teacher : "\xe2\x80\x94");
    draw_text(cr, x, y + 46, 0, buf);
}

static void heads(cairo_t *cr, const reg_t *r, const reg_layout_t *l)
{
    double y = l->table_y, h = GEOMETRY.head_h;
    draw_font(cr, 8, 1);
    draw_text(cr, l->name_x + 4, y + h / 2 + 3, 0, "#   Student");
    char buf[8];
    for (int d = 0; d < r->ndays; d++) {
        double cx = reg_day_x(l, d) + l->day_w / 2;
        snprintf(buf, sizeof(buf), "%d", d + 1);
        draw_font(cr, CELL_PT, 1);
        draw_text(cr, cx, y + 9, 1, buf);
        snprintf(buf, sizeof(buf), "%c", WEEKDAY_INITIALS[cal_weekday(r->first + d) - 1]);
        draw_font(cr, CELL_PT, 0);
        draw_text(cr, cx, y + 18, 1, buf);
    }
    draw_font(cr, CELL_PT, 1);
    for (int t = 0; t < NTOTALS; t++)
        draw_text(cr, reg_total_x(&GEOMETRY, l, t) + GEOMETRY.total_w / 2, y + h / 2 + 3, 1, TOTAL_HEADS[t]);
}

/* Shades the columns of the days with no school, from the heads to the bottom of row nrows. */
static void shade(cairo_t *cr, const reg_t *r, const reg_layout_t *l, int nrows)
{
    for (int d = 0; d < r->ndays; d++)
        if (!r->school_day[d])
            draw_rect(cr, reg_day_x(l, d), l->table_y, l->day_w, reg_row_y(l, nrows) - l->table_y, GREY_NO_SCHOOL);
}

static void totals(cairo_t *cr, const reg_layout_t *l, double y, const att_counts_t *c)
{
    char buf[16];
    double rate;
    for (int t = 0; t < NTOTALS; t++) {
        int v = t < ATT_NSTATUS ? c->n[t] : c->expected;
        if (t == NTOTALS - 1 && att_rate(c, &rate) != 0)
            snprintf(buf, sizeof(buf), "\xe2\x80\x94");
        else if (t == NTOTALS - 1)
            snprintf(buf, sizeof(buf), "%.0f", rate * 100);
        else
            snprintf(buf, sizeof(buf), "%d", v);
        draw_text(cr, reg_total_x(&GEOMETRY, l, t) + GEOMETRY.total_w / 2, baseline(l, y, CELL_PT), 1, buf);
    }
}

static void student_row(cairo_t *cr, const reg_t *r, const reg_layout_t *l, int row, int index)
{
    const reg_student_t *s = &r->students[index];
    double y = reg_row_y(l, row), base = baseline(l, y, NAME_PT);
    char buf[16];
    draw_font(cr, NAME_PT, 0);
    snprintf(buf, sizeof(buf), "%d", index + 1);
    draw_text(cr, l->name_x + 16, base, 2, buf);
    draw_text_fit(cr, l->name_x + 20, base, GEOMETRY.name_w - 23, s->name);
    draw_font(cr, CELL_PT, 0);
    for (int d = 0; d < r->ndays; d++) {
        if (s->cell[d] == CELL_NONE)
            continue;
        snprintf(buf, sizeof(buf), "%c", s->cell[d]);
        draw_text(cr, reg_day_x(l, d) + l->day_w / 2, baseline(l, y, CELL_PT), 1, buf);
    }
    totals(cr, l, y, &s->counts);
}

/* The rows of totals per day (Present, Absent, …) from row on. */
static void summary(cairo_t *cr, const reg_t *r, const reg_layout_t *l, int row)
{
    char buf[16];
    draw_rect(cr, l->name_x, reg_row_y(l, row), l->day_x - l->name_x, l->row_h * ATT_NSTATUS, GREY_HEAD);
    for (int st = 0; st < ATT_NSTATUS; st++) {
        double y = reg_row_y(l, row + st);
        draw_font(cr, NAME_PT, 1);
        draw_text(cr, l->name_x + 20, baseline(l, y, NAME_PT), 0, SUMMARY_HEADS[st]);
        draw_font(cr, CELL_PT, 0);
        for (int d = 0; d < r->ndays; d++) {
            int counted = r->school_day[d] && r->first + d <= r->today;
            if (!counted && att_marked(&r->day_counts[d]) == 0)
                continue; /* no school that day, or a day to come: no counts */
            snprintf(buf, sizeof(buf), "%d", r->day_counts[d].n[st]);
            draw_text(cr, reg_day_x(l, d) + l->day_w / 2, baseline(l, y, CELL_PT), 1, buf);
        }
    }
}

static void foot(cairo_t *cr, int page, int npages)
{
    char buf[64];
    double y = REG_PAGE_H - GEOMETRY.margin;
    draw_font(cr, 7, 0);
    draw_text(cr, GEOMETRY.margin, y, 0,
         "P present   A absent   L late   E excused   - not enrolled   shaded: no school   "
         "Days: school days enrolled up to today   %: (P + L) / marked");
    draw_font(cr, 8, 0);
    snprintf(buf, sizeof(buf), "Page %d of %d", page + 1, npages);
    draw_text(cr, REG_PAGE_W - GEOMETRY.margin, y, 2, buf);
}

static void page(cairo_t *cr, const reg_t *r, const reg_layout_t *l, int p)
{
    int first, count;
    reg_page_rows(l, r->nstudents, p, &first, &count);
    int last = p == l->npages - 1, nrows = count + (last ? ATT_NSTATUS : 0);
    cairo_set_source_rgb(cr, 0, 0, 0);
    header(cr, r);
    draw_rect(cr, l->name_x, l->table_y, reg_total_x(&GEOMETRY, l, NTOTALS) - l->name_x, GEOMETRY.head_h, GREY_HEAD);
    shade(cr, r, l, nrows);
    heads(cr, r, l);
    for (int i = 0; i < count; i++)
        student_row(cr, r, l, i, first + i);
    if (last)
        summary(cr, r, l, count);
    grid(cr, r, l, nrows);
    foot(cr, p, l->npages);
    cairo_show_page(cr);
}

int reg_draw(cairo_t *cr, const reg_t *r)
{
    reg_layout_in_t in = GEOMETRY;
    in.ndays = r->ndays;
    in.nstudents = r->nstudents;
    reg_layout_t l;
    if (reg_layout(&in, &l) != 0)
        return -1;
    for (int p = 0; p < l.npages; p++)
        page(cr, r, &l, p);
    return 0;
}
