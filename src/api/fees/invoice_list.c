/*
 * invoice_list.c - GET /invoices: the school's invoices by due date (then
 * id), a page at a time, without their lines (GET /invoices/{id} has them).
 * Filters: studentId, classId (students ever enrolled in the class), status
 * (computed as GET /invoices/{id} computes it, in SQL, as of the school's
 * today), dueBefore and dueAfter (inclusive). Parents see their children's
 * invoices, students their own, the office and the bursar the school's; the
 * rule is applied in SQL (policy.h), a teacher's classes never count here.
 */
#include "api/fees/fees.h"
#include "api/fees/fees_int.h"

#include <string.h>

#include "api/academic_int.h"
#include "api/app.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/policy.h"
#include "domain/fees.h"

/* $7 is the school's today */
#define STATUS_SQL                                                                                               \
    "CASE WHEN state <> 'issued' THEN state WHEN balance <= 0 THEN 'paid' WHEN due_date < $7 THEN 'overdue'"   \
    " WHEN balance < total THEN 'partially_paid' ELSE 'issued' END"

static stmt_t Q_LIST = STMT(
    "invoices.list", STMT_READ,
    "SELECT " INVOICE_COLS " FROM invoices i WHERE i.tenant_id = $1 AND (i.student_id = $2 OR $2 IS NULL)"
    " AND (i.due_date <= $3 OR $3 IS NULL) AND (i.due_date >= $4 OR $4 IS NULL)"
    " AND (i.student_id IN (SELECT ce.student_id FROM enrollments ce WHERE ce.tenant_id = $1"
    " AND ce.class_id = $5) OR $5 IS NULL) AND (" STATUS_SQL " = $6 OR $6 IS NULL)"
    " AND " POLICY_STUDENT_VISIBLE("i.student_id", "$1", "$8", "$9", "$10", "$11")
    " AND ((i.due_date, i.id) > ($12, $13) OR $12 IS NULL) ORDER BY i.due_date, i.id LIMIT $14");

static stmt_t Q_CLASS = STMT("invoices.list_class", STMT_READ, "SELECT 1 FROM classes WHERE tenant_id = $1 AND id = $2");

static json_t *summary_json(req_t *r, const db_result_t *inv, int row)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:s,s:s}", "id", db_get(inv, row, I_ID),
                     "studentId", db_get(inv, row, I_STUDENT), "currency", db_get(inv, row, I_CURRENCY), "status",
                     fees_status_of(r, inv, row), "dueDate", db_get(inv, row, I_DUE), "total",
                     (json_int_t)db_get_int(inv, row, I_TOTAL), "allocated", (json_int_t)db_get_int(inv, row, I_ALLOC),
                     "refunded", (json_int_t)db_get_int(inv, row, I_REFUND), "credited",
                     (json_int_t)db_get_int(inv, row, I_CREDIT), "balance", (json_int_t)db_get_int(inv, row, I_BALANCE),
                     "issuedAt", json_time_or_null(&r->arena, db_get(inv, row, I_ISSUED)), "version",
                     (json_int_t)db_get_int(inv, row, I_VERSION), "createdAt",
                     iso_time(&r->arena, db_get_int(inv, row, I_CREATED)), "updatedAt",
                     iso_time(&r->arena, db_get_int(inv, row, I_UPDATED)));
}

typedef struct filters {
    const char *student, *class_id, *before, *after, *status;
} filters_t;

static int read_filters(req_t *r, filters_t *f)
{
    f->student = query_id(r, "studentId", 0);
    f->class_id = query_id(r, "classId", 0);
    f->before = acad_query_date(r, "dueBefore", 0);
    f->after = acad_query_date(r, "dueAfter", 0);
    f->status = req_query(r, "status");
    if (f->status != NULL) {
        int known = 0;
        for (const char *const *s = fees_invoice_status_names; *s != NULL; s++)
            known |= strcmp(*s, f->status) == 0;
        if (!known)
            res_field_error(r, "status", "must be draft, issued, partially_paid, paid, overdue or void");
    }
    if (res_check_fields(r) != 0)
        return -1;
    if (f->class_id != NULL && school_ref(r, &Q_CLASS, f->class_id, "class", "classId", NULL) != 1)
        return -1;
    if (f->student != NULL &&
        (fees_student_currency(r, f->student, "studentId") == NULL || fees_may_read_student(r, f->student) != 1))
        return -1;
    return 0;
}

int invoices_list(req_t *r)
{
    page_t page;
    filters_t f;
    policy_scope_t scope;
    if (page_read(r, &page) != 0 || read_filters(r, &f) != 0 || policy_student_scope(r, &scope) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_LIST,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(f.student), DB_TEXT(f.before), DB_TEXT(f.after),
                        DB_TEXT(f.class_id), DB_TEXT(f.status), DB_TEXT(school_today(r)), DB_INT(scope.all),
                        DB_TEXT(scope.student), DB_TEXT(scope.guardian), DB_NULL, page_key_arg(r, &page, 0),
                        page_id_arg(&page), DB_INT(page.limit + 1)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    return res_json(r, 200, page_json(r, &res, page.limit, summary_json, I_DUE, NULL));
}
