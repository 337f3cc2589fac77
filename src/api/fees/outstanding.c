/*
 * outstanding.c - GET /reports/fees/outstanding: what each student owes on
 * issued invoices, aged as of a day (default today) by due date into 0-30,
 * 31-60, 61-90 and over 90 days (not yet due counts in 0-30), optionally for
 * the students enrolled on that day in one class or in one grade level.
 * Balances are as they stand now. One statement for the whole school.
 * GET /reports/fees/collections: what was paid in per day and method over a
 * range of days (refunds shown apart, on the day they were given).
 */
#include "api/fees/fees.h"
#include "api/fees/fees_int.h"

#include <string.h>

#include "api/academic_int.h"
#include "api/app.h"
#include "api/common.h"
#include "api/validate.h"
#include "domain/calendar.h"
#include "domain/fees.h"

#define ENROLLED_ON(extra)                                                                                          \
    "EXISTS (SELECT 1 FROM enrollments e JOIN classes c ON c.tenant_id = e.tenant_id AND c.id = e.class_id"       \
    " WHERE e.tenant_id = i.tenant_id AND e.student_id = i.student_id AND e.start_date <= $4"                     \
    " AND (e.end_date IS NULL OR e.end_date >= $4) AND " extra ")"
#define OUTSTANDING(cast_id, cast_int, cast_date)                                                                  \
    "SELECT s.id, s.first_name || ' ' || s.last_name, s.last_name, s.admission_no, i.due_date, i.balance FROM invoices i"                \
    " JOIN students s ON s.tenant_id = i.tenant_id AND s.id = i.student_id"                                       \
    " WHERE i.tenant_id = $1 AND i.state = 'issued' AND i.balance > 0"                                            \
    " AND ($2" cast_id " IS NULL OR " ENROLLED_ON("e.class_id = $2" cast_id) ")"                                  \
    " AND ($3" cast_int " IS NULL OR " ENROLLED_ON("c.grade_level = $3" cast_int) ")"                             \
    " AND $4" cast_date " IS NOT NULL ORDER BY s.last_name, s.first_name, s.id, i.due_date"
static stmt_t Q_OUTSTANDING = STMT2("outstanding.rows", STMT_READ, OUTSTANDING("", "", ""),
                                    OUTSTANDING("::uuid", "::int", "::date"));
static stmt_t Q_CLASS = STMT("outstanding.class", STMT_READ, "SELECT id FROM classes WHERE tenant_id = $1 AND id = $2");

static const char *const bucket_names[FEES_AGEING_BUCKETS] = {"0-30", "31-60", "61-90", "90+"};

static json_t *buckets_json(const int64_t *b)
{
    json_t *o = json_object();
    for (int i = 0; i < FEES_AGEING_BUCKETS; i++)
        o = json_with(o, bucket_names[i], json_integer(b[i]));
    return o;
}

static json_t *student_json(const db_result_t *res, int row, const int64_t *b)
{
    int64_t total = b[0] + b[1] + b[2] + b[3];
    return json_pack("{s:s,s:s,s:s,s:I,s:o}", "studentId", db_get(res, row, 0), "name",
                     db_get(res, row, 1), "admissionNo", db_get(res, row, 3),
                     "total", (json_int_t)total, "buckets", buckets_json(b));
}

int fees_outstanding_report(req_t *r)
{
    long long grade = -1;
    const char *g = req_query(r, "gradeLevel");
    if (g != NULL)
        query_int(r, "gradeLevel", g, 0, 13, &grade);
    const char *class_id = query_id(r, "classId", 0), *as_of = acad_query_date(r, "asOf", 0);
    if (res_check_fields(r) != 0)
        return -1;
    if (class_id != NULL && school_ref(r, &Q_CLASS, class_id, "class", "classId", NULL) != 1)
        return -1;
    const char *currency = fees_student_currency(r, NULL, NULL);
    if (currency == NULL)
        return -1;
    if (as_of == NULL)
        as_of = school_today(r);
    cal_day_t today, due;
    cal_parse(as_of, &today);
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_OUTSTANDING,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(class_id), grade >= 0 ? DB_INT(grade) : DB_NULL,
                        DB_TEXT(as_of)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    json_t *items = json_array();
    int64_t b[FEES_AGEING_BUCKETS] = {0}, all[FEES_AGEING_BUCKETS] = {0};
    for (int i = 0; i < res.nrows; i++) {
        if (cal_parse(db_get(&res, i, 4), &due) != 0)
            due = today;
        int k = fees_ageing_bucket(due, today);
        b[k] += db_get_int(&res, i, 5);
        all[k] += db_get_int(&res, i, 5);
        if (i + 1 == res.nrows || strcmp(db_get(&res, i + 1, 0), db_get(&res, i, 0)) != 0) {
            items = json_push(items, student_json(&res, i, b));
            memset(b, 0, sizeof b);
        }
    }
    return res_json(r, 200, json_pack("{s:s,s:s,s:o,s:o,s:I}", "asOf", as_of, "currency", currency, "items", items,
                                      "totals", buckets_json(all), "total",
                                      (json_int_t)(all[0] + all[1] + all[2] + all[3])));
}

static stmt_t Q_COLLECTED = STMT("collections.paid", STMT_READ,
                                 "SELECT paid_on, method, SUM(amount), COUNT(*) FROM payments WHERE tenant_id = $1"
                                 " AND paid_on >= $2 AND paid_on <= $3 GROUP BY paid_on, method"
                                 " ORDER BY paid_on, method");
static stmt_t Q_REFUNDED = STMT("collections.refunded", STMT_READ,
                                "SELECT refunded_on, method, SUM(amount), COUNT(*) FROM refunds WHERE tenant_id = $1"
                                " AND refunded_on >= $2 AND refunded_on <= $3 GROUP BY refunded_on, method"
                                " ORDER BY refunded_on, method");

static json_t *day_rows(const db_result_t *res, int64_t *total)
{
    json_t *a = json_array();
    for (int i = 0; i < res->nrows; i++) {
        *total += db_get_int(res, i, 2);
        a = json_push(a, json_pack("{s:s,s:s,s:I,s:I}", "date", db_get(res, i, 0), "method", db_get(res, i, 1),
                                   "amount", (json_int_t)db_get_int(res, i, 2), "count",
                                   (json_int_t)db_get_int(res, i, 3)));
    }
    return a;
}

int fees_collections_report(req_t *r)
{
    const char *from = acad_query_date(r, "from", 1), *to = acad_query_date(r, "to", 1);
    cal_day_t a = 0, b = 0;
    if (from != NULL && to != NULL && cal_parse(from, &a) == 0 && cal_parse(to, &b) == 0 && (b < a || b - a > 400))
        res_field_error(r, "to", "must be on or after from, at most 400 days on");
    if (res_check_fields(r) != 0)
        return -1;
    const char *currency = fees_student_currency(r, NULL, NULL);
    if (currency == NULL)
        return -1;
    db_t *db = req_db(r);
    db_result_t paid, back;
    if (db_exec(db, &Q_COLLECTED, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(from), DB_TEXT(to)), &r->arena,
                &paid) != 0 ||
        db_exec(db, &Q_REFUNDED, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(from), DB_TEXT(to)), &r->arena,
                &back) != 0)
        return db_fail(r, db);
    int64_t in = 0, out = 0;
    json_t *collected = day_rows(&paid, &in), *refunded = day_rows(&back, &out);
    return res_json(r, 200, json_pack("{s:s,s:s,s:s,s:o,s:o,s:I,s:I}", "from", from, "to", to, "currency", currency,
                                      "collected", collected, "refunded", refunded, "totalCollected",
                                      (json_int_t)in, "totalRefunded", (json_int_t)out));
}
