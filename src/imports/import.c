/*
 * import.c - the import driver (see imports.h): parse, map the header, plan
 * every record, then apply all plans in one transaction; the report.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "cache/cache.h"
#include "cache/hash.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "imports/imports_int.h"

static stmt_t Q_SCHOOL = STMT("imports.school", 0, "SELECT time_zone FROM tenants WHERE id = $1");

/* ---- the map */

void smap_init(smap_t *m, arena_t *a)
{
    memset(m, 0, sizeof(*m));
    m->a = a;
}

static size_t slot(const smap_t *m, const char *key)
{
    size_t i = (size_t)cache_hash(key, strlen(key)) & (m->cap - 1);
    while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

void *smap_get(const smap_t *m, const char *key)
{
    if (m->cap == 0)
        return NULL;
    size_t i = slot(m, key);
    return m->keys[i] != NULL ? m->vals[i] : NULL;
}

static void grow(smap_t *m)
{
    smap_t old = *m;
    m->cap = old.cap ? 2 * old.cap : 64;
    m->keys = arena_calloc(m->a, m->cap * sizeof(*m->keys));
    m->vals = arena_calloc(m->a, m->cap * sizeof(*m->vals));
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i] != NULL)
            smap_put(m, old.keys[i], old.vals[i]);
}

void smap_put(smap_t *m, const char *key, void *val)
{
    if (2 * (m->n + 1) > m->cap)
        grow(m);
    size_t i = slot(m, key);
    if (m->keys[i] == NULL) {
        m->keys[i] = key;
        m->n++;
    }
    m->vals[i] = val;
}

/* ---- shared helpers */

char *imports_lower(arena_t *a, const char *s)
{
    char *out = arena_strdup(a, s);
    for (char *p = out; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    return out;
}

int imports_has_column(const imp_t *m, int part, const char *field)
{
    for (int c = 0; c < m->k->ncolumns; c++)
        if (m->k->columns[c].part == part && strcmp(m->k->columns[c].field, field) == 0)
            return m->at[c] >= 0;
    return 0;
}

/* The header name of field of part ("guardian1Email" for email of part 1). */
static const char *column_name(const imp_t *m, int part, const char *field)
{
    for (int c = 0; c < m->k->ncolumns; c++)
        if (m->k->columns[c].part == part && strcmp(m->k->columns[c].field, field) == 0)
            return m->k->columns[c].name;
    return arena_strdup(m->a, field);
}

void imports_read_part(imp_t *m, const sheet_row_t *row, int part, void (*read)(imp_t *m, void *ctx), void *ctx)
{
    json_t *o = json_object();
    if (o == NULL)
        erp_oom();
    for (int c = 0; c < m->k->ncolumns; c++) {
        const char *cell = columns_cell(row, m->at, c);
        if (m->k->columns[c].part != part || cell == NULL || cell[0] == '\0')
            continue;
        if (json_object_set_new(o, m->k->columns[c].field, json_string(cell)) != 0)
            erp_oom(); /* cells are checked UTF-8 */
    }
    memset(&m->r.err, 0, sizeof(m->r.err));
    m->r.json = o;
    read(m, ctx);
    m->r.json = NULL;
    json_decref(o);
    for (int i = 0; i < m->r.err.nfields; i++)
        errlist_add(&m->errs, row->line, column_name(m, part, m->r.err.fields[i].field), "%s",
                    m->r.err.fields[i].message);
    memset(&m->r.err, 0, sizeof(m->r.err));
}

int imports_audit(imp_t *m, const char *action, const char *subject_id, const char *detail)
{
    const char *dot = strchr(action, '.');
    char id[UUID_STR_LEN + 1];
    ids_uuid7(id);
    batch_t *b = &m->b_audit;
    batch_row_begin(b);
    batch_member(b, "tenant_id", m->r.auth.tenant_id);
    batch_member(b, "id", id);
    batch_member_int(b, "at", (long long)clock_wall_ms());
    batch_member(b, "actor_id", m->r.auth.user_id[0] ? m->r.auth.user_id : NULL);
    batch_member_int(b, "actor_roles", m->r.auth.roles);
    batch_member(b, "action", action);
    batch_member(b, "outcome", "ok");
    batch_member(b, "subject_type", arena_strndup(m->a, action, (size_t)(dot - action)));
    batch_member(b, "subject_id", subject_id);
    batch_member(b, "request_id", NULL);
    batch_member(b, "remote_addr", NULL);
    batch_member(b, "detail", detail);
    return batch_row_end(b, m->db, m->r.auth.tenant_id, m->a);
}

/* ---- the driver */

static void progress(imp_t *m, int percent)
{
    if (m->progress != NULL)
        m->progress(m->pctx, percent);
}

/* Checks the shape of a record (UTF-8, its number of fields); 0, or -1 after recording why. */
static int record_ok(imp_t *m, const sheet_row_t *row, int nheader)
{
    if (row->bad_utf8 >= 0) {
        const sheet_row_t *h = &m->sheet.rows[0];
        const char *col = row->bad_utf8 < h->nfields && h->fields[row->bad_utf8] ? h->fields[row->bad_utf8] : NULL;
        errlist_add(&m->errs, row->line, col, "is not UTF-8 text");
        return -1;
    }
    if (row->nfields != nheader) {
        errlist_add(&m->errs, row->line, NULL, "has %d fields; the header has %d", row->nfields, nheader);
        return -1;
    }
    return 0;
}

static void plan_all(imp_t *m)
{
    int n = m->sheet.nrows - 1, nheader = m->sheet.rows[0].nfields;
    m->plans = arena_calloc(m->a, (size_t)(n > 0 ? n : 1) * sizeof(*m->plans));
    for (int i = 0; i < n; i++) {
        const sheet_row_t *row = &m->sheet.rows[i + 1];
        plan_t *p = &m->plans[m->nplans];
        if (record_ok(m, row, nheader) != 0)
            continue;
        p->line = row->line;
        if (m->t != NULL)
            persons_plan(m, row, p);
        else
            staff_plan(m, row, p);
        m->nplans++;
        if (i % 500 == 499)
            progress(m, 50 * (i + 1) / n);
    }
}

static int apply(db_t *db, void *ctx)
{
    imp_t *m = ctx;
    (void)db;
    m->fail = NULL;
    m->refused = 0;
    batch_t *all[] = {&m->b_main, &m->b_guardian, &m->b_link, &m->b_audit};
    for (int i = 0; i < 4; i++)
        batch_reset(all[i]);
    for (int i = 0; i < m->nplans; i++) {
        if ((m->t != NULL ? persons_apply(m, &m->plans[i]) : staff_apply(m, &m->plans[i])) != 0)
            return -1;
        if (i % 500 == 499)
            progress(m, 50 + 50 * (i + 1) / m->nplans);
    }
    for (int i = 0; i < 4; i++)
        if (batch_flush(all[i], m->db, m->r.auth.tenant_id, m->a) != 0)
            return -1;
    if (m->t == people_student && placement_apply(m) != 0)
        return -1;
    const char *detail = arena_printf(m->a, "rows=%d created=%d updated=%d unchanged=%d", m->nplans, m->created,
                                      m->updated, m->unchanged);
    if (imports_audit(m, arena_printf(m->a, "import.%s", m->k->name), NULL, detail) != 0)
        return -1;
    return batch_flush(&m->b_audit, m->db, m->r.auth.tenant_id, m->a);
}

static json_t *report_json(const imp_t *m)
{
    json_t *errors = json_array();
    for (int i = 0; errors != NULL && i < m->errs.n; i++) {
        const row_error_t *e = &m->errs.v[i];
        if (json_array_append_new(errors, json_pack("{s:i,s:s?,s:s?}", "line", e->line, "column", e->column, "reason",
                                                    e->reason)) != 0) {
            json_decref(errors);
            errors = NULL;
        }
    }
    json_t *o = json_pack("{s:s,s:i,s:i,s:i,s:i,s:i,s:o?}", "kind", m->k->name, "rows", m->sheet.nrows - 1,
                          "created", m->created, "updated", m->updated, "unchanged", m->unchanged, "errorCount",
                          m->errs.total, "errors", errors);
    if (o != NULL && m->t != NULL && strcmp(m->k->name, "students") == 0 &&
        (json_object_set_new(o, "guardians", json_pack("{s:i,s:i,s:i}", "created", m->g_created, "updated",
                                                       m->g_updated, "linked", m->g_linked)) != 0 ||
         json_object_set_new(o, "enrolled", json_integer(m->enrolled)) != 0)) {
        json_decref(o);
        o = NULL;
    }
    return o;
}

json_t *import_failure(const char *why)
{
    json_t *o = json_pack("{s:s}", "error", why);
    if (o == NULL)
        erp_oom();
    return o;
}

int import_open_school(db_t *db, arena_t *a, req_t *r, const char *tenant_id, const char *actor_id)
{
    db_result_t res;
    if (db_exec(db, &Q_SCHOOL, DB_ARGS(DB_TEXT(tenant_id)), a, &res) != 0)
        return -1;
    if (res.nrows == 0 || strlen(tenant_id) >= sizeof(r->auth.tenant_id))
        return 1;
    snprintf(r->auth.tenant_id, sizeof(r->auth.tenant_id), "%s", tenant_id);
    snprintf(r->auth.user_id, sizeof(r->auth.user_id), "%s", actor_id != NULL ? actor_id : "");
    snprintf(r->auth.time_zone, sizeof(r->auth.time_zone), "%s", db_get(&res, 0, 0));
    return 0;
}

static void zero_counts(imp_t *m)
{
    m->created = m->updated = m->unchanged = m->enrolled = 0;
    m->g_created = m->g_updated = m->g_linked = 0;
}

/* Parses, maps and plans; 0 (plans ready), 1 (refused: *report set), -1 (db). */
static int prepare(imp_t *m, const char *csv, size_t len, json_t **report)
{
    if (sheet_parse(m->a, csv, len, &m->sheet) != 0) {
        errlist_add(&m->errs, m->sheet.error_line, NULL, "%s", m->sheet.error);
        *report = report_json(m);
        return 1;
    }
    sheet_unmark_formulas(&m->sheet);
    if (m->sheet.nrows == 0) {
        errlist_add(&m->errs, 1, NULL, "the file is empty: a header row is required");
        *report = report_json(m);
        return 1;
    }
    if (columns_map(m->k, &m->sheet.rows[0], m->at, &m->errs) != 0) {
        *report = report_json(m);
        return 1;
    }
    if ((m->t != NULL ? persons_load(m) : staff_load(m)) != 0)
        return -1;
    plan_all(m);
    if (m->errs.total == 0 && m->t == NULL)
        staff_hash(m);
    if (m->errs.total > 0) {
        zero_counts(m);
        *report = report_json(m);
        return 1;
    }
    return 0;
}

static int run(imp_t *m, const char *tenant_id, const char *actor_id, const char *csv, size_t len, json_t **report)
{
    int rc = import_open_school(m->db, m->a, &m->r, tenant_id, actor_id);
    if (rc > 0) {
        *report = import_failure("no such school");
        return 1;
    }
    if (rc == 0)
        rc = prepare(m, csv, len, report);
    if (rc == 0 && db_transaction(m->db, apply, m) != 0)
        rc = -1;
    if (rc < 0 && m->refused) { /* a record the database refused (a full class): nothing was written */
        zero_counts(m);
        *report = report_json(m);
        rc = 1;
    } else if (rc < 0) {
        log_error("import failed", "%s: %s", m->k->name, m->fail ? m->fail : db_error(m->db)->message);
        *report = import_failure(m->fail != NULL ? m->fail : "the database failed; nothing was imported");
        return -1;
    }
    if (rc == 0) {
        /* what the servers cached of the school (profiles, rosters, sessions' roles) is stale: here and, through
           Redis, on every instance (nothing when this process has no cache, as the command line) */
        if (m->created + m->updated > 0)
            cache_invalidate_tenant(m->r.auth.tenant_id);
        progress(m, 100);
        *report = report_json(m);
    }
    if (*report == NULL) {
        *report = import_failure("the report could not be built (out of memory)");
        return -1;
    }
    return rc;
}

int import_csv(db_t *db, arena_t *a, const char *tenant_id, const char *actor_id, const char *kind, const char *csv,
               size_t len, import_progress_fn progress_fn, void *pctx, json_t **report)
{
    const import_kind_t *k = columns_kind(kind);
    if (k == NULL) {
        *report = import_failure("unknown import kind (students, teachers, staff)");
        return 1;
    }
    imp_t m = {.db = db, .a = a, .k = k, .progress = progress_fn, .pctx = pctx};
    m.t = strcmp(kind, "students") == 0 ? people_student : strcmp(kind, "teachers") == 0 ? people_teacher : NULL;
    arena_init(&m.r.arena);
    req_reset(&m.r);
    errlist_init(&m.errs, a);
    smap_init(&m.existing, a);
    smap_init(&m.by_email, a);
    smap_init(&m.by_name, a);
    smap_init(&m.links, a);
    smap_init(&m.in_file, a);
    smap_init(&m.classes, a);
    smap_init(&m.placed, a);
    worker_t w = {.db = db}; /* the request stand-in's thread: what the API's functions take the session from */
    m.r.thread = &w;
    if (m.t != NULL)
        persons_batches(&m);
    batch_init(&m.b_audit, a, NULL);
    int rc = run(&m, tenant_id, actor_id, csv, len, report);
    arena_destroy(&m.r.arena);
    return rc;
}

const char *import_template(const char *kind)
{
    const import_kind_t *k = columns_kind(kind);
    return k != NULL ? k->template_csv : NULL;
}
