/*
 * sheet.h - CSV documents (RFC 4180) as the imports and exports use them:
 * parsing with libcsv into rows that remember their physical line numbers,
 * and writing fields with RFC 4180 quoting. No I/O; memory from an arena.
 */
#ifndef ERP_IMPORTS_SHEET_H
#define ERP_IMPORTS_SHEET_H

#include <stddef.h>

#include "core/arena.h"
#include "core/sbuf.h"

/* One record of a document. */
typedef struct sheet_row {
    int line;            /* physical line (1-based, counted by LF) where the record starts */
    int nfields;
    const char **fields; /* NUL-terminated copies; a field that is not UTF-8 is NULL (see bad_utf8) */
    int bad_utf8;        /* index of the first field that is not well-formed UTF-8, or -1 */
} sheet_row_t;

typedef struct sheet {
    sheet_row_t *rows;
    int nrows;
    int error_line;      /* when parsing failed: the line of the malformed record */
    const char *error;   /* when parsing failed: why ("unterminated quoted field") */
} sheet_t;

/*
 * Parses a document: a leading UTF-8 byte order mark is skipped, records end
 * at LF or CRLF (a quoted field may hold both, and commas and doubled
 * quotes), records whose fields are all empty (blank lines) are left out.
 * Returns 0, or -1 with out->error and out->error_line set (malformed quoting;
 * rows read before stay in out).
 */
int sheet_parse(arena_t *a, const char *text, size_t len, sheet_t *out);

/*
 * Appends one field, quoted when it holds a comma, a quote, CR or LF, or
 * starts or ends with a space or a tab, or starts with a byte order mark (RFC 4180).
 */
void sheet_put_field(sbuf_t *b, const char *s);
/* Appends a record of n fields (NULL writes an empty field) ended by CRLF. */
void sheet_put_row(sbuf_t *b, const char *const *fields, int n);

/*
 * Formulas. A spreadsheet opening a CSV file runs a cell that begins with =,
 * +, -, @, a tab or CR as a formula (formula injection: a name "=HYPERLINK(...)"
 * typed into the ERP). Exports meant for people (sheet_put_text_row) write such
 * a value with an apostrophe in front, which spreadsheets take as "this is
 * text"; imports (sheet_unmark_formulas) take the apostrophe off again, so an
 * export imports again unchanged. The rule, both ways:
 *   - a value that begins with =, @, tab or CR, or with + or - followed by
 *     anything but digits, spaces and ( ) - + . / (a phone number, a negative
 *     number: left as they are), is written with one apostrophe in front;
 *   - a value that begins with apostrophes followed by one of = + - @ tab CR is
 *     written with one apostrophe more;
 *   - a value read that begins with apostrophes followed by one of = + - @ tab
 *     CR loses its first apostrophe.
 * OneRoster files are for other systems, not spreadsheets: written as they are.
 */
void sheet_put_text_row(sbuf_t *b, const char *const *fields, int n);
/* Takes the export's apostrophe off every field of s that has one (the rule above). */
void sheet_unmark_formulas(sheet_t *s);

#endif
