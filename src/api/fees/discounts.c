/*
 * discounts.c - a student's discounts and scholarships: a percentage (basis
 * points, 0..10000) or a fixed amount (minor units) off one item, or
 * (itemId absent) off every item, for one academic year or any, with a
 * reason. They apply when a structure is invoiced (bulk.c; the rounding rule:
 * src/domain/fees.h), in the order they were given; an invoice already made
 * does not change. A discount is never deleted: it is ended (POST
 * /fee-discounts/{id}/end, with a reason). Every change is audited.
 */
#include "api/fees/fees.h"
#include "api/fees/fees_int.h"

#include <string.h>

#include "api/academic_int.h"
#include "api/app.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "core/clock.h"
#include "core/ids.h"
#include "domain/fees.h"

#define DISCOUNT_COLS "id, student_id, item_id, kind, value, reason, academic_year_id, created_at, ended_at"
enum { D_ID, D_STUDENT, D_ITEM, D_KIND, D_VALUE, D_REASON, D_YEAR, D_CREATED, D_ENDED };

static stmt_t Q_ITEM = STMT("fee_discounts.item", STMT_READ, "SELECT 1 FROM fee_items WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_YEAR = STMT("fee_discounts.year", STMT_READ,
                            "SELECT 1 FROM academic_years WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_INSERT = STMT("fee_discounts.insert", 0,
                              "INSERT INTO fee_discounts (tenant_id, id, student_id, item_id, kind, value, reason,"
                              " academic_year_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
                              " $10)");
static stmt_t Q_ONE = STMT("fee_discounts.one", 0,
                           "SELECT " DISCOUNT_COLS " FROM fee_discounts WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_OF_STUDENT = STMT("fee_discounts.of_student", 0,
                                  "SELECT " DISCOUNT_COLS " FROM fee_discounts WHERE tenant_id = $1 AND student_id = $2"
                                  " ORDER BY created_at, id LIMIT 500");
static stmt_t Q_END = STMT("fee_discounts.end", 0,
                           "UPDATE fee_discounts SET ended_at = $3 WHERE tenant_id = $1 AND id = $2"
                           " AND ended_at IS NULL");

static json_t *discount_json(req_t *r, const db_result_t *res, int row)
{
    return json_pack("{s:s,s:s,s:o,s:s,s:I,s:s,s:o,s:s,s:o}", "id", db_get(res, row, D_ID), "studentId",
                     db_get(res, row, D_STUDENT), "itemId", acad_json_str(db_get(res, row, D_ITEM)), "kind",
                     db_get(res, row, D_KIND), "value", (json_int_t)db_get_int(res, row, D_VALUE), "reason",
                     db_get(res, row, D_REASON), "academicYearId", acad_json_str(db_get(res, row, D_YEAR)),
                     "createdAt", iso_time(&r->arena, db_get_int(res, row, D_CREATED)), "endedAt",
                     json_time_or_null(&r->arena, db_get(res, row, D_ENDED)));
}

static int answer(req_t *r, const char *id, int status)
{
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_ONE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows != 1)
        return res_fail(r, ERR_NOT_FOUND, "No such fee discount.");
    return res_json(r, status, discount_json(r, &res, 0));
}

typedef struct discount_in {
    const char *student, *item, *year, *reason;
    int kind;
    long long value;
} discount_in_t;

static int read_discount(req_t *r, discount_in_t *in)
{
    static const char *const fields[] = {"itemId", "kind", "value", "reason", "academicYearId", NULL};
    body_only_fields(r, fields);
    in->item = body_id(r, "itemId", 0);
    in->year = body_id(r, "academicYearId", 0);
    body_string(r, "reason", 1, 1, 500, &in->reason);
    in->kind = -1;
    body_enum(r, "kind", 1, fees_discount_kind_names, &in->kind);
    if (in->kind == FEES_DISCOUNT_PERCENT)
        body_int(r, "value", 1, 0, 10000, &in->value);
    else
        body_int(r, "value", 1, 0, FEES_AMOUNT_MAX, &in->value);
    if (res_check_fields(r) != 0)
        return -1;
    if (in->item != NULL && school_ref(r, &Q_ITEM, in->item, "fee item", "itemId", NULL) != 1)
        return -1;
    if (in->year != NULL && school_ref(r, &Q_YEAR, in->year, "academic year", "academicYearId", NULL) != 1)
        return -1;
    return 0;
}

int fee_discounts_create(req_t *r)
{
    discount_in_t in = {.student = req_param(r, 0)};
    if (require_id(r, in.student) != 0 || fees_student_currency(r, in.student, NULL) == NULL ||
        read_discount(r, &in) != 0)
        return -1;
    char id[40];
    ids_uuid7(id);
    db_t *db = req_db(r);
    const char *detail = arena_printf(&r->arena, "%s %lld off %s: %s", fees_discount_kind_names[in.kind], in.value,
                                      in.item != NULL ? in.item : "every item", in.reason);
    if (db_begin(db) != 0 ||
        db_exec(db, &Q_INSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT(in.student), DB_TEXT(in.item),
                        DB_TEXT(fees_discount_kind_names[in.kind]), DB_INT(in.value), DB_TEXT(in.reason),
                        DB_TEXT(in.year), DB_TEXT(r->auth.user_id), DB_INT((long long)clock_wall_ms())),
                &r->arena, NULL) != 0 ||
        audit_caller(db, r, "fee_discount.create", "student", in.student, detail) != 0 || db_commit(db) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/students/%s/fee-discounts", in.student));
    return answer(r, id, 201);
}

int fee_discounts_list(req_t *r)
{
    const char *student = req_param(r, 0);
    if (require_id(r, student) != 0 || fees_student_currency(r, student, NULL) == NULL ||
        fees_may_read_student(r, student) != 1)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_OF_STUDENT, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(student)), &r->arena, &res) != 0)
        return db_fail(r, db);
    json_t *items = json_array();
    for (int i = 0; i < res.nrows; i++)
        items = json_push(items, discount_json(r, &res, i));
    return res_json(r, 200, page_result(items, NULL));
}

int fee_discounts_end(req_t *r)
{
    static const char *const fields[] = {"reason", NULL};
    const char *id = req_param(r, 0), *reason = NULL;
    if (require_id(r, id) != 0)
        return -1;
    body_only_fields(r, fields);
    body_string(r, "reason", 1, 1, 500, &reason);
    if (res_check_fields(r) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t one, res;
    if (db_exec(db, &Q_ONE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &one) != 0)
        return db_fail(r, db);
    if (one.nrows != 1)
        return res_fail(r, ERR_NOT_FOUND, "No such fee discount.");
    if (db_begin(db) != 0 ||
        db_exec(db, &Q_END, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_INT((long long)clock_wall_ms())),
                &r->arena, &res) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    if (res.changes == 0) {
        db_rollback(db);
        return res_fail(r, ERR_CONFLICT, "The discount has ended already.");
    }
    if (audit_caller(db, r, "fee_discount.end", "student", db_get(&one, 0, D_STUDENT),
                     arena_printf(&r->arena, "discount %s: %s", id, reason)) != 0 ||
        db_commit(db) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    return answer(r, id, 200);
}
