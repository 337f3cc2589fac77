/* audience.c - an announcement's audience: read from a body, stored, rendered and resolved in SQL (announce_int.h). */
#include <string.h>

#include "api/announce/announce_int.h"
#include "api/app.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/policy.h"
#include "auth/roles.h"
#include "core/clock.h"
#include "core/tz.h"

static const char *const kind_names[] = {"school", "grade", "class", "role", "guardians", NULL};
static const char *const role_names[] = {"admin", "teacher", "staff", "student", "parent", "bursar", NULL};

static stmt_t Q_CLASS = STMT("announce.class", STMT_READ, "SELECT 1 FROM classes WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_CLEAR = STMT("announce.audience_clear", 0,
                             "DELETE FROM announcement_audiences WHERE tenant_id = $1 AND announcement_id = $2");
static stmt_t Q_INSERT = STMT("announce.audience_insert", 0,
                              "INSERT INTO announcement_audiences (tenant_id, announcement_id, position, kind,"
                              " grade_level, class_id, role_bits) VALUES ($1, $2, $3, $4, $5, $6, $7)");
static stmt_t Q_PARTS = STMT("announce.audience", STMT_READ,
                             "SELECT kind, grade_level, class_id, role_bits FROM announcement_audiences"
                             " WHERE tenant_id = $1 AND announcement_id = $2 ORDER BY position");
/* accounts the audience reaches, and for "guardians" parts the guardian records with an address but no account */
static stmt_t Q_RECIPIENTS = STMT(
    "announce.recipients", 0,
    "SELECT lower(u.email), u.display_name, u.id FROM users u WHERE u.tenant_id = $1 AND u.status = 'active'"
    " AND EXISTS (SELECT 1 FROM announcement_audiences aa WHERE aa.tenant_id = u.tenant_id"
    " AND aa.announcement_id = $2 AND " AUD_MATCH("$3") ")"
    " UNION SELECT lower(g.email), g.first_name || ' ' || g.last_name, NULL FROM announcement_audiences aa"
    " JOIN student_guardians sg ON sg.tenant_id = aa.tenant_id JOIN guardians g ON g.tenant_id = sg.tenant_id"
    " AND g.id = sg.guardian_id JOIN students s ON s.tenant_id = sg.tenant_id AND s.id = sg.student_id"
    AUD_ENROLLED("$3") " AND aa.tenant_id = $1 AND aa.announcement_id = $2 AND aa.kind = 'guardians'"
    " AND c.id = aa.class_id AND g.user_id IS NULL AND g.email IS NOT NULL ORDER BY 1");
static stmt_t Q_TZ = STMT("announce.time_zone", STMT_READ, "SELECT time_zone FROM tenants WHERE id = $1");

typedef struct reading {
    aud_part_t *parts;
    unsigned roles; /* the caller's */
} reading_t;

static void read_part(req_t *r, size_t i, void *ctx)
{
    static const char *const fields[] = {"kind", "gradeLevel", "classId", "role", NULL};
    reading_t *rd = ctx;
    aud_part_t *p = &rd->parts[i];
    int kind = -1, role = -1;
    memset(p, 0, sizeof(*p));
    body_only_fields(r, fields);
    if (body_enum(r, "kind", 1, kind_names, &kind) != 1)
        return;
    p->kind = (aud_kind_t)kind;
    if (p->kind == AUD_GRADE)
        body_int(r, "gradeLevel", 1, 0, 13, &p->grade_level);
    if (p->kind == AUD_CLASS || p->kind == AUD_GUARDIANS)
        p->class_id = body_id(r, "classId", 1);
    if (p->kind == AUD_ROLE && body_enum(r, "role", 1, role_names, &role) == 1)
        p->role_bit = role_parse(role_names[role]);
    if (!(rd->roles & ROLE_ADMIN) && p->kind != AUD_CLASS && p->kind != AUD_GUARDIANS)
        res_field_error(r, "kind", "must be class or guardians: teachers announce to the classes they teach");
}

/* Each class of the parts is the school's and, for a teacher, one they teach: 0, or -1 answered (404). */
static int check_classes(req_t *r, const aud_part_t *parts, int n)
{
    for (int i = 0; i < n; i++) {
        if (parts[i].class_id == NULL)
            continue;
        const char *field = arena_printf(&r->arena, "audience[%d].classId", i);
        if (school_ref(r, &Q_CLASS, parts[i].class_id, "class", field, NULL) != 1)
            return -1;
        if (r->auth.roles & ROLE_ADMIN)
            continue;
        int rc = policy_teaches_class(r, parts[i].class_id);
        if (rc < 0)
            return -1;
        if (rc == 0)
            return res_fail(r, ERR_NOT_FOUND, "No such class (%s).", field);
    }
    return 0;
}

int aud_read(req_t *r, int required, aud_part_t *parts)
{
    json_t *a = json_object_get(r->json, "audience");
    if (!required && (a == NULL || json_is_null(a)))
        return 0;
    reading_t rd = {parts, r->auth.roles};
    int n = body_array(r, "audience", 1, AUDIENCE_MAX, "{kind, gradeLevel, classId, role}", read_part, &rd);
    if (n < 0 || r->err.nfields > 0)
        return -1;
    return check_classes(r, parts, n) != 0 ? -1 : n;
}

int aud_store(db_t *db, req_t *r, const char *ann_id, const aud_part_t *parts, int n)
{
    if (db_exec(db, &Q_CLEAR, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(ann_id)), &r->arena, NULL) != 0)
        return -1;
    for (int i = 0; i < n; i++) {
        const aud_part_t *p = &parts[i];
        db_arg_t grade = p->kind == AUD_GRADE ? DB_INT(p->grade_level) : DB_NULL;
        db_arg_t role = p->kind == AUD_ROLE ? DB_INT(p->role_bit) : DB_NULL;
        if (db_exec(db, &Q_INSERT,
                    DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(ann_id), DB_INT(i), DB_TEXT(kind_names[p->kind]),
                            grade, DB_TEXT(p->class_id), role),
                    &r->arena, NULL) != 0)
            return -1;
    }
    return 0;
}

/* The name of the role of a single bit. */
static const char *bit_role(long long bit)
{
    for (int i = 0; i < ROLE_COUNT; i++)
        if (bit == (1LL << i))
            return role_name(i);
    return "";
}

static json_t *part_json(const db_result_t *res, int row)
{
    const char *kind = db_get(res, row, 0);
    if (strcmp(kind, "grade") == 0)
        return json_pack("{s:s,s:I}", "kind", kind, "gradeLevel", (json_int_t)db_get_int(res, row, 1));
    if (strcmp(kind, "class") == 0 || strcmp(kind, "guardians") == 0)
        return json_pack("{s:s,s:s}", "kind", kind, "classId", db_get(res, row, 2));
    if (strcmp(kind, "role") == 0)
        return json_pack("{s:s,s:s}", "kind", kind, "role", bit_role(db_get_int(res, row, 3)));
    return json_pack("{s:s}", "kind", kind);
}

json_t *aud_json(req_t *r, const char *ann_id)
{
    db_result_t res;
    if (db_exec(req_db(r), &Q_PARTS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(ann_id)), &r->arena, &res) != 0) {
        db_fail(r, req_db(r));
        return NULL;
    }
    json_t *a = json_array();
    for (int i = 0; i < res.nrows; i++)
        a = json_push(a, part_json(&res, i));
    return a;
}

int aud_recipients(db_t *db, arena_t *a, const char *tenant_id, const char *ann_id, const char *today,
                   db_result_t *out)
{
    db_result_t res;
    if (db_exec(db, &Q_RECIPIENTS, DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(ann_id), DB_TEXT(today)), a, &res) != 0)
        return -1;
    /* one row per address: an account's and a guardian record's may share one (sorted, so neighbours) */
    int kept = 0;
    for (int i = 0; i < res.nrows; i++) {
        if (db_get(&res, i, 0) == NULL ||
            (kept > 0 && strcmp(db_get(&res, i, 0), res.cells[(kept - 1) * res.ncols]) == 0))
            continue;
        memmove(&res.cells[kept * res.ncols], &res.cells[i * res.ncols], sizeof(char *) * (size_t)res.ncols);
        kept++;
    }
    res.nrows = kept;
    *out = res;
    return 0;
}

const char *school_day_of(db_t *db, arena_t *a, const char *tenant_id)
{
    db_result_t res;
    if (db_exec(db, &Q_TZ, DB_ARGS(DB_TEXT(tenant_id)), a, &res) != 0 || res.nrows == 0)
        return NULL;
    char *out = arena_alloc(a, 11);
    tz_local_date(db_get(&res, 0, 0), (int64_t)clock_wall_ms(), out);
    return out;
}
