/*
 * sheet.c - CSV documents on libcsv (see sheet.h).
 *
 * libcsv does not count lines, so the text is fed one physical line at a
 * time: a record starts on the first non-blank line fed while no record is
 * open, and one is open from its first line until libcsv reports its end.
 */
#include "imports/sheet.h"

#include <csv.h>
#include <string.h>

#include "core/utf8.h"

typedef struct parse {
    arena_t *a;
    sheet_t *out;
    int cap;
    const char **fields; /* of the record being read */
    int nfields, fcap;
    int bad_utf8;
    int line;       /* line being fed */
    int start;      /* line where the open record started */
    int open;       /* a record is open */
    int ended;      /* a record ended while feeding the current line */
} parse_t;

static void on_field(void *data, size_t len, void *ctx)
{
    parse_t *p = ctx;
    if (p->nfields == p->fcap) {
        int cap = p->fcap ? 2 * p->fcap : 16;
        const char **f = arena_alloc(p->a, (size_t)cap * sizeof(*f));
        if (p->nfields > 0)
            memcpy(f, p->fields, (size_t)p->nfields * sizeof(*f));
        p->fields = f;
        p->fcap = cap;
    }
    const char *s = data != NULL ? data : "";
    if (!utf8_valid(s, len)) {
        if (p->bad_utf8 < 0)
            p->bad_utf8 = p->nfields;
        p->fields[p->nfields++] = NULL;
        return;
    }
    p->fields[p->nfields++] = len > 0 ? arena_strndup(p->a, s, len) : ""; /* empty fields share one "" */
}

static void on_record(int c, void *ctx)
{
    (void)c;
    parse_t *p = ctx;
    int blank = p->bad_utf8 < 0;
    for (int i = 0; i < p->nfields && blank; i++)
        blank = p->fields[i][0] == '\0';
    if (!blank) {
        if (p->out->nrows == p->cap) {
            int cap = p->cap ? 2 * p->cap : 64;
            sheet_row_t *rows = arena_alloc(p->a, (size_t)cap * sizeof(*rows));
            if (p->out->nrows > 0)
                memcpy(rows, p->out->rows, (size_t)p->out->nrows * sizeof(*rows));
            p->out->rows = rows;
            p->cap = cap;
        }
        /* the record keeps a copy of its own size; the array fields are read into serves every record */
        const char **fields = arena_alloc(p->a, (size_t)p->nfields * sizeof(*fields));
        memcpy(fields, p->fields, (size_t)p->nfields * sizeof(*fields));
        p->out->rows[p->out->nrows++] = (sheet_row_t){.line = p->start,
                                                       .nfields = p->nfields,
                                                       .fields = fields,
                                                       .bad_utf8 = p->bad_utf8};
    }
    p->nfields = 0;
    p->bad_utf8 = -1;
    p->ended = 1;
}

static int failed(parse_t *p, struct csv_parser *csv)
{
    int e = csv_error(csv);
    p->out->error_line = p->start;
    p->out->error = e == CSV_EPARSE ? "malformed quoting: a quote inside an unquoted field, text after a closing "
                                      "quote, or a quoted field that is never closed"
                                    : csv_strerror(e);
    csv_free(csv);
    return -1;
}

int sheet_parse(arena_t *a, const char *text, size_t len, sheet_t *out)
{
    memset(out, 0, sizeof(*out));
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        text += 3, len -= 3;
    struct csv_parser csv;
    if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI) != 0)
        erp_oom();
    parse_t p = {.a = a, .out = out, .bad_utf8 = -1, .line = 0, .start = 1};
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - (text + pos)) + 1 : len - pos;
        p.line++;
        int blank = 1;
        for (size_t i = pos; i < pos + n && blank; i++)
            blank = text[i] == '\r' || text[i] == '\n';
        if (!p.open && !blank)
            p.start = p.line;
        p.ended = 0;
        if (csv_parse(&csv, text + pos, n, on_field, on_record, &p) != n)
            return failed(&p, &csv);
        if (!blank)
            p.open = !p.ended;
        pos += n;
    }
    if (csv_fini(&csv, on_field, on_record, &p) != 0)
        return failed(&p, &csv);
    csv_free(&csv);
    return 0;
}

/* Appends one field, s after mark ("" or "'"), quoted as sheet_put_field says. */
static void put_field(sbuf_t *b, const char *mark, const char *s)
{
    size_t n = strlen(s);
    char first = *mark != '\0' ? *mark : s[0];
    /* spaces at either end would be trimmed, and a leading byte order mark taken for the file's */
    int quote = n > 0 && (first == ' ' || first == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t' ||
                          (*mark == '\0' && strncmp(s, "\xEF\xBB\xBF", 3) == 0));
    if (!quote && strpbrk(s, ",\"\r\n") == NULL) {
        sbuf_puts(b, mark);
        sbuf_append(b, s, n);
        return;
    }
    sbuf_putc(b, '"');
    sbuf_puts(b, mark);
    for (const char *q = s; *q != '\0'; q++) {
        if (*q == '"')
            sbuf_putc(b, '"');
        sbuf_putc(b, *q);
    }
    sbuf_putc(b, '"');
}

void sheet_put_field(sbuf_t *b, const char *s)
{
    if (s != NULL)
        put_field(b, "", s);
}

static int formula_start(char c)
{
    return c != '\0' && strchr("=+-@\t\r", c) != NULL;
}

/* Whether the value needs the apostrophe of the formula rule (sheet.h). */
static int needs_mark(const char *s)
{
    if (s[0] == '\'') {
        size_t k = strspn(s, "'");
        return formula_start(s[k]);
    }
    if (s[0] == '+' || s[0] == '-')
        return s[strspn(s + 1, "0123456789 ()-+./") + 1] != '\0';
    return formula_start(s[0]);
}

void sheet_put_text_row(sbuf_t *b, const char *const *fields, int n)
{
    for (int i = 0; i < n; i++) {
        if (i > 0)
            sbuf_putc(b, ',');
        if (fields[i] != NULL)
            put_field(b, needs_mark(fields[i]) ? "'" : "", fields[i]);
    }
    sbuf_puts(b, "\r\n");
}

void sheet_unmark_formulas(sheet_t *s)
{
    for (int r = 0; r < s->nrows; r++)
        for (int i = 0; i < s->rows[r].nfields; i++) {
            const char *f = s->rows[r].fields[i];
            if (f != NULL && f[0] == '\'' && formula_start(f[strspn(f, "'")]))
                s->rows[r].fields[i] = f + 1;
        }
}

void sheet_put_row(sbuf_t *b, const char *const *fields, int n)
{
    for (int i = 0; i < n; i++) {
        if (i > 0)
            sbuf_putc(b, ',');
        sheet_put_field(b, fields[i]);
    }
    sbuf_puts(b, "\r\n");
}
