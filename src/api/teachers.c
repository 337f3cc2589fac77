/* teachers.c - /teachers: the school's teachers, optionally linked to a teacher account. */
#include <string.h>

#include "api/app.h"
#include "api/people.h"
#include "api/people_int.h"
#include "auth/roles.h"

/* Columns in the order of the fields below (see people_int.h). */
#define TEACHER_COLS                                                                                                   \
    "t.id, t.employee_no, t.first_name, t.last_name, t.email, t.phone, t.status, t.hired_on, t.user_id, t.version,"   \
    " t.created_at, t.updated_at"

static const char *const statuses[] = {"active", "inactive", NULL};
static const field_t fields[] = {
    {"employeeNo", K_CODE, F_REQUIRED, 32, NULL, NULL},
    {"firstName", K_NAME, F_REQUIRED, 100, NULL, NULL},
    {"lastName", K_NAME, F_REQUIRED, 100, NULL, NULL},
    {"email", K_EMAIL, F_CLEARABLE, 254, NULL, NULL},
    {"phone", K_PHONE, F_CLEARABLE, 40, NULL, NULL},
    {"status", K_ENUM, 0, 0, statuses, "active"},
    {"hiredOn", K_DATE, F_CLEARABLE, 0, NULL, NULL},
    {"userId", K_ID, F_CLEARABLE, 0, NULL, NULL},
};
static const conflict_t conflicts[] = {
    {"employee_no", "employeeNo", "employee number %s is already used by another teacher"},
    {"user", "userId", "account %s is already linked to another teacher"},
    {NULL, NULL, NULL},
};

static stmt_t Q_GET = STMT("teachers.get", STMT_READ,
                           "SELECT " TEACHER_COLS " FROM teachers t WHERE t.tenant_id = $1 AND t.id = $2");
static stmt_t Q_INSERT = STMT("teachers.insert", 0,
                              "INSERT INTO teachers (tenant_id, id, employee_no, first_name, last_name, email, phone,"
                              " status, hired_on, user_id, created_at, updated_at)"
                              " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)");
static stmt_t Q_UPDATE = STMT("teachers.update", 0,
                              "UPDATE teachers SET employee_no = $4, first_name = $5, last_name = $6, email = $7,"
                              " phone = $8, status = $9, hired_on = $10, user_id = $11, version = version + 1,"
                              " updated_at = $12 WHERE tenant_id = $1 AND id = $2 AND version = $3");

static const person_type_t TEACHER = {
    .noun = "teacher",
    .path = "/api/v1/teachers",
    .fields = fields,
    .nfields = 8,
    .user_field = 7,
    .user_role = ROLE_TEACHER,
    .user_role_name = "teacher",
    .conflicts = conflicts,
    .get = &Q_GET,
    .insert = &Q_INSERT,
    .update = &Q_UPDATE,
};
const person_type_t *const people_teacher = &TEACHER;

/*
 * Lists: status ($2), text in name, email or employee number ($3), then the
 * keyset (one or two keys and the id) and the limit.
 */
#define TEACHER_LIST(name, keyset)                                                                                     \
    STMT(name, STMT_READ,                                                                                              \
         "SELECT " TEACHER_COLS " FROM teachers t WHERE t.tenant_id = $1 AND (t.status = $2 OR $2 IS NULL)"          \
         " AND (lower(t.first_name || ' ' || t.last_name || ' ' || t.employee_no || ' ' || COALESCE(t.email, ''))"    \
         " LIKE lower($3) ESCAPE '\\' OR $3 IS NULL)" keyset)
#define KEY1(col, cmp, dir) PERSON_KEY1("t", col, col, cmp, dir, "$4", "$5", "$6")
#define KEY2(c1, c2, cmp, dir) PERSON_KEY2("t", c1, c1, c2, cmp, dir, "$4", "$5", "$6", "$7")

static const char *const sorts[] = {"lastName", "employeeNo", "createdAt", NULL};
static const list_order_t orders[] = {{2, 0, {3, 2}}, {1, 0, {1, 0}}, {1, 1, {10, 0}}};
static stmt_t Q_LIST[3][2] = {
    {TEACHER_LIST("teachers.list_name", KEY2("t.last_name", "t.first_name", ">", "ASC")),
     TEACHER_LIST("teachers.list_name_desc", KEY2("t.last_name", "t.first_name", "<", "DESC"))},
    {TEACHER_LIST("teachers.list_number", KEY1("t.employee_no", ">", "ASC")),
     TEACHER_LIST("teachers.list_number_desc", KEY1("t.employee_no", "<", "DESC"))},
    {TEACHER_LIST("teachers.list_created", KEY1("t.created_at", ">", "ASC")),
     TEACHER_LIST("teachers.list_created_desc", KEY1("t.created_at", "<", "DESC"))},
};

int teachers_create(req_t *r)
{
    return person_create(r, &TEACHER);
}

int teachers_get(req_t *r)
{
    return person_get(r, &TEACHER);
}

int teachers_update(req_t *r)
{
    return person_update(r, &TEACHER);
}

static json_t *item(req_t *r, const db_result_t *res, int row)
{
    return person_json(r, &TEACHER, res, row);
}

static const person_list_t LIST = {sorts, orders, item};

int teachers_list(req_t *r)
{
    const char *status = req_query(r, "status");
    if (status != NULL && strcmp(status, "active") != 0 && strcmp(status, "inactive") != 0)
        res_field_error(r, "status", "must be active or inactive");
    const char *q = person_query_text(r);
    if (res_check_fields(r) != 0)
        return -1;
    db_arg_t args[8] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(status), DB_TEXT(q)};
    json_t *doc;
    int count;
    return person_list(r, &LIST, Q_LIST, args, 3, NULL, 0, &doc, &count) != 0 ? -1 : res_json(r, 200, doc);
}
