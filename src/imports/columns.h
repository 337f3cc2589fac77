/*
 * columns.h - the documented column sets of the CSV imports (students with
 * up to two guardians, teachers, staff accounts), the mapping of a header row
 * onto them, and row-level error lists. Pure: no I/O, memory from an arena.
 *
 * Column names are the API's field names (camelCase); a guardian's are
 * prefixed "guardian1" / "guardian2" with the field's first letter upper-cased
 * ("guardian1FirstName"). Columns may come in any order; unknown and repeated
 * columns are errors, and so is a missing required column.
 */
#ifndef ERP_IMPORTS_COLUMNS_H
#define ERP_IMPORTS_COLUMNS_H

#include "core/arena.h"
#include "imports/sheet.h"

#define IMPORT_MAX_COLUMNS 32
#define IMPORT_MAX_ERRORS 1000 /* a report lists at most this many; the count is exact */

enum { COL_REQUIRED = 1u << 0 };
enum { COL_PLACE = 3 };

typedef struct column {
    const char *name;  /* header name */
    int part;          /* 0: the record itself; 1, 2: the row's first or second guardian; COL_PLACE: its class */
    const char *field; /* the API field it fills (the guardian's link: "relationship") */
    unsigned flags;
} column_t;

typedef struct import_kind {
    const char *name; /* "students", "teachers", "staff" */
    const column_t *columns;
    int ncolumns;
    const char *template_csv; /* the header line (every column, in the order above) and one example record, CRLF-ended */
} import_kind_t;

/* The kind called name, or NULL. */
const import_kind_t *columns_kind(const char *name);

typedef struct row_error {
    int line;
    const char *column; /* NULL: the whole record */
    const char *reason;
} row_error_t;

typedef struct errlist {
    arena_t *a;
    row_error_t *v;
    int n;     /* listed */
    int total; /* found */
    int cap;
} errlist_t;

void errlist_init(errlist_t *l, arena_t *a);
/* Records an error (listed while fewer than IMPORT_MAX_ERRORS are). */
void errlist_add(errlist_t *l, int line, const char *column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Maps a header row: at[c] is the index of kind column c in the records, or
 * -1 when the header does not have it. Unknown, repeated and missing
 * required columns are recorded in errs. Returns 0, or -1 when any was.
 */
int columns_map(const import_kind_t *k, const sheet_row_t *header, int *at, errlist_t *errs);

/* The field of column c of a record (NULL when the header lacks the column or the record is short). */
static inline const char *columns_cell(const sheet_row_t *row, const int *at, int c)
{
    return at[c] >= 0 && at[c] < row->nfields ? row->fields[at[c]] : NULL;
}

#endif
