/* layout.c - the geometry of a printed attendance register (see layout.h). */
#include "reports/layout.h"

#include <math.h>

#define MIN_DAY_W 8.0

int reg_layout(const reg_layout_in_t *in, reg_layout_t *out)
{
    if (in->ndays < 1 || in->ntotals < 0 || in->nsummary < 0 || in->nstudents < 0 || in->row_h <= 0)
        return -1;
    double total_x = in->page_w - in->margin - in->total_w * in->ntotals;
    double day_x = in->margin + in->name_w;
    double day_w = (total_x - day_x) / in->ndays;
    if (day_w < MIN_DAY_W)
        return -1;
    double rows_y = in->margin + in->header_h + in->head_h;
    double room = in->page_h - in->margin - in->footer_h - rows_y;
    int per_page = room > 0 ? (int)floor(room / in->row_h + 1e-9) : 0;
    if (per_page < in->nsummary + 1)
        return -1;
    int npages = (in->nstudents + in->nsummary + per_page - 1) / per_page;
    if (npages < 1)
        npages = 1;
    /* spread evenly, unless that leaves the last page too many students for the totals */
    int spread = (in->nstudents + npages - 1) / npages, last = in->nstudents - spread * (npages - 1);
    if (npages > 1 && (last < 0 || last > per_page - in->nsummary))
        spread = per_page;
    *out = (reg_layout_t){
        .name_x = in->margin,
        .day_x = day_x,
        .day_w = day_w,
        .total_x = total_x,
        .table_y = in->margin + in->header_h,
        .rows_y = rows_y,
        .row_h = in->row_h,
        .rows_per_page = per_page,
        .students_per_page = spread,
        .npages = npages,
    };
    return 0;
}

void reg_page_rows(const reg_layout_t *l, int nstudents, int page, int *first, int *count)
{
    if (page < 0 || page >= l->npages || page * l->students_per_page >= nstudents) {
        *first = nstudents;
        *count = 0;
        return;
    }
    *first = page * l->students_per_page;
    int left = nstudents - *first;
    *count = page == l->npages - 1 || left < l->students_per_page ? left : l->students_per_page;
}

double reg_row_y(const reg_layout_t *l, int i)
{
    return l->rows_y + l->row_h * i;
}

double reg_day_x(const reg_layout_t *l, int i)
{
    return l->day_x + l->day_w * i;
}

double reg_total_x(const reg_layout_in_t *in, const reg_layout_t *l, int i)
{
    return l->total_x + in->total_w * i;
}
