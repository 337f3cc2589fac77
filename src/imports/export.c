/*
 * export.c - CSV exports of a school's people and registers (see imports.h).
 * The students export has the students import's columns, so what it writes
 * imports again without a change.
 */
#include <string.h>

#include "api/validate.h"
#include "imports/columns.h"
#include "imports/imports_int.h"

static stmt_t Q_STUDENTS = STMT("exports.students", STMT_READ,
                                "SELECT s.id, s.admission_no, s.first_name, s.middle_name, s.last_name, s.date_of_birth,"
                                " s.gender, s.email, s.phone, s.address, s.admitted_on, s.status, (SELECT c.name"
                                " FROM enrollments e JOIN classes c ON c.tenant_id = e.tenant_id AND c.id = e.class_id"
                                " JOIN academic_years y ON y.tenant_id = e.tenant_id AND y.id = e.academic_year_id"
                                " WHERE e.tenant_id = s.tenant_id AND e.student_id = s.id AND e.end_date IS NULL"
                                " AND y.is_current = true ORDER BY e.start_date DESC LIMIT 1) FROM students s"
                                " WHERE s.tenant_id = $1 AND s.deleted_at IS NULL ORDER BY s.admission_no, s.id");
/* Every link with its guardian, a student's in the order of their profile (the primary first, then by name). */
static stmt_t Q_LINKS = STMT("exports.student_guardians", STMT_READ,
                             "SELECT l.student_id, g.first_name, g.last_name, g.email, g.phone, l.relationship"
                             " FROM student_guardians l JOIN guardians g ON g.tenant_id = l.tenant_id"
                             " AND g.id = l.guardian_id WHERE l.tenant_id = $1"
                             " ORDER BY l.student_id, l.is_primary DESC, g.last_name, g.first_name, g.id");
static stmt_t Q_GUARDIANS = STMT("exports.guardians", STMT_READ,
                                 "SELECT g.first_name, g.last_name, g.email, g.phone, g.address, g.occupation, g.id"
                                 " FROM guardians g WHERE g.tenant_id = $1"
                                 " ORDER BY g.last_name, g.first_name, g.id");
static stmt_t Q_GUARDIAN_STUDENTS = STMT("exports.guardian_students", STMT_READ,
                                         "SELECT l.guardian_id, s.admission_no, l.relationship FROM student_guardians l"
                                         " JOIN students s ON s.tenant_id = l.tenant_id AND s.id = l.student_id"
                                         " WHERE l.tenant_id = $1 AND s.deleted_at IS NULL"
                                         " ORDER BY s.admission_no");
static stmt_t Q_ENROLLMENTS = STMT("exports.enrollments", STMT_READ,
                                   "SELECT s.admission_no, s.first_name, s.last_name, y.name, c.name, c.grade_level,"
                                   " c.section, e.start_date, e.end_date, e.end_reason FROM enrollments e"
                                   " JOIN students s ON s.tenant_id = e.tenant_id AND s.id = e.student_id"
                                   " JOIN classes c ON c.tenant_id = e.tenant_id AND c.id = e.class_id"
                                   " JOIN academic_years y ON y.tenant_id = e.tenant_id AND y.id = e.academic_year_id"
                                   " WHERE e.tenant_id = $1 ORDER BY y.start_date, c.grade_level, c.name,"
                                   " s.admission_no, e.start_date");
static stmt_t Q_ATTENDANCE = STMT("exports.attendance", STMT_READ,
                                  "SELECT a.date, c.name, s.admission_no, s.first_name, s.last_name, a.status, a.note"
                                  " FROM attendance a JOIN students s ON s.tenant_id = a.tenant_id"
                                  " AND s.id = a.student_id JOIN classes c ON c.tenant_id = a.tenant_id"
                                  " AND c.id = a.class_id WHERE a.tenant_id = $1 AND a.date >= $2 AND a.date <= $3"
                                  " AND (a.class_id = $4 OR $4 IS NULL) ORDER BY a.date, c.name, s.admission_no");

/* fees: amounts are integer minor units of the currency column; status is what was done (draft, issued, void) */
static stmt_t Q_INVOICES = STMT("exports.invoices", STMT_READ,
                                "SELECT i.id, s.admission_no, s.first_name, s.last_name, i.state, i.due_date,"
                                " i.currency, i.total, i.allocated, i.refunded, i.credited, i.balance,"
                                " i.structure_id, i.instalment_seq, i.void_reason FROM invoices i JOIN students s"
                                " ON s.tenant_id = i.tenant_id AND s.id = i.student_id WHERE i.tenant_id = $1"
                                " ORDER BY i.due_date, i.id");
static stmt_t Q_PAYMENTS = STMT("exports.payments", STMT_READ,
                                "SELECT p.receipt_no, p.paid_on, s.admission_no, s.first_name, s.last_name, p.amount,"
                                " p.currency, p.method, p.reference, p.unallocated, p.refunded, p.provider, p.id"
                                " FROM payments p JOIN students s ON s.tenant_id = p.tenant_id AND s.id = p.student_id"
                                " WHERE p.tenant_id = $1 ORDER BY p.receipt_year, p.receipt_seq");

#define NGUARDIAN_COLS 5

static void put_header(sbuf_t *out, const char *const *names, int n)
{
    sheet_put_row(out, names, n);
}

/* The students export has the import's columns: the student's own (as this query lists them, the class last), then two guardians. */
/* Guardian columns of each student: smap student id → const char *[2 * NGUARDIAN_COLS]. */
static int student_guardians(db_t *db, arena_t *a, const char *tenant_id, smap_t *by_student)
{
    db_result_t res;
    if (db_exec(db, &Q_LINKS, DB_ARGS(DB_TEXT(tenant_id)), a, &res) != 0)
        return -1;
    smap_init(by_student, a);
    for (int i = 0; i < res.nrows; i++) {
        const char *sid = db_get(&res, i, 0);
        const char **g = smap_get(by_student, sid);
        int k = 0;
        if (g == NULL) {
            g = arena_calloc(a, 2 * NGUARDIAN_COLS * sizeof(*g));
            smap_put(by_student, sid, g);
        } else if (g[NGUARDIAN_COLS] == NULL) {
            k = 1;
        } else {
            continue; /* the import's columns hold two guardians */
        }
        for (int c = 0; c < NGUARDIAN_COLS; c++)
            g[k * NGUARDIAN_COLS + c] = db_get(&res, i, 1 + c);
    }
    return 0;
}

static int export_students(db_t *db, arena_t *a, const char *tenant_id, sbuf_t *out)
{
    const import_kind_t *k = columns_kind("students");
    smap_t guardians;
    db_result_t res;
    if (student_guardians(db, a, tenant_id, &guardians) != 0 ||
        db_exec(db, &Q_STUDENTS, DB_ARGS(DB_TEXT(tenant_id)), a, &res) != 0)
        return -1;
    const char *names[IMPORT_MAX_COLUMNS], *row[IMPORT_MAX_COLUMNS];
    for (int c = 0; c < k->ncolumns; c++)
        names[c] = k->columns[c].name;
    put_header(out, names, k->ncolumns);
    int nown = k->ncolumns - 2 * NGUARDIAN_COLS; /* the student's own columns come first, as in the query */
    for (int i = 0; i < res.nrows; i++) {
        const char **g = smap_get(&guardians, db_get(&res, i, 0));
        for (int c = 0; c < nown; c++)
            row[c] = db_get(&res, i, 1 + c);
        for (int c = 0; c < 2 * NGUARDIAN_COLS; c++)
            row[nown + c] = g != NULL ? g[c] : NULL;
        sheet_put_text_row(out, row, k->ncolumns);
    }
    return 0;
}

/* A guardian's students: admission numbers and relationships, ";"-separated. */
typedef struct children {
    sbuf_t admission, relationship;
} children_t;

static void guardian_children(arena_t *a, const db_result_t *links, smap_t *by_guardian)
{
    smap_init(by_guardian, a);
    for (int i = 0; i < links->nrows; i++) {
        children_t *c = smap_get(by_guardian, db_get(links, i, 0));
        if (c == NULL) {
            c = arena_alloc(a, sizeof(*c));
            sbuf_init(&c->admission, a, 32);
            sbuf_init(&c->relationship, a, 32);
            smap_put(by_guardian, db_get(links, i, 0), c);
        }
        sbuf_printf(&c->admission, "%s%s", c->admission.len ? ";" : "", db_get(links, i, 1));
        sbuf_printf(&c->relationship, "%s%s", c->relationship.len ? ";" : "", db_get(links, i, 2));
    }
}

static int export_guardians(db_t *db, arena_t *a, const char *tenant_id, sbuf_t *out)
{
    static const char *const names[] = {"firstName", "lastName",   "email",    "phone",
                                        "address",   "occupation", "students", "relationships"};
    db_result_t res, links;
    if (db_exec(db, &Q_GUARDIANS, DB_ARGS(DB_TEXT(tenant_id)), a, &res) != 0 ||
        db_exec(db, &Q_GUARDIAN_STUDENTS, DB_ARGS(DB_TEXT(tenant_id)), a, &links) != 0)
        return -1;
    smap_t children;
    guardian_children(a, &links, &children);
    put_header(out, names, 8);
    for (int i = 0; i < res.nrows; i++) {
        const char *row[8];
        for (int c = 0; c < 6; c++)
            row[c] = db_get(&res, i, c);
        const children_t *ch = smap_get(&children, db_get(&res, i, 6));
        row[6] = ch != NULL ? ch->admission.p : NULL;
        row[7] = ch != NULL ? ch->relationship.p : NULL;
        sheet_put_text_row(out, row, 8);
    }
    return 0;
}

/* Writes every row of res (all columns) under the header names. */
static void put_rows(sbuf_t *out, const char *const *names, int n, const db_result_t *res)
{
    put_header(out, names, n);
    for (int i = 0; i < res->nrows; i++)
        sheet_put_text_row(out, &res->cells[i * res->ncols], n);
}

static int export_enrollments(db_t *db, arena_t *a, const char *tenant_id, sbuf_t *out)
{
    static const char *const names[] = {"admissionNo", "firstName", "lastName", "academicYear", "className",
                                        "gradeLevel",  "section",   "startDate", "endDate",     "endReason"};
    db_result_t res;
    if (db_exec(db, &Q_ENROLLMENTS, DB_ARGS(DB_TEXT(tenant_id)), a, &res) != 0)
        return -1;
    put_rows(out, names, 10, &res);
    return 0;
}

static const char *param(const json_t *params, const char *name)
{
    return params != NULL ? json_string_value(json_object_get(params, name)) : NULL;
}

static int export_attendance(db_t *db, arena_t *a, const char *tenant_id, const json_t *params, sbuf_t *out)
{
    static const char *const names[] = {"date", "className", "admissionNo", "firstName", "lastName", "status", "note"};
    const char *from = param(params, "from"), *to = param(params, "to"), *cls = param(params, "classId");
    if (from == NULL || to == NULL || !valid_date(from) || !valid_date(to) || strcmp(from, to) > 0) {
        sbuf_puts(out, "from and to must be dates YYYY-MM-DD, from not after to");
        return 1;
    }
    if (cls != NULL && strlen(cls) != 36) {
        sbuf_puts(out, "classId must be an id");
        return 1;
    }
    db_result_t res;
    if (db_exec(db, &Q_ATTENDANCE,
                DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(from), DB_TEXT(to), DB_TEXT(cls ? imports_lower(a, cls) : NULL)),
                a, &res) != 0)
        return -1;
    put_rows(out, names, 7, &res);
    return 0;
}

/* Writes every row of st (taking the school) under the header names[0..n). */
static int export_all(db_t *db, arena_t *a, const char *tenant_id, stmt_t *st, const char *const *names, int n,
                      sbuf_t *out)
{
    db_result_t res;
    if (db_exec(db, st, DB_ARGS(DB_TEXT(tenant_id)), a, &res) != 0)
        return -1;
    put_rows(out, names, n, &res);
    return 0;
}

static int export_invoices(db_t *db, arena_t *a, const char *tenant_id, sbuf_t *out)
{
    static const char *const names[] = {"invoiceId", "admissionNo", "firstName", "lastName", "state", "dueDate",
                                        "currency", "total", "allocated", "refunded", "credited", "balance",
                                        "structureId", "instalment", "voidReason"};
    return export_all(db, a, tenant_id, &Q_INVOICES, names, 15, out);
}

static int export_payments(db_t *db, arena_t *a, const char *tenant_id, sbuf_t *out)
{
    static const char *const names[] = {"receiptNumber", "paidOn", "admissionNo", "firstName", "lastName", "amount",
                                        "currency", "method", "reference", "credit", "refunded", "provider",
                                        "paymentId"};
    return export_all(db, a, tenant_id, &Q_PAYMENTS, names, 13, out);
}

int export_csv(db_t *db, arena_t *a, const char *tenant_id, const char *kind, const json_t *params, sbuf_t *out)
{
    if (strcmp(kind, "invoices") == 0)
        return export_invoices(db, a, tenant_id, out);
    if (strcmp(kind, "payments") == 0)
        return export_payments(db, a, tenant_id, out);
    if (strcmp(kind, "students") == 0)
        return export_students(db, a, tenant_id, out);
    if (strcmp(kind, "guardians") == 0)
        return export_guardians(db, a, tenant_id, out);
    if (strcmp(kind, "enrollments") == 0)
        return export_enrollments(db, a, tenant_id, out);
    if (strcmp(kind, "attendance") == 0)
        return export_attendance(db, a, tenant_id, params, out);
    sbuf_puts(out, "unknown export kind (students, guardians, enrollments, attendance, invoices, payments)");
    return 1;
}
