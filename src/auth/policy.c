#include "auth/policy.h"

#include <string.h>

#include "api/app.h"
#include "auth/roles.h"

/* an inactive teacher (left the school, on leave) keeps no access through their classes */
static stmt_t Q_TEACHER = STMT("policy.teacher_of_user", STMT_ACCESS,
                               "SELECT id FROM teachers WHERE tenant_id = $1 AND user_id = $2 AND status = 'active'");
static stmt_t Q_GUARDIAN = STMT("policy.guardian_of_user", STMT_ACCESS,
                                "SELECT id FROM guardians WHERE tenant_id = $1 AND user_id = $2");
static stmt_t Q_STUDENT = STMT("policy.student_of_user", STMT_ACCESS,
                               "SELECT id FROM students WHERE tenant_id = $1 AND user_id = $2 AND deleted_at IS NULL");
static stmt_t Q_TEACHES = STMT("policy.teaches_class", STMT_ACCESS,
                               "SELECT 1 FROM classes c WHERE c.tenant_id = $1 AND c.id = $2 AND (c.class_teacher_id = $3"
                               " OR EXISTS (SELECT 1 FROM class_subjects s WHERE s.tenant_id = c.tenant_id"
                               " AND s.class_id = c.id AND s.teacher_id = $3))");
static stmt_t Q_TEACHES_STUDENT = STMT("policy.teaches_student", STMT_ACCESS,
                                       "SELECT 1 FROM enrollments e JOIN classes c"
                                       " ON c.tenant_id = e.tenant_id AND c.id = e.class_id"
                                       " WHERE e.tenant_id = $1 AND e.student_id = $2 AND (c.class_teacher_id = $3"
                                       " OR EXISTS (SELECT 1 FROM class_subjects s WHERE s.tenant_id = c.tenant_id"
                                       " AND s.class_id = c.id AND s.teacher_id = $3)) LIMIT 1");
static stmt_t Q_GUARDS = STMT("policy.guards_student", STMT_ACCESS,
                              "SELECT 1 FROM student_guardians WHERE tenant_id = $1 AND student_id = $2"
                              " AND guardian_id = $3");
static stmt_t Q_IN_CLASS = STMT("policy.student_in_class", STMT_ACCESS,
                                "SELECT 1 FROM enrollments WHERE tenant_id = $1 AND class_id = $2 AND student_id = $3"
                                " LIMIT 1");
static stmt_t Q_CHILD_IN_CLASS = STMT("policy.child_in_class", STMT_ACCESS,
                                      "SELECT 1 FROM enrollments e JOIN student_guardians g"
                                      " ON g.tenant_id = e.tenant_id AND g.student_id = e.student_id"
                                      " WHERE e.tenant_id = $1 AND e.class_id = $2 AND g.guardian_id = $3 LIMIT 1");
static stmt_t Q_TEACHES_WARD = STMT("policy.teaches_ward", STMT_ACCESS,
                                    "SELECT 1 FROM student_guardians g JOIN students st"
                                    " ON st.tenant_id = g.tenant_id AND st.id = g.student_id AND st.deleted_at IS NULL"
                                    " JOIN enrollments e ON e.tenant_id = g.tenant_id AND e.student_id = g.student_id"
                                    " JOIN classes c ON c.tenant_id = e.tenant_id AND c.id = e.class_id"
                                    " WHERE g.tenant_id = $1 AND g.guardian_id = $2 AND (c.class_teacher_id = $3"
                                    " OR EXISTS (SELECT 1 FROM class_subjects s WHERE s.tenant_id = c.tenant_id"
                                    " AND s.class_id = c.id AND s.teacher_id = $3)) LIMIT 1");

int policy_sees_school(const req_t *r)
{
    return (r->auth.roles & (ROLE_ADMIN | ROLE_STAFF | ROLE_BURSAR)) != 0;
}

/* Runs a one-row lookup; 1 when a row exists, 0 when not, -1 on a database error. */
static int exists(req_t *r, stmt_t *st, const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return 0;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, st, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(a), DB_TEXT(b)), &r->arena, &res) != 0) {
        db_fail(r, db);
        return -1;
    }
    return res.nrows > 0;
}

enum { OWN_TEACHER, OWN_GUARDIAN, OWN_STUDENT };

/*
 * The caller's record id in a table linked to users (kept in the principal
 * once looked up): 1 with *id set, 0 when there is none (*id NULL), -1 after a
 * database error (503 answered; never taken for "no record").
 */
static int own_record(req_t *r, stmt_t *st, unsigned role, int slot, const char **id)
{
    principal_t *p = &r->auth;
    *id = NULL;
    if (!(p->roles & role))
        return 0;
    if (!(p->own_looked & (1u << slot))) {
        db_t *db = req_db(r);
        db_result_t res;
        if (db_exec(db, st, DB_ARGS(DB_TEXT(p->tenant_id), DB_TEXT(p->user_id)), &r->arena, &res) != 0)
            return db_fail(r, db);
        p->own_looked |= 1u << slot;
        p->own[slot] = res.nrows == 1 ? db_get(&res, 0, 0) : NULL;
    }
    *id = p->own[slot];
    return *id != NULL;
}

int policy_teacher_id(req_t *r, const char **id)
{
    return own_record(r, &Q_TEACHER, ROLE_TEACHER, OWN_TEACHER, id);
}

int policy_guardian_id(req_t *r, const char **id)
{
    return own_record(r, &Q_GUARDIAN, ROLE_PARENT, OWN_GUARDIAN, id);
}

int policy_student_id(req_t *r, const char **id)
{
    return own_record(r, &Q_STUDENT, ROLE_STUDENT, OWN_STUDENT, id);
}

/* Whether a row links a to the caller's own record of one kind (own() looks it up); 1, 0, or -1. */
static int linked(req_t *r, stmt_t *st, const char *a, int (*own)(req_t *, const char **))
{
    const char *mine;
    int rc = own(r, &mine);
    return rc <= 0 ? rc : exists(r, st, a, mine);
}

int policy_teaches_class(req_t *r, const char *class_id)
{
    return linked(r, &Q_TEACHES, class_id, policy_teacher_id);
}

int policy_can_read_class(req_t *r, const char *class_id)
{
    if (policy_sees_school(r))
        return 1;
    int rc = policy_teaches_class(r, class_id);
    if (rc != 0)
        return rc;
    if ((rc = linked(r, &Q_IN_CLASS, class_id, policy_student_id)) != 0)
        return rc;
    return linked(r, &Q_CHILD_IN_CLASS, class_id, policy_guardian_id);
}

int policy_can_read_student(req_t *r, const char *sid)
{
    if (policy_sees_school(r))
        return 1;
    const char *own;
    int rc = policy_student_id(r, &own);
    if (rc < 0)
        return -1;
    if (rc == 1 && strcmp(own, sid) == 0)
        return 1;
    if ((rc = linked(r, &Q_GUARDS, sid, policy_guardian_id)) != 0)
        return rc;
    return linked(r, &Q_TEACHES_STUDENT, sid, policy_teacher_id);
}

int policy_can_read_guardian(req_t *r, const char *gid)
{
    if (policy_sees_school(r))
        return 1;
    const char *own;
    int rc = policy_guardian_id(r, &own);
    if (rc < 0)
        return -1;
    if (rc == 1 && strcmp(own, gid) == 0)
        return 1;
    return linked(r, &Q_TEACHES_WARD, gid, policy_teacher_id);
}

int policy_student_scope(req_t *r, policy_scope_t *out)
{
    memset(out, 0, sizeof(*out));
    out->all = policy_sees_school(r);
    if (out->all)
        return 0;
    if (policy_student_id(r, &out->student) < 0 || policy_guardian_id(r, &out->guardian) < 0 ||
        policy_teacher_id(r, &out->teacher) < 0)
        return -1;
    return 0;
}

int policy_hidden(req_t *r, const char *what)
{
    return res_fail(r, ERR_NOT_FOUND, "No such %s.", what);
}
