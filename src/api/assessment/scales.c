/*
 * scales.c - /grading-scales: a school's scales of bands (from a percentage
 * up: a label, a descriptor, a grade point), one of them the default.
 * Scales are created, never changed: a published term keeps the scale it was
 * published with, so no edit can alter published grades.
 */
#include "api/assessment/assessment.h"
#include "api/assessment/assessment_int.h"

#include <string.h>

#include "api/common.h"
#include "api/validate.h"
#include "core/clock.h"
#include "core/ids.h"
#include "domain/grading.h"

#define MAX_BANDS 20

static stmt_t Q_UNSET_DEFAULT =
    STMT2("scales.unset_default", 0, "UPDATE grading_scales SET is_default = 0 WHERE tenant_id = $1 AND is_default = 1",
          "UPDATE grading_scales SET is_default = false WHERE tenant_id = $1 AND is_default");
static stmt_t Q_INSERT = STMT2("scales.insert", 0,
                               "INSERT INTO grading_scales (tenant_id, id, name, is_default, created_at, updated_at)"
                               " VALUES ($1, $2, $3, $4, $5, $5)",
                               "INSERT INTO grading_scales (tenant_id, id, name, is_default, created_at, updated_at)"
                               " VALUES ($1, $2, $3, $4::int <> 0, $5, $5)");
static stmt_t Q_BAND = STMT("scales.band", 0,
                            "INSERT INTO grading_scale_bands (tenant_id, scale_id, min_bp, label, descriptor, points)"
                            " VALUES ($1, $2, $3, $4, $5, $6)");
#define SCALE_COLS "g.id, g.name, CASE WHEN g.is_default THEN 1 ELSE 0 END, g.version, g.created_at, g.updated_at"
static stmt_t Q_LIST = STMT("scales.list", STMT_READ,
                            "SELECT " SCALE_COLS " FROM grading_scales g WHERE g.tenant_id = $1"
                            " AND (g.name, g.id) > ($2, $3) ORDER BY g.name, g.id LIMIT $4");
static stmt_t Q_LIST_FIRST = STMT("scales.list_first", STMT_READ,
                                  "SELECT " SCALE_COLS " FROM grading_scales g WHERE g.tenant_id = $1"
                                  " ORDER BY g.name, g.id LIMIT $2");
static stmt_t Q_BANDS = STMT("scales.bands", STMT_READ,
                             "SELECT scale_id, min_bp, label, descriptor, points FROM grading_scale_bands"
                             " WHERE tenant_id = $1 ORDER BY scale_id, min_bp DESC");

typedef struct scale_in {
    const char *name;
    int is_default;
    grade_band_t bands[MAX_BANDS];
    size_t nbands;
} scale_in_t;

/* Reads bands[i] (r->json) into its slot; body_array() prefixes the errors. */
static void read_band(req_t *r, size_t i, void *ctx)
{
    static const char *const fields[] = {"minPercent", "label", "descriptor", "gradePoint", NULL};
    grade_band_t *b = &((grade_band_t *)ctx)[i];
    body_only_fields(r, fields);
    int64_t min = -1, points = -1;
    if (asm_hundredths(r, "minPercent", json_object_get(r->json, "minPercent"), 10000, &min) == 0)
        res_field_error(r, "minPercent", "is required");
    b->min_bp = min;
    body_string(r, "label", 1, 1, 40, &b->label);
    body_string(r, "descriptor", 0, 1, 200, &b->descriptor);
    asm_hundredths(r, "gradePoint", json_object_get(r->json, "gradePoint"), 1000, &points);
    b->points = points;
}

static int read_scale(req_t *r, scale_in_t *in)
{
    static const char *const fields[] = {"name", "isDefault", "bands", NULL};
    body_only_fields(r, fields);
    body_string(r, "name", 1, 1, 100, &in->name);
    in->is_default = 0;
    body_bool(r, "isDefault", 0, &in->is_default);
    int n = body_array(r, "bands", 1, MAX_BANDS, "{minPercent, label, descriptor, gradePoint}", read_band, in->bands);
    if (n < 0 || res_check_fields(r) != 0)
        return res_check_fields(r);
    in->nbands = (size_t)n;
    int bad = grade_scale_check(in->bands, (size_t)n);
    if (bad == -1 - n)
        res_field_error(r, "bands", "must have a band from 0 (every percentage needs a grade)");
    else if (bad != 0)
        res_field_error(r, arena_printf(&r->arena, "bands[%d].minPercent", -1 - bad),
                        "is the start of another band already");
    return res_check_fields(r);
}

typedef struct creating {
    req_t *r;
    const scale_in_t *in;
    const char *id;
    int duplicate;
} creating_t;

static int create_in_tx(db_t *db, void *ctx)
{
    creating_t *c = ctx;
    req_t *r = c->r;
    if (c->in->is_default &&
        db_exec(db, &Q_UNSET_DEFAULT, DB_ARGS(DB_TEXT(r->auth.tenant_id)), &r->arena, NULL) != 0)
        return -1;
    if (db_exec(db, &Q_INSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(c->id), DB_TEXT(c->in->name), DB_INT(c->in->is_default),
                        DB_INT(clock_wall_ms())),
                &r->arena, NULL) != 0) {
        c->duplicate = db_error(db)->status == DB_UNIQUE;
        return -1;
    }
    for (size_t i = 0; i < c->in->nbands; i++) {
        const grade_band_t *b = &c->in->bands[i];
        if (db_exec(db, &Q_BAND,
                    DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(c->id), DB_INT(b->min_bp), DB_TEXT(b->label),
                            DB_TEXT(b->descriptor), b->points >= 0 ? DB_INT(b->points) : DB_NULL),
                    &r->arena, NULL) != 0)
            return -1;
    }
    return asm_audit(r, db, "gradingScale.create", "gradingScale", c->id, c->in->name);
}

static json_t *band_json(const db_result_t *res, int row)
{
    const char *descriptor = db_get(res, row, 3);
    return json_pack("{s:o,s:s,s:o,s:o}", "minPercent", asm_number(db_get_int(res, row, 1)), "label",
                     db_get(res, row, 2), "descriptor", descriptor != NULL ? json_string(descriptor) : json_null(),
                     "gradePoint", db_is_null(res, row, 4) ? json_null() : asm_number(db_get_int(res, row, 4)));
}

/* The scale of row `row` of a SCALE_COLS result with its bands (from a Q_BANDS result), highest first. */
static json_t *scale_json(req_t *r, const db_result_t *res, int row, const db_result_t *bands)
{
    json_t *list = json_array();
    for (int i = 0; i < bands->nrows; i++)
        if (strcmp(db_get(bands, i, 0), db_get(res, row, 0)) == 0)
            list = json_push(list, band_json(bands, i));
    return json_pack("{s:s,s:s,s:b,s:o,s:I,s:s,s:s}", "id", db_get(res, row, 0), "name", db_get(res, row, 1),
                     "isDefault", (int)db_get_int(res, row, 2), "bands", list, "version",
                     (json_int_t)db_get_int(res, row, 3), "createdAt", iso_time(&r->arena, db_get_int(res, row, 4)),
                     "updatedAt", iso_time(&r->arena, db_get_int(res, row, 5)));
}

int grading_scales_create(req_t *r)
{
    scale_in_t in;
    memset(&in, 0, sizeof(in));
    if (read_scale(r, &in) != 0)
        return -1;
    char id[40];
    ids_uuid7(id);
    creating_t c = {r, &in, id, 0};
    db_t *db = req_db(r);
    if (db_transaction(db, create_in_tx, &c) != 0) {
        if (c.duplicate)
            return duplicate(r, "name", arena_printf(&r->arena, "a grading scale named %s exists already", in.name));
        return r->err.code != ERR_NONE ? -1 : db_fail(r, db);
    }
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/grading-scales/%s", id));
    db_result_t res, bands;
    static stmt_t Q_ONE = STMT("scales.one", 0,
                               "SELECT " SCALE_COLS " FROM grading_scales g WHERE g.tenant_id = $1 AND g.id = $2");
    if (db_exec(db, &Q_ONE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &res) != 0 ||
        db_exec(db, &Q_BANDS, DB_ARGS(DB_TEXT(r->auth.tenant_id)), &r->arena, &bands) != 0)
        return db_fail(r, db);
    return res_json(r, 201, scale_json(r, &res, 0, &bands));
}

int grading_scales_list(req_t *r)
{
    page_t page;
    if (page_read(r, &page) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res, bands;
    int rc = page.has_cursor ? db_exec(db, &Q_LIST,
                                       DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(page.key), DB_TEXT(page.id),
                                               DB_INT(page.limit + 1)),
                                       &r->arena, &res)
                             : db_exec(db, &Q_LIST_FIRST, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_INT(page.limit + 1)),
                                       &r->arena, &res);
    if (rc != 0 || db_exec(db, &Q_BANDS, DB_ARGS(DB_TEXT(r->auth.tenant_id)), &r->arena, &bands) != 0)
        return db_fail(r, db);
    json_t *items = json_array();
    int n = res.nrows < page.limit ? res.nrows : page.limit;
    for (int i = 0; i < n; i++)
        items = json_push(items, scale_json(r, &res, i, &bands));
    const char *next = res.nrows > page.limit ? page_cursor(&r->arena, db_get(&res, n - 1, 1), db_get(&res, n - 1, 0))
                                              : NULL;
    return res_json(r, 200, page_result(items, next));
}
