/*
 * items.c - /fee-items: what a school charges for (tuition, transport,
 * meals, …), each with a name unique in the school and an amount in integer
 * minor units of the school's currency. A structure copies an item's amount
 * when the item is added to it (or takes another): changing an item changes
 * no structure and no invoice. Versioned: PATCH takes If-Match. Audited.
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

#define ITEM_COLS "f.id, f.name, f.description, f.amount, f.version, f.created_at, f.updated_at, t.currency"
enum { F_ID, F_NAME, F_DESC, F_AMOUNT, F_VERSION, F_CREATED, F_UPDATED, F_CURRENCY };

static stmt_t Q_GET = STMT("fee_items.get", STMT_READ,
                           "SELECT " ITEM_COLS " FROM fee_items f JOIN tenants t ON t.id = f.tenant_id"
                           " WHERE f.tenant_id = $1 AND f.id = $2");
static stmt_t Q_INSERT = STMT("fee_items.insert", 0,
                              "INSERT INTO fee_items (tenant_id, id, name, description, amount, created_at,"
                              " updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)");
static stmt_t Q_UPDATE = STMT("fee_items.update", 0,
                              "UPDATE fee_items SET name = $4, description = $5, amount = $6, version = version + 1,"
                              " updated_at = $7 WHERE tenant_id = $1 AND id = $2 AND version = $3");
static stmt_t Q_LIST = STMT("fee_items.list", STMT_READ,
                            "SELECT " ITEM_COLS " FROM fee_items f JOIN tenants t ON t.id = f.tenant_id"
                            " WHERE f.tenant_id = $1 AND ((f.name, f.id) > ($2, $3) OR $2 IS NULL)"
                            " ORDER BY f.name, f.id LIMIT $4");

static json_t *item_json(req_t *r, const db_result_t *res, int row)
{
    return json_pack("{s:s,s:s,s:o,s:I,s:s,s:I,s:s,s:s}", "id", db_get(res, row, F_ID), "name",
                     db_get(res, row, F_NAME), "description", acad_json_str(db_get(res, row, F_DESC)), "amount",
                     (json_int_t)db_get_int(res, row, F_AMOUNT), "currency", db_get(res, row, F_CURRENCY), "version",
                     (json_int_t)db_get_int(res, row, F_VERSION), "createdAt",
                     iso_time(&r->arena, db_get_int(res, row, F_CREATED)), "updatedAt",
                     iso_time(&r->arena, db_get_int(res, row, F_UPDATED)));
}

static int load_item(req_t *r, const char *id, db_result_t *res)
{
    db_t *db = req_db(r);
    if (db_exec(db, &Q_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, res) != 0)
        return db_fail(r, db);
    return res->nrows == 1 ? 0 : res_fail(r, ERR_NOT_FOUND, "No such fee item.");
}

static int answer_item(req_t *r, const char *id, int status)
{
    db_result_t res;
    if (load_item(r, id, &res) != 0)
        return -1;
    set_etag(r, db_get_int(&res, 0, F_VERSION));
    return res_json(r, status, item_json(r, &res, 0));
}

static void read_item(req_t *r, int required, const char **name, const char **description, long long *amount)
{
    static const char *const fields[] = {"name", "description", "amount", NULL};
    body_only_fields(r, fields);
    body_string(r, "name", required, 1, 100, name);
    body_string(r, "description", 0, 1, 500, description);
    body_int(r, "amount", required, 0, FEES_AMOUNT_MAX, amount);
}

static const char *taken(req_t *r, const char *name)
{
    return arena_printf(&r->arena, "fee item name %s is already used", name);
}

int fee_items_create(req_t *r)
{
    const char *name = NULL, *description = NULL;
    long long amount = -1;
    read_item(r, 1, &name, &description, &amount);
    if (res_check_fields(r) != 0)
        return -1;
    char id[40];
    ids_uuid7(id);
    db_t *db = req_db(r);
    long long now = (long long)clock_wall_ms();
    if (db_begin(db) != 0 ||
        db_exec(db, &Q_INSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT(name), DB_TEXT(description), DB_INT(amount),
                        DB_INT(now)),
                &r->arena, NULL) != 0)
        return acad_write_failed(r, db, "name", taken(r, name), NULL);
    if (audit_caller(db, r, "fee_item.create", "fee_item", id, arena_printf(&r->arena, "%lld", amount)) != 0 ||
        db_commit(db) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/fee-items/%s", id));
    return answer_item(r, id, 201);
}

int fee_items_list(req_t *r)
{
    page_t page;
    if (page_read(r, &page) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_LIST,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), page_key_arg(r, &page, 0), page_id_arg(&page),
                        DB_INT(page.limit + 1)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    return res_json(r, 200, page_json(r, &res, page.limit, item_json, F_NAME, NULL));
}

int fee_items_get(req_t *r)
{
    const char *id = req_param(r, 0);
    return require_id(r, id) != 0 ? -1 : answer_item(r, id, 200);
}

int fee_items_update(req_t *r)
{
    const char *id = req_param(r, 0), *name = NULL, *description = NULL;
    long long amount = -1;
    if (require_id(r, id) != 0)
        return -1;
    read_item(r, 0, &name, &description, &amount);
    db_result_t cur, res;
    if (res_check_fields(r) != 0 || load_item(r, id, &cur) != 0)
        return -1;
    long long version = db_get_int(&cur, 0, F_VERSION);
    if (if_match(r, version, "fee item") != 0)
        return -1;
    if (patch_is_empty(r))
        return answer_item(r, id, 200);
    if (description == NULL && !acad_body_null(r, "description"))
        description = db_get(&cur, 0, F_DESC);
    name = name != NULL ? name : db_get(&cur, 0, F_NAME);
    amount = amount >= 0 ? amount : db_get_int(&cur, 0, F_AMOUNT);
    db_t *db = req_db(r);
    if (db_begin(db) != 0 ||
        db_exec(db, &Q_UPDATE,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_INT(version), DB_TEXT(name), DB_TEXT(description),
                        DB_INT(amount), DB_INT((long long)clock_wall_ms())),
                &r->arena, &res) != 0)
        return acad_write_failed(r, db, "name", taken(r, name), NULL);
    if (res.changes == 0) {
        db_rollback(db);
        return stale_write(r, "fee item");
    }
    if (audit_caller(db, r, "fee_item.update", "fee_item", id, arena_printf(&r->arena, "%lld", amount)) != 0 ||
        db_commit(db) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    return answer_item(r, id, 200);
}
