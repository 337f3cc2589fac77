/* card.c - report cards as PDF (see card.h), laid out by card_layout.h, drawn with draw.h. */
#include "reports/card.h"
#include "reports/card_layout.h"
#include "reports/draw.h"

#include <stdio.h>
#include <string.h>

#define MARGIN 48.0
#define LINE_H 11.0   /* a line of a remark */
#define ROW_PAD 6.0   /* above and below the lines of a subject row */
#define ROW_LINES 4   /* remark lines a subject row holds at most */
#define BOTTOM 190.0  /* the averages, the attendance, the class teacher's remark and the foot */
#define CLASS_LINES 8 /* lines of the class teacher's remark */
#define GREY_HEAD 0.9

/* Column left edges from the margin: subject, percentage (right edge), grade (centre), points (right edge), remark. */
enum { COL_SUBJECT = 4, COL_PCT = 190, COL_GRADE = 215, COL_POINTS = 268, COL_REMARK = 280 };

typedef struct page {
    cairo_t *cr;
    const json_t *card;
    double w, h, y; /* page size; y: the next line's top */
} page_t;

static const char *str(const json_t *o, const char *path0, const char *path1)
{
    const json_t *v = json_object_get(o, path0);
    if (path1 != NULL)
        v = json_object_get(v, path1);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A number of the document with two decimals, or a dash. */
static const char *number(char *buf, size_t size, const json_t *v)
{
    if (json_is_number(v))
        snprintf(buf, size, "%.2f", json_number_value(v));
    else
        snprintf(buf, size, "\xe2\x80\x94");
    return buf;
}

static double measure(void *ctx, const char *s, size_t n)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) - 1 ? n : sizeof(buf) - 1), s);
    return draw_text_w(ctx, buf);
}

/* Text wrapped into at most max lines of width from (x, baseline y); the lines used. */
static int paragraph(cairo_t *cr, double x, double y, double width, int max, const char *s)
{
    card_line_t lines[CLASS_LINES > ROW_LINES ? CLASS_LINES : ROW_LINES];
    int cut, n = card_wrap(s, width, measure, cr, lines, max, &cut);
    char buf[1024];
    for (int i = 0; i < n; i++) {
        int last_cut = cut && i == n - 1;
        snprintf(buf, sizeof(buf), "%.*s%s", (int)(lines[i].len < 1000 ? lines[i].len : 1000), s + lines[i].start,
                 last_cut ? "\xe2\x80\xa6" : "");
        draw_text(cr, x, y + i * LINE_H, 0, buf);
    }
    return n;
}

static void header(page_t *p)
{
    cairo_t *cr = p->cr;
    const json_t *c = p->card;
    char buf[512];
    double x = MARGIN, y = MARGIN, right = p->w - MARGIN;
    draw_font(cr, 16, 1);
    draw_text_fit(cr, x, y + 16, right - x, str(c, "school", "name") ? str(c, "school", "name") : "");
    draw_font(cr, 12, 1);
    snprintf(buf, sizeof(buf), "Report card \xe2\x80\x94 %s", str(c, "term", "name") ? str(c, "term", "name") : "");
    draw_text_fit(cr, x, y + 36, right - x - 150, buf);
    draw_font(cr, 9, 0);
    snprintf(buf, sizeof(buf), "%s \xe2\x80\x93 %s", str(c, "term", "startDate"), str(c, "term", "endDate"));
    draw_text(cr, right, y + 36, 2, buf);
    draw_line(cr, x, y + 44, right, y + 44, 0.8);
    draw_font(cr, 12, 1);
    snprintf(buf, sizeof(buf), "%s %s", str(c, "student", "firstName"), str(c, "student", "lastName"));
    draw_text_fit(cr, x, y + 64, right - x - 150, buf);
    draw_font(cr, 9, 0);
    snprintf(buf, sizeof(buf), "Admission no. %s", str(c, "student", "admissionNo"));
    draw_text(cr, right, y + 64, 2, buf);
    const char *cls = str(c, "class", "name"), *teacher = str(c, "class", "classTeacher");
    snprintf(buf, sizeof(buf), "Class %s   \xc2\xb7   Class teacher: %s", cls ? cls : "\xe2\x80\x94",
             teacher ? teacher : "\xe2\x80\x94");
    draw_text_fit(cr, x, y + 80, right - x, buf);
    p->y = y + 94;
}

static void table_head(page_t *p)
{
    cairo_t *cr = p->cr;
    draw_rect(cr, MARGIN, p->y, p->w - 2 * MARGIN, 16, GREY_HEAD);
    draw_font(cr, 8.5, 1);
    double b = p->y + 11;
    draw_text(cr, MARGIN + COL_SUBJECT, b, 0, "Subject");
    draw_text(cr, MARGIN + COL_PCT, b, 2, "%");
    draw_text(cr, MARGIN + COL_GRADE, b, 1, "Grade");
    draw_text(cr, MARGIN + COL_POINTS, b, 2, "Points");
    draw_text(cr, MARGIN + COL_REMARK, b, 0, "Remark");
    p->y += 16;
}

static void subject_row(page_t *p, const json_t *s, double row_h, int lines)
{
    cairo_t *cr = p->cr;
    char buf[32];
    double b = p->y + ROW_PAD / 2 + 8.5;
    draw_font(cr, 8.5, 0);
    const char *name = json_string_value(json_object_get(s, "subjectName"));
    draw_text_fit(cr, MARGIN + COL_SUBJECT, b, COL_PCT - 40 - COL_SUBJECT, name ? name : "");
    draw_text(cr, MARGIN + COL_PCT, b, 2, number(buf, sizeof(buf), json_object_get(s, "percentage")));
    const char *grade = json_string_value(json_object_get(s, "grade"));
    draw_text(cr, MARGIN + COL_GRADE, b, 1, grade ? grade : "\xe2\x80\x94");
    draw_text(cr, MARGIN + COL_POINTS, b, 2, number(buf, sizeof(buf), json_object_get(s, "gradePoint")));
    const char *remark = json_string_value(json_object_get(s, "remark"));
    if (remark != NULL)
        paragraph(cr, MARGIN + COL_REMARK, b, p->w - MARGIN - (MARGIN + COL_REMARK) - 4, lines, remark);
    p->y += row_h;
    draw_line(cr, MARGIN, p->y, p->w - MARGIN, p->y, 0.25);
}

/* The subjects' table; -1 when the page cannot hold them. */
static int subjects(page_t *p)
{
    const json_t *list = json_object_get(p->card, "subjects");
    int n = (int)json_array_size(list);
    double row_h;
    int lines = card_rows(n, p->h - BOTTOM - p->y - 16, LINE_H, ROW_PAD, ROW_LINES, &row_h);
    if (lines < 0)
        return -1;
    table_head(p);
    if (n == 0) {
        draw_font(p->cr, 8.5, 0);
        draw_text(p->cr, MARGIN + COL_SUBJECT, p->y + 12, 0, "No grades for this term.");
        p->y += 16;
    }
    for (int i = 0; i < n; i++)
        subject_row(p, json_array_get(list, (size_t)i), row_h, lines);
    return 0;
}

static void summary(page_t *p)
{
    cairo_t *cr = p->cr;
    const json_t *c = p->card, *att = json_object_get(c, "attendance");
    char a[32], g[32], buf[512];
    p->y += 18;
    draw_font(cr, 10, 1);
    snprintf(buf, sizeof(buf), "Overall average: %s %%   \xc2\xb7   GPA: %s",
             number(a, sizeof(a), json_object_get(c, "averagePercentage")),
             number(g, sizeof(g), json_object_get(c, "gpa")));
    draw_text(cr, MARGIN, p->y, 0, buf);
    p->y += 18;
    draw_font(cr, 9, 0);
    const json_t *rate = json_object_get(att, "rate");
    char r[32] = "\xe2\x80\x94";
    if (json_is_number(rate))
        snprintf(r, sizeof(r), "%.1f %%", json_number_value(rate) * 100);
    snprintf(buf, sizeof(buf),
             "Attendance: present %lld   \xc2\xb7   absent %lld   \xc2\xb7   late %lld   \xc2\xb7   excused %lld"
             "   \xc2\xb7   marked days %lld   \xc2\xb7   rate %s",
             (long long)json_integer_value(json_object_get(att, "present")),
             (long long)json_integer_value(json_object_get(att, "absent")),
             (long long)json_integer_value(json_object_get(att, "late")),
             (long long)json_integer_value(json_object_get(att, "excused")),
             (long long)json_integer_value(json_object_get(att, "marked")), r);
    draw_text_fit(cr, MARGIN, p->y, p->w - 2 * MARGIN, buf);
    p->y += 22;
    draw_font(cr, 10, 1);
    draw_text(cr, MARGIN, p->y, 0, "Class teacher\xe2\x80\x99s remark");
    p->y += 14;
    draw_font(cr, 9, 0);
    const char *remark = str(c, "classTeacherRemark", NULL);
    if (paragraph(cr, MARGIN, p->y, p->w - 2 * MARGIN, CLASS_LINES, remark) == 0)
        draw_text(cr, MARGIN, p->y, 0, "\xe2\x80\x94");
}

static void foot(page_t *p, int draft)
{
    cairo_t *cr = p->cr;
    if (draft) {
        cairo_save(cr);
        cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
        draw_font(cr, 110, 1);
        cairo_translate(cr, p->w / 2, p->h / 2);
        cairo_rotate(cr, -0.9);
        draw_text(cr, 0, 35, 1, "Draft");
        cairo_restore(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
    }
    draw_font(cr, 7.5, 0);
    draw_text(cr, MARGIN, p->h - MARGIN + 14, 0,
              draft
                  ? "Draft: the term\xe2\x80\x99s grades are not published; they may still change."
                  : "Percentages are weighted by category; GPA is the mean of the subjects\xe2\x80\x99 grade points.");
}

static int draw_card(cairo_t *cr, const json_t *card, double w, double h, int draft)
{
    page_t p = {cr, card, w, h, MARGIN};
    cairo_set_source_rgb(cr, 0, 0, 0);
    foot(&p, draft); /* the watermark under the text */
    header(&p);
    if (subjects(&p) != 0)
        return -1;
    summary(&p);
    cairo_show_page(cr);
    return 0;
}

int card_pdf(const json_t *const *cards, int n, int letter, int draft, sbuf_t *out, char *err, size_t errlen)
{
    double w, h;
    card_page_size(letter, &w, &h);
    cairo_t *cr = draw_pdf_begin(out, w, h, "Report cards");
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        if (draw_card(cr, cards[i], w, h, draft) != 0) {
            snprintf(err, errlen, "the page cannot hold the %zu subjects of a card",
                     json_array_size(json_object_get(cards[i], "subjects")));
            rc = -1;
        }
    cairo_status_t st = draw_pdf_end(cr);
    if (rc == 0 && st != CAIRO_STATUS_SUCCESS) {
        snprintf(err, errlen, "drawing the PDF failed: %s", cairo_status_to_string(st));
        rc = -1;
    }
    return rc;
}
