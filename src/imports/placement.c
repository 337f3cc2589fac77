/*
 * placement.c - the students import's className column: the class of the
 * school's current academic year a student is in. A student without an open
 * enrollment in that year is enrolled from today (or the year's first day,
 * when it has not begun) with the checks and audit event of POST
 * /enrollments (enrollments_enroll()); one already in the named class is left
 * as is; one in another class is an error of the record (a move is a
 * transfer, made with the API, which decides what happens to the register).
 * An empty cell changes nothing.
 */
#include <string.h>

#include "api/academic.h"
#include "api/common.h"
#include "imports/imports_int.h"

static stmt_t Q_YEAR = STMT("imports.current_year", 0,
                            "SELECT id, name, start_date, end_date FROM academic_years WHERE tenant_id = $1"
                            " AND is_current = true");
static stmt_t Q_CLASSES = STMT("imports.year_classes", 0,
                               "SELECT id, name FROM classes WHERE tenant_id = $1 AND academic_year_id = $2");
static stmt_t Q_PLACED = STMT("imports.year_enrollments", 0,
                              "SELECT e.student_id, c.name FROM enrollments e JOIN classes c"
                              " ON c.tenant_id = e.tenant_id AND c.id = e.class_id WHERE e.tenant_id = $1"
                              " AND e.academic_year_id = $2 AND e.end_date IS NULL");

static const char AMBIGUOUS[] = "";

int placement_load(imp_t *m)
{
    if (!imports_has_column(m, COL_PLACE, "className"))
        return 0;
    const char *tenant = m->r.auth.tenant_id;
    db_result_t res;
    if (db_exec(m->db, &Q_YEAR, DB_ARGS(DB_TEXT(tenant)), m->a, &res) != 0)
        return -1;
    if (res.nrows == 0)
        return 0;
    const char *year_id = db_get(&res, 0, 0);
    m->year = db_get(&res, 0, 1);
    m->year_start = db_get(&res, 0, 2);
    m->year_end = db_get(&res, 0, 3);
    if (db_exec(m->db, &Q_CLASSES, DB_ARGS(DB_TEXT(tenant), DB_TEXT(year_id)), m->a, &res) != 0)
        return -1;
    for (int i = 0; i < res.nrows; i++) {
        const char *key = imports_lower(m->a, db_get(&res, i, 1));
        smap_put(&m->classes, key, smap_get(&m->classes, key) != NULL ? (void *)AMBIGUOUS : (void *)db_get(&res, i, 0));
    }
    if (db_exec(m->db, &Q_PLACED, DB_ARGS(DB_TEXT(tenant), DB_TEXT(year_id)), m->a, &res) != 0)
        return -1;
    for (int i = 0; i < res.nrows; i++)
        smap_put(&m->placed, db_get(&res, i, 0), (void *)db_get(&res, i, 1));
    return 0;
}

/* The class cell of a record, or NULL when it is empty or the file has no such column. */
static const char *class_cell(const imp_t *m, const sheet_row_t *row)
{
    for (int c = 0; c < m->k->ncolumns; c++) {
        if (m->k->columns[c].part != COL_PLACE)
            continue;
        const char *cell = columns_cell(row, m->at, c);
        return cell != NULL && cell[0] != '\0' ? cell : NULL;
    }
    return NULL;
}

int placement_plan(imp_t *m, const sheet_row_t *row, plan_t *p)
{
    const char *name = class_cell(m, row);
    if (name == NULL)
        return 0;
    if (m->year == NULL) {
        errlist_add(&m->errs, row->line, "className", "the school has no current academic year");
        return 0;
    }
    const char *id = smap_get(&m->classes, imports_lower(m->a, name));
    if (id == NULL || id == AMBIGUOUS) {
        errlist_add(&m->errs, row->line, "className", "%s class %s in the current academic year (%s)",
                    id == NULL ? "there is no" : "more than one is called", name, m->year);
        return 0;
    }
    const char *now = p->main->op == OP_CREATE ? NULL : smap_get(&m->placed, p->main->id);
    if (now != NULL) {
        if (strcasecmp(now, name) != 0)
            errlist_add(&m->errs, row->line, "className",
                        "the student is in class %s; a move to another class is a transfer"
                        " (POST /api/v1/enrollments/{id}/transfer)", now);
        return 0;
    }
    const char *today = school_today(&m->r);
    p->class_id = id;
    p->start = strcmp(today, m->year_start) < 0 ? m->year_start : strcmp(today, m->year_end) > 0 ? m->year_end : today;
    m->enrolled++;
    return 1;
}

int placement_apply(imp_t *m)
{
    for (int i = 0; i < m->nplans; i++) {
        const plan_t *p = &m->plans[i];
        if (p->class_id == NULL)
            continue;
        char id[40];
        memset(&m->r.err, 0, sizeof(m->r.err));
        if (enrollments_enroll(&m->r, m->db, p->main->id, p->class_id, p->start, id) == 0)
            continue;
        if (m->r.err.code != ERR_NONE) {
            errlist_add(&m->errs, p->line, "className", "%s",
                        m->r.err.detail != NULL ? m->r.err.detail : "the class refused the student");
            m->refused = 1;
        }
        return -1;
    }
    return 0;
}
