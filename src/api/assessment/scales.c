/*
 * scales.c - /grading-scales: a school's scales of bands (from a percentage
 * up: a label, a descriptor, a grade point), one of them the default.
 * A scale is a versioned record (GET, PATCH and DELETE with If-Match): its
 * name and default flag may change at any time, its bands only while no
 * term's grades were published with it (409 naming the term), so no edit can
 * alter a published grade; a published-with or default scale is never
 * deleted. Writes lock the school's scales (asm_lock_scales()), so the one
 * default moves in one transaction and no publication slips in between a
 * check and a write.
 */
#include "api/assessment/assessment.h"
#include "api/assessment/assessment_int.h"

#include <string.h>

#include "api/common.h"
#include "api/validate.h"
#include "auth/policy.h"
#include "core/clock.h"
#include "core/ids.h"
#include "domain/grading.h"

#define MAX_BANDS 20

/* un-marks the default scale (but $3): its isDefault changes, so does its version */
static stmt_t Q_UNSET_DEFAULT =
    STMT2("scales.unset_default", 0,
          "UPDATE grading_scales SET is_default = 0, version = version + 1, updated_at = $2"
          " WHERE tenant_id = $1 AND is_default = 1 AND id <> $3",
          "UPDATE grading_scales SET is_default = false, version = version + 1, updated_at = $2"
          " WHERE tenant_id = $1 AND is_default AND id <> $3");
static stmt_t Q_INSERT = STMT2("scales.insert", 0,
                               "INSERT INTO grading_scales (tenant_id, id, name, is_default, created_at, updated_at)"
                               " VALUES ($1, $2, $3, $4, $5, $5)",
                               "INSERT INTO grading_scales (tenant_id, id, name, is_default, created_at, updated_at)"
                               " VALUES ($1, $2, $3, $4::int <> 0, $5, $5)");
static stmt_t Q_UPDATE = STMT2("scales.update", 0,
                               "UPDATE grading_scales SET name = $4, is_default = $5, version = version + 1,"
                               " updated_at = $6 WHERE tenant_id = $1 AND id = $2 AND version = $3",
                               "UPDATE grading_scales SET name = $4, is_default = $5::int <> 0, version = version + 1,"
                               " updated_at = $6 WHERE tenant_id = $1 AND id = $2 AND version = $3");
static stmt_t Q_DELETE =
    STMT("scales.delete", 0, "DELETE FROM grading_scales WHERE tenant_id = $1 AND id = $2 AND version = $3");
static stmt_t Q_BAND = STMT("scales.band", 0,
                            "INSERT INTO grading_scale_bands (tenant_id, scale_id, min_bp, label, descriptor, points)"
                            " VALUES ($1, $2, $3, $4, $5, $6)");
static stmt_t Q_BANDS_DELETE =
    STMT("scales.bands_delete", 0, "DELETE FROM grading_scale_bands WHERE tenant_id = $1 AND scale_id = $2");
/* the first term (of how many) whose grades were published with the scale */
static stmt_t Q_PUBLISHED_WITH = STMT("scales.published_with", STMT_READ,
                                      "SELECT t.name, t.start_date, t.end_date, (SELECT COUNT(*) FROM"
                                      " grade_publications q WHERE q.tenant_id = $1 AND q.scale_id = $2)"
                                      " FROM grade_publications p JOIN terms t ON t.tenant_id = p.tenant_id"
                                      " AND t.id = p.term_id WHERE p.tenant_id = $1 AND p.scale_id = $2"
                                      " ORDER BY t.start_date, t.id LIMIT 1");
#define SCALE_COLS "g.id, g.name, CASE WHEN g.is_default THEN 1 ELSE 0 END, g.version, g.created_at, g.updated_at"
enum { SC_ID, SC_NAME, SC_DEFAULT, SC_VERSION };
static stmt_t Q_ONE =
    STMT("scales.one", STMT_READ, "SELECT " SCALE_COLS " FROM grading_scales g WHERE g.tenant_id = $1 AND g.id = $2");
static stmt_t Q_LIST = STMT("scales.list", STMT_READ,
                            "SELECT " SCALE_COLS " FROM grading_scales g WHERE g.tenant_id = $1"
                            " AND (g.name, g.id) > ($2, $3) ORDER BY g.name, g.id LIMIT $4");
static stmt_t Q_LIST_FIRST = STMT("scales.list_first", STMT_READ,
                                  "SELECT " SCALE_COLS " FROM grading_scales g WHERE g.tenant_id = $1"
                                  " ORDER BY g.name, g.id LIMIT $2");
static stmt_t Q_BANDS = STMT("scales.bands", STMT_READ,
                             "SELECT scale_id, min_bp, label, descriptor, points FROM grading_scale_bands"
                             " WHERE tenant_id = $1 ORDER BY scale_id, min_bp DESC");
static stmt_t Q_BANDS_OF = STMT("scales.bands_of", STMT_READ,
                                "SELECT scale_id, min_bp, label, descriptor, points FROM grading_scale_bands"
                                " WHERE tenant_id = $1 AND scale_id = $2 ORDER BY min_bp DESC");

typedef struct scale_in {
    const char *name;
    int is_default; /* -1: not given */
    int has_bands;
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

/* Reads a scale (creating: name and bands required) over what *in holds: 0, or -1 with 422. */
static int read_scale(req_t *r, scale_in_t *in, int creating)
{
    static const char *const fields[] = {"name", "isDefault", "bands", NULL};
    body_only_fields(r, fields);
    body_string(r, "name", creating, 1, 100, &in->name);
    in->is_default = -1;
    body_bool(r, "isDefault", 0, &in->is_default);
    in->has_bands = creating || json_object_get(r->json, "bands") != NULL;
    if (!in->has_bands)
        return res_check_fields(r);
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

static int insert_bands(req_t *r, db_t *db, const char *id, const grade_band_t *bands, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const grade_band_t *b = &bands[i];
        if (db_exec(db, &Q_BAND,
                    DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_INT(b->min_bp), DB_TEXT(b->label),
                            DB_TEXT(b->descriptor), b->points >= 0 ? DB_INT(b->points) : DB_NULL),
                    &r->arena, NULL) != 0)
            return -1;
    }
    return 0;
}

/* A scale for the audit: "Letters (default) [90.00 A 4.00, 0.00 F Fail 0.00]". */
static const char *scale_text(req_t *r, const char *name, int is_default, const grade_band_t *bands, size_t n)
{
    sbuf_t s;
    sbuf_init(&s, &r->arena, 256);
    sbuf_printf(&s, "%s%s [", name, is_default ? " (default)" : "");
    for (size_t i = 0; i < n; i++) {
        const grade_band_t *b = &bands[i];
        sbuf_printf(&s, "%s%lld.%02lld %s", i ? ", " : "", (long long)(b->min_bp / 100), (long long)(b->min_bp % 100),
                    b->label);
        if (b->descriptor != NULL)
            sbuf_printf(&s, " %s", b->descriptor);
        if (b->points >= 0)
            sbuf_printf(&s, " %lld.%02lld", (long long)(b->points / 100), (long long)(b->points % 100));
    }
    sbuf_printf(&s, "]");
    return s.p;
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
    int64_t now = clock_wall_ms();
    if (asm_lock_scales(r, db) != 0 ||
        (c->in->is_default == 1 &&
         db_exec(db, &Q_UNSET_DEFAULT, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_INT(now), DB_TEXT(c->id)), &r->arena,
                 NULL) != 0))
        return -1;
    if (db_exec(db, &Q_INSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(c->id), DB_TEXT(c->in->name),
                        DB_INT(c->in->is_default == 1), DB_INT(now)),
                &r->arena, NULL) != 0) {
        c->duplicate = db_error(db)->status == DB_UNIQUE;
        return -1;
    }
    if (insert_bands(r, db, c->id, c->in->bands, c->in->nbands) != 0)
        return -1;
    return asm_audit(r, db, "gradingScale.create", "gradingScale", c->id,
                     scale_text(r, c->in->name, c->in->is_default == 1, c->in->bands, c->in->nbands));
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

/* Answers the scale id with its ETag (status 200 or 201). */
static int respond_scale(req_t *r, const char *id, int status)
{
    db_t *db = req_db(r);
    db_result_t res, bands;
    db_arg_t key[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(id)};
    if (db_exec(db, &Q_ONE, key, 2, &r->arena, &res) != 0 || db_exec(db, &Q_BANDS_OF, key, 2, &r->arena, &bands) != 0)
        return db_fail(r, db);
    if (res.nrows == 0)
        return policy_hidden(r, "grading scale");
    set_etag(r, db_get_int(&res, 0, SC_VERSION));
    return res_json(r, status, scale_json(r, &res, 0, &bands));
}

int grading_scales_create(req_t *r)
{
    scale_in_t in;
    memset(&in, 0, sizeof(in));
    if (read_scale(r, &in, 1) != 0)
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
    return respond_scale(r, id, 201);
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

int grading_scales_get(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    return respond_scale(r, id, 200);
}

/* ---------------------------------------------------------------- changes */

/* The scale as stored, read in a write's transaction after asm_lock_scales(). */
typedef struct scale_now {
    db_result_t row;
    grade_band_t bands[MAX_BANDS];
    size_t nbands;
    long long version;
    int is_default;
} scale_now_t;

typedef struct changing {
    req_t *r;
    const char *id;
    scale_in_t in;
    scale_now_t now;
    int duplicate;
} changing_t;

/* The state of a write of the scale of the path (in the arena: its bands are large). */
static changing_t *changing(req_t *r)
{
    changing_t *c = arena_calloc(&r->arena, sizeof(*c));
    c->r = r;
    c->id = req_param(r, 0);
    return c;
}

/*
 * Locks the school's scales and reads the scale into c->now, If-Match checked: 0, 1 after answering (404, 412),
 * -1 after a database error.
 */
static int load_for_write(db_t *db, changing_t *c)
{
    req_t *r = c->r;
    db_result_t bands;
    db_arg_t key[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(c->id)};
    if (asm_lock_scales(r, db) != 0 || db_exec(db, &Q_ONE, key, 2, &r->arena, &c->now.row) != 0 ||
        db_exec(db, &Q_BANDS_OF, key, 2, &r->arena, &bands) != 0)
        return -1;
    if (c->now.row.nrows == 0)
        return policy_hidden(r, "grading scale"), 1;
    c->now.version = db_get_int(&c->now.row, 0, SC_VERSION);
    c->now.is_default = (int)db_get_int(&c->now.row, 0, SC_DEFAULT);
    for (int i = 0; i < bands.nrows && c->now.nbands < MAX_BANDS; i++) {
        grade_band_t *b = &c->now.bands[c->now.nbands++];
        b->min_bp = db_get_int(&bands, i, 1);
        b->label = db_get(&bands, i, 2);
        b->descriptor = db_get(&bands, i, 3);
        b->points = db_is_null(&bands, i, 4) ? -1 : db_get_int(&bands, i, 4);
    }
    return if_match(r, c->now.version, "grading scale") != 0 ? 1 : 0;
}

/* 409 when a term's grades were published with the scale (naming the first such term): 1 answered, 0 none, -1. */
static int published_with(req_t *r, db_t *db, const char *id, const char *doing)
{
    db_result_t res;
    if (db_exec(db, &Q_PUBLISHED_WITH, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &res) != 0)
        return -1;
    if (res.nrows == 0)
        return 0;
    long long more = db_get_int(&res, 0, 3) - 1;
    res_fail(r, ERR_CONFLICT,
             "The grades of term \"%s\" (%s to %s)%s were published with this scale, so %s; rename it, or create "
             "another scale for later terms.",
             db_get(&res, 0, 0), db_get(&res, 0, 1), db_get(&res, 0, 2),
             more > 0 ? arena_printf(&r->arena, " and %lld other term(s)", more) : "", doing);
    return 1;
}

static int update_in_tx(db_t *db, void *ctx)
{
    changing_t *c = ctx;
    req_t *r = c->r;
    int rc = load_for_write(db, c);
    if (rc != 0 || patch_is_empty(r))
        return rc;
    const char *name = c->in.name != NULL ? c->in.name : db_get(&c->now.row, 0, SC_NAME);
    int is_default = c->in.is_default >= 0 ? c->in.is_default : c->now.is_default;
    if (c->now.is_default && !is_default) {
        res_field_error(r, "isDefault", "cannot be turned off: make another scale the default instead");
        return res_check_fields(r), 1;
    }
    if (c->in.has_bands && (rc = published_with(r, db, c->id, "its bands cannot change")) != 0)
        return rc;
    int64_t now = clock_wall_ms();
    db_result_t res;
    if (is_default && !c->now.is_default &&
        db_exec(db, &Q_UNSET_DEFAULT, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_INT(now), DB_TEXT(c->id)), &r->arena,
                NULL) != 0)
        return -1;
    if (db_exec(db, &Q_UPDATE,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(c->id), DB_INT(c->now.version), DB_TEXT(name),
                        DB_INT(is_default), DB_INT(now)),
                &r->arena, &res) != 0) {
        c->duplicate = db_error(db)->status == DB_UNIQUE;
        return -1;
    }
    if (res.changes == 0)
        return stale_write(r, "grading scale"), 1;
    const grade_band_t *bands = c->in.has_bands ? c->in.bands : c->now.bands;
    size_t n = c->in.has_bands ? c->in.nbands : c->now.nbands;
    if (c->in.has_bands &&
        (db_exec(db, &Q_BANDS_DELETE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(c->id)), &r->arena, NULL) != 0 ||
         insert_bands(r, db, c->id, bands, n) != 0))
        return -1;
    const char *before = scale_text(r, db_get(&c->now.row, 0, SC_NAME), c->now.is_default, c->now.bands, c->now.nbands);
    return asm_audit(r, db, "gradingScale.update", "gradingScale", c->id,
                     arena_printf(&r->arena, "%s -> %s", before, scale_text(r, name, is_default, bands, n)));
}

int grading_scales_update(req_t *r)
{
    changing_t *c = changing(r);
    if (require_id(r, c->id) != 0 || read_scale(r, &c->in, 0) != 0)
        return -1;
    db_t *db = req_db(r);
    if (db_transaction(db, update_in_tx, c) != 0) {
        if (c->duplicate)
            return duplicate(r, "name", arena_printf(&r->arena, "a grading scale named %s exists already", c->in.name));
        return r->err.code != ERR_NONE ? -1 : db_fail(r, db);
    }
    return respond_scale(r, c->id, 200);
}

static int delete_in_tx(db_t *db, void *ctx)
{
    changing_t *c = ctx;
    req_t *r = c->r;
    int rc = load_for_write(db, c);
    if (rc != 0)
        return rc;
    if (c->now.is_default) {
        res_fail(r, ERR_CONFLICT, "The grading scale is the school's default: make another scale the default first.");
        return 1;
    }
    if ((rc = published_with(r, db, c->id, "it stays with them")) != 0)
        return rc;
    db_result_t res;
    if (db_exec(db, &Q_BANDS_DELETE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(c->id)), &r->arena, NULL) != 0 ||
        db_exec(db, &Q_DELETE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(c->id), DB_INT(c->now.version)), &r->arena,
                &res) != 0)
        return -1;
    if (res.changes == 0)
        return stale_write(r, "grading scale"), 1;
    return asm_audit(r, db, "gradingScale.delete", "gradingScale", c->id,
                     scale_text(r, db_get(&c->now.row, 0, SC_NAME), 0, c->now.bands, c->now.nbands));
}

int grading_scales_delete(req_t *r)
{
    changing_t *c = changing(r);
    if (require_id(r, c->id) != 0)
        return -1;
    db_t *db = req_db(r);
    if (db_transaction(db, delete_in_tx, c) != 0)
        return r->err.code != ERR_NONE ? -1 : db_fail(r, db);
    return res_empty(r, 204);
}
