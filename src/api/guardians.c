/*
 * guardians.c - /guardians and the links between students and guardians
 * (/students/{id}/guardians, /guardians/{id}/students).
 *
 * A guardian may be linked to a parent account (userId), which is how a
 * parent sees their children. A student has at most one primary guardian:
 * making one primary clears the others in the same transaction (and a unique
 * index turns a race between two such requests into a 409).
 */
#include <string.h>

#include "api/app.h"
#include "api/people.h"
#include "api/people_int.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "auth/policy.h"
#include "auth/roles.h"
#include "core/clock.h"

/* Columns in the order of the fields below (see people_int.h). */
#define GUARDIAN_COLS                                                                                                  \
    "g.id, g.first_name, g.last_name, g.email, g.phone, g.address, g.occupation, g.user_id, g.version,"              \
    " g.created_at, g.updated_at"

static const field_t fields[] = {
    {"firstName", K_NAME, F_REQUIRED, 100, NULL, NULL},
    {"lastName", K_NAME, F_REQUIRED, 100, NULL, NULL},
    {"email", K_EMAIL, F_CLEARABLE, 254, NULL, NULL},
    {"phone", K_PHONE, F_CLEARABLE, 40, NULL, NULL},
    {"address", K_TEXT, F_CLEARABLE, 500, NULL, NULL},
    {"occupation", K_TEXT, F_CLEARABLE, 100, NULL, NULL},
    {"userId", K_ID, F_CLEARABLE, 0, NULL, NULL},
};
static const conflict_t conflicts[] = {
    {"user", "userId", "account %s is already linked to another guardian"},
    {NULL, NULL, NULL},
};

static stmt_t Q_GET = STMT("guardians.get", STMT_READ,
                           "SELECT " GUARDIAN_COLS " FROM guardians g WHERE g.tenant_id = $1 AND g.id = $2");
static stmt_t Q_INSERT = STMT("guardians.insert", 0,
                              "INSERT INTO guardians (tenant_id, id, first_name, last_name, email, phone, address,"
                              " occupation, user_id, created_at, updated_at)"
                              " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)");
static stmt_t Q_UPDATE = STMT("guardians.update", 0,
                              "UPDATE guardians SET first_name = $4, last_name = $5, email = $6, phone = $7,"
                              " address = $8, occupation = $9, user_id = $10, version = version + 1, updated_at = $11"
                              " WHERE tenant_id = $1 AND id = $2 AND version = $3");

static const person_type_t GUARDIAN = {
    .noun = "guardian",
    .path = "/api/v1/guardians",
    .fields = fields,
    .nfields = 7,
    .user_field = 6,
    .user_role = ROLE_PARENT,
    .user_role_name = "parent",
    .conflicts = conflicts,
    .get = &Q_GET,
    .insert = &Q_INSERT,
    .update = &Q_UPDATE,
};
const person_type_t *const people_guardian = &GUARDIAN;
const char *const people_relationships[] = {"mother", "father", "guardian", "grandparent", "sibling", "other", NULL};

/* Lists: text in name, email or phone ($2), then the keyset and the limit. */
#define GUARDIAN_LIST(name, keyset)                                                                                    \
    STMT(name, STMT_READ,                                                                                              \
         "SELECT " GUARDIAN_COLS " FROM guardians g WHERE g.tenant_id = $1"                                            \
         " AND (lower(g.first_name || ' ' || g.last_name || ' ' || COALESCE(g.email, '') || ' ' || COALESCE(g.phone, ''))" \
         " LIKE lower($2) ESCAPE '\\' OR $2 IS NULL)" keyset)
#define KEY1(col, cmp, dir) PERSON_KEY1("g", col, col, cmp, dir, "$3", "$4", "$5")
#define KEY2(c1, c2, cmp, dir) PERSON_KEY2("g", c1, c1, c2, cmp, dir, "$3", "$4", "$5", "$6")

static const char *const sorts[] = {"lastName", "createdAt", NULL};
static const list_order_t orders[] = {{2, 0, {2, 1}}, {1, 1, {9, 0}}};
static stmt_t Q_LIST[2][2] = {
    {GUARDIAN_LIST("guardians.list_name", KEY2("g.last_name", "g.first_name", ">", "ASC")),
     GUARDIAN_LIST("guardians.list_name_desc", KEY2("g.last_name", "g.first_name", "<", "DESC"))},
    {GUARDIAN_LIST("guardians.list_created", KEY1("g.created_at", ">", "ASC")),
     GUARDIAN_LIST("guardians.list_created_desc", KEY1("g.created_at", "<", "DESC"))},
};

/* Links, with the names of both sides; the students of a guardian leave deleted students out. */
#define LINK_SQL(where, order)                                                                                         \
    "SELECT l.student_id, l.guardian_id, l.relationship, l.is_primary, l.can_pick_up, l.created_at, s.admission_no,"  \
    " s.first_name, s.last_name, g.first_name, g.last_name FROM student_guardians l"                                  \
    " JOIN students s ON s.tenant_id = l.tenant_id AND s.id = l.student_id"                                           \
    " JOIN guardians g ON g.tenant_id = l.tenant_id AND g.id = l.guardian_id WHERE l.tenant_id = $1 AND " where       \
    " ORDER BY " order
static stmt_t Q_LINK = STMT("student_guardians.get", STMT_READ,
                            LINK_SQL("l.student_id = $2 AND l.guardian_id = $3", "l.guardian_id"));
static stmt_t Q_LINKS_OF_STUDENT = STMT("student_guardians.of_student", STMT_READ,
                                        LINK_SQL("l.student_id = $2",
                                                 "l.is_primary DESC, g.last_name, g.first_name, g.id"));
static stmt_t Q_LINKS_OF_GUARDIAN = STMT("student_guardians.of_guardian", STMT_READ,
                                         LINK_SQL("l.guardian_id = $2 AND s.deleted_at IS NULL",
                                                  "s.last_name, s.first_name, s.id"));
static stmt_t Q_STUDENT_LIVE = STMT("student_guardians.student", STMT_READ,
                                    "SELECT 1 FROM students WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL");
static stmt_t Q_CLEAR_PRIMARY = STMT("student_guardians.clear_primary", 0,
                                     "UPDATE student_guardians SET is_primary = false WHERE tenant_id = $1"
                                     " AND student_id = $2 AND guardian_id <> $3 AND is_primary");
static stmt_t Q_UPSERT = STMT("student_guardians.upsert", 0,
                              "INSERT INTO student_guardians (tenant_id, student_id, guardian_id, relationship,"
                              " is_primary, can_pick_up, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                              " ON CONFLICT (tenant_id, student_id, guardian_id) DO UPDATE SET"
                              " relationship = excluded.relationship, is_primary = excluded.is_primary,"
                              " can_pick_up = excluded.can_pick_up");
static stmt_t Q_UNLINK = STMT("student_guardians.delete", 0,
                              "DELETE FROM student_guardians WHERE tenant_id = $1 AND student_id = $2"
                              " AND guardian_id = $3");

int guardians_create(req_t *r)
{
    return person_create(r, &GUARDIAN);
}

int guardians_update(req_t *r)
{
    return person_update(r, &GUARDIAN);
}

int guardians_get(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    int rc = policy_can_read_guardian(r, id);
    if (rc <= 0)
        return rc < 0 ? -1 : policy_hidden(r, "guardian");
    return person_get(r, &GUARDIAN);
}

/* ---- a parent's own record (/me/guardian): read it, edit its contact fields ---- */

static stmt_t Q_OWN = STMT("guardians.own", 0, "SELECT id FROM guardians WHERE tenant_id = $1 AND user_id = $2");

/* The id of the guardian record linked to the caller's account; NULL with 404 answered when there is none. */
static const char *own_guardian(req_t *r)
{
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_OWN, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(r->auth.user_id)), &r->arena, &res) != 0) {
        db_fail(r, db);
        return NULL;
    }
    if (res.nrows == 0) {
        res_fail(r, ERR_NOT_FOUND, "No guardian record is linked to your account.");
        return NULL;
    }
    return db_get(&res, 0, 0);
}

int guardians_get_own(req_t *r)
{
    const char *id = own_guardian(r);
    return id != NULL ? person_get_id(r, &GUARDIAN, id) : -1;
}

int guardians_update_own(req_t *r)
{
    static const char *const contact[] = {"email", "phone", "address", NULL};
    body_only_fields(r, contact); /* names, occupation and the account link stay the office's */
    if (res_check_fields(r) != 0)
        return -1;
    const char *id = own_guardian(r);
    return id != NULL ? person_update_id(r, &GUARDIAN, id) : -1;
}

static json_t *item(req_t *r, const db_result_t *res, int row)
{
    return person_json(r, &GUARDIAN, res, row);
}

static const person_list_t LIST = {sorts, orders, item};

int guardians_list(req_t *r)
{
    const char *q = person_query_text(r);
    if (res_check_fields(r) != 0)
        return -1;
    db_arg_t args[8] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(q)};
    json_t *doc;
    int count;
    return person_list(r, &LIST, Q_LIST, args, 2, NULL, 0, &doc, &count) != 0 ? -1 : res_json(r, 200, doc);
}

/* ---- links */

static json_t *link_json(req_t *r, const db_result_t *res, int row)
{
    return json_pack("{s:s,s:s,s:s,s:b,s:b,s:s,s:{s:s,s:s,s:s,s:s},s:{s:s,s:s,s:s}}", "studentId",
                     db_get(res, row, 0), "guardianId", db_get(res, row, 1), "relationship", db_get(res, row, 2),
                     "isPrimary", db_get_bool(res, row, 3), "canPickUp", db_get_bool(res, row, 4), "createdAt",
                     iso_time(&r->arena, db_get_int(res, row, 5)), "student", "id", db_get(res, row, 0),
                     "admissionNo", db_get(res, row, 6), "firstName", db_get(res, row, 7), "lastName",
                     db_get(res, row, 8), "guardian", "id", db_get(res, row, 1), "firstName", db_get(res, row, 9),
                     "lastName", db_get(res, row, 10));
}

/* {"items": [links], "nextCursor": null}: a student's or a guardian's links are few, one page. */
static json_t *links_json(req_t *r, const db_result_t *res)
{
    json_t *items = json_array();
    for (int i = 0; i < res->nrows; i++)
        if (json_array_append_new(items, link_json(r, res, i)) != 0) {
            json_decref(items);
            return NULL;
        }
    return page_result(items, NULL);
}

/* One-row existence check; 0 when it exists, -1 with 404 "No such <what>." otherwise. */
static int must_exist(req_t *r, stmt_t *st, const char *id, const char *what)
{
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, st, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    return res.nrows > 0 ? 0 : res_fail(r, ERR_NOT_FOUND, "No such %s.", what);
}

/* Reads the two path ids (student, guardian) and checks both records exist (the student not deleted). */
static int link_ends(req_t *r, const char **sid, const char **gid)
{
    *sid = req_param(r, 0);
    *gid = req_param(r, 1);
    if (require_id(r, *sid) != 0 || require_id(r, *gid) != 0)
        return -1;
    return must_exist(r, &Q_STUDENT_LIVE, *sid, "student") != 0 || must_exist(r, &Q_GET, *gid, "guardian") != 0
               ? -1
               : 0;
}

int student_guardian_put(req_t *r)
{
    static const char *const allowed[] = {"relationship", "isPrimary", "canPickUp", NULL};
    const char *const *relationships = people_relationships;
    int rel = -1, primary = 0, pickup = 1;
    body_only_fields(r, allowed);
    body_enum(r, "relationship", 1, relationships, &rel);
    body_bool(r, "isPrimary", 0, &primary);
    body_bool(r, "canPickUp", 0, &pickup);
    const char *sid, *gid;
    if (res_check_fields(r) != 0 || link_ends(r, &sid, &gid) != 0)
        return -1;
    db_t *db = req_db(r);
    const char *detail = arena_printf(&r->arena, "guardian %s linked as %s%s%s", gid, relationships[rel],
                                      primary ? ", primary" : "", pickup ? ", may pick up" : "");
    audit_event_t e = {.tenant_id = r->auth.tenant_id,
                       .actor_id = r->auth.user_id,
                       .actor_roles = r->auth.roles,
                       .action = "student.update",
                       .subject_type = "student",
                       .subject_id = sid,
                       .detail = detail};
    if (db_begin(db) != 0)
        return db_fail(r, db);
    if ((primary && db_exec(db, &Q_CLEAR_PRIMARY, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(sid), DB_TEXT(gid)),
                            &r->arena, NULL) != 0) ||
        db_exec(db, &Q_UPSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(sid), DB_TEXT(gid), DB_TEXT(relationships[rel]),
                        DB_BOOL(primary), DB_BOOL(pickup), DB_INT((long long)clock_wall_ms())),
                &r->arena, NULL) != 0 ||
        audit_record(db, r, &e) != 0 || db_commit(db) != 0) {
        db_rollback(db);
        if (db_error(db)->status == DB_UNIQUE)
            return res_fail(r, ERR_CONFLICT, "Another primary guardian was set for this student at the same time;"
                                             " read the links again.");
        return db_fail(r, db);
    }
    db_result_t res;
    if (db_exec(db, &Q_LINK, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(sid), DB_TEXT(gid)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0)
        return res_fail(r, ERR_CONFLICT, "The link was removed meanwhile.");
    return res_json(r, 200, link_json(r, &res, 0));
}

int student_guardian_delete(req_t *r)
{
    const char *sid, *gid;
    if (link_ends(r, &sid, &gid) != 0)
        return -1;
    int rc = person_write(r, NULL, &Q_UNLINK, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(sid), DB_TEXT(gid)),
                          "student.update", sid, arena_printf(&r->arena, "guardian %s unlinked", gid));
    if (rc > 0)
        return res_fail(r, ERR_NOT_FOUND, "The guardian is not linked to the student.");
    return rc < 0 ? -1 : res_empty(r, 204);
}

int student_guardians_list(req_t *r)
{
    const char *sid = req_param(r, 0);
    if (require_id(r, sid) != 0)
        return -1;
    int rc = policy_can_read_student(r, sid);
    if (rc <= 0)
        return rc < 0 ? -1 : policy_hidden(r, "student");
    if (must_exist(r, &Q_STUDENT_LIVE, sid, "student") != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_LINKS_OF_STUDENT, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(sid)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (person_audit(r, "student.read", NULL, sid, "guardians") != 0)
        return -1;
    return res_json(r, 200, links_json(r, &res));
}

int guardian_students_list(req_t *r)
{
    const char *gid = req_param(r, 0);
    if (require_id(r, gid) != 0)
        return -1;
    if (!policy_sees_school(r)) {
        const char *own;
        int rc = policy_guardian_id(r, &own);
        if (rc < 0)
            return -1;
        if (rc == 0 || strcmp(own, gid) != 0)
            return policy_hidden(r, "guardian");
    }
    if (must_exist(r, &Q_GET, gid, "guardian") != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_LINKS_OF_GUARDIAN, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(gid)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (person_audit(r, "student.list", NULL, NULL, arena_printf(&r->arena, "guardian %s: items=%d", gid, res.nrows)) !=
        0)
        return -1;
    return res_json(r, 200, links_json(r, &res));
}
