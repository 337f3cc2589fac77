/*
 * oneroster.h - OneRoster 1.1 CSV import and export of one school, as plain
 * functions over the store: the command line (`school-erp oneroster`) and the
 * job handlers call them.
 *
 * Input: manifest.csv and the files it marks bulk or delta (orgs,
 * academicSessions, courses, classes, users, enrollments, demographics), from
 * a folder or from a zip's bytes in memory (entries found by file name, at the
 * top or in one folder). Files the manifest marks absent are not read; other
 * OneRoster files (resources, lineItems, …) are ignored and named in the report.
 *
 * Mapping (docs/DECISIONS.md, "OneRoster CSV"):
 *  - the org of type school whose sourcedId is given (or the only one) is the
 *    school imported into; records of other schools are skipped; districts ignored;
 *  - academicSessions: schoolYear → academic year; semester, term and
 *    gradingPeriod → a term of the year above it (parent, or the year with the
 *    same schoolYear);
 *  - courses → subjects (courseCode, else the sourcedId, as the code);
 *  - classes → classes (year of its first term, grade level of its first
 *    grade, section from classCode); the course is the subject its teachers
 *    teach; a class with metadata.erp.homeroomSourcedId (as the export writes
 *    teaching assignments) is a section of its course taught to that class:
 *    its teacher makes the teaching assignment, its students are the class's;
 *  - users: student → student (birthDate and sex from demographics), teacher →
 *    teacher, parent/guardian/relative → guardian linked through
 *    agentSourcedIds; each with an account (role student, teacher, parent)
 *    when it has an email; other roles are skipped;
 *  - enrollments: student → enrollment (beginDate, else the year's start;
 *    endDate); teacher → teaching assignment of the class's course (the
 *    primary, else the first, teacher of a class), or the class teacher of a
 *    class without a course.
 * Idempotent by sourcedId (table oneroster_ids); an unknown sourcedId first
 * matches a record by its natural key (year name, subject code, admission or
 * employee number, grade and section, email), else it is created. A record is
 * written only when a value differs, so importing the same files again
 * changes nothing. status=tobedeleted, and for a bulk users or enrollments
 * file a record imported before that the file leaves out: a student is
 * deleted (soft), a teacher made inactive, a person's account disabled, an
 * enrollment or teaching assignment removed (an assignment only when no
 * remaining enrollment names it); sessions, courses and classes are kept.
 *
 * Every row is checked first (required columns and values, dates, enums,
 * references to rows of the files or to records imported before); errors are
 * {file, line, column, reason}, line being the CSV's physical line. Only when
 * there are none is everything written, in ONE transaction; a conflict with
 * stored data found while writing (a section taken by another class) is a
 * row error too and nothing is written.
 */
#ifndef ERP_ONEROSTER_ONEROSTER_H
#define ERP_ONEROSTER_ONEROSTER_H

#include <jansson.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/sbuf.h"
#include "store/store.h"

/* What to import: a folder (dir) or a zip's bytes (zip, zip_len); org: the school's sourcedId or NULL. */
typedef struct oneroster_input {
    const char *dir;
    const void *zip;
    size_t zip_len;
    const char *org;
} oneroster_input_t;

/*
 * Imports into the school tenant_id, acting for actor_id (a user id, or NULL
 * for the command line). *report (new reference, always set):
 *   {"school": sourcedId|null, "counts": {KIND: {"created","updated","unchanged","deleted"}},
 *    "skipped": n, "ignoredFiles": [...], "errorCount": n, "errors": [{"file","line","column","reason"}]}
 * (KIND: academicYears, terms, subjects, classes, teachingAssignments, students,
 * teachers, guardians, accounts, enrollments; at most 1,000 errors listed).
 * Returns 0 when imported; 1 when refused (row errors, bad manifest, unreadable
 * zip or folder, no such school: nothing written); -1 when the database failed
 * (nothing written), with {"error": "…"} in the report.
 */
int oneroster_import(db_t *db, arena_t *a, const char *tenant_id, const char *actor_id, const oneroster_input_t *in,
                     json_t **report);

/*
 * Exports the school as OneRoster 1.1 CSV (manifest.csv, orgs, academicSessions,
 * courses, classes, users, enrollments, demographics; all bulk), the spec's
 * columns, RFC 4180, CRLF. sourcedIds: the imported one for records that came
 * from OneRoster, our id otherwise. Classes are homerooms; each teaching
 * assignment is a scheduled class of its subject with its teacher and the
 * class's students (metadata.erp.homeroomSourcedId names the class), so an
 * export imports again unchanged. oneroster_export writes a zip into zip_out;
 * oneroster_export_dir the files into dir (made when missing). Return 0, or -1
 * (database, or the folder could not be written: why in *why when not NULL).
 */
int oneroster_export(db_t *db, arena_t *a, const char *tenant_id, sbuf_t *zip_out);
int oneroster_export_dir(db_t *db, arena_t *a, const char *tenant_id, const char *dir, const char **why);

#endif
