#include "auth/policy.h"

#include <string.h>

#include "api/app.h"
#include "auth/roles.h"

static stmt_t Q_TEACHER = STMT("policy.teacher_of_user", STMT_READ,
                               "SELECT id FROM teachers WHERE tenant_id = $1 AND user_id = $2");
static stmt_t Q_GUARDIAN = STMT("policy.guardian_of_user", STMT_READ,
                                "SELECT id FROM guardians WHERE tenant_id = $1 AND user_id = $2");
static stmt_t Q_STUDENT = STMT("policy.student_of_user", STMT_READ,
                               "SELECT id FROM students WHERE tenant_id = $1 AND user_id = $2 AND deleted_at IS NULL");
static stmt_t Q_TEACHES = STMT("policy.teaches_class", STMT_READ,
                               "SELECT 1 FROM classes c WHERE c.tenant_id = $1 AND c.id = $2 AND (c.class_teacher_id = $3"
                               " OR EXISTS (SELECT 1 FROM class_subjects s WHERE s.tenant_id = c.tenant_id"
                               " AND s.class_id = c.id AND s.teacher_id = $3))");
static stmt_t Q_TEACHES_STUDENT = STMT("policy.teaches_student", STMT_READ,
                                       "SELECT 1 FROM enrollments e JOIN classes c"
                                       " ON c.tenant_id = e.tenant_id AND c.id = e.class_id"
                                       " WHERE e.tenant_id = $1 AND e.student_id = $2 AND (c.class_teacher_id = $3"
                                       " OR EXISTS (SELECT 1 FROM class_subjects s WHERE s.tenant_id = c.tenant_id"
                                       " AND s.class_id = c.id AND s.teacher_id = $3)) LIMIT 1");
static stmt_t Q_GUARDS = STMT("policy.guards_student", STMT_READ,
                              "SELECT 1 FROM student_guardians WHERE tenant_id = $1 AND student_id = $2"
                              " AND guardian_id = $3");
static stmt_t Q_IN_CLASS = STMT("policy.student_in_class", STMT_READ,
                                "SELECT 1 FROM enrollments WHERE tenant_id = $1 AND class_id = $2 AND student_id = $3"
                                " LIMIT 1");
static stmt_t Q_CHILD_IN_CLASS = STMT("policy.child_in_class", STMT_READ,
                                      "SELECT 1 FROM enrollments e JOIN student_guardians g"
                                      " ON g.tenant_id = e.tenant_id AND g.student_id = e.student_id"
                                      " WHERE e.tenant_id = $1 AND e.class_id = $2 AND g.guardian_id = $3 LIMIT 1");
static stmt_t Q_TEACHES_WARD = STMT("policy.teaches_ward", STMT_READ,
                                    "SELECT 1 FROM student_guardians g JOIN students st"
                                    " ON st.tenant_id = g.tenant_id AND st.id = g.student_id AND st.deleted_at IS NULL"
                                    " JOIN enrollments e ON e.tenant_id = g.tenant_id AND e.student_id = g.student_id"
                                    " JOIN classes c ON c.tenant_id = e.tenant_id AND c.id = e.class_id"
                                    " WHERE g.tenant_id = $1 AND g.guardian_id = $2 AND (c.class_teacher_id = $3"
                                    " OR EXISTS (SELECT 1 FROM class_subjects s WHERE s.tenant_id = c.tenant_id"
                                    " AND s.class_id = c.id AND s.teacher_id = $3)) LIMIT 1");

int policy_sees_school(const req_t *r)
{
    return (r->auth.roles & (ROLE_ADMIN | ROLE_STAFF)) != 0;
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

/* The caller's record id in a table linked to users (kept in the principal once looked up). */
static const char *own_record(req_t *r, stmt_t *st, unsigned role, int slot)
{
    principal_t *p = &r->auth;
    if (!(p->roles & role))
        return NULL;
    if (!(p->own_looked & (1u << slot))) {
        p->own_looked |= 1u << slot;
        db_result_t res;
        if (db_exec(req_db(r), st, DB_ARGS(DB_TEXT(p->tenant_id), DB_TEXT(p->user_id)), &r->arena, &res) == 0 &&
            res.nrows == 1)
            p->own[slot] = db_get(&res, 0, 0);
    }
    return p->own[slot];
}

const char *policy_teacher_id(req_t *r)
{
    return own_record(r, &Q_TEACHER, ROLE_TEACHER, OWN_TEACHER);
}

const char *policy_guardian_id(req_t *r)
{
    return own_record(r, &Q_GUARDIAN, ROLE_PARENT, OWN_GUARDIAN);
}

const char *policy_student_id(req_t *r)
{
    return own_record(r, &Q_STUDENT, ROLE_STUDENT, OWN_STUDENT);
}

int policy_teaches_class(req_t *r, const char *class_id)
{
    return exists(r, &Q_TEACHES, class_id, policy_teacher_id(r));
}

int policy_can_read_class(req_t *r, const char *class_id)
{
    if (policy_sees_school(r))
        return 1;
    int rc = policy_teaches_class(r, class_id);
    if (rc != 0)
        return rc;
    if ((rc = exists(r, &Q_IN_CLASS, class_id, policy_student_id(r))) != 0)
        return rc;
    return exists(r, &Q_CHILD_IN_CLASS, class_id, policy_guardian_id(r));
}

int policy_can_read_student(req_t *r, const char *sid)
{
    if (policy_sees_school(r))
        return 1;
    const char *own = policy_student_id(r);
    if (own != NULL && strcmp(own, sid) == 0)
        return 1;
    int rc = exists(r, &Q_GUARDS, sid, policy_guardian_id(r));
    if (rc != 0)
        return rc;
    return exists(r, &Q_TEACHES_STUDENT, sid, policy_teacher_id(r));
}

int policy_can_read_guardian(req_t *r, const char *gid)
{
    if (policy_sees_school(r))
        return 1;
    const char *own = policy_guardian_id(r);
    if (own != NULL && strcmp(own, gid) == 0)
        return 1;
    return exists(r, &Q_TEACHES_WARD, gid, policy_teacher_id(r));
}

void policy_student_scope(req_t *r, policy_scope_t *out)
{
    out->all = policy_sees_school(r);
    out->student = out->all ? NULL : policy_student_id(r);
    out->guardian = out->all ? NULL : policy_guardian_id(r);
    out->teacher = out->all ? NULL : policy_teacher_id(r);
}

int policy_hidden(req_t *r, const char *what)
{
    return res_fail(r, ERR_NOT_FOUND, "No such %s.", what);
}
