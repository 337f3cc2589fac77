/*
 * import.c - the OneRoster import driver (see oneroster.h): read the files,
 * check every row, then write in one transaction: the school's sourcedId,
 * academic years and terms, subjects, classes (people.c: users, enrollments).
 */
#include <stdio.h>
#include <string.h>

#include "auth/audit.h"
#include "auth/roles.h"
#include "cache/cache.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "oneroster/oneroster_int.h"

static stmt_t Q_IDS =
    STMT("oneroster.ids", 0, "SELECT kind, sourced_id, local_kind, local_id FROM oneroster_ids WHERE tenant_id = $1");
static stmt_t Q_ID_PUT =
    STMT("oneroster.id_put", 0,
         "INSERT INTO oneroster_ids (tenant_id, kind, sourced_id, local_kind, local_id, created_at)"
         " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, kind, sourced_id) DO UPDATE"
         " SET local_kind = excluded.local_kind, local_id = excluded.local_id");
static stmt_t Q_ID_DROP =
    STMT("oneroster.id_drop", 0, "DELETE FROM oneroster_ids WHERE tenant_id = $1 AND kind = $2 AND sourced_id = $3");

#define YEAR_COLS "name, start_date, end_date"
static stmt_t Q_YEAR_GET =
    STMT("oneroster.year_get", 0, "SELECT " YEAR_COLS " FROM academic_years WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_YEAR_FIND =
    STMT("oneroster.year_find", 0, "SELECT id FROM academic_years WHERE tenant_id = $1 AND name = $2");
static stmt_t Q_YEAR_INSERT = STMT("oneroster.year_insert", 0,
                                   "INSERT INTO academic_years (tenant_id, id, " YEAR_COLS ", created_at, updated_at)"
                                   " VALUES ($1, $2, $4, $5, $6, $3, $3)");
static stmt_t Q_YEAR_UPDATE = STMT("oneroster.year_update", 0,
                                   "UPDATE academic_years SET name = $4, start_date = $5, end_date = $6,"
                                   " version = version + 1, updated_at = $3 WHERE tenant_id = $1 AND id = $2");
#define TERM_COLS "academic_year_id, name, start_date, end_date"
static stmt_t Q_TERM_GET =
    STMT("oneroster.term_get", 0, "SELECT " TERM_COLS " FROM terms WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_TERM_FIND =
    STMT("oneroster.term_find", 0, "SELECT id FROM terms WHERE tenant_id = $1 AND academic_year_id = $2 AND name = $3");
static stmt_t Q_TERM_INSERT = STMT("oneroster.term_insert", 0,
                                   "INSERT INTO terms (tenant_id, id, " TERM_COLS ", created_at, updated_at)"
                                   " VALUES ($1, $2, $4, $5, $6, $7, $3, $3)");
static stmt_t Q_TERM_UPDATE = STMT("oneroster.term_update", 0,
                                   "UPDATE terms SET academic_year_id = $4, name = $5, start_date = $6, end_date = $7,"
                                   " version = version + 1, updated_at = $3 WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_SUBJECT_GET =
    STMT("oneroster.subject_get", 0, "SELECT code, name FROM subjects WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_SUBJECT_FIND =
    STMT("oneroster.subject_find", 0, "SELECT id FROM subjects WHERE tenant_id = $1 AND lower(code) = lower($2)");
static stmt_t Q_SUBJECT_INSERT = STMT("oneroster.subject_insert", 0,
                                      "INSERT INTO subjects (tenant_id, id, code, name, created_at, updated_at)"
                                      " VALUES ($1, $2, $4, $5, $3, $3)");
static stmt_t Q_SUBJECT_UPDATE = STMT("oneroster.subject_update", 0,
                                      "UPDATE subjects SET code = $4, name = $5, version = version + 1,"
                                      " updated_at = $3 WHERE tenant_id = $1 AND id = $2");
#define CLASS_COLS "academic_year_id, name, grade_level, section, room"
static stmt_t Q_CLASS_GET =
    STMT("oneroster.class_get", 0, "SELECT " CLASS_COLS " FROM classes WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_CLASS_FIND = STMT("oneroster.class_find", 0,
                                  "SELECT id FROM classes WHERE tenant_id = $1 AND academic_year_id = $2"
                                  " AND grade_level = $3 AND section = $4");
static stmt_t Q_CLASS_INSERT = STMT("oneroster.class_insert", 0,
                                    "INSERT INTO classes (tenant_id, id, " CLASS_COLS ", created_at, updated_at)"
                                    " VALUES ($1, $2, $4, $5, $6, $7, $8, $3, $3)");
static stmt_t Q_CLASS_UPDATE = STMT("oneroster.class_update", 0,
                                    "UPDATE classes SET academic_year_id = $4, name = $5, grade_level = $6,"
                                    " section = $7, room = $8, version = version + 1, updated_at = $3"
                                    " WHERE tenant_id = $1 AND id = $2");

static const or_ent_t E_YEAR = {
    "academicSession", "year", &Q_YEAR_GET, &Q_YEAR_FIND, &Q_YEAR_INSERT, &Q_YEAR_UPDATE, 3, {0}, 1, K_YEARS, 0, NULL};
static const or_ent_t E_TERM = {
    "academicSession", "term", &Q_TERM_GET, &Q_TERM_FIND, &Q_TERM_INSERT, &Q_TERM_UPDATE, 4, {0, 1}, 2,
    K_TERMS,           0,      NULL};
static const or_ent_t E_SUBJECT = {
    "course", "subject", &Q_SUBJECT_GET, &Q_SUBJECT_FIND, &Q_SUBJECT_INSERT, &Q_SUBJECT_UPDATE, 2, {0}, 1, K_SUBJECTS,
    0,        NULL};
static const or_ent_t E_CLASS = {
    "class",   "class", &Q_CLASS_GET, &Q_CLASS_FIND, &Q_CLASS_INSERT, &Q_CLASS_UPDATE, 5, {0, 2, 3}, 3,
    K_CLASSES, 0,       NULL};

/* ---- sourcedIds */

static const char *id_key(arena_t *a, const char *kind, const char *sourced_id)
{
    return arena_printf(a, "%s\x1f%s", kind, sourced_id);
}

or_id_t *or_id_get(const or_imp_t *m, const char *kind, const char *sourced_id)
{
    char key[512];
    if (sourced_id == NULL || snprintf(key, sizeof(key), "%s\x1f%s", kind, sourced_id) >= (int)sizeof(key))
        return NULL;
    return smap_get(&m->ids, key);
}

int or_id_put(or_imp_t *m, const char *kind, const char *sourced_id, const char *local_kind, const char *local_id)
{
    or_id_t *cur = or_id_get(m, kind, sourced_id);
    if (cur != NULL && strcmp(cur->local_kind, local_kind) == 0 && strcmp(cur->local_id, local_id) == 0)
        return 0;
    if (db_exec(m->db, &Q_ID_PUT,
                DB_ARGS(DB_TEXT(m->tenant), DB_TEXT(kind), DB_TEXT(sourced_id), DB_TEXT(local_kind), DB_TEXT(local_id),
                        DB_INT(m->now)),
                m->a, NULL) != 0)
        return -1;
    or_id_t *v = arena_alloc(m->a, sizeof(*v));
    *v = (or_id_t){arena_strdup(m->a, local_kind), arena_strdup(m->a, local_id)};
    smap_put(&m->ids, id_key(m->a, kind, sourced_id), v);
    smap_put(&m->claimed, id_key(m->a, local_kind, local_id), arena_strdup(m->a, sourced_id));
    return 0;
}

int or_id_drop(or_imp_t *m, const char *kind, const char *sourced_id)
{
    if (db_exec(m->db, &Q_ID_DROP, DB_ARGS(DB_TEXT(m->tenant), DB_TEXT(kind), DB_TEXT(sourced_id)), m->a, NULL) != 0)
        return -1;
    or_id_t *cur = or_id_get(m, kind, sourced_id);
    if (cur != NULL)
        smap_put(&m->ids, id_key(m->a, kind, sourced_id), NULL);
    return 0;
}

static int load_ids(or_imp_t *m)
{
    db_result_t res;
    if (db_exec(m->db, &Q_IDS, DB_ARGS(DB_TEXT(m->tenant)), m->a, &res) != 0)
        return -1;
    for (int i = 0; i < res.nrows; i++) {
        or_id_t *v = arena_alloc(m->a, sizeof(*v));
        *v = (or_id_t){db_get(&res, i, 2), db_get(&res, i, 3)};
        smap_put(&m->ids, id_key(m->a, db_get(&res, i, 0), db_get(&res, i, 1)), v);
        smap_put(&m->claimed, id_key(m->a, v->local_kind, v->local_id), (void *)db_get(&res, i, 1));
    }
    return 0;
}

int or_known(const or_imp_t *m, int table, const char *kind, const char *sourced_id, const char *local_kind)
{
    const or_row_t *row = smap_get(&m->t[table].by_id, sourced_id);
    if (row != NULL)
        return !row->deleted;
    const or_id_t *id = or_id_get(m, kind, sourced_id);
    return id != NULL && (local_kind == NULL || strcmp(id->local_kind, local_kind) == 0);
}

int or_write_failed(or_imp_t *m, int table, const or_row_t *row, const char *column)
{
    const db_error_t *e = db_error(m->db);
    if (e->status == DB_UNIQUE || e->status == DB_FOREIGN_KEY || e->status == DB_INVALID) {
        or_err(&m->errs, m->t[table].spec->file, row->line, column, "conflicts with the school's data (%s%s%s)",
               e->status == DB_UNIQUE ? "already taken" : "not accepted", e->constraint[0] ? ": " : "", e->constraint);
        m->refused = 1;
    }
    return -1;
}

int or_audit(or_imp_t *m, const char *action, const char *subject_id, const char *detail)
{
    const char *dot = strchr(action, '.');
    audit_event_t e = {.tenant_id = m->tenant,
                       .actor_id = m->r.auth.user_id[0] ? m->r.auth.user_id : NULL,
                       .actor_roles = m->r.auth.roles,
                       .action = action,
                       .subject_type = arena_strndup(m->a, action, (size_t)(dot - action)),
                       .subject_id = subject_id,
                       .detail =
                           detail != NULL ? arena_printf(m->a, "oneroster import: %s", detail) : "oneroster import"};
    return audit_record(m->db, NULL, &e);
}

/* ---- the generic upsert */

static void bind(const or_imp_t *m, const char *id, const char **vals, int n, db_arg_t *args)
{
    args[0] = DB_TEXT(m->tenant);
    args[1] = DB_TEXT(id);
    args[2] = DB_INT(m->now);
    for (int i = 0; i < n; i++)
        args[3 + i] = DB_TEXT(vals[i]);
}

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Finds the record by its natural key; *id NULL when none. 0 or -1. */
static int find(or_imp_t *m, const or_ent_t *e, const char **vals, const char **id)
{
    db_arg_t args[4] = {DB_TEXT(m->tenant)};
    db_result_t res;
    *id = NULL;
    if (e->find == NULL)
        return 0;
    for (int k = 0; k < e->nkeys; k++)
        args[1 + k] = DB_TEXT(vals[e->keys[k]]);
    if (db_exec(m->db, e->find, args, 1 + e->nkeys, m->a, &res) != 0)
        return -1;
    if (res.nrows > 0)
        *id = db_get(&res, 0, 0);
    return 0;
}

/* Updates record id when a value differs; counts. 0 or -1. */
static int refresh(or_imp_t *m, const or_ent_t *e, int table, const or_row_t *row, const char **vals, const char *id)
{
    db_result_t res;
    db_arg_t args[16];
    if (db_exec(m->db, e->get, DB_ARGS(DB_TEXT(m->tenant), DB_TEXT(id)), m->a, &res) != 0)
        return -1;
    int differs = res.nrows == 0;
    for (int i = 0; res.nrows > 0 && i < e->nvals; i++)
        differs |= !same(db_get(&res, 0, i), vals[i]);
    if (!differs) {
        m->count[e->count].unchanged++;
        return 0;
    }
    bind(m, id, vals, e->nvals, args);
    if (db_exec(m->db, e->update, args, 3 + e->nvals, m->a, NULL) != 0)
        return or_write_failed(m, table, row, NULL);
    m->count[e->count].updated++;
    return e->noun != NULL ? or_audit(m, arena_printf(m->a, "%s.update", e->noun), id, NULL) : 0;
}

int or_put(or_imp_t *m, const or_ent_t *e, int table, const or_row_t *row, const char **vals, const char **id)
{
    const char *sid = row->f[C_SOURCED_ID];
    or_id_t *known = or_id_get(m, e->kind, sid);
    *id = known != NULL && strcmp(known->local_kind, e->local_kind) == 0 ? known->local_id : NULL;
    if (*id == NULL && find(m, e, vals, id) != 0)
        return -1;
    const char *owner = *id != NULL && known == NULL ? smap_get(&m->claimed, id_key(m->a, e->local_kind, *id)) : NULL;
    if (owner != NULL && !e->shared && strcmp(owner, sid) != 0) {
        or_err(&m->errs, m->t[table].spec->file, row->line, NULL,
               "is the same %s as sourcedId %s (the same natural key); one record cannot have two sourcedIds",
               e->local_kind, owner);
        m->refused = 1;
        return -1;
    }
    if (*id != NULL) {
        *id = arena_strdup(m->a, *id);
        if (or_id_put(m, e->kind, sid, e->local_kind, *id) != 0)
            return -1;
        return refresh(m, e, table, row, vals, *id);
    }
    char *nid = arena_alloc(m->a, UUID_STR_LEN + 1);
    ids_uuid7(nid);
    db_arg_t args[16];
    bind(m, nid, vals, e->nvals, args);
    if (db_exec(m->db, e->insert, args, 3 + e->nvals, m->a, NULL) != 0)
        return or_write_failed(m, table, row, NULL);
    m->count[e->count].created++;
    *id = nid;
    if (e->noun != NULL && or_audit(m, arena_printf(m->a, "%s.create", e->noun), nid, NULL) != 0)
        return -1;
    return or_id_put(m, e->kind, sid, e->local_kind, nid);
}

/* ---- checks */

static const char *year_of(or_imp_t *m, const or_row_t *row, int depth)
{
    const char *parent = row->f[SES_PARENT];
    if (strcmp(row->f[SES_TYPE], "schoolYear") == 0)
        return row->f[C_SOURCED_ID];
    if (parent == NULL) {
        for (int i = 0; i < m->t[OR_SESSIONS].n; i++) {
            const or_row_t *y = &m->t[OR_SESSIONS].rows[i];
            if (!y->deleted && y->f[SES_TYPE] && strcmp(y->f[SES_TYPE], "schoolYear") == 0 &&
                same(y->f[SES_SCHOOL_YEAR], row->f[SES_SCHOOL_YEAR]))
                return y->f[C_SOURCED_ID];
        }
        return NULL;
    }
    const or_row_t *p = smap_get(&m->t[OR_SESSIONS].by_id, parent);
    if (p != NULL)
        return p->deleted || p->f[SES_TYPE] == NULL || depth > 4 ? NULL : year_of(m, p, depth + 1);
    const or_id_t *id = or_id_get(m, "academicSession", parent);
    return id != NULL && strcmp(id->local_kind, "year") == 0 ? parent : NULL;
}

static void check_sessions(or_imp_t *m)
{
    static const char *const types[] = {"gradingPeriod", "semester", "schoolYear", "term", NULL};
    or_table_t *t = &m->t[OR_SESSIONS];
    const char *f = t->spec->file;
    for (int i = 0; i < t->n; i++) {
        or_row_t *row = &t->rows[i];
        if (row->deleted)
            continue;
        if (!or_one_of(row->f[SES_TYPE], types)) {
            or_err(&m->errs, f, row->line, "type", "must be gradingPeriod, semester, schoolYear or term");
            continue;
        }
        int dates = 1;
        for (int c = SES_START; c <= SES_END; c++)
            if (!or_date_ok(row->f[c])) {
                or_err(&m->errs, f, row->line, t->spec->cols[c], "must be a date (YYYY-MM-DD), not '%s'", row->f[c]);
                dates = 0;
            }
        if (dates && strcmp(row->f[SES_END], row->f[SES_START]) <= 0)
            or_err(&m->errs, f, row->line, "endDate", "must be after startDate");
        if ((m->aux[OR_SESSIONS][i].year = year_of(m, row, 0)) == NULL)
            or_err(&m->errs, f, row->line, "parentSourcedId",
                   "names no schoolYear of this file or imported before (nor does schoolYear %s)",
                   row->f[SES_SCHOOL_YEAR]);
    }
}

static stmt_t Q_TERM_YEAR =
    STMT("oneroster.term_year", 0, "SELECT academic_year_id FROM terms WHERE tenant_id = $1 AND id = $2");

/* The school year of a class (of its first term): x->year, or x->year_id for a term imported before. 0 or -1. */
static int class_year(or_imp_t *m, const char *term, or_aux_t *x)
{
    const or_row_t *s = smap_get(&m->t[OR_SESSIONS].by_id, term);
    if (s != NULL) {
        x->year = s->deleted ? NULL : m->aux[OR_SESSIONS][s - m->t[OR_SESSIONS].rows].year;
        return 0;
    }
    const or_id_t *id = or_id_get(m, "academicSession", term);
    db_result_t res;
    if (id != NULL && strcmp(id->local_kind, "year") == 0)
        x->year = term;
    else if (id != NULL && strcmp(id->local_kind, "term") == 0) {
        if (db_exec(m->db, &Q_TERM_YEAR, DB_ARGS(DB_TEXT(m->tenant), DB_TEXT(id->local_id)), m->a, &res) != 0)
            return -1;
        x->year_id = res.nrows > 0 ? db_get(&res, 0, 0) : NULL;
    }
    return 0;
}

/* A section taught to a class of ours (metadata.erp.homeroomSourcedId, as the export writes them). */
static void check_section(or_imp_t *m, const or_row_t *row, or_aux_t *x)
{
    const char *f = m->t[OR_CLASSES].spec->file, *home = row->f[CLS_HOMEROOM];
    const or_row_t *h = smap_get(&m->t[OR_CLASSES].by_id, home);
    x->taught = 1;
    if (row->f[CLS_COURSE] == NULL)
        or_err(&m->errs, f, row->line, "courseSourcedId", "is required for a section taught to a class");
    if (h != NULL ? h->deleted || h->f[CLS_HOMEROOM] != NULL : !or_known(m, OR_CLASSES, "class", home, "class"))
        or_err(&m->errs, f, row->line, "metadata.erp.homeroomSourcedId",
               "no class %s in classes.csv nor imported before", home);
}

static int check_class(or_imp_t *m, or_row_t *row, or_aux_t *x)
{
    static const char *const types[] = {"homeroom", "scheduled", NULL};
    const char *f = m->t[OR_CLASSES].spec->file, *course = row->f[CLS_COURSE];
    if (m->org != NULL && strcmp(row->f[CLS_SCHOOL], m->org) != 0) {
        x->skip = 1;
        return 0;
    }
    if (!or_one_of(row->f[CLS_TYPE], types))
        or_err(&m->errs, f, row->line, "classType", "must be homeroom or scheduled");
    if (course != NULL && !or_known(m, OR_COURSES, "course", course, NULL))
        or_err(&m->errs, f, row->line, "courseSourcedId", "no course %s in courses.csv nor imported before", course);
    if (row->f[CLS_HOMEROOM] != NULL) {
        check_section(m, row, x);
        return 0;
    }
    int n;
    const char **terms = or_split(m->a, row->f[CLS_TERMS], &n);
    for (int k = 0; k < n; k++)
        if (!or_known(m, OR_SESSIONS, "academicSession", terms[k], NULL))
            or_err(&m->errs, f, row->line, "termSourcedIds",
                   "no academic session %s in academicSessions.csv nor"
                   " imported before",
                   terms[k]);
    if (n > 0 && class_year(m, terms[0], x) != 0)
        return -1;
    if (n > 0 && x->year == NULL && x->year_id == NULL && or_known(m, OR_SESSIONS, "academicSession", terms[0], NULL))
        or_err(&m->errs, f, row->line, "termSourcedIds", "%s is not of a school year of this file", terms[0]);
    x->grade = or_grade_level(row->f[CLS_GRADES]);
    const or_row_t *c = course != NULL ? smap_get(&m->t[OR_COURSES].by_id, course) : NULL;
    if (x->grade < 0 && c != NULL)
        x->grade = or_grade_level(c->f[CRS_GRADES]);
    if (x->grade < 0)
        or_err(&m->errs, f, row->line, "grades", "needs a grade (KG, 01 … 13; of the class or of its course)");
    x->section = or_section(m->a, row->f[CLS_CODE], row->f[CLS_TITLE], row->f[C_SOURCED_ID]);
    return 0;
}

static void check_orgs(or_imp_t *m)
{
    static const char *const types[] = {"department", "school", "district", "local", "state", "national", NULL};
    or_table_t *t = &m->t[OR_ORGS];
    const char *school = NULL;
    int schools = 0;
    for (int i = 0; i < t->n; i++) {
        const or_row_t *row = &t->rows[i];
        if (row->deleted)
            continue;
        if (!or_one_of(row->f[ORG_TYPE], types))
            or_err(&m->errs, t->spec->file, row->line, "type", "must be one of the OneRoster org types");
        else if (strcmp(row->f[ORG_TYPE], "school") == 0 && schools++ == 0)
            school = row->f[C_SOURCED_ID];
    }
    if (m->org != NULL) {
        const or_row_t *row = smap_get(&t->by_id, m->org);
        if (t->mode != NULL && (row == NULL || strcmp(row->f[ORG_TYPE] ? row->f[ORG_TYPE] : "", "school") != 0))
            or_err(&m->errs, t->spec->file, 1, NULL, "has no school with sourcedId %s", m->org);
    } else if (schools > 1)
        or_err(&m->errs, t->spec->file, 1, NULL, "has %d schools: name the one to import (its sourcedId)", schools);
    else if (schools == 1)
        m->org = school;
}

/* Checks every row; 0, or -1 when the database failed. */
static int check_all(or_imp_t *m)
{
    check_orgs(m);
    check_sessions(m);
    or_table_t *t = &m->t[OR_CLASSES];
    for (int i = 0; i < t->n; i++)
        if (!t->rows[i].deleted && check_class(m, &t->rows[i], &m->aux[OR_CLASSES][i]) != 0)
            return -1;
    or_check_users(m);
    or_check_enrollments(m);
    return 0;
}

/* ---- writes */

static int apply_sessions(or_imp_t *m, int years)
{
    or_table_t *t = &m->t[OR_SESSIONS];
    for (int i = 0; i < t->n; i++) {
        const or_row_t *row = &t->rows[i];
        const char *id;
        if (row->deleted || (strcmp(row->f[SES_TYPE], "schoolYear") == 0) != years)
            continue;
        if (years) {
            const char *vals[] = {row->f[SES_TITLE], row->f[SES_START], row->f[SES_END]};
            if (or_put(m, &E_YEAR, OR_SESSIONS, row, vals, &id) != 0)
                return -1;
            continue;
        }
        const or_id_t *y = or_id_get(m, "academicSession", m->aux[OR_SESSIONS][i].year);
        const char *vals[] = {y->local_id, row->f[SES_TITLE], row->f[SES_START], row->f[SES_END]};
        if (or_put(m, &E_TERM, OR_SESSIONS, row, vals, &id) != 0)
            return -1;
    }
    return 0;
}

static int apply_courses(or_imp_t *m)
{
    or_table_t *t = &m->t[OR_COURSES];
    for (int i = 0; i < t->n; i++) {
        const or_row_t *row = &t->rows[i];
        const char *id, *code = row->f[CRS_CODE] ? row->f[CRS_CODE] : row->f[C_SOURCED_ID];
        if (row->deleted)
            continue;
        const char *vals[] = {code, row->f[CRS_TITLE]};
        if (or_put(m, &E_SUBJECT, OR_COURSES, row, vals, &id) != 0)
            return -1;
    }
    return 0;
}

static int apply_classes(or_imp_t *m)
{
    or_table_t *t = &m->t[OR_CLASSES];
    for (int i = 0; i < t->n; i++) {
        const or_row_t *row = &t->rows[i];
        const or_aux_t *x = &m->aux[OR_CLASSES][i];
        const char *id;
        if (row->deleted || x->skip || x->taught)
            continue;
        const char *year = x->year_id != NULL ? x->year_id : or_id_get(m, "academicSession", x->year)->local_id;
        const char *vals[] = {year, row->f[CLS_TITLE], arena_printf(m->a, "%d", x->grade), x->section,
                              row->f[CLS_LOCATION]};
        if (or_put(m, &E_CLASS, OR_CLASSES, row, vals, &id) != 0)
            return -1;
    }
    return 0;
}

static int apply(db_t *db, void *ctx)
{
    or_imp_t *m = ctx;
    (void)db;
    /* a run again after a serialization failure starts afresh: what the rolled-back attempt mapped is gone */
    memset(m->count, 0, sizeof(m->count));
    m->skipped = 0;
    m->refused = 0;
    smap_init(&m->ids, m->a);
    smap_init(&m->claimed, m->a);
    if (load_ids(m) != 0)
        return -1;
    if (m->org != NULL && or_id_put(m, "org", m->org, "tenant", m->tenant) != 0)
        return -1;
    if (apply_sessions(m, 1) != 0 || apply_sessions(m, 0) != 0 || apply_courses(m) != 0 || apply_classes(m) != 0 ||
        or_apply_users(m) != 0 || or_apply_enrollments(m) != 0)
        return -1;
    return or_audit(m, "import.oneroster", NULL,
                    arena_printf(m->a, "students %d/%d, classes %d/%d, enrollments %d/%d created/updated",
                                 m->count[K_STUDENTS].created, m->count[K_STUDENTS].updated,
                                 m->count[K_CLASSES].created, m->count[K_CLASSES].updated,
                                 m->count[K_ENROLLMENTS].created, m->count[K_ENROLLMENTS].updated));
}

/* ---- reading */

static int read_tables(or_imp_t *m, const or_files_t *fs)
{
    const or_file_t *mf = or_files_get(fs, "manifest.csv");
    const char *modes[OR_NTABLES];
    if (mf == NULL) {
        or_err(&m->errs, "manifest.csv", 0, NULL, "is missing: a OneRoster CSV set starts with its manifest");
        return -1;
    }
    if (or_manifest(m->a, mf, modes, &m->ignored, &m->n_ignored, &m->errs) != 0)
        return -1;
    for (int k = 0; k < OR_NTABLES; k++) {
        or_table_t *t = &m->t[k];
        t->spec = &or_specs[k];
        smap_init(&t->by_id, m->a);
        if ((t->mode = modes[k]) == NULL)
            continue;
        const or_file_t *f = or_files_get(fs, t->spec->file);
        if (f == NULL)
            or_err(&m->errs, "manifest.csv", 0, arena_printf(m->a, "file.%s", t->spec->name),
                   "is %s but the set has no %s", t->mode, t->spec->file);
        else
            or_table_parse(m->a, f, t->spec, t, &m->errs);
    }
    for (int k = 0; k < OR_NTABLES; k++)
        m->aux[k] = arena_calloc(m->a, (size_t)(m->t[k].n + 1) * sizeof(or_aux_t));
    return m->errs.total > 0 ? -1 : 0;
}

/* ---- the report */

static json_t *counts_json(const or_imp_t *m)
{
    static const char *const names[K_N] = {"academicYears", "terms",    "subjects",  "classes",  "teachingAssignments",
                                           "students",      "teachers", "guardians", "accounts", "enrollments"};
    json_t *o = json_object();
    for (int k = 0; o != NULL && k < K_N; k++) {
        const or_count_t *c = &m->count[k];
        if (json_object_set_new(o, names[k],
                                json_pack("{s:i,s:i,s:i,s:i}", "created", c->created, "updated", c->updated,
                                          "unchanged", c->unchanged, "deleted", c->deleted)) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    return o;
}

static json_t *report_json(const or_imp_t *m)
{
    json_t *errors = json_array(), *ignored = json_array();
    for (int i = 0; errors != NULL && i < m->errs.n; i++) {
        const or_error_t *e = &m->errs.v[i];
        if (json_array_append_new(errors, json_pack("{s:s,s:i,s:s?,s:s}", "file", e->file, "line", e->line, "column",
                                                    e->column, "reason", e->reason)) != 0) {
            json_decref(errors);
            errors = NULL;
        }
    }
    for (int i = 0; ignored != NULL && i < m->n_ignored; i++)
        if (json_array_append_new(ignored, json_string(m->ignored[i])) != 0) {
            json_decref(ignored);
            ignored = NULL;
        }
    json_t *o = json_pack("{s:s?,s:o?,s:i,s:o?,s:i,s:o?}", "school", m->org, "counts", counts_json(m), "skipped",
                          m->skipped, "ignoredFiles", ignored, "errorCount", m->errs.total, "errors", errors);
    if (o == NULL)
        erp_oom();
    return o;
}

/* ---- the driver */

static int open_school(or_imp_t *m, const char *tenant_id, const char *actor_id)
{
    int rc = import_open_school(m->db, m->a, &m->r, tenant_id, actor_id);
    if (rc == 0)
        m->r.auth.roles = actor_id != NULL ? ROLE_ADMIN : 0;
    return rc;
}

static int run(or_imp_t *m, const oneroster_input_t *in, json_t **report)
{
    or_files_t fs;
    const char *why = NULL;
    int rc = in->dir != NULL ? or_files_from_dir(m->a, in->dir, &fs, &why)
                             : or_files_from_zip(m->a, in->zip, in->zip_len, &fs, &why);
    if (rc != 0) {
        *report = import_failure(why);
        return 1;
    }
    if (load_ids(m) != 0)
        return -1;
    if (read_tables(m, &fs) == 0 && check_all(m) != 0)
        return -1;
    if (m->errs.total > 0) {
        *report = report_json(m);
        return 1;
    }
    if (db_transaction(m->db, apply, m) != 0) {
        if (!m->refused)
            return -1;
        memset(m->count, 0, sizeof(m->count));
        *report = report_json(m);
        return 1;
    }
    /* what the servers cached of the school is stale: here and, through Redis, on every instance */
    int changed = 0;
    for (int k = 0; k < K_N; k++)
        changed |= m->count[k].created + m->count[k].updated + m->count[k].deleted;
    if (changed)
        cache_invalidate_tenant(m->tenant);
    *report = report_json(m);
    return 0;
}

int oneroster_import(db_t *db, arena_t *a, const char *tenant_id, const char *actor_id, const oneroster_input_t *in,
                     json_t **report)
{
    or_imp_t m = {.db = db, .a = a, .tenant = tenant_id, .now = (long long)clock_wall_ms(), .org = in->org};
    arena_init(&m.r.arena);
    req_reset(&m.r);
    or_errors_init(&m.errs, a);
    smap_init(&m.ids, a);
    smap_init(&m.claimed, a);
    int rc = open_school(&m, tenant_id, actor_id);
    if (rc > 0)
        *report = import_failure("no such school");
    else if (rc == 0)
        rc = run(&m, in, report);
    if (rc < 0) {
        log_error("oneroster import failed", "%s", db_error(db)->message);
        *report = import_failure("the database failed; nothing was imported");
    }
    arena_destroy(&m.r.arena);
    return rc;
}
