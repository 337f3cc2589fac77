/*
 * imports.h - bulk CSV imports and CSV exports of a school's people, as
 * plain functions over the store: the job handlers and the command line
 * (`school-erp import`, `school-erp export`) call them.
 *
 * Imports (kinds "students" with up to two guardians per record, "teachers",
 * "staff" accounts; columns in columns.h and in import_template()):
 *  - the whole file is parsed and every record validated first, with the
 *    API's own rules (the same field tables and checks as POST /students,
 *    /teachers, /guardians, /users); errors are collected per record as
 *    {line, column, reason}, line being the physical line of the CSV where
 *    the record starts (the header is line 1);
 *  - only when no record is wrong is everything written, in ONE transaction,
 *    with the audit events the API writes (student.create, student.update,
 *    guardian.create, …, user.create) plus one "import.KIND" event;
 *  - records are matched, so importing the same file again changes nothing:
 *    students by admission number, teachers by employee number (both without
 *    regard to case), accounts by email; a guardian by email, else by first
 *    name, last name and phone. An existing record is updated only when a
 *    value differs; a column the file does not have keeps the stored value,
 *    an empty cell clears an optional field (or gives its default).
 *    A student's className (a class of the current academic year) enrolls a
 *    student who is in no class of that year yet, as POST /enrollments does
 *    (placement.c); a student in another class is an error of the record.
 *    A staff account's password (optional column) is used only on creation;
 *    without one the account gets a random password (an admin resets it);
 *  - after an import that changed anything, the school's cache entries are
 *    invalidated (cache_invalidate_tenant(): here and through Redis on every
 *    instance; nothing in a process without a cache, such as the command line).
 */
#ifndef ERP_IMPORTS_IMPORTS_H
#define ERP_IMPORTS_IMPORTS_H

#include <jansson.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/sbuf.h"
#include "store/store.h"

/* Called now and then with the share of the work done, 0..100. */
typedef void (*import_progress_fn)(void *ctx, int percent);

/*
 * Imports csv[0..len) of kind into the school tenant_id, acting for actor_id
 * (a user id, or NULL for the operator's command line). progress may be NULL.
 * *report (new reference, always set) is
 *   {"kind", "rows", "created", "updated", "unchanged", "errorCount",
 *    "errors": [{"line", "column" (or null), "reason"}], "guardians": {"created", "updated", "linked"},
 *    "enrolled"}
 * (guardians and enrolled only for students; errors lists at most 1,000 of errorCount).
 * Returns 0 when the file was imported; 1 when it was refused (row errors, an
 * unknown kind, no such school, malformed CSV: nothing was written); -1 when
 * the database failed (nothing was written; running it again is safe), with
 * {"error": "…"} in the report.
 */
int import_csv(db_t *db, arena_t *a, const char *tenant_id, const char *actor_id, const char *kind, const char *csv,
               size_t len, import_progress_fn progress, void *pctx, json_t **report);

/* The CSV template of a kind (header line and one example record), static; NULL for an unknown kind. */
const char *import_template(const char *kind);

/*
 * Writes the CSV export of kind into out: a header row, then one record per
 * row, RFC 4180 quoting, UTF-8, CRLF line ends. Kinds: "students" (the
 * students import's columns, so an export imports again unchanged; deleted
 * students left out), "guardians" (with the admission numbers of their
 * students), "enrollments", "attendance", "invoices" and "payments" (amounts
 * in integer minor units beside their currency). params (may be NULL): for
 * attendance "from" and "to" (YYYY-MM-DD, required) and "classId"
 * (optional). Returns 0; 1 for an unknown kind or bad params (a message in
 * out instead); -1 when the database failed.
 */
int export_csv(db_t *db, arena_t *a, const char *tenant_id, const char *kind, const json_t *params, sbuf_t *out);

#endif
