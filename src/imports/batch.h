/*
 * batch.h - multi-row writes of an import: rows accumulate as one JSON array
 * and are written by one statement per IMPORT_BATCH_ROWS rows ($1 the school,
 * $2 the array; json_each on SQLite, json_array_elements on PostgreSQL), so a
 * 10,000-student file costs tens of statements instead of 100,000 round trips.
 * A batch may depend on others (links on students and guardians): flushing it
 * flushes those first.
 */
#ifndef ERP_IMPORTS_BATCH_H
#define ERP_IMPORTS_BATCH_H

#include "core/sbuf.h"
#include "store/store.h"

#define IMPORT_BATCH_ROWS 1000

typedef struct batch batch_t;
struct batch {
    stmt_t *st;         /* NULL: audit events (audit_insert_json) */
    sbuf_t rows;
    int n;
    batch_t *after[2];  /* batches flushed before this one */
};

void batch_init(batch_t *b, arena_t *a, stmt_t *st);
/* Starts a row (an array; an object for audit events). */
void batch_row_begin(batch_t *b);
/* Appends a value of the row: text (NULL: null) or a JSON literal. */
void batch_text(batch_t *b, const char *s);
void batch_literal(batch_t *b, const char *lit);
/* Appends "key": text to an object row. */
void batch_member(batch_t *b, const char *key, const char *s);
/* Appends "key": integer to an object row. */
void batch_member_int(batch_t *b, const char *key, long long v);
/* Ends the row; flushes when the batch is full. 0, or -1 (db). */
int batch_row_end(batch_t *b, db_t *db, const char *tenant_id, arena_t *a);
/* Writes what is pending (after the batches it depends on). 0, or -1 (db). */
int batch_flush(batch_t *b, db_t *db, const char *tenant_id, arena_t *a);
/* Forgets pending rows (a transaction that is run again starts over). */
void batch_reset(batch_t *b);

#endif
