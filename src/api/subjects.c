/* subjects.c - /subjects: what is taught, by a code unique in the school. */
#include <string.h>

#include "api/academic.h"
#include "api/academic_int.h"
#include "api/app.h"
#include "api/common.h"
#include "api/validate.h"
#include "core/clock.h"
#include "core/ids.h"

/* ------------------------------------------------------------------ subjects */

#define SUBJECT_COLS "s.id, s.code, s.name, s.description, s.version, s.created_at, s.updated_at"

static stmt_t Q_SUBJ_GET =
    STMT("subjects.get", STMT_READ, "SELECT " SUBJECT_COLS " FROM subjects s WHERE s.tenant_id = $1 AND s.id = $2");
static stmt_t Q_SUBJ_INSERT =
    STMT("subjects.insert", 0,
         "INSERT INTO subjects (tenant_id, id, code, name, description, created_at, updated_at)"
         " VALUES ($1, $2, $3, $4, $5, $6, $6)");
static stmt_t Q_SUBJ_UPDATE = STMT("subjects.update", 0,
                                   "UPDATE subjects SET code = $4, name = $5, description = $6, version = version + 1,"
                                   " updated_at = $7 WHERE tenant_id = $1 AND id = $2 AND version = $3");
static stmt_t Q_SUBJ_USES = STMT("subjects.uses", 0,
                                 "SELECT (SELECT count(*) FROM class_subjects a WHERE a.tenant_id = $1"
                                 " AND a.subject_id = $2), (SELECT count(*) FROM timetable_slots t"
                                 " WHERE t.tenant_id = $1 AND t.subject_id = $2)");
static stmt_t Q_SUBJ_DELETE =
    STMT("subjects.delete", 0, "DELETE FROM subjects WHERE tenant_id = $1 AND id = $2 AND version = $3");

#define SUBJ_LIST_SQL(search, col, cmp, dir)                                                                           \
    "SELECT " SUBJECT_COLS " FROM subjects s WHERE s.tenant_id = $1 AND (" search " OR $2 IS NULL)"                    \
    " AND ((" col ", s.id) " cmp " ($3, $4) OR $3 IS NULL) ORDER BY " col " " dir ", s.id " dir " LIMIT $5"
#define SUBJ_SEARCH_SQLITE "(instr(lower(s.code), lower($2)) > 0 OR instr(lower(s.name), lower($2)) > 0)"
#define SUBJ_SEARCH_PG "(strpos(lower(s.code), lower($2)) > 0 OR strpos(lower(s.name), lower($2)) > 0)"
#define SUBJ_LIST(name, col, cmp, dir)                                                                                 \
    STMT2(name, STMT_READ, SUBJ_LIST_SQL(SUBJ_SEARCH_SQLITE, col, cmp, dir),                                           \
          SUBJ_LIST_SQL(SUBJ_SEARCH_PG, col, cmp, dir))
static const char *const subject_sorts[] = {"code", "name", NULL};
static const int subject_sort_col[] = {1, 2};
static stmt_t Q_SUBJ_LIST[2][2] = {
    {SUBJ_LIST("subjects.list_code", "s.code", ">", "ASC"),
     SUBJ_LIST("subjects.list_code_desc", "s.code", "<", "DESC")},
    {SUBJ_LIST("subjects.list_name", "s.name", ">", "ASC"),
     SUBJ_LIST("subjects.list_name_desc", "s.name", "<", "DESC")},
};

static json_t *subject_json(req_t *r, const db_result_t *res, int row)
{
    return json_pack("{s:s,s:s,s:s,s:o,s:I,s:s,s:s}", "id", db_get(res, row, 0), "code", db_get(res, row, 1), "name",
                     db_get(res, row, 2), "description", acad_json_str(db_get(res, row, 3)), "version",
                     (json_int_t)db_get_int(res, row, 4), "createdAt", iso_time(&r->arena, db_get_int(res, row, 5)),
                     "updatedAt", iso_time(&r->arena, db_get_int(res, row, 6)));
}

/* The subject's row into *res: 0, or -1 (404, or a database error). */
static int load_subject(req_t *r, const char *id, db_result_t *res)
{
    db_t *db = req_db(r);
    if (db_exec(db, &Q_SUBJ_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, res) != 0)
        return db_fail(r, db);
    if (res->nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such subject.");
    return 0;
}

static int respond_subject(req_t *r, const char *id, int status)
{
    db_result_t res;
    if (load_subject(r, id, &res) != 0)
        return -1;
    set_etag(r, db_get_int(&res, 0, 4));
    return res_json(r, status, subject_json(r, &res, 0));
}

/* Reads the subject's fields; a code is 1-20 letters, digits, '-', '_' or '.', starting with a letter or digit. */
static void read_subject(req_t *r, int required, const char **code, const char **name, const char **description)
{
    if (body_string(r, "code", required, 1, 20, code) == 1) {
        const char *c = *code;
        int ok = (c[0] >= 'A' && c[0] <= 'Z') || (c[0] >= 'a' && c[0] <= 'z') || (c[0] >= '0' && c[0] <= '9');
        for (const char *p = c; *p && ok; p++)
            ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
                 *p == '_' || *p == '.';
        if (!ok)
            res_field_error(r, "code", "must be letters, digits, '-', '_' or '.', starting with a letter or digit");
    }
    body_string(r, "name", required, 1, 100, name);
    body_string(r, "description", 0, 1, 2000, description);
}

int subjects_create(req_t *r)
{
    static const char *const fields[] = {"code", "name", "description", NULL};
    const char *code = NULL, *name = NULL, *description = NULL;
    body_only_fields(r, fields);
    read_subject(r, 1, &code, &name, &description);
    if (res_check_fields(r) != 0)
        return -1;
    char id[40];
    ids_uuid7(id);
    db_t *db = req_db(r);
    if (db_exec(db, &Q_SUBJ_INSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT(code), DB_TEXT(name), DB_TEXT(description),
                        DB_INT(clock_wall_ms())),
                &r->arena, NULL) != 0)
        return acad_write_failed(r, db, "code", arena_printf(&r->arena, "subject code %s is already used", code), NULL);
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/subjects/%s", id));
    return respond_subject(r, id, 201);
}

int subjects_list(req_t *r)
{
    page_t page;
    int desc;
    int sort = sort_read(r, subject_sorts, 0, &desc);
    if (sort < 0 || page_read(r, &page) != 0)
        return -1;
    const char *q = req_query(r, "q");
    if (q != NULL && (*q == '\0' || strlen(q) > 100))
        res_field_error(r, "q", "must be 1 to 100 characters");
    if (res_check_fields(r) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_SUBJ_LIST[sort][desc],
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(q), page_key_arg(r, &page, 0), page_id_arg(&page),
                        DB_INT(page.limit + 1)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    return res_json(r, 200, page_json(r, &res, page.limit, subject_json, subject_sort_col[sort], NULL));
}

int subjects_get(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    return respond_subject(r, id, 200);
}

int subjects_update(req_t *r)
{
    static const char *const fields[] = {"code", "name", "description", NULL};
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    const char *code = NULL, *name = NULL, *description = NULL;
    body_only_fields(r, fields);
    read_subject(r, 0, &code, &name, &description);
    if (res_check_fields(r) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t s, res;
    if (load_subject(r, id, &s) != 0)
        return -1;
    long long version = db_get_int(&s, 0, 4);
    if (if_match(r, version, "subject") != 0)
        return -1;
    if (patch_is_empty(r))
        return respond_subject(r, id, 200);
    if (description == NULL && !acad_body_null(r, "description"))
        description = db_get(&s, 0, 3);
    if (db_exec(db, &Q_SUBJ_UPDATE,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_INT(version),
                        DB_TEXT(code != NULL ? code : db_get(&s, 0, 1)),
                        DB_TEXT(name != NULL ? name : db_get(&s, 0, 2)), DB_TEXT(description), DB_INT(clock_wall_ms())),
                &r->arena, &res) != 0)
        return acad_write_failed(r, db, "code", arena_printf(&r->arena, "subject code %s is already used", code), NULL);
    if (res.changes == 0)
        return stale_write(r, "subject");
    return respond_subject(r, id, 200);
}

int subjects_delete(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t s, res;
    if (load_subject(r, id, &s) != 0)
        return -1;
    long long version = db_get_int(&s, 0, 4);
    if (if_match(r, version, "subject") != 0)
        return -1;
    if (db_exec(db, &Q_SUBJ_USES, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    long long classes = db_get_int(&res, 0, 0), slots = db_get_int(&res, 0, 1);
    if (classes > 0 || slots > 0)
        return res_fail(r, ERR_CONFLICT,
                        "The subject is taught in %lld class(es) and has %lld timetable slot(s); remove them first.",
                        classes, slots);
    if (db_exec(db, &Q_SUBJ_DELETE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_INT(version)), &r->arena,
                &res) != 0)
        return acad_write_failed(r, db, NULL, NULL, "The subject is still in use.");
    if (res.changes == 0)
        return stale_write(r, "subject");
    return res_empty(r, 204);
}
