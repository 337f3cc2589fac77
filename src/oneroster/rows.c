/*
 * rows.c - the OneRoster 1.1 CSV tables: the spec's columns, the manifest,
 * parsing into rows with row-level errors, and the pure checks (see
 * oneroster_int.h). No I/O.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oneroster/oneroster_int.h"

#define BIT(c) (1ul << (c))
#define BASE "sourcedId", "status", "dateLastModified"

static const char *const orgs_cols[] = {BASE, "name", "type", "identifier", "parentSourcedId"};
static const char *const sessions_cols[] = {BASE,      "title",           "type",      "startDate",
                                            "endDate", "parentSourcedId", "schoolYear"};
static const char *const courses_cols[] = {BASE,     "schoolYearSourcedId", "title",    "courseCode",
                                           "grades", "orgSourcedId",        "subjects", "subjectCodes"};
static const char *const classes_cols[] = {BASE,
                                           "title",
                                           "grades",
                                           "courseSourcedId",
                                           "classCode",
                                           "classType",
                                           "location",
                                           "schoolSourcedId",
                                           "termSourcedIds",
                                           "subjects",
                                           "subjectCodes",
                                           "periods",
                                           "metadata.erp.homeroomSourcedId"};
static const char *const users_cols[] = {
    BASE,         "enabledUser", "orgSourcedIds", "role", "username", "userIds",         "givenName", "familyName",
    "middleName", "identifier",  "email",         "sms",  "phone",    "agentSourcedIds", "grades",    "password"};
static const char *const enrollments_cols[] = {BASE,   "classSourcedId", "schoolSourcedId", "userSourcedId",
                                               "role", "primary",        "beginDate",       "endDate"};
static const char *const demographics_cols[] = {BASE, "birthDate", "sex"};

#define SPEC(file, name, cols, req)                                                                                    \
    {                                                                                                                  \
        file, name, cols, (int)(sizeof(cols) / sizeof(cols[0])), BIT(C_SOURCED_ID) | (req)                             \
    }
const or_spec_t or_specs[OR_NTABLES] = {
    [OR_ORGS] = SPEC("orgs.csv", "orgs", orgs_cols, BIT(ORG_NAME) | BIT(ORG_TYPE)),
    [OR_SESSIONS] = SPEC("academicSessions.csv", "academicSessions", sessions_cols,
                         BIT(SES_TITLE) | BIT(SES_TYPE) | BIT(SES_START) | BIT(SES_END) | BIT(SES_SCHOOL_YEAR)),
    [OR_COURSES] = SPEC("courses.csv", "courses", courses_cols, BIT(CRS_TITLE)),
    [OR_CLASSES] =
        SPEC("classes.csv", "classes", classes_cols, BIT(CLS_TITLE) | BIT(CLS_TYPE) | BIT(CLS_SCHOOL) | BIT(CLS_TERMS)),
    [OR_USERS] =
        SPEC("users.csv", "users", users_cols,
             BIT(USR_ENABLED) | BIT(USR_ORGS) | BIT(USR_ROLE) | BIT(USR_USERNAME) | BIT(USR_GIVEN) | BIT(USR_FAMILY)),
    [OR_ENROLLMENTS] = SPEC("enrollments.csv", "enrollments", enrollments_cols,
                            BIT(ENR_CLASS) | BIT(ENR_SCHOOL) | BIT(ENR_USER) | BIT(ENR_ROLE)),
    [OR_DEMOGRAPHICS] = SPEC("demographics.csv", "demographics", demographics_cols, 0),
};

/* ---- errors */

void or_errors_init(or_errors_t *e, arena_t *a)
{
    memset(e, 0, sizeof(*e));
    e->a = a;
}

void or_err(or_errors_t *e, const char *file, int line, const char *column, const char *fmt, ...)
{
    e->total++;
    if (e->n >= IMPORT_MAX_ERRORS)
        return;
    if (e->n == e->cap) {
        int cap = e->cap ? 2 * e->cap : 32;
        or_error_t *v = arena_alloc(e->a, (size_t)cap * sizeof(*v));
        if (e->n > 0)
            memcpy(v, e->v, (size_t)e->n * sizeof(*v));
        e->v = v;
        e->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    e->v[e->n++] = (or_error_t){file, line, column, arena_vprintf(e->a, fmt, ap)};
    va_end(ap);
}

/* ---- pure checks */

int or_date_ok(const char *s)
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return 0;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
        return 0;
    return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

int or_grade_level(const char *grades)
{
    static const char *const early[] = {"IT", "PR", "PK", "TK", "KG", NULL};
    if (grades == NULL)
        return -1;
    while (*grades == ' ')
        grades++;
    size_t n = strcspn(grades, ", ");
    for (int i = 0; early[i] != NULL; i++)
        if (n == 2 && strncmp(grades, early[i], 2) == 0)
            return 0;
    if (n == 0 || n > 2 || !isdigit((unsigned char)grades[0]) || (n == 2 && !isdigit((unsigned char)grades[1])))
        return -1;
    int g = atoi(grades);
    return g >= 1 && g <= 13 ? g : -1;
}

const char *or_grade_code(int level)
{
    static const char *const codes[] = {"KG", "01", "02", "03", "04", "05", "06",
                                        "07", "08", "09", "10", "11", "12", "13"};
    return level >= 0 && level <= 13 ? codes[level] : NULL;
}

const char **or_split(arena_t *a, const char *list, int *n)
{
    *n = 0;
    size_t cap = 1;
    for (const char *p = list ? list : ""; *p; p++)
        cap += *p == ',';
    const char **v = arena_alloc(a, cap * sizeof(*v));
    const char *p = list ? list : "";
    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        const char *s = p, *e = p + len;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (e > s)
            v[(*n)++] = arena_strndup(a, s, (size_t)(e - s));
        p += len + (p[len] != '\0');
    }
    return v;
}

int or_list_has(arena_t *a, const char *list, const char *item)
{
    int n;
    const char **v = or_split(a, list, &n);
    for (int i = 0; i < n; i++)
        if (strcmp(v[i], item) == 0)
            return 1;
    return 0;
}

const char *or_section(arena_t *a, const char *class_code, const char *title, const char *sourced_id)
{
    if (class_code != NULL && strlen(class_code) <= 10)
        return class_code;
    if (title != NULL && strlen(title) <= 10)
        return title;
    size_t n = strlen(sourced_id);
    return arena_strdup(a, sourced_id + (n > 10 ? n - 10 : 0));
}

int or_one_of(const char *s, const char *const *values)
{
    for (int i = 0; s != NULL && values[i] != NULL; i++)
        if (strcmp(s, values[i]) == 0)
            return 1;
    return 0;
}

/* ---- parsing */

/* Checks a record's shape; 0, or -1 after recording why. */
static int record_ok(const or_file_t *f, const sheet_t *sh, const sheet_row_t *row, or_errors_t *e)
{
    const sheet_row_t *h = &sh->rows[0];
    if (row->bad_utf8 >= 0) {
        or_err(e, f->name, row->line, row->bad_utf8 < h->nfields ? h->fields[row->bad_utf8] : NULL,
               "is not UTF-8 text");
        return -1;
    }
    int extra_empty = row->nfields > h->nfields; /* trailing empty fields (a stray comma) are tolerated */
    for (int i = h->nfields; extra_empty && i < row->nfields; i++)
        extra_empty = row->fields[i][0] == '\0';
    if (row->nfields != h->nfields && !extra_empty) {
        or_err(e, f->name, row->line, NULL, "has %d fields; the header has %d", row->nfields, h->nfields);
        return -1;
    }
    return 0;
}

/* Reads a document into its sheet; 0, or -1 after recording why. */
static int parse_sheet(arena_t *a, const or_file_t *f, sheet_t *sh, or_errors_t *e)
{
    if (sheet_parse(a, f->data, f->len, sh) != 0) {
        or_err(e, f->name, sh->error_line, NULL, "%s", sh->error);
        return -1;
    }
    if (sh->nrows == 0 || sh->rows[0].bad_utf8 >= 0) {
        or_err(e, f->name, 1, NULL,
               sh->nrows == 0 ? "the file is empty: a header row is required" : "the header is not UTF-8 text");
        return -1;
    }
    return 0;
}

/* Maps the header: at[c] the field index of spec column c or -1. Unknown columns are allowed (extensions). */
static int map_header(const or_file_t *f, const or_spec_t *spec, const sheet_row_t *h, int *at, or_errors_t *e)
{
    int bad = 0;
    for (int c = 0; c < spec->ncols; c++) {
        at[c] = -1;
        for (int i = 0; i < h->nfields; i++) {
            if (strcmp(h->fields[i], spec->cols[c]) != 0)
                continue;
            if (at[c] >= 0) {
                or_err(e, f->name, 1, spec->cols[c], "appears twice in the header");
                bad = 1;
            }
            at[c] = i;
        }
        if (at[c] < 0 && (spec->required & BIT(c))) {
            or_err(e, f->name, 1, spec->cols[c], "is a required column and the header does not have it");
            bad = 1;
        }
    }
    return bad ? -1 : 0;
}

static void read_row(arena_t *a, const or_file_t *f, const or_spec_t *spec, const sheet_row_t *src, const int *at,
                     or_row_t *row, or_errors_t *e)
{
    row->line = src->line;
    row->f = arena_calloc(a, (size_t)spec->ncols * sizeof(*row->f));
    for (int c = 0; c < spec->ncols; c++)
        if (at[c] >= 0 && src->fields[at[c]][0] != '\0')
            row->f[c] = src->fields[at[c]];
    const char *status = row->f[C_STATUS];
    static const char *const statuses[] = {"active", "tobedeleted", NULL};
    if (status != NULL && !or_one_of(status, statuses))
        or_err(e, f->name, row->line, "status", "must be active or tobedeleted (or empty), not '%s'", status);
    row->deleted = status != NULL && strcmp(status, "tobedeleted") == 0;
    for (int c = 0; c < spec->ncols; c++)
        if ((spec->required & BIT(c)) && row->f[c] == NULL && (c == C_SOURCED_ID || !row->deleted))
            or_err(e, f->name, row->line, spec->cols[c], "is required");
}

int or_table_parse(arena_t *a, const or_file_t *f, const or_spec_t *spec, or_table_t *t, or_errors_t *e)
{
    sheet_t sh;
    int at[32], before = e->total;
    t->spec = spec;
    t->rows = NULL;
    t->n = 0;
    smap_init(&t->by_id, a);
    if (parse_sheet(a, f, &sh, e) != 0 || map_header(f, spec, &sh.rows[0], at, e) != 0)
        return -1;
    t->rows = arena_calloc(a, (size_t)sh.nrows * sizeof(*t->rows));
    for (int i = 1; i < sh.nrows; i++) {
        if (record_ok(f, &sh, &sh.rows[i], e) != 0)
            continue;
        or_row_t *row = &t->rows[t->n++];
        read_row(a, f, spec, &sh.rows[i], at, row, e);
        const char *id = row->f[C_SOURCED_ID];
        if (id == NULL)
            continue;
        or_row_t *first = smap_get(&t->by_id, id);
        if (first != NULL)
            or_err(e, f->name, row->line, "sourcedId", "%s appears twice in the file (first on line %d)", id,
                   first->line);
        else
            smap_put(&t->by_id, id, row);
    }
    return e->total > before ? -1 : 0;
}

/* ---- the manifest */

static int manifest_entry(arena_t *a, const sheet_row_t *row, const char *modes[OR_NTABLES], const char ***ignored,
                          int *n_ignored, or_errors_t *e)
{
    static const char *const values[] = {"bulk", "delta", "absent", NULL};
    const char *name = row->fields[0], *value = row->fields[1];
    if (strcmp(name, "oneroster.version") == 0 && strcmp(value, "1.1") != 0) {
        or_err(e, "manifest.csv", row->line, "value", "oneroster.version must be 1.1, not '%s'", value);
        return -1;
    }
    if (strncmp(name, "file.", 5) != 0)
        return 0;
    if (!or_one_of(value, values)) {
        or_err(e, "manifest.csv", row->line, "value", "%s must be bulk, delta or absent, not '%s'", name, value);
        return -1;
    }
    for (int t = 0; t < OR_NTABLES; t++)
        if (strcmp(name + 5, or_specs[t].name) == 0) {
            modes[t] = strcmp(value, "absent") == 0 ? NULL : arena_strdup(a, value);
            return 0;
        }
    if (strcmp(value, "absent") != 0)
        (*ignored)[(*n_ignored)++] = arena_strdup(a, name + 5);
    return 0;
}

int or_manifest(arena_t *a, const or_file_t *f, const char *modes[OR_NTABLES], const char ***ignored, int *n_ignored,
                or_errors_t *e)
{
    sheet_t sh;
    int before = e->total, version = 0;
    for (int t = 0; t < OR_NTABLES; t++)
        modes[t] = NULL;
    *n_ignored = 0;
    if (parse_sheet(a, f, &sh, e) != 0)
        return -1;
    const sheet_row_t *h = &sh.rows[0];
    if (h->nfields != 2 || strcmp(h->fields[0], "propertyName") != 0 || strcmp(h->fields[1], "value") != 0) {
        or_err(e, f->name, 1, NULL, "the header must be propertyName,value");
        return -1;
    }
    *ignored = arena_calloc(a, (size_t)sh.nrows * sizeof(**ignored));
    for (int i = 1; i < sh.nrows; i++) {
        if (record_ok(f, &sh, &sh.rows[i], e) != 0)
            continue;
        version |= strcmp(sh.rows[i].fields[0], "oneroster.version") == 0;
        manifest_entry(a, &sh.rows[i], modes, ignored, n_ignored, e);
    }
    if (!version)
        or_err(e, f->name, 1, "oneroster.version", "the manifest must name oneroster.version (1.1)");
    return e->total > before ? -1 : 0;
}
