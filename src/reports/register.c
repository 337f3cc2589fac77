/*
 * register.c - the monthly attendance register as a PDF (see register.h):
 * checks the arguments, loads each class (register_load.c) and draws it
 * (register_draw.c) on one cairo PDF surface that writes into the caller's
 * buffer.
 */
#include "reports/register.h"
#include "reports/draw.h"
#include "reports/layout.h"
#include "reports/register_int.h"

#include <ctype.h>
#include <fontconfig/fontconfig.h>
#include <string.h>

#include "core/ids.h"

static int days_in_month(int year, int month)
{
    int ny = month == 12 ? year + 1 : year, nm = month == 12 ? 1 : month + 1;
    return (int)(cal_from_ymd(ny, nm, 1) - cal_from_ymd(year, month, 1));
}

/* A canonical UUID in lower case (as ids are stored), or NULL when s is none. */
static const char *uuid_arg(arena_t *a, const char *s)
{
    if (s == NULL || !ids_uuid_valid(s, strlen(s)))
        return NULL;
    char *out = arena_strdup(a, s);
    for (char *p = out; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    return out;
}

/* Checks the school and month and loads the school into r. */
static int start(db_t *db, arena_t *a, const char **tenant_id, int year, int month, reg_t *r, reg_err_t *e)
{
    memset(r, 0, sizeof(*r));
    const char *t = uuid_arg(a, *tenant_id);
    if (t == NULL)
        return reg_fail(e, REGISTER_INVALID, "the school id must be a UUID");
    if (year < 2000 || year > 2099 || month < 1 || month > 12)
        return reg_fail(e, REGISTER_INVALID, "the month must be a month of the years 2000-2099");
    *tenant_id = t;
    r->year = year;
    r->month = month;
    r->ndays = days_in_month(year, month);
    r->first = cal_from_ymd(year, month, 1);
    return reg_load_school(db, a, t, r, e);
}

/* Loads and draws each class of ids onto a new PDF written into out. */
static int render(db_t *db, arena_t *a, const char *tenant_id, const char *const *ids, int n, reg_t *r, sbuf_t *out,
                  reg_err_t *e)
{
    cairo_t *cr = draw_pdf_begin(out, REG_PAGE_W, REG_PAGE_H, "Attendance register");
    int rc = REGISTER_OK;
    for (int i = 0; i < n && rc == REGISTER_OK; i++) {
        rc = reg_load_class(db, a, tenant_id, ids[i], r, e);
        if (rc == REGISTER_OK && reg_draw(cr, r) != 0)
            rc = reg_fail(e, REGISTER_RENDER, "the page cannot hold the register");
    }
    cairo_status_t st = draw_pdf_end(cr);
    if (rc == REGISTER_OK && st != CAIRO_STATUS_SUCCESS)
        rc = reg_fail(e, REGISTER_RENDER, "drawing the PDF failed: %s", cairo_status_to_string(st));
    return rc;
}

int register_pdf(db_t *db, arena_t *a, const char *tenant_id, const char *class_id, int year, int month, sbuf_t *out,
                 char *err, size_t errlen)
{
    reg_err_t e = {err, errlen};
    reg_t r;
    int rc = start(db, a, &tenant_id, year, month, &r, &e);
    if (rc != REGISTER_OK)
        return rc;
    const char *cid = uuid_arg(a, class_id);
    if (cid == NULL)
        return reg_fail(&e, REGISTER_INVALID, "the class id must be a UUID");
    return render(db, a, tenant_id, &cid, 1, &r, out, &e);
}

int register_pdf_grade(db_t *db, arena_t *a, const char *tenant_id, int grade_level, int year, int month,
                       sbuf_t *out, char *err, size_t errlen)
{
    reg_err_t e = {err, errlen};
    reg_t r;
    int rc = start(db, a, &tenant_id, year, month, &r, &e);
    if (rc != REGISTER_OK)
        return rc;
    if (grade_level < 0 || grade_level > 13)
        return reg_fail(&e, REGISTER_INVALID, "the grade must be 0-13");
    const char **ids;
    int n;
    rc = reg_load_grade(db, a, tenant_id, grade_level, r.first, &ids, &n, &e);
    return rc != REGISTER_OK ? rc : render(db, a, tenant_id, ids, n, &r, out, &e);
}

int register_parse_month(const char *s, int *year, int *month)
{
    if (s == NULL || strlen(s) != 7 || s[4] != '-')
        return -1;
    int v[2] = {0, 0};
    for (int i = 0; i < 7; i++) {
        if (i == 4)
            continue;
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v[i > 4] = v[i > 4] * 10 + (s[i] - '0');
    }
    if (v[1] < 1 || v[1] > 12)
        return -1;
    *year = v[0];
    *month = v[1];
    return 0;
}

void register_shutdown(void)
{
    cairo_debug_reset_static_data();
    FcFini();
}
