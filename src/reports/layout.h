/*
 * layout.h - the geometry of a printed attendance register, without I/O or
 * drawing: where the name column, the day columns and the totals columns lie
 * on a page, how many student rows a page holds and which students go on
 * which page.
 *
 * Units are PDF points (1/72 inch). A page holds, top to bottom: the header
 * (school, class, month, teacher), the column heads (day number over weekday
 * initial), the student rows, on the last page only the rows of totals per
 * day, and the page number. Every page repeats the header and the column
 * heads. The page count is the smallest that fits the students and the day
 * totals; the students are spread evenly over the pages (the pages before the
 * last hold the same number, the last as many or fewer) unless the last page
 * then could not hold the day totals, in which case the pages before it are
 * filled.
 */
#ifndef ERP_REPORTS_LAYOUT_H
#define ERP_REPORTS_LAYOUT_H

/* A4 landscape, in points. */
#define REG_PAGE_W 841.89
#define REG_PAGE_H 595.28

/* What a layout is computed for. */
typedef struct reg_layout_in {
    double page_w, page_h; /* page size */
    double margin;         /* on all four sides */
    double header_h;       /* the header block above the table */
    double head_h;         /* the column heads */
    double footer_h;       /* the page number below the table */
    double row_h;          /* one student row or totals row */
    double name_w;         /* the name column */
    double total_w;        /* one totals column */
    int ndays;             /* day columns (the days of the month, 28-31) */
    int ntotals;           /* totals columns per student */
    int nsummary;          /* totals rows per day, on the last page */
    int nstudents;         /* student rows in all (0 or more) */
} reg_layout_in_t;

/* Where things go. x are left edges, y top edges, from the page's top-left corner. */
typedef struct reg_layout {
    double name_x;      /* name column */
    double day_x;       /* first day column */
    double day_w;       /* width of a day column */
    double total_x;     /* first totals column */
    double table_y;     /* top of the column heads */
    double rows_y;      /* top of the first student row */
    double row_h;       /* height of a row */
    int rows_per_page;  /* student rows a page can hold (at least 1) */
    int students_per_page; /* students on each page before the last */
    int npages;         /* pages in all (at least 1) */
} reg_layout_t;

/*
 * Computes the layout of in into *out. Returns 0, or -1 when the page cannot
 * hold the columns (a day column under 8 points wide) or one student row
 * with the day totals (out untouched).
 */
int reg_layout(const reg_layout_in_t *in, reg_layout_t *out);

/*
 * The students of page (0-based) of a layout of nstudents: the index of the
 * first in *first and how many in *count (0 on a last page that holds only
 * the day totals, and for a page out of range).
 */
void reg_page_rows(const reg_layout_t *l, int nstudents, int page, int *first, int *count);

/* The y of the top of row i (0-based) of a page: student rows, then the day totals. */
double reg_row_y(const reg_layout_t *l, int i);

/* The x of the left edge of day column i (0-based), and of totals column i. */
double reg_day_x(const reg_layout_t *l, int i);
double reg_total_x(const reg_layout_in_t *in, const reg_layout_t *l, int i);

#endif
