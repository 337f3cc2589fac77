/*
 * structures.c - /fee-structures: what the students of a grade level (or of
 * one class) of an academic year are billed: items (each with its amount,
 * copied from the item or given) and instalments (a label, a due date and a
 * share in basis points; the shares add up to 10000). A structure that has
 * invoiced is frozen: PATCH answers 409 and the school makes another
 * structure (docs/DECISIONS.md); until then PATCH (If-Match) replaces its
 * name, items or instalments. Bulk invoicing: bulk.c. Audited.
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

#define MAX_ITEMS 50

#define STRUCT_COLS                                                                                              \
    "s.id, s.name, s.academic_year_id, s.grade_level, s.class_id, s.version, s.created_at, s.updated_at,"       \
    " t.currency, CASE WHEN EXISTS (SELECT 1 FROM invoices i WHERE i.tenant_id = s.tenant_id"     \
    " AND i.structure_id = s.id) THEN 1 ELSE 0 END"
enum { S_ID, S_NAME, S_YEAR, S_GRADE, S_CLASS, S_VERSION, S_CREATED, S_UPDATED, S_CURRENCY, S_INVOICED };

static stmt_t Q_GET = STMT("fee_structures.get", 0,
                           "SELECT " STRUCT_COLS " FROM fee_structures s JOIN tenants t ON t.id = s.tenant_id"
                           " WHERE s.tenant_id = $1 AND s.id = $2");
static stmt_t Q_LOCK = STMT2("fee_structures.lock", 0,
                             "SELECT version FROM fee_structures WHERE tenant_id = $1 AND id = $2",
                             "SELECT version FROM fee_structures WHERE tenant_id = $1 AND id = $2 FOR UPDATE");
static stmt_t Q_INVOICED = STMT("fee_structures.invoiced", 0,
                                "SELECT 1 FROM invoices WHERE tenant_id = $1 AND structure_id = $2 LIMIT 1");
static stmt_t Q_LIST = STMT("fee_structures.list", STMT_READ,
                            "SELECT " STRUCT_COLS " FROM fee_structures s JOIN tenants t ON t.id = s.tenant_id"
                            " WHERE s.tenant_id = $1 AND (s.academic_year_id = $2 OR $2 IS NULL)"
                            " AND ((s.name, s.id) > ($3, $4) OR $3 IS NULL) ORDER BY s.name, s.id LIMIT $5");
static stmt_t Q_ITEMS = STMT("fee_structures.items", 0,
                             "SELECT si.item_id, f.name, si.amount FROM fee_structure_items si JOIN fee_items f"
                             " ON f.tenant_id = si.tenant_id AND f.id = si.item_id"
                             " WHERE si.tenant_id = $1 AND si.structure_id = $2 ORDER BY si.position");
static stmt_t Q_INSTALMENTS = STMT("fee_structures.instalments", 0,
                                   "SELECT seq, label, due_date, share_bp FROM fee_instalments"
                                   " WHERE tenant_id = $1 AND structure_id = $2 ORDER BY seq");
static stmt_t Q_INSERT = STMT("fee_structures.insert", 0,
                              "INSERT INTO fee_structures (tenant_id, id, name, academic_year_id, grade_level,"
                              " class_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)");
static stmt_t Q_UPDATE = STMT("fee_structures.update", 0,
                              "UPDATE fee_structures SET name = COALESCE($4, name), version = version + 1,"
                              " updated_at = $5 WHERE tenant_id = $1 AND id = $2 AND version = $3");
static stmt_t Q_DEL_ITEMS = STMT("fee_structures.del_items", 0,
                                 "DELETE FROM fee_structure_items WHERE tenant_id = $1 AND structure_id = $2");
static stmt_t Q_DEL_INSTALMENTS = STMT("fee_structures.del_instalments", 0,
                                       "DELETE FROM fee_instalments WHERE tenant_id = $1 AND structure_id = $2");
static stmt_t Q_ADD_ITEM = STMT("fee_structures.add_item", 0,
                                "INSERT INTO fee_structure_items (tenant_id, structure_id, item_id, amount, position)"
                                " VALUES ($1, $2, $3, $4, $5)");
static stmt_t Q_ADD_INSTALMENT = STMT("fee_structures.add_instalment", 0,
                                      "INSERT INTO fee_instalments (tenant_id, structure_id, seq, label, due_date,"
                                      " share_bp) VALUES ($1, $2, $3, $4, $5, $6)");
static stmt_t Q_ITEM = STMT("fee_structures.item", 0, "SELECT amount FROM fee_items WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_YEAR = STMT("fee_structures.year", STMT_READ,
                            "SELECT 1 FROM academic_years WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_CLASS = STMT("fee_structures.class", STMT_READ,
                             "SELECT academic_year_id FROM classes WHERE tenant_id = $1 AND id = $2");

typedef struct item_in {
    const char *id;
    long long amount; /* -1: the item's */
} item_in_t;

typedef struct instalment_in {
    const char *label;
    const char *due_date;
    long long share_bp;
} instalment_in_t;

typedef struct structure_in {
    const char *name;
    const char *year_id;
    long long grade; /* -1: none */
    const char *class_id;
    item_in_t items[MAX_ITEMS];
    int nitems; /* -1: not given (PATCH) */
    instalment_in_t instalments[FEES_MAX_INSTALMENTS];
    int ninstalments; /* -1: not given (PATCH) */
} structure_in_t;

/* ---- reading ---- */

static json_t *items_json(const db_result_t *res)
{
    json_t *a = json_array();
    for (int i = 0; i < res->nrows; i++)
        a = json_push(a, json_pack("{s:s,s:s,s:I}", "itemId", db_get(res, i, 0), "name", db_get(res, i, 1), "amount",
                                   (json_int_t)db_get_int(res, i, 2)));
    return a;
}

static json_t *instalments_json(const db_result_t *res)
{
    json_t *a = json_array();
    for (int i = 0; i < res->nrows; i++)
        a = json_push(a, json_pack("{s:I,s:s,s:s,s:I}", "seq", (json_int_t)db_get_int(res, i, 0), "label",
                                   db_get(res, i, 1), "dueDate", db_get(res, i, 2), "shareBp",
                                   (json_int_t)db_get_int(res, i, 3)));
    return a;
}

static json_t *nullable_int(const db_result_t *res, int row, int col)
{
    return db_is_null(res, row, col) ? json_null() : json_integer(db_get_int(res, row, col));
}

/* The structure of row `row` of a STRUCT_COLS result, with its items and instalments (read here). */
static json_t *structure_json(req_t *r, const db_result_t *s, int row)
{
    db_t *db = req_db(r);
    db_result_t items, inst;
    const char *id = db_get(s, row, S_ID);
    if (db_exec(db, &Q_ITEMS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &items) != 0 ||
        db_exec(db, &Q_INSTALMENTS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &inst) != 0)
        return NULL;
    int64_t total = 0;
    for (int i = 0; i < items.nrows; i++)
        total += db_get_int(&items, i, 2); /* at most MAX_ITEMS of FEES_AMOUNT_MAX: no overflow */
    return json_pack("{s:s,s:s,s:s,s:o,s:o,s:s,s:I,s:o,s:o,s:b,s:I,s:s,s:s}", "id", id, "name", db_get(s, row, S_NAME),
                     "academicYearId", db_get(s, row, S_YEAR), "gradeLevel", nullable_int(s, row, S_GRADE), "classId",
                     acad_json_str(db_get(s, row, S_CLASS)), "currency", db_get(s, row, S_CURRENCY), "total",
                     (json_int_t)total, "items", items_json(&items), "instalments", instalments_json(&inst),
                     "invoiced", db_get_int(s, row, S_INVOICED) != 0, "version",
                     (json_int_t)db_get_int(s, row, S_VERSION), "createdAt",
                     iso_time(&r->arena, db_get_int(s, row, S_CREATED)), "updatedAt",
                     iso_time(&r->arena, db_get_int(s, row, S_UPDATED)));
}

static int load_structure(req_t *r, const char *id, db_result_t *res)
{
    db_t *db = req_db(r);
    if (db_exec(db, &Q_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, res) != 0)
        return db_fail(r, db);
    return res->nrows == 1 ? 0 : res_fail(r, ERR_NOT_FOUND, "No such fee structure.");
}

static int answer_structure(req_t *r, const char *id, int status)
{
    db_result_t res;
    if (load_structure(r, id, &res) != 0)
        return -1;
    json_t *doc = structure_json(r, &res, 0);
    if (doc == NULL)
        return db_fail(r, req_db(r));
    set_etag(r, db_get_int(&res, 0, S_VERSION));
    return res_json(r, status, doc);
}

int fee_structures_get(req_t *r)
{
    const char *id = req_param(r, 0);
    return require_id(r, id) != 0 ? -1 : answer_structure(r, id, 200);
}

int fee_structures_list(req_t *r)
{
    page_t page;
    if (page_read(r, &page) != 0)
        return -1;
    const char *year = query_id(r, "academicYearId", 0);
    if (res_check_fields(r) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_LIST,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(year), page_key_arg(r, &page, 0), page_id_arg(&page),
                        DB_INT(page.limit + 1)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    return res_json(r, 200, page_json(r, &res, page.limit, structure_json, S_NAME, NULL));
}

/* ---- the body ---- */

static void read_item(req_t *r, size_t i, void *ctx)
{
    static const char *const fields[] = {"itemId", "amount", NULL};
    item_in_t *it = &((item_in_t *)ctx)[i];
    body_only_fields(r, fields);
    it->id = body_id(r, "itemId", 1);
    it->amount = -1;
    body_int(r, "amount", 0, 0, FEES_AMOUNT_MAX, &it->amount);
}

static void read_instalment(req_t *r, size_t i, void *ctx)
{
    static const char *const fields[] = {"label", "dueDate", "shareBp", NULL};
    instalment_in_t *in = &((instalment_in_t *)ctx)[i];
    body_only_fields(r, fields);
    body_string(r, "label", 1, 1, 100, &in->label);
    body_date(r, "dueDate", 1, &in->due_date);
    body_int(r, "shareBp", 1, 1, 10000, &in->share_bp);
}

/* The lists of the body (each may be absent unless required); checks what needs no database. */
static void read_lists(req_t *r, structure_in_t *in, int required)
{
    in->nitems = in->ninstalments = -1;
    if (required || json_object_get(r->json, "items") != NULL)
        in->nitems = body_array(r, "items", 1, MAX_ITEMS, "{itemId, amount}", read_item, in->items);
    if (required || json_object_get(r->json, "instalments") != NULL)
        in->ninstalments = body_array(r, "instalments", 1, FEES_MAX_INSTALMENTS, "{label, dueDate, shareBp}",
                                      read_instalment, in->instalments);
    if (res_check_fields(r) != 0)
        return;
    for (int i = 0; i < in->nitems; i++)
        for (int k = 0; k < i; k++)
            if (strcmp(in->items[i].id, in->items[k].id) == 0)
                res_field_error(r, arena_printf(&r->arena, "items[%d].itemId", i), "names an item twice");
    long long shares = 0;
    for (int i = 0; i < in->ninstalments; i++)
        shares += in->instalments[i].share_bp;
    if (in->ninstalments > 0 && shares != 10000)
        res_field_error(r, "instalments", "shares (shareBp) must add up to 10000, not %lld", shares);
}

/* Checks the items of the body are the school's and fills in their amounts; 0, or -1 answered (404). */
static int resolve_items(req_t *r, structure_in_t *in)
{
    for (int i = 0; i < in->nitems; i++) {
        db_result_t res;
        const char *field = arena_printf(&r->arena, "items[%d].itemId", i);
        if (school_ref(r, &Q_ITEM, in->items[i].id, "fee item", field, &res) != 1)
            return -1;
        if (in->items[i].amount < 0)
            in->items[i].amount = db_get_int(&res, 0, 0);
    }
    return 0;
}

/* ---- writing ---- */

typedef struct writing {
    req_t *r;
    structure_in_t *in;
    const char *id;
    long long version; /* PATCH: the version read; 0 when creating */
    int frozen;        /* out: it has invoiced */
    int missing;       /* out: no such structure */
    int stale;         /* out: changed since read */
} writing_t;

static int write_lists(db_t *db, writing_t *w)
{
    req_t *r = w->r;
    const char *t = r->auth.tenant_id;
    structure_in_t *in = w->in;
    if (in->nitems >= 0 &&
        db_exec(db, &Q_DEL_ITEMS, DB_ARGS(DB_TEXT(t), DB_TEXT(w->id)), &r->arena, NULL) != 0)
        return -1;
    for (int i = 0; i < in->nitems; i++)
        if (db_exec(db, &Q_ADD_ITEM,
                    DB_ARGS(DB_TEXT(t), DB_TEXT(w->id), DB_TEXT(in->items[i].id), DB_INT(in->items[i].amount),
                            DB_INT(i + 1)),
                    &r->arena, NULL) != 0)
            return -1;
    if (in->ninstalments >= 0 &&
        db_exec(db, &Q_DEL_INSTALMENTS, DB_ARGS(DB_TEXT(t), DB_TEXT(w->id)), &r->arena, NULL) != 0)
        return -1;
    for (int i = 0; i < in->ninstalments; i++) {
        const instalment_in_t *s = &in->instalments[i];
        if (db_exec(db, &Q_ADD_INSTALMENT,
                    DB_ARGS(DB_TEXT(t), DB_TEXT(w->id), DB_INT(i + 1), DB_TEXT(s->label), DB_TEXT(s->due_date),
                            DB_INT(s->share_bp)),
                    &r->arena, NULL) != 0)
            return -1;
    }
    return 0;
}

static int create_in_tx(db_t *db, void *ctx)
{
    writing_t *w = ctx;
    req_t *r = w->r;
    const structure_in_t *in = w->in;
    if (db_exec(db, &Q_INSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(w->id), DB_TEXT(in->name), DB_TEXT(in->year_id),
                        in->grade >= 0 ? DB_INT(in->grade) : DB_NULL, DB_TEXT(in->class_id),
                        DB_INT((long long)clock_wall_ms())),
                &r->arena, NULL) != 0 ||
        write_lists(db, w) != 0)
        return -1;
    return audit_caller(db, r, "fee_structure.create", "fee_structure", w->id, in->name);
}

static int update_in_tx(db_t *db, void *ctx)
{
    writing_t *w = ctx;
    req_t *r = w->r;
    const char *t = r->auth.tenant_id;
    db_result_t res;
    w->frozen = w->missing = w->stale = 0;
    if (db_exec(db, &Q_LOCK, DB_ARGS(DB_TEXT(t), DB_TEXT(w->id)), &r->arena, &res) != 0)
        return -1;
    if (res.nrows != 1)
        return w->missing = 1, -1;
    if (db_get_int(&res, 0, 0) != w->version)
        return w->stale = 1, -1;
    if (db_exec(db, &Q_INVOICED, DB_ARGS(DB_TEXT(t), DB_TEXT(w->id)), &r->arena, &res) != 0)
        return -1;
    if (res.nrows > 0)
        return w->frozen = 1, -1;
    if (db_exec(db, &Q_UPDATE,
                DB_ARGS(DB_TEXT(t), DB_TEXT(w->id), DB_INT(w->version), DB_TEXT(w->in->name),
                        DB_INT((long long)clock_wall_ms())),
                &r->arena, &res) != 0 ||
        write_lists(db, w) != 0)
        return -1;
    return audit_caller(db, r, "fee_structure.update", "fee_structure", w->id, w->in->name);
}

static int write_failed(req_t *r, db_t *db, const writing_t *w)
{
    if (w->missing)
        return res_fail(r, ERR_NOT_FOUND, "No such fee structure.");
    if (w->stale)
        return stale_write(r, "fee structure");
    if (w->frozen)
        return res_fail(r, ERR_CONFLICT, "The structure has invoiced: it is frozen. Make a new structure instead.");
    if (r->err.code != ERR_NONE)
        return -1;
    return acad_write_failed(r, db, "name",
                             arena_printf(&r->arena, "fee structure name %s is already used in the year",
                                          w->in->name != NULL ? w->in->name : ""),
                             NULL);
}

/* Checks the year and the class (a class of that year); 0, or -1 answered. */
static int check_scope(req_t *r, structure_in_t *in)
{
    if (json_object_get(r->json, "gradeLevel") != NULL && json_object_get(r->json, "classId") != NULL)
        res_field_error(r, "gradeLevel", "give a grade level or a class, not both");
    else if (in->grade < 0 && in->class_id == NULL && res_check_fields(r) == 0)
        res_field_error(r, "classId", "a class (or a gradeLevel) is required");
    if (res_check_fields(r) != 0 || school_ref(r, &Q_YEAR, in->year_id, "academic year", "academicYearId", NULL) != 1)
        return -1;
    db_result_t cls;
    if (in->class_id == NULL)
        return 0;
    if (school_ref(r, &Q_CLASS, in->class_id, "class", "classId", &cls) != 1)
        return -1;
    if (strcmp(db_get(&cls, 0, 0), in->year_id) != 0) {
        res_field_error(r, "classId", "is a class of another academic year");
        return res_check_fields(r);
    }
    return 0;
}

int fee_structures_create(req_t *r)
{
    static const char *const fields[] = {"name", "academicYearId", "gradeLevel", "classId", "items", "instalments",
                                         NULL};
    structure_in_t *in = arena_calloc(&r->arena, sizeof(*in));
    if (in == NULL)
        return res_fail(r, ERR_INTERNAL, "out of memory");
    body_only_fields(r, fields);
    body_string(r, "name", 1, 1, 100, &in->name);
    in->year_id = body_id(r, "academicYearId", 1);
    in->grade = -1;
    body_int(r, "gradeLevel", 0, 0, 13, &in->grade);
    in->class_id = body_id(r, "classId", 0);
    read_lists(r, in, 1);
    if (res_check_fields(r) != 0 || check_scope(r, in) != 0 || resolve_items(r, in) != 0)
        return -1;
    char id[40];
    ids_uuid7(id);
    writing_t w = {.r = r, .in = in, .id = id};
    db_t *db = req_db(r);
    if (db_transaction(db, create_in_tx, &w) != 0)
        return write_failed(r, db, &w);
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/fee-structures/%s", id));
    return answer_structure(r, id, 201);
}

int fee_structures_update(req_t *r)
{
    static const char *const fields[] = {"name", "items", "instalments", NULL};
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    structure_in_t *in = arena_calloc(&r->arena, sizeof(*in));
    if (in == NULL)
        return res_fail(r, ERR_INTERNAL, "out of memory");
    body_only_fields(r, fields);
    body_string(r, "name", 0, 1, 100, &in->name);
    read_lists(r, in, 0);
    db_result_t cur;
    if (res_check_fields(r) != 0 || load_structure(r, id, &cur) != 0)
        return -1;
    writing_t w = {.r = r, .in = in, .id = id, .version = db_get_int(&cur, 0, S_VERSION)};
    if (if_match(r, w.version, "fee structure") != 0)
        return -1;
    if (patch_is_empty(r))
        return answer_structure(r, id, 200);
    if (resolve_items(r, in) != 0)
        return -1;
    db_t *db = req_db(r);
    if (db_transaction(db, update_in_tx, &w) != 0)
        return write_failed(r, db, &w);
    return answer_structure(r, id, 200);
}
