/*
 * persons.c - planning and writing students (with their guardians) and
 * teachers (see imports_int.h). Records are read with the API's own field
 * tables and checks (people_int.h) and written with the API's statements.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "api/validate.h"
#include "core/clock.h"
#include "core/ids.h"
#include "imports/imports_int.h"

static stmt_t Q_STUDENTS = STMT("imports.students", 0,
                                "SELECT id, admission_no, first_name, middle_name, last_name, date_of_birth, gender,"
                                " email, phone, address, admitted_on, status, user_id, version, deleted_at"
                                " FROM students WHERE tenant_id = $1");
static stmt_t Q_TEACHERS = STMT("imports.teachers", 0,
                                "SELECT id, employee_no, first_name, last_name, email, phone, status, hired_on,"
                                " user_id, version, NULL FROM teachers WHERE tenant_id = $1");
static stmt_t Q_GUARDIANS = STMT("imports.guardians", 0,
                                 "SELECT id, first_name, last_name, email, phone, address, occupation, user_id,"
                                 " version, NULL FROM guardians WHERE tenant_id = $1");
static stmt_t Q_LINKS = STMT("imports.links", 0,
                             "SELECT student_id, guardian_id, relationship, is_primary, can_pick_up"
                             " FROM student_guardians WHERE tenant_id = $1");
static stmt_t Q_CLEAR_PRIMARY = STMT("imports.clear_primary", 0,
                                     "UPDATE student_guardians SET is_primary = false WHERE tenant_id = $1"
                                     " AND student_id = $2 AND guardian_id <> $3 AND is_primary");
/*
 * Creations, many rows per statement (batch.h): each row is an array
 * [id, the type's fields in order, now (, search text)], or for links
 * [student, guardian, relationship, primary, may pick up, now].
 */
#define V(i) "value->>" #i
#define R(i) "r->>" #i
#define SQLITE_ROWS " FROM json_each($2)"
#define PG_ROWS " FROM json_array_elements($2::json) r"
static stmt_t Q_NEW_STUDENTS = STMT2(
    "imports.new_students", 0,
    "INSERT INTO students (tenant_id, id, admission_no, first_name, middle_name, last_name, date_of_birth, gender,"
    " email, phone, address, admitted_on, status, user_id, created_at, updated_at, search_text) SELECT $1, " V(0) ", "
    V(1) ", " V(2) ", " V(3) ", " V(4) ", " V(5) ", " V(6) ", " V(7) ", " V(8) ", " V(9) ", " V(10) ", " V(11) ", "
    V(12) ", " V(13) ", " V(13) ", lower(" V(14) ")" SQLITE_ROWS,
    "INSERT INTO students (tenant_id, id, admission_no, first_name, middle_name, last_name, date_of_birth, gender,"
    " email, phone, address, admitted_on, status, user_id, created_at, updated_at, search_text) SELECT $1, (" R(0)
    ")::uuid, " R(1) ", " R(2) ", " R(3) ", " R(4) ", (" R(5) ")::date, " R(6) ", " R(7) ", " R(8) ", " R(9) ", ("
    R(10) ")::date, " R(11) ", (" R(12) ")::uuid, (" R(13) ")::bigint, (" R(13) ")::bigint, lower(" R(14) ")" PG_ROWS);
static stmt_t Q_NEW_TEACHERS = STMT2(
    "imports.new_teachers", 0,
    "INSERT INTO teachers (tenant_id, id, employee_no, first_name, last_name, email, phone, status, hired_on, user_id,"
    " created_at, updated_at) SELECT $1, " V(0) ", " V(1) ", " V(2) ", " V(3) ", " V(4) ", " V(5) ", " V(6) ", " V(7)
    ", " V(8) ", " V(9) ", " V(9) SQLITE_ROWS,
    "INSERT INTO teachers (tenant_id, id, employee_no, first_name, last_name, email, phone, status, hired_on, user_id,"
    " created_at, updated_at) SELECT $1, (" R(0) ")::uuid, " R(1) ", " R(2) ", " R(3) ", " R(4) ", " R(5) ", " R(6)
    ", (" R(7) ")::date, (" R(8) ")::uuid, (" R(9) ")::bigint, (" R(9) ")::bigint" PG_ROWS);
static stmt_t Q_NEW_GUARDIANS = STMT2(
    "imports.new_guardians", 0,
    "INSERT INTO guardians (tenant_id, id, first_name, last_name, email, phone, address, occupation, user_id,"
    " created_at, updated_at) SELECT $1, " V(0) ", " V(1) ", " V(2) ", " V(3) ", " V(4) ", " V(5) ", " V(6) ", " V(7)
    ", " V(8) ", " V(8) SQLITE_ROWS,
    "INSERT INTO guardians (tenant_id, id, first_name, last_name, email, phone, address, occupation, user_id,"
    " created_at, updated_at) SELECT $1, (" R(0) ")::uuid, " R(1) ", " R(2) ", " R(3) ", " R(4) ", " R(5) ", " R(6)
    ", (" R(7) ")::uuid, (" R(8) ")::bigint, (" R(8) ")::bigint" PG_ROWS);
#define LINK_UPSERT                                                                                                    \
    " ON CONFLICT (tenant_id, student_id, guardian_id) DO UPDATE SET relationship = excluded.relationship,"           \
    " is_primary = excluded.is_primary"
static stmt_t Q_LINKS_UPSERT = STMT2(
    "imports.links_upsert", 0,
    "INSERT INTO student_guardians (tenant_id, student_id, guardian_id, relationship, is_primary, can_pick_up,"
    " created_at) SELECT $1, " V(0) ", " V(1) ", " V(2) ", " V(3) ", " V(4) ", " V(5) SQLITE_ROWS " WHERE true"
    LINK_UPSERT,
    "INSERT INTO student_guardians (tenant_id, student_id, guardian_id, relationship, is_primary, can_pick_up,"
    " created_at) SELECT $1, (" R(0) ")::uuid, (" R(1) ")::uuid, " R(2) ", (" R(3) ")::boolean, (" R(4)
    ")::boolean, (" R(5) ")::bigint" PG_ROWS LINK_UPSERT);

void persons_batches(imp_t *m)
{
    batch_init(&m->b_main, m->a, m->t == people_student ? &Q_NEW_STUDENTS : &Q_NEW_TEACHERS);
    batch_init(&m->b_guardian, m->a, &Q_NEW_GUARDIANS);
    batch_init(&m->b_link, m->a, &Q_LINKS_UPSERT);
    m->b_link.after[0] = &m->b_main;
    m->b_link.after[1] = &m->b_guardian;
}

/* Indexes of the guardian fields the matching uses (guardians.c's field order). */
enum { G_FIRST, G_LAST, G_EMAIL, G_PHONE };

static rec_t *rec_of(imp_t *m, const person_type_t *t, const db_result_t *res, int row)
{
    rec_t *r = arena_calloc(m->a, sizeof(*r));
    r->id = db_get(res, row, 0);
    r->vals = arena_alloc(m->a, (size_t)t->nfields * sizeof(*r->vals));
    person_row(t, res, row, r->vals);
    r->version = db_get_int(res, row, 1 + t->nfields);
    r->deleted = !db_is_null(res, row, 2 + t->nfields);
    return r;
}

static const char *name_key(imp_t *m, const char **g)
{
    return imports_lower(m->a, arena_printf(m->a, "%s\x1f%s\x1f%s", g[G_FIRST], g[G_LAST], g[G_PHONE] ? g[G_PHONE] : ""));
}

static int load_guardians(imp_t *m)
{
    db_result_t res;
    if (db_exec(m->db, &Q_GUARDIANS, DB_ARGS(DB_TEXT(m->r.auth.tenant_id)), m->a, &res) != 0)
        return -1;
    for (int i = 0; i < res.nrows; i++) {
        rec_t *g = rec_of(m, people_guardian, &res, i);
        if (g->vals[G_EMAIL] != NULL && smap_get(&m->by_email, g->vals[G_EMAIL]) == NULL)
            smap_put(&m->by_email, g->vals[G_EMAIL], g);
        const char *key = name_key(m, g->vals);
        if (smap_get(&m->by_name, key) == NULL)
            smap_put(&m->by_name, key, g);
    }
    if (db_exec(m->db, &Q_LINKS, DB_ARGS(DB_TEXT(m->r.auth.tenant_id)), m->a, &res) != 0)
        return -1;
    for (int i = 0; i < res.nrows; i++) {
        link_t *l = arena_alloc(m->a, sizeof(*l));
        *l = (link_t){db_get(&res, i, 2), db_get_bool(&res, i, 3), db_get_bool(&res, i, 4)};
        smap_put(&m->links, arena_printf(m->a, "%s\x1f%s", db_get(&res, i, 0), db_get(&res, i, 1)), l);
    }
    return 0;
}

int persons_load(imp_t *m)
{
    db_result_t res;
    int students = m->t == people_student;
    if (db_exec(m->db, students ? &Q_STUDENTS : &Q_TEACHERS, DB_ARGS(DB_TEXT(m->r.auth.tenant_id)), m->a, &res) != 0)
        return -1;
    for (int i = 0; i < res.nrows; i++) {
        rec_t *r = rec_of(m, m->t, &res, i);
        smap_put(&m->existing, imports_lower(m->a, r->vals[0]), r);
    }
    return students ? (load_guardians(m) != 0 || placement_load(m) != 0 ? -1 : 0) : 0;
}

/* ---- planning */

typedef struct reading {
    const person_type_t *t;
    const char **vals; /* arena copies, set once read */
    int relationship;  /* index in people_relationships, -1: none given */
} reading_t;

/* Reads the fields the API's way, then copies them out of the body (released when the callback returns). */
static void read_record(imp_t *m, void *ctx)
{
    reading_t *d = ctx;
    const char *tmp[PERSON_MAX_FIELDS] = {0};
    person_read(&m->r, d->t, 1, tmp);
    if (m->r.err.nfields == 0 && d->t->check != NULL)
        d->t->check(&m->r, tmp);
    d->vals = arena_alloc(m->a, (size_t)d->t->nfields * sizeof(*d->vals));
    for (int i = 0; i < d->t->nfields; i++)
        d->vals[i] = tmp[i] != NULL ? arena_strdup(m->a, tmp[i]) : NULL;
}

/* A guardian's columns: the guardian's fields, and the link's relationship read as PUT …/guardians/{id} reads it. */
static void read_guardian(imp_t *m, void *ctx)
{
    reading_t *d = ctx;
    json_t *all = m->r.json, *link = json_object();
    json_t *rel = json_object_get(all, "relationship");
    if (link == NULL || (rel != NULL && json_object_set(link, "relationship", rel) != 0))
        erp_oom();
    json_object_del(all, "relationship");
    read_record(m, d);
    m->r.json = link;
    body_enum(&m->r, "relationship", 0, people_relationships, &d->relationship);
    m->r.json = all;
    json_decref(link);
}

/* Reads part of a record into d->vals; 0, or -1 when it had errors. */
static int read_part(imp_t *m, const sheet_row_t *row, int part, reading_t *d)
{
    int before = m->errs.total;
    d->relationship = -1;
    imports_read_part(m, row, part, part ? read_guardian : read_record, d);
    return m->errs.total > before ? -1 : 0;
}

static int same_vals(const person_type_t *t, const char **a, const char **b)
{
    for (int i = 0; i < t->nfields; i++)
        if (a[i] == NULL || b[i] == NULL ? a[i] != b[i] : strcmp(a[i], b[i]) != 0)
            return 0;
    return 1;
}

/* Keeps the stored value of every field of part the file has no column for (and of userId). */
static void keep_absent(imp_t *m, const person_type_t *t, int part, const char **vals, const char **stored)
{
    for (int i = 0; i < t->nfields; i++)
        if (!imports_has_column(m, part, t->fields[i].name))
            vals[i] = stored[i];
}

static rec_t *new_rec(imp_t *m, const char **vals, int line)
{
    rec_t *r = arena_calloc(m->a, sizeof(*r));
    char *id = arena_alloc(m->a, UUID_STR_LEN + 1);
    ids_uuid7(id);
    *r = (rec_t){.id = id, .vals = vals, .line = line, .op = OP_CREATE};
    return r;
}

/* Whether the record's number (vals[0], valid) is new in the file; records it. 0, or -1 after recording the error. */
static int first_in_file(imp_t *m, const sheet_row_t *row, const char **vals)
{
    const char *key = imports_lower(m->a, vals[0]);
    intptr_t first = (intptr_t)smap_get(&m->in_file, key);
    if (first != 0) {
        errlist_add(&m->errs, row->line, m->t->fields[0].name, "%s appears twice in the file (first on line %d)",
                    vals[0], (int)first);
        return -1;
    }
    smap_put(&m->in_file, key, (void *)(intptr_t)row->line);
    return 0;
}

/* Decides the record's own write; NULL after recording why it cannot be imported. */
static rec_t *plan_main(imp_t *m, const sheet_row_t *row, const char **vals)
{
    const char *code_col = m->t->fields[0].name;
    rec_t *cur = smap_get(&m->existing, imports_lower(m->a, vals[0]));
    if (cur == NULL)
        return new_rec(m, vals, row->line);
    if (cur->deleted) {
        errlist_add(&m->errs, row->line, code_col, "%s belongs to a deleted %s", vals[0], m->t->noun);
        return NULL;
    }
    keep_absent(m, m->t, 0, vals, cur->vals);
    rec_t *r = arena_calloc(m->a, sizeof(*r));
    *r = (rec_t){.id = cur->id, .version = cur->version, .vals = vals, .before = cur->vals, .line = row->line};
    r->op = same_vals(m->t, vals, cur->vals) ? OP_NONE : OP_UPDATE;
    return r;
}

/* Finds the guardian the columns name: by email, else by name and phone (one without another email). */
static rec_t *find_guardian(imp_t *m, const char **g)
{
    rec_t *found = g[G_EMAIL] != NULL ? smap_get(&m->by_email, g[G_EMAIL]) : NULL;
    if (found == NULL) {
        found = smap_get(&m->by_name, name_key(m, g));
        if (found != NULL && g[G_EMAIL] != NULL && found->vals[G_EMAIL] != NULL)
            found = NULL;
    }
    return found;
}

/* Decides guardian k's write; NULL with an error recorded when it conflicts. */
static rec_t *plan_guardian(imp_t *m, const sheet_row_t *row, int k, const char **g)
{
    const person_type_t *t = people_guardian;
    rec_t *r = find_guardian(m, g);
    if (r == NULL) {
        r = new_rec(m, g, row->line);
        if (g[G_EMAIL] != NULL)
            smap_put(&m->by_email, g[G_EMAIL], r);
        smap_put(&m->by_name, name_key(m, g), r);
        m->g_created++;
        return r;
    }
    keep_absent(m, t, k, g, r->vals);
    if (r->line != 0) { /* named by an earlier record of the file: it must say the same */
        if (!same_vals(t, g, r->vals)) {
            errlist_add(&m->errs, row->line, NULL,
                        "guardian %d (%s %s) differs from the same guardian on line %d", k, g[G_FIRST], g[G_LAST],
                        r->line);
            return NULL;
        }
        return r;
    }
    r->line = row->line;
    r->op = same_vals(t, g, r->vals) ? OP_NONE : OP_UPDATE;
    r->before = r->vals;
    r->vals = g;
    m->g_updated += r->op == OP_UPDATE;
    return r;
}

static int part_given(imp_t *m, const sheet_row_t *row, int part)
{
    for (int c = 0; c < m->k->ncolumns; c++) {
        const char *cell = columns_cell(row, m->at, c);
        if (m->k->columns[c].part == part && cell != NULL && cell[0] != '\0')
            return 1;
    }
    return 0;
}

/* Plans guardian k of a record and its link; 0, or -1 after recording errors. */
static int plan_link(imp_t *m, const sheet_row_t *row, plan_t *p, int k)
{
    reading_t d = {.t = people_guardian};
    if (!part_given(m, row, k))
        return 0;
    if (read_part(m, row, k, &d) != 0)
        return -1;
    rec_t *g = plan_guardian(m, row, k, d.vals);
    if (g == NULL)
        return -1;
    if (k == 2 && p->guardian[0] == g) {
        errlist_add(&m->errs, row->line, NULL, "guardian 2 is the same person as guardian 1");
        return -1;
    }
    p->guardian[k - 1] = g;
    link_t *cur = p->main->op == OP_CREATE || g->op == OP_CREATE
                      ? NULL
                      : smap_get(&m->links, arena_printf(m->a, "%s\x1f%s", p->main->id, g->id));
    /* a new link of the first guardian is the primary one; a link that exists keeps its flag (unless the first
       guardian just became primary), so that an export, which lists the primary first, imports unchanged */
    int primary = cur == NULL ? k == 1 : cur->primary && !(k == 2 && p->guardian[0] != NULL && p->link[0].primary);
    link_t want = {d.relationship >= 0 ? people_relationships[d.relationship]
                   : cur != NULL        ? cur->relationship
                                        : "guardian",
                   primary, cur != NULL ? cur->pickup : 1};
    p->link[k - 1] = want;
    p->link_op[k - 1] = cur == NULL || strcmp(cur->relationship, want.relationship) != 0 || !cur->primary != !want.primary;
    m->g_linked += p->link_op[k - 1];
    return 0;
}

/* Reads the guardian columns of a record that cannot be imported, for their errors only. */
static void check_guardians(imp_t *m, const sheet_row_t *row)
{
    for (int k = 1; k <= 2 && m->t == people_student; k++) {
        reading_t d = {.t = people_guardian};
        if (part_given(m, row, k))
            read_part(m, row, k, &d);
    }
}

void persons_plan(imp_t *m, const sheet_row_t *row, plan_t *p)
{
    reading_t d = {.t = m->t};
    int ok = read_part(m, row, 0, &d) == 0;
    if (d.vals[0] != NULL && first_in_file(m, row, d.vals) != 0)
        ok = 0;
    if (!ok || (p->main = plan_main(m, row, d.vals)) == NULL) {
        check_guardians(m, row);
        return;
    }
    int changed = p->main->op != OP_NONE;
    if (m->t == people_student)
        changed |= placement_plan(m, row, p);
    if (m->t == people_student)
        for (int k = 1; k <= 2; k++)
            if (plan_link(m, row, p, k) == 0 && p->guardian[k - 1] != NULL)
                changed |= (p->guardian[k - 1]->line == row->line && p->guardian[k - 1]->op != OP_NONE) ||
                           p->link_op[k - 1];
    if (p->main->op == OP_CREATE)
        m->created++;
    else if (changed)
        m->updated++;
    else
        m->unchanged++;
}

/* ---- writing */

/* Queues a creation: [id, fields…, now (, extra)]. */
static int queue_create(imp_t *m, const person_type_t *t, const rec_t *r, batch_t *b)
{
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)clock_wall_ms());
    batch_row_begin(b);
    batch_text(b, r->id);
    for (int i = 0; i < t->nfields; i++)
        batch_text(b, r->vals[i]);
    batch_literal(b, now);
    if (t->extra != NULL)
        batch_text(b, t->extra(&m->r, r->vals));
    return batch_row_end(b, m->db, m->r.auth.tenant_id, m->a);
}

/* An update, with the API's statement (the version checked). */
static int update(imp_t *m, const person_type_t *t, const rec_t *r)
{
    db_arg_t args[PERSON_MAX_FIELDS + 6];
    int n = person_bind(&m->r, t, r->id, r->version, r->vals, args);
    db_result_t res;
    if (db_exec(m->db, t->update, args, n, m->a, &res) != 0)
        return -1;
    if (res.changes == 0) {
        m->fail = arena_printf(m->a, "a %s was changed while the file was imported; nothing was imported, import "
                                     "it again", t->noun);
        return -1;
    }
    return 0;
}

static int write_rec(imp_t *m, const person_type_t *t, const rec_t *r, batch_t *b)
{
    if (r->op == OP_NONE)
        return 0;
    int create = r->op == OP_CREATE;
    if ((create ? queue_create(m, t, r, b) : update(m, t, r)) != 0)
        return -1;
    return imports_audit(m, arena_printf(m->a, "%s.%s", t->noun, create ? "create" : "update"), r->id,
                         create ? "csv import" : person_changes(&m->r, t, r->before, r->vals));
}

/* A link (queued); a new primary first clears the student's other primary links, as PUT …/guardians/{id} does. */
static int write_link(imp_t *m, const plan_t *p, int i)
{
    const char *tenant = m->r.auth.tenant_id, *sid = p->main->id, *gid = p->guardian[i]->id;
    const link_t *l = &p->link[i];
    if (l->primary && p->main->op != OP_CREATE &&
        db_exec(m->db, &Q_CLEAR_PRIMARY, DB_ARGS(DB_TEXT(tenant), DB_TEXT(sid), DB_TEXT(gid)), m->a, NULL) != 0)
        return -1;
    batch_t *b = &m->b_link;
    batch_row_begin(b);
    batch_text(b, sid);
    batch_text(b, gid);
    batch_text(b, l->relationship);
    batch_literal(b, l->primary ? "true" : "false");
    batch_literal(b, l->pickup ? "true" : "false");
    batch_literal(b, arena_printf(m->a, "%lld", (long long)clock_wall_ms()));
    if (batch_row_end(b, m->db, tenant, m->a) != 0)
        return -1;
    return imports_audit(m, "student.update", sid,
                         arena_printf(m->a, "guardian %s linked as %s%s%s", gid, l->relationship,
                                      l->primary ? ", primary" : "", l->pickup ? ", may pick up" : ""));
}

int persons_apply(imp_t *m, const plan_t *p)
{
    if (write_rec(m, m->t, p->main, &m->b_main) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        const rec_t *g = p->guardian[i];
        if (g == NULL)
            continue;
        if ((g->line == p->line && write_rec(m, people_guardian, g, &m->b_guardian) != 0) || (p->link_op[i] && write_link(m, p, i) != 0))
            return -1;
    }
    return 0;
}
