/*
 * bulk.c - invoicing a fee structure in bulk: POST
 * /fee-structures/{id}/invoice answers 202 with a job ("fees.invoice",
 * payload {structureId}); the job issues one invoice per student with an open
 * enrollment in the structure's class (or a class of its grade level) of its
 * year, per instalment. Each line is an item of the structure: the
 * instalment's share of its amount and of the student's discounts on it
 * (src/domain/fees.h says how the shares and discounts round).
 *
 * Idempotent: the unique key (structure, instalment, student) of invoices
 * makes a second run, or a run again after a crash, create nothing new
 * (INSERT … ON CONFLICT DO NOTHING, never a check then an insert). A student's
 * invoices are written in one transaction, which first takes the structure's
 * row (FOR SHARE on PostgreSQL) and checks its version: a structure changed
 * since the job read it makes the attempt retry with the new figures.
 */
#include "api/fees/fees.h"
#include "api/fees/fees_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/common.h"
#include "api/transfers.h"
#include "auth/audit.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/tz.h"
#include "domain/fees.h"
#include "jobs/jobs.h"

#define MAX_DISCOUNTS 20
#define MAX_STRUCTURE_ITEMS 50

static stmt_t Q_EXISTS = STMT("fees_bulk.exists", 0, "SELECT 1 FROM fee_structures WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_STRUCTURE = STMT("fees_bulk.structure", 0,
                                 "SELECT s.version, s.academic_year_id, s.grade_level, s.class_id, t.currency,"
                                 " t.time_zone FROM fee_structures s JOIN tenants t ON t.id = s.tenant_id"
                                 " WHERE s.tenant_id = $1 AND s.id = $2");
static stmt_t Q_LOCK = STMT2("fees_bulk.lock", 0, "SELECT version FROM fee_structures WHERE tenant_id = $1 AND id = $2",
                             "SELECT version FROM fee_structures WHERE tenant_id = $1 AND id = $2 FOR SHARE");
static stmt_t Q_ITEMS = STMT("fees_bulk.items", 0,
                             "SELECT si.item_id, f.name, si.amount FROM fee_structure_items si JOIN fee_items f"
                             " ON f.tenant_id = si.tenant_id AND f.id = si.item_id"
                             " WHERE si.tenant_id = $1 AND si.structure_id = $2 ORDER BY si.position");
static stmt_t Q_INSTALMENTS = STMT("fees_bulk.instalments", 0,
                                   "SELECT seq, label, due_date, share_bp FROM fee_instalments"
                                   " WHERE tenant_id = $1 AND structure_id = $2 ORDER BY seq");
/* the students with an open enrollment of the year in the class ($3), or in a class of the grade level ($4) */
static stmt_t Q_STUDENTS = STMT("fees_bulk.students", 0,
                                "SELECT DISTINCT e.student_id FROM enrollments e JOIN classes c"
                                " ON c.tenant_id = e.tenant_id AND c.id = e.class_id JOIN students s"
                                " ON s.tenant_id = e.tenant_id AND s.id = e.student_id"
                                " WHERE e.tenant_id = $1 AND e.academic_year_id = $2 AND e.end_date IS NULL"
                                " AND s.deleted_at IS NULL AND (e.class_id = $3 OR ($3 IS NULL AND c.grade_level = $4))"
                                " ORDER BY e.student_id");
static stmt_t Q_DISCOUNTS = STMT("fees_bulk.discounts", 0,
                                 "SELECT item_id, kind, value, reason FROM fee_discounts WHERE tenant_id = $1"
                                 " AND student_id = $2 AND ended_at IS NULL"
                                 " AND (academic_year_id IS NULL OR academic_year_id = $3) ORDER BY created_at, id");
static stmt_t Q_INVOICE = STMT("fees_bulk.invoice", 0,
                               "INSERT INTO invoices (tenant_id, id, student_id, structure_id, instalment_seq,"
                               " currency, state, due_date, total, balance, issued_at, created_by, created_at,"
                               " updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'issued', $7, $8, $8, $9, $10, $9, $9)"
                               " ON CONFLICT DO NOTHING RETURNING id");
static stmt_t Q_LINE = STMT("fees_bulk.line", 0,
                            "INSERT INTO invoice_lines (tenant_id, invoice_id, line_no, item_id, description, amount,"
                            " discount, net) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
static stmt_t Q_LEDGER = STMT("fees_bulk.ledger", 0,
                              "INSERT INTO fee_ledger (tenant_id, id, student_id, kind, amount, occurred_on,"
                              " invoice_id, created_at) VALUES ($1, $2, $3, 'invoice', $4, $5, $6, $7)");

int fee_structures_invoice(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_EXISTS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows != 1)
        return res_fail(r, ERR_NOT_FOUND, "No such fee structure.");
    if (audit_caller(db, r, "fee_structure.invoice", "fee_structure", id, NULL) != 0)
        return db_fail(r, db);
    return transfers_start_job(r, "fees.invoice", json_pack("{s:s}", "structureId", id));
}

/* ---- the job ---- */

typedef struct bulk {
    db_t *db;
    arena_t *a;
    const job_t *job;
    const char *structure_id;
    long long version;
    const char *year_id, *currency, *today;
    db_result_t items, instalments;
    int64_t shares[FEES_MAX_INSTALMENTS];
    const char *student; /* the one being invoiced */
    int students, created, existing, changed;
} bulk_t;

/* The whole discount of the student's discounts on item (in order) off amount into *off, with their reasons. */
static int item_discount(bulk_t *b, const db_result_t *disc, const char *item, int64_t amount, int64_t *off,
                         const char **why)
{
    fees_discount_t d[MAX_DISCOUNTS];
    size_t n = 0;
    *why = NULL;
    for (int i = 0; i < disc->nrows && n < MAX_DISCOUNTS; i++) {
        if (!db_is_null(disc, i, 0) && strcmp(db_get(disc, i, 0), item) != 0)
            continue;
        d[n].kind = (fees_discount_kind_t)fees_discount_kind_parse(db_get(disc, i, 1));
        d[n++].value = db_get_int(disc, i, 2);
        *why = *why == NULL ? db_get(disc, i, 3) : arena_printf(b->a, "%s; %s", *why, db_get(disc, i, 3));
    }
    return fees_line_net(amount, d, n, NULL, off);
}

typedef struct line {
    const char *description;
    int64_t amount, discount;
} line_t;

/* The lines of instalment k for the student with discounts disc into lines[0..items), their sum into *total. */
static int make_lines(bulk_t *b, const db_result_t *disc, int k, line_t *lines, int64_t *total)
{
    *total = 0;
    for (int i = 0; i < b->items.nrows; i++) {
        const char *item = db_get(&b->items, i, 0), *why, *label = db_get(&b->instalments, k, 1);
        int64_t off;
        line_t *l = &lines[i];
        if (item_discount(b, disc, item, db_get_int(&b->items, i, 2), &off, &why) != 0 ||
            fees_instalment_line(db_get_int(&b->items, i, 2), off, b->shares, (size_t)b->instalments.nrows,
                                 (size_t)k, &l->amount, &l->discount) != 0)
            return -1;
        l->description = b->instalments.nrows > 1 ? arena_printf(b->a, "%s, %s", db_get(&b->items, i, 1), label)
                                                    : db_get(&b->items, i, 1);
        if (l->discount > 0)
            l->description = arena_printf(b->a, "%s (less %s)", l->description, why);
        *total += l->amount - l->discount; /* at most MAX_STRUCTURE_ITEMS of FEES_AMOUNT_MAX: no overflow */
    }
    return 0;
}

static int write_lines(bulk_t *b, const char *inv, const line_t *lines)
{
    for (int i = 0; i < b->items.nrows; i++)
        if (db_exec(b->db, &Q_LINE,
                    DB_ARGS(DB_TEXT(b->job->tenant_id), DB_TEXT(inv), DB_INT(i + 1), DB_TEXT(db_get(&b->items, i, 0)),
                            DB_TEXT(lines[i].description), DB_INT(lines[i].amount), DB_INT(lines[i].discount),
                            DB_INT(lines[i].amount - lines[i].discount)),
                    b->a, NULL) != 0)
            return -1;
    return 0;
}

/* Issues instalment k's invoice of the student unless it exists (the unique key decides); 0 or -1. */
static int invoice_instalment(bulk_t *b, const db_result_t *disc, int k)
{
    const char *t = b->job->tenant_id, *owner = b->job->owner_id[0] ? b->job->owner_id : NULL;
    char id[40], lid[40];
    line_t lines[MAX_STRUCTURE_ITEMS];
    int64_t total;
    if (make_lines(b, disc, k, lines, &total) != 0)
        return -1;
    ids_uuid7(id);
    long long now = (long long)clock_wall_ms();
    db_result_t res;
    if (db_exec(b->db, &Q_INVOICE,
                DB_ARGS(DB_TEXT(t), DB_TEXT(id), DB_TEXT(b->student), DB_TEXT(b->structure_id),
                        DB_INT(db_get_int(&b->instalments, k, 0)), DB_TEXT(b->currency),
                        DB_TEXT(db_get(&b->instalments, k, 2)), DB_INT(total), DB_INT(now), DB_TEXT(owner)),
                b->a, &res) != 0)
        return -1;
    if (res.nrows == 0)
        return b->existing++, 0;
    ids_uuid7(lid);
    if (write_lines(b, id, lines) != 0 ||
        db_exec(b->db, &Q_LEDGER,
                DB_ARGS(DB_TEXT(t), DB_TEXT(lid), DB_TEXT(b->student), DB_INT(total), DB_TEXT(b->today), DB_TEXT(id),
                        DB_INT(now)),
                b->a, NULL) != 0)
        return -1;
    audit_event_t e = {.tenant_id = t, .actor_id = owner, .action = "invoice.issue", .subject_type = "invoice",
                       .subject_id = id,
                       .detail = arena_printf(b->a, "%lld, structure %s", (long long)total, b->structure_id)};
    if (audit_record(b->db, NULL, &e) != 0)
        return -1;
    b->created++;
    return 0;
}

static int student_in_tx(db_t *db, void *ctx)
{
    bulk_t *b = ctx;
    int created = b->created, existing = b->existing;
    db_result_t res, disc;
    if (db_exec(db, &Q_LOCK, DB_ARGS(DB_TEXT(b->job->tenant_id), DB_TEXT(b->structure_id)), b->a, &res) != 0)
        return -1;
    if (res.nrows != 1 || db_get_int(&res, 0, 0) != b->version)
        return b->changed = 1, -1;
    if (db_exec(db, &Q_DISCOUNTS, DB_ARGS(DB_TEXT(b->job->tenant_id), DB_TEXT(b->student), DB_TEXT(b->year_id)),
                b->a, &disc) != 0)
        return -1;
    for (int k = 0; k < b->instalments.nrows; k++)
        if (invoice_instalment(b, &disc, k) != 0) {
            b->created = created, b->existing = existing; /* rolled back: counted again on the next attempt */
            return -1;
        }
    return 0;
}

/* Reads the structure, its items and instalments; 0, 1 when there is no such structure (or nothing to bill), -1. */
static int load(bulk_t *b, db_result_t *st)
{
    const char *t = b->job->tenant_id;
    if (db_exec(b->db, &Q_STRUCTURE, DB_ARGS(DB_TEXT(t), DB_TEXT(b->structure_id)), b->a, st) != 0 ||
        (st->nrows == 1 && (db_exec(b->db, &Q_ITEMS, DB_ARGS(DB_TEXT(t), DB_TEXT(b->structure_id)), b->a,
                                    &b->items) != 0 ||
                            db_exec(b->db, &Q_INSTALMENTS, DB_ARGS(DB_TEXT(t), DB_TEXT(b->structure_id)), b->a,
                                    &b->instalments) != 0)))
        return -1;
    if (st->nrows != 1 || b->items.nrows == 0 || b->instalments.nrows == 0 ||
        b->instalments.nrows > FEES_MAX_INSTALMENTS || b->items.nrows > MAX_STRUCTURE_ITEMS)
        return 1;
    b->version = db_get_int(st, 0, 0);
    b->year_id = db_get(st, 0, 1);
    b->currency = db_get(st, 0, 4);
    char *today = arena_alloc(b->a, TZ_DATE_LEN + 1);
    tz_local_date(db_get(st, 0, 5), (int64_t)clock_wall_ms(), today);
    b->today = today;
    for (int k = 0; k < b->instalments.nrows; k++)
        b->shares[k] = db_get_int(&b->instalments, k, 3);
    return 0;
}

/* How a store failure ends an attempt: unreachable or a serialization conflict is worth another. */
static int db_outcome(db_t *db, const char *what, char *reason, size_t reasonlen)
{
    const db_error_t *e = db_error(db);
    snprintf(reason, reasonlen, "%s: the database failed (%s)", what, e->message);
    return e->status == DB_UNAVAILABLE || e->status == DB_RETRY ? JOB_RETRY : JOB_FATAL;
}

/* Invoices every student (their number into b->students); a job outcome. */
static int invoice_all(job_ctx_t *ctx, bulk_t *b, const db_result_t *st, char *reason, size_t reasonlen)
{
    db_result_t students;
    if (db_exec(b->db, &Q_STUDENTS,
                DB_ARGS(DB_TEXT(b->job->tenant_id), DB_TEXT(b->year_id), DB_TEXT(db_get(st, 0, 3)),
                        db_is_null(st, 0, 2) ? DB_NULL : DB_INT(db_get_int(st, 0, 2))),
                b->a, &students) != 0)
        return db_outcome(b->db, "listing the students", reason, reasonlen);
    for (int i = 0; i < students.nrows; i++) {
        if (job_should_stop(ctx)) {
            snprintf(reason, reasonlen, "stopped after %d of %d students", i, students.nrows);
            return JOB_RETRY;
        }
        b->student = db_get(&students, i, 0);
        arena_t *whole = b->a, one; /* what one student's invoices need is freed after them */
        arena_init(&one);
        b->a = &one;
        int rc = db_transaction(b->db, student_in_tx, b);
        b->a = whole;
        arena_destroy(&one);
        if (rc != 0) {
            if (b->changed)
                snprintf(reason, reasonlen, "the structure changed while it was invoiced; again");
            return b->changed ? JOB_RETRY : db_outcome(b->db, "invoicing", reason, reasonlen);
        }
        if (i % 50 == 49 && job_progress(ctx, (i + 1) * 100 / students.nrows) != 0)
            return JOB_RETRY;
    }
    b->students = students.nrows;
    return JOB_DONE;
}

int job_fees_invoice(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen)
{
    arena_t a;
    arena_init(&a);
    bulk_t b = {.db = job_db(ctx), .a = &a, .job = job_current(ctx),
                .structure_id = json_string_value(json_object_get(payload, "structureId"))};
    db_result_t st;
    int rc = b.structure_id == NULL ? 1 : load(&b, &st);
    if (rc != 0) {
        if (rc > 0)
            snprintf(reason, reasonlen, "no such fee structure, or one without items or instalments");
        int outcome = rc > 0 ? JOB_FATAL : db_outcome(b.db, "reading the structure", reason, reasonlen);
        arena_destroy(&a);
        return outcome;
    }
    int outcome = invoice_all(ctx, &b, &st, reason, reasonlen);
    if (outcome == JOB_DONE) {
        *result = json_pack("{s:s,s:i,s:i,s:i}", "structureId", b.structure_id, "students", b.students, "created",
                            b.created, "existing", b.existing);
        if (*result == NULL) {
            snprintf(reason, reasonlen, "out of memory");
            outcome = JOB_RETRY;
        }
    }
    arena_destroy(&a);
    return outcome;
}
