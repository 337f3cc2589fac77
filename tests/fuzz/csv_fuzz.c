/*
 * csv_fuzz.c - the CSV reader of the imports: sheet_parse() (libcsv, line
 * numbers, BOM, UTF-8 checks, src/imports/sheet.c), the header mapping
 * columns_map() of every import kind (src/imports/columns.c), and the
 * writer sheet_put_row().
 *
 * Input: the file's bytes.
 *
 * Properties: records start on lines 1..(line feeds + 1), never before the
 * record ahead (a file of bare CRs has all its records on line 1); a record holds at least one field and not only empty ones; a field
 * is NULL exactly when it is not UTF-8, and bad_utf8 is the first such
 * index; a failed parse names a line in the same range; the mapping names
 * each kind column at most once, at an index the header has; writing the
 * well-formed records with sheet_put_row() and parsing that text again gives
 * the same records, on consecutive lines counted from 1 up by the line breaks
 * inside fields.
 */
#include "fuzz.h"

#include "imports/columns.h"
#include "imports/sheet.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static int line_breaks(const char *s, size_t n)
{
    int k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] == '\n';
    return k;
}

static void check_rows(const sheet_t *s, int max_line)
{
    int prev = 0;
    for (int i = 0; i < s->nrows; i++) {
        const sheet_row_t *r = &s->rows[i];
        FUZZ_CHECK(r->line >= prev && r->line >= 1 && r->line <= max_line);
        FUZZ_CHECK(r->nfields >= 1);
        prev = r->line;
        int first_bad = -1, any = 0;
        for (int f = 0; f < r->nfields; f++) {
            if (r->fields[f] == NULL) {
                if (first_bad < 0)
                    first_bad = f;
                continue;
            }
            FUZZ_CHECK(fuzz_utf8_valid(r->fields[f], strlen(r->fields[f])));
            any |= r->fields[f][0] != '\0';
        }
        FUZZ_CHECK(first_bad == r->bad_utf8);
        FUZZ_CHECK(any || first_bad >= 0);
    }
}

static void check_mapping(arena_t *a, const sheet_row_t *header)
{
    static const char *const kinds[] = {"students", "teachers", "staff"};
    for (int k = 0; k < 3; k++) {
        const import_kind_t *kind = columns_kind(kinds[k]);
        errlist_t errs;
        errlist_init(&errs, a);
        int at[IMPORT_MAX_COLUMNS];
        int rc = columns_map(kind, header, at, &errs);
        FUZZ_CHECK((rc == 0) == (errs.total == 0));
        for (int c = 0; c < kind->ncolumns; c++) {
            FUZZ_CHECK(at[c] >= -1 && at[c] < header->nfields);
            for (int d = 0; d < c; d++)
                FUZZ_CHECK(at[c] < 0 || at[c] != at[d]);
        }
    }
}

/* Writes the records without bad fields and parses them again: the same fields come back. */
static void check_round_trip(arena_t *a, const sheet_t *s)
{
    sbuf_t b;
    sbuf_init(&b, a, 256);
    int n = 0, expect_line[64], line = 1;
    const sheet_row_t *kept[64];
    for (int i = 0; i < s->nrows && n < 64; i++) {
        const sheet_row_t *r = &s->rows[i];
        if (r->bad_utf8 >= 0)
            continue;
        size_t before = b.len;
        sheet_put_row(&b, r->fields, r->nfields);
        kept[n] = r;
        expect_line[n++] = line;
        line += line_breaks(b.p + before, b.len - before);
    }
    sheet_t again;
    FUZZ_CHECK(sheet_parse(a, b.p, b.len, &again) == 0);
    FUZZ_CHECK(again.nrows == n);
    for (int i = 0; i < n; i++) {
        FUZZ_CHECK(again.rows[i].line == expect_line[i]);
        FUZZ_CHECK(again.rows[i].nfields == kept[i]->nfields);
        for (int f = 0; f < kept[i]->nfields; f++)
            FUZZ_CHECK(strcmp(again.rows[i].fields[f], kept[i]->fields[f]) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_memdup(data, size);
    arena_t a;
    arena_init(&a);
    sheet_t s;
    int max_line = line_breaks(text, size) + 1;
    int rc = sheet_parse(&a, text, size, &s);
    check_rows(&s, max_line);
    if (rc != 0) {
        FUZZ_CHECK(s.error != NULL && s.error_line >= 1 && s.error_line <= max_line);
    } else {
        if (s.nrows > 0)
            check_mapping(&a, &s.rows[0]);
        check_round_trip(&a, &s);
    }
    arena_destroy(&a);
    free(text);
    return 0;
}
