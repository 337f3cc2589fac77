/*
 * people.c - OneRoster users (with demographics and accounts) and enrollments
 * (see oneroster.h for the mapping): their checks and their writes.
 */
#include <ctype.h>
#include <string.h>

#include "auth/crypto.h"
#include "auth/identity.h"
#include "auth/password.h"
#include "auth/roles.h"
#include "domain/people.h"
#include "oneroster/oneroster_int.h"

#define STUDENT_COLS                                                                                                   \
    "admission_no, first_name, middle_name, last_name, date_of_birth, gender, email, phone, search_text"
static stmt_t Q_STUDENT_GET =
    STMT("oneroster.student_get", 0, "SELECT " STUDENT_COLS " FROM students WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_STUDENT_FIND = STMT("oneroster.student_find", 0,
                                    "SELECT id FROM students WHERE tenant_id = $1 AND lower(admission_no) = lower($2)");
static stmt_t Q_STUDENT_INSERT = STMT("oneroster.student_insert", 0,
                                      "INSERT INTO students (tenant_id, id, " STUDENT_COLS ", created_at, updated_at)"
                                      " VALUES ($1, $2, $4, $5, $6, $7, $8, $9, $10, $11, lower($12), $3, $3)");
static stmt_t Q_STUDENT_UPDATE = STMT("oneroster.student_update", 0,
                                      "UPDATE students SET admission_no = $4, first_name = $5, middle_name = $6,"
                                      " last_name = $7, date_of_birth = $8, gender = $9, email = $10, phone = $11,"
                                      " search_text = lower($12), version = version + 1, updated_at = $3"
                                      " WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_STUDENT_BIRTH =
    STMT("oneroster.student_birth", 0, "SELECT date_of_birth FROM students WHERE tenant_id = $1 AND id = $2");
#define TEACHER_COLS "employee_no, first_name, last_name, email, phone, status"
static stmt_t Q_TEACHER_GET =
    STMT("oneroster.teacher_get", 0, "SELECT " TEACHER_COLS " FROM teachers WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_TEACHER_FIND = STMT("oneroster.teacher_find", 0,
                                    "SELECT id FROM teachers WHERE tenant_id = $1 AND lower(employee_no) = lower($2)");
static stmt_t Q_TEACHER_INSERT = STMT("oneroster.teacher_insert", 0,
                                      "INSERT INTO teachers (tenant_id, id, " TEACHER_COLS ", created_at, updated_at)"
                                      " VALUES ($1, $2, $4, $5, $6, $7, $8, $9, $3, $3)");
static stmt_t Q_TEACHER_UPDATE = STMT("oneroster.teacher_update", 0,
                                      "UPDATE teachers SET employee_no = $4, first_name = $5, last_name = $6,"
                                      " email = $7, phone = $8, status = $9, version = version + 1, updated_at = $3"
                                      " WHERE tenant_id = $1 AND id = $2");
#define GUARDIAN_COLS "first_name, last_name, email, phone"
static stmt_t Q_GUARDIAN_GET =
    STMT("oneroster.guardian_get", 0, "SELECT " GUARDIAN_COLS " FROM guardians WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_GUARDIAN_FIND = STMT("oneroster.guardian_find", 0,
                                     "SELECT id FROM guardians WHERE tenant_id = $1 AND lower(email) = lower($2)"
                                     " ORDER BY created_at LIMIT 1");
static stmt_t Q_GUARDIAN_INSERT =
    STMT("oneroster.guardian_insert", 0,
         "INSERT INTO guardians (tenant_id, id, " GUARDIAN_COLS ", created_at, updated_at)"
         " VALUES ($1, $2, $4, $5, $6, $7, $3, $3)");
static stmt_t Q_GUARDIAN_UPDATE = STMT("oneroster.guardian_update", 0,
                                       "UPDATE guardians SET first_name = $4, last_name = $5, email = $6, phone = $7,"
                                       " version = version + 1, updated_at = $3 WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_LINK = STMT("oneroster.link", 0,
                            "INSERT INTO student_guardians (tenant_id, student_id, guardian_id, relationship,"
                            " created_at) VALUES ($1, $2, $3, $4, $5)"
                            " ON CONFLICT (tenant_id, student_id, guardian_id) DO NOTHING");
static stmt_t Q_ACCOUNT = STMT("oneroster.account", 0, "SELECT id FROM users WHERE tenant_id = $1 AND email = $2");
static stmt_t Q_LINK_ACCOUNT[3] = {
    STMT("oneroster.student_account", 0,
         "UPDATE students SET user_id = $3 WHERE tenant_id = $1 AND id = $2 AND (user_id IS NULL OR user_id <> $3)"),
    STMT("oneroster.teacher_account", 0,
         "UPDATE teachers SET user_id = $3 WHERE tenant_id = $1 AND id = $2 AND (user_id IS NULL OR user_id <> $3)"),
    STMT("oneroster.guardian_account", 0,
         "UPDATE guardians SET user_id = $3 WHERE tenant_id = $1 AND id = $2 AND (user_id IS NULL OR user_id <> $3)"),
};
static stmt_t Q_DELETE_PERSON[3] = {
    STMT("oneroster.student_delete", 0,
         "UPDATE students SET deleted_at = $3, version = version + 1, updated_at = $3"
         " WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL"),
    STMT("oneroster.teacher_delete", 0,
         "UPDATE teachers SET status = 'inactive', version = version + 1, updated_at = $3"
         " WHERE tenant_id = $1 AND id = $2 AND status <> 'inactive'"),
    STMT("oneroster.guardian_delete", 0, "SELECT id FROM guardians WHERE tenant_id = $1 AND id = $2 AND $3 > 0"),
};
static stmt_t Q_DISABLE_ACCOUNT[3] = {
    STMT("oneroster.student_disable", 0,
         "UPDATE users SET status = 'disabled', updated_at = $3 WHERE tenant_id = $1 AND status = 'active' AND id ="
         " (SELECT user_id FROM students WHERE tenant_id = $1 AND id = $2)"),
    STMT("oneroster.teacher_disable", 0,
         "UPDATE users SET status = 'disabled', updated_at = $3 WHERE tenant_id = $1 AND status = 'active' AND id ="
         " (SELECT user_id FROM teachers WHERE tenant_id = $1 AND id = $2)"),
    STMT("oneroster.guardian_disable", 0,
         "UPDATE users SET status = 'disabled', updated_at = $3 WHERE tenant_id = $1 AND status = 'active' AND id ="
         " (SELECT user_id FROM guardians WHERE tenant_id = $1 AND id = $2)"),
};

#define ENR_COLS "student_id, class_id, academic_year_id, start_date, end_date"
static stmt_t Q_ENR_GET =
    STMT("oneroster.enrollment_get", 0, "SELECT " ENR_COLS " FROM enrollments WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_ENR_INSERT = STMT("oneroster.enrollment_insert", 0,
                                  "INSERT INTO enrollments (tenant_id, id, " ENR_COLS ", created_at, updated_at)"
                                  " VALUES ($1, $2, $4, $5, $6, $7, $8, $3, $3)");
static stmt_t Q_ENR_UPDATE = STMT("oneroster.enrollment_update", 0,
                                  "UPDATE enrollments SET student_id = $4, class_id = $5, academic_year_id = $6,"
                                  " start_date = $7, end_date = $8, version = version + 1, updated_at = $3"
                                  " WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_ENR_DELETE = STMT("oneroster.enrollment_delete", 0,
                                  "DELETE FROM enrollments WHERE tenant_id = $1 AND id = $2 RETURNING student_id");
static stmt_t Q_CLASS_YEAR = STMT("oneroster.class_year", 0,
                                  "SELECT c.academic_year_id, y.start_date, y.end_date FROM classes c"
                                  " JOIN academic_years y ON y.tenant_id = c.tenant_id AND y.id = c.academic_year_id"
                                  " WHERE c.tenant_id = $1 AND c.id = $2");
#define CS_COLS "class_id, subject_id, teacher_id"
static stmt_t Q_CS_GET =
    STMT("oneroster.assignment_get", 0, "SELECT " CS_COLS " FROM class_subjects WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_CS_FIND = STMT("oneroster.assignment_find", 0,
                               "SELECT id FROM class_subjects WHERE tenant_id = $1 AND class_id = $2"
                               " AND subject_id = $3");
static stmt_t Q_CS_INSERT = STMT("oneroster.assignment_insert", 0,
                                 "INSERT INTO class_subjects (tenant_id, id, " CS_COLS ", created_at, updated_at)"
                                 " VALUES ($1, $2, $4, $5, $6, $3, $3)");
static stmt_t Q_CS_UPDATE = STMT("oneroster.assignment_update", 0,
                                 "UPDATE class_subjects SET class_id = $4, subject_id = $5, teacher_id = $6,"
                                 " version = version + 1, updated_at = $3 WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_CS_DELETE =
    STMT("oneroster.assignment_delete", 0, "DELETE FROM class_subjects WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_CLASS_TEACHER = STMT("oneroster.class_teacher", 0,
                                     "UPDATE classes SET class_teacher_id = $3, version = version + 1"
                                     " WHERE tenant_id = $1 AND id = $2"
                                     " AND (class_teacher_id IS NULL OR class_teacher_id <> $3)");
static stmt_t Q_CLASS_TEACHER_CLEAR = STMT("oneroster.class_teacher_clear", 0,
                                           "UPDATE classes SET class_teacher_id = NULL, version = version + 1"
                                           " WHERE tenant_id = $1 AND id = $2 AND class_teacher_id IS NOT NULL");

static const or_ent_t E_PERSON[3] = {
    {"user",
     "student",
     &Q_STUDENT_GET,
     &Q_STUDENT_FIND,
     &Q_STUDENT_INSERT,
     &Q_STUDENT_UPDATE,
     9,
     {0},
     1,
     K_STUDENTS,
     0,
     "student"},
    {"user",
     "teacher",
     &Q_TEACHER_GET,
     &Q_TEACHER_FIND,
     &Q_TEACHER_INSERT,
     &Q_TEACHER_UPDATE,
     6,
     {0},
     1,
     K_TEACHERS,
     0,
     "teacher"},
    {"user",
     "guardian",
     &Q_GUARDIAN_GET,
     &Q_GUARDIAN_FIND,
     &Q_GUARDIAN_INSERT,
     &Q_GUARDIAN_UPDATE,
     4,
     {2},
     1,
     K_GUARDIANS,
     0,
     "guardian"},
};
static const or_ent_t E_ENROLLMENT = {
    "enrollment", "enrollment", &Q_ENR_GET, NULL, &Q_ENR_INSERT, &Q_ENR_UPDATE, 5, {0}, 0, K_ENROLLMENTS, 0, NULL};
static const or_ent_t E_ASSIGNMENT = {
    "enrollment", "class_subject", &Q_CS_GET, &Q_CS_FIND, &Q_CS_INSERT, &Q_CS_UPDATE, 3, {0, 1}, 2, K_ASSIGNMENTS, 1,
    NULL};

enum { P_STUDENT, P_TEACHER, P_GUARDIAN, P_NONE };

/* Which of our people a OneRoster role becomes. */
static int person_of(const char *role)
{
    static const char *const guardians[] = {"parent", "guardian", "relative", NULL};
    if (role == NULL)
        return P_NONE;
    if (strcmp(role, "student") == 0)
        return P_STUDENT;
    if (strcmp(role, "teacher") == 0)
        return P_TEACHER;
    return or_one_of(role, guardians) ? P_GUARDIAN : P_NONE;
}

static const char *const local_kinds[] = {"student", "teacher", "guardian"};

/* The kind of person a user sourcedId names (in the file or imported before), or P_NONE. */
static int user_kind(const or_imp_t *m, const char *sid)
{
    const or_row_t *row = smap_get(&m->t[OR_USERS].by_id, sid);
    if (row != NULL)
        return row->deleted || m->aux[OR_USERS][row - m->t[OR_USERS].rows].skip ? P_NONE : person_of(row->f[USR_ROLE]);
    const or_id_t *id = or_id_get(m, "user", sid);
    for (int k = 0; id != NULL && k < P_NONE; k++)
        if (strcmp(id->local_kind, local_kinds[k]) == 0)
            return k;
    return P_NONE;
}

static const or_row_t *demographics(const or_imp_t *m, const char *sid)
{
    const or_row_t *d = smap_get(&m->t[OR_DEMOGRAPHICS].by_id, sid);
    return d != NULL && !d->deleted ? d : NULL;
}

/* ---- checks */

/* The API's rules for names, phones and school-issued numbers (domain/people.h). */
static void check_person(or_imp_t *m, const or_row_t *row)
{
    static const int names[] = {USR_GIVEN, USR_MIDDLE, USR_FAMILY};
    const char *f = "users.csv", *phone = row->f[USR_PHONE] ? row->f[USR_PHONE] : row->f[USR_SMS];
    for (int i = 0; i < 3; i++) {
        const char *v = row->f[names[i]];
        if (v != NULL && (!people_valid_name(v) || strlen(v) > 100))
            or_err(&m->errs, f, row->line, or_specs[OR_USERS].cols[names[i]],
                   "must be a name of at most 100 characters without control characters");
    }
    if (phone != NULL && !people_valid_phone(phone))
        or_err(&m->errs, f, row->line, row->f[USR_PHONE] ? "phone" : "sms", "is not a phone number");
    int k = person_of(row->f[USR_ROLE]);
    const char *code = row->f[USR_IDENTIFIER] ? row->f[USR_IDENTIFIER] : row->f[C_SOURCED_ID];
    if (k != P_GUARDIAN && !people_valid_code(code))
        or_err(&m->errs, f, row->line, row->f[USR_IDENTIFIER] ? "identifier" : "sourcedId",
               "becomes the %s number and must be 1 to 32 letters, digits and . _ / - (give an identifier)",
               k == P_STUDENT ? "admission" : "employee");
}

static void check_user(or_imp_t *m, const or_row_t *row, or_aux_t *x)
{
    static const char *const roles[] = {"administrator", "aide",    "guardian", "parent", "proctor",
                                        "relative",      "student", "teacher",  NULL};
    static const char *const booleans[] = {"true", "false", NULL};
    const char *f = "users.csv", *email = row->f[USR_EMAIL];
    if (!or_one_of(row->f[USR_ROLE], roles))
        or_err(&m->errs, f, row->line, "role", "must be one of the OneRoster 1.1 roles, not '%s'", row->f[USR_ROLE]);
    if (!or_one_of(row->f[USR_ENABLED], booleans))
        or_err(&m->errs, f, row->line, "enabledUser", "must be true or false");
    if ((m->org != NULL && !or_list_has(m->a, row->f[USR_ORGS], m->org)) || person_of(row->f[USR_ROLE]) == P_NONE) {
        x->skip = 1;
        return;
    }
    if (email != NULL && (strchr(email, '@') == NULL || strpbrk(email, " \t<>,;") != NULL || strlen(email) > 254))
        or_err(&m->errs, f, row->line, "email", "is not an email address");
    check_person(m, row);
    const char *sid = row->f[C_SOURCED_ID];
    const or_row_t *d = demographics(m, sid);
    if (person_of(row->f[USR_ROLE]) == P_STUDENT && (d == NULL || d->f[DEM_BIRTH] == NULL) &&
        or_id_get(m, "user", sid) == NULL)
        or_err(&m->errs, f, row->line, NULL, "student %s needs a birthDate in demographics.csv", sid);
    int n;
    const char **agents = or_split(m->a, row->f[USR_AGENTS], &n);
    for (int i = 0; i < n; i++)
        if (!or_known(m, OR_USERS, "user", agents[i], NULL))
            or_err(&m->errs, f, row->line, "agentSourcedIds", "no user %s in users.csv nor imported before", agents[i]);
}

static void check_demographics(or_imp_t *m)
{
    static const char *const sexes[] = {"male", "female", "other", "unspecified", NULL};
    const or_table_t *t = &m->t[OR_DEMOGRAPHICS];
    for (int i = 0; i < t->n; i++) {
        const or_row_t *row = &t->rows[i];
        if (row->deleted)
            continue;
        if (row->f[DEM_BIRTH] != NULL && !or_date_ok(row->f[DEM_BIRTH]))
            or_err(&m->errs, t->spec->file, row->line, "birthDate", "must be a date (YYYY-MM-DD), not '%s'",
                   row->f[DEM_BIRTH]);
        if (row->f[DEM_SEX] != NULL && !or_one_of(row->f[DEM_SEX], sexes))
            or_err(&m->errs, t->spec->file, row->line, "sex", "must be male or female, not '%s'", row->f[DEM_SEX]);
    }
}

void or_check_users(or_imp_t *m)
{
    check_demographics(m);
    or_table_t *t = &m->t[OR_USERS];
    for (int i = 0; i < t->n; i++)
        if (!t->rows[i].deleted)
            check_user(m, &t->rows[i], &m->aux[OR_USERS][i]);
}

static int class_skipped(const or_imp_t *m, const char *sid)
{
    const or_row_t *row = smap_get(&m->t[OR_CLASSES].by_id, sid);
    return row != NULL && m->aux[OR_CLASSES][row - m->t[OR_CLASSES].rows].skip;
}

static void check_enrollment(or_imp_t *m, const or_row_t *row, or_aux_t *x)
{
    static const char *const roles[] = {"administrator", "proctor", "student", "teacher", "aide", NULL};
    static const char *const booleans[] = {"true", "false", NULL};
    const char *f = "enrollments.csv", *cls = row->f[ENR_CLASS], *user = row->f[ENR_USER];
    if (!or_one_of(row->f[ENR_ROLE], roles))
        or_err(&m->errs, f, row->line, "role", "must be administrator, proctor, student, teacher or aide");
    if (row->f[ENR_PRIMARY] != NULL && !or_one_of(row->f[ENR_PRIMARY], booleans))
        or_err(&m->errs, f, row->line, "primary", "must be true or false");
    for (int c = ENR_BEGIN; c <= ENR_END; c++)
        if (row->f[c] != NULL && !or_date_ok(row->f[c]))
            or_err(&m->errs, f, row->line, or_specs[OR_ENROLLMENTS].cols[c], "must be a date (YYYY-MM-DD), not '%s'",
                   row->f[c]);
    if (row->f[ENR_BEGIN] && row->f[ENR_END] && strcmp(row->f[ENR_END], row->f[ENR_BEGIN]) < 0)
        or_err(&m->errs, f, row->line, "endDate", "is before beginDate");
    int want = person_of(row->f[ENR_ROLE]);
    if ((m->org != NULL && strcmp(row->f[ENR_SCHOOL], m->org) != 0) || class_skipped(m, cls) ||
        (want != P_STUDENT && want != P_TEACHER)) {
        x->skip = 1;
        return;
    }
    if (!or_known(m, OR_CLASSES, "class", cls, NULL))
        or_err(&m->errs, f, row->line, "classSourcedId", "no class %s in classes.csv nor imported before", cls);
    int have = user_kind(m, user);
    if (have == P_NONE && !or_known(m, OR_USERS, "user", user, NULL))
        or_err(&m->errs, f, row->line, "userSourcedId", "no user %s in users.csv nor imported before", user);
    else if (have != want)
        or_err(&m->errs, f, row->line, "userSourcedId", "user %s is not a %s of this school", user, row->f[ENR_ROLE]);
}

void or_check_enrollments(or_imp_t *m)
{
    or_table_t *t = &m->t[OR_ENROLLMENTS];
    for (int i = 0; i < t->n; i++)
        if (!t->rows[i].deleted)
            check_enrollment(m, &t->rows[i], &m->aux[OR_ENROLLMENTS][i]);
}

/* ---- writes: people */

static char *lower(arena_t *a, const char *s)
{
    return s != NULL ? imports_lower(a, s) : NULL;
}

/* Finds or creates the account of email with role; *uid. 0 or -1. */
static int account(or_imp_t *m, const or_row_t *row, const char *email, unsigned role, const char **uid)
{
    db_result_t res;
    if (db_exec(m->db, &Q_ACCOUNT, DB_ARGS(DB_TEXT(m->tenant), DB_TEXT(email)), m->a, &res) != 0)
        return -1;
    if (res.nrows > 0) {
        *uid = db_get(&res, 0, 0);
        m->count[K_ACCOUNTS].unchanged++;
        return 0;
    }
    char *id = arena_alloc(m->a, 40);
    if (m->hash == NULL) { /* one random password nobody knows, hashed once per import (an admin resets it) */
        char random[64], *hash = arena_alloc(m->a, PASSWORD_HASH_MAX);
        crypto_random_b64(random, sizeof(random), 32);
        if (password_hash(random, hash) != 0)
            erp_oom();
        m->hash = hash;
    }
    user_in_t u = {.email = email,
                   .roles = role,
                   .display_name = arena_printf(m->a, "%s %s", row->f[USR_GIVEN], row->f[USR_FAMILY])};
    int limit = 0;
    if (identity_insert_user(&m->r, m->db, m->tenant, &u, m->hash, id, &limit) != 0) {
        if (limit > 0) {
            or_err(&m->errs, "users.csv", row->line, "email", "the school has reached its limit of %d users", limit);
            m->refused = 1;
            return -1;
        }
        return or_write_failed(m, OR_USERS, row, "email");
    }
    m->count[K_ACCOUNTS].created++;
    *uid = id;
    return 0;
}

/* The values of a person of kind k from a users row. */
static int person_vals(or_imp_t *m, int k, const or_row_t *row, const char **v)
{
    const char *sid = row->f[C_SOURCED_ID], *code = row->f[USR_IDENTIFIER] ? row->f[USR_IDENTIFIER] : sid;
    const char *phone = row->f[USR_PHONE] ? row->f[USR_PHONE] : row->f[USR_SMS];
    if (k == P_TEACHER) {
        const char *vals[] = {code, row->f[USR_GIVEN], row->f[USR_FAMILY], row->f[USR_EMAIL], phone, "active"};
        memcpy(v, vals, sizeof(vals));
        return 0;
    }
    if (k == P_GUARDIAN) {
        const char *vals[] = {row->f[USR_GIVEN], row->f[USR_FAMILY], row->f[USR_EMAIL], phone};
        memcpy(v, vals, sizeof(vals));
        return 0;
    }
    const or_row_t *d = demographics(m, sid);
    const char *birth = d != NULL ? d->f[DEM_BIRTH] : NULL, *sex = d != NULL ? d->f[DEM_SEX] : NULL;
    if (birth == NULL) { /* known before (checked): keep the stored date */
        db_result_t res;
        const or_id_t *id = or_id_get(m, "user", sid);
        if (db_exec(m->db, &Q_STUDENT_BIRTH, DB_ARGS(DB_TEXT(m->tenant), DB_TEXT(id->local_id)), m->a, &res) != 0)
            return -1;
        birth = res.nrows > 0 ? db_get(&res, 0, 0) : "2000-01-01";
    }
    const char *mid = row->f[USR_MIDDLE];
    char text[512];
    people_search_text(text, sizeof(text), row->f[USR_GIVEN], mid, row->f[USR_FAMILY], code);
    const char *search = lower(m->a, text);
    const char *vals[] = {
        code,  row->f[USR_GIVEN], mid, row->f[USR_FAMILY], birth, sex ? sex : "unspecified", row->f[USR_EMAIL], phone,
        search};
    memcpy(v, vals, sizeof(vals));
    return 0;
}

static const or_row_t absent_row = {0}; /* a record a bulk file leaves out: errors name line 0 */

/* The sourcedIds of kind imported before that table, a bulk file, leaves out (none for a delta file). */
static const char **absent(or_imp_t *m, int table, const char *kind, int *n)
{
    size_t klen = strlen(kind);
    const char **v = arena_alloc(m->a, (m->ids.cap + 1) * sizeof(*v));
    *n = 0;
    if (m->t[table].mode == NULL || strcmp(m->t[table].mode, "bulk") != 0)
        return v;
    for (size_t i = 0; i < m->ids.cap; i++) {
        const char *key = m->ids.keys[i];
        if (key != NULL && m->ids.vals[i] != NULL && strncmp(key, kind, klen) == 0 && key[klen] == '\x1f' &&
            smap_get(&m->t[table].by_id, key + klen + 1) == NULL)
            v[(*n)++] = key + klen + 1;
    }
    return v;
}

/* Deletes (softly) the person user sid names: tobedeleted, or left out of a bulk file. */
static int delete_person(or_imp_t *m, const char *sid)
{
    const or_id_t *id = or_id_get(m, "user", sid);
    int k = 0;
    while (id != NULL && k < P_NONE && strcmp(id->local_kind, local_kinds[k]) != 0)
        k++;
    if (id == NULL || k == P_NONE)
        return 0;
    db_result_t res;
    db_arg_t args[] = {DB_TEXT(m->tenant), DB_TEXT(id->local_id), DB_INT(m->now)};
    if (db_exec(m->db, &Q_DISABLE_ACCOUNT[k], args, 3, m->a, NULL) != 0 ||
        db_exec(m->db, &Q_DELETE_PERSON[k], args, 3, m->a, &res) != 0)
        return -1;
    if (res.changes == 0 && (k != P_GUARDIAN || res.nrows == 0))
        return 0;
    m->count[E_PERSON[k].count].deleted++;
    return k == P_GUARDIAN ? 0
                           : or_audit(m, k == P_STUDENT ? "student.delete" : "teacher.update", id->local_id,
                                      k == P_STUDENT ? "deleted" : "deleted: inactive");
}

static int apply_user(or_imp_t *m, const or_row_t *row)
{
    static const unsigned roles[] = {ROLE_STUDENT, ROLE_TEACHER, ROLE_PARENT};
    int k = person_of(row->f[USR_ROLE]);
    const char *vals[9], *id, *uid = NULL, *email = lower(m->a, row->f[USR_EMAIL]);
    db_result_t res;
    if (person_vals(m, k, row, vals) != 0 || or_put(m, &E_PERSON[k], OR_USERS, row, vals, &id) != 0)
        return -1;
    if (email == NULL)
        return 0;
    if (account(m, row, email, roles[k], &uid) != 0)
        return -1;
    if (db_exec(m->db, &Q_LINK_ACCOUNT[k], DB_ARGS(DB_TEXT(m->tenant), DB_TEXT(id), DB_TEXT(uid)), m->a, &res) != 0)
        return or_write_failed(m, OR_USERS, row, "email");
    return 0;
}

/* Links the students and guardians a row's agentSourcedIds name. */
static int apply_agents(or_imp_t *m, const or_row_t *row)
{
    int n, k = person_of(row->f[USR_ROLE]);
    const char **agents = or_split(m->a, row->f[USR_AGENTS], &n);
    const char *self = or_id_get(m, "user", row->f[C_SOURCED_ID])->local_id;
    for (int i = 0; i < n; i++) {
        int other = user_kind(m, agents[i]);
        const or_id_t *id = or_id_get(m, "user", agents[i]);
        if (id == NULL || !((k == P_STUDENT && other == P_GUARDIAN) || (k == P_GUARDIAN && other == P_STUDENT)))
            continue;
        const char *g = k == P_GUARDIAN ? row->f[USR_ROLE] : NULL;
        if (g == NULL) {
            const or_row_t *gr = smap_get(&m->t[OR_USERS].by_id, agents[i]);
            g = gr != NULL ? gr->f[USR_ROLE] : "guardian";
        }
        const char *rel = strcmp(g, "relative") == 0 ? "other" : "guardian";
        if (db_exec(m->db, &Q_LINK,
                    DB_ARGS(DB_TEXT(m->tenant), DB_TEXT(k == P_STUDENT ? self : id->local_id),
                            DB_TEXT(k == P_STUDENT ? id->local_id : self), DB_TEXT(rel), DB_INT(m->now)),
                    m->a, NULL) != 0)
            return or_write_failed(m, OR_USERS, row, "agentSourcedIds");
    }
    return 0;
}

int or_apply_users(or_imp_t *m)
{
    or_table_t *t = &m->t[OR_USERS];
    for (int i = 0; i < t->n; i++) {
        const or_row_t *row = &t->rows[i];
        if (m->aux[OR_USERS][i].skip)
            m->skipped++;
        else if (!row->deleted && apply_user(m, row) != 0)
            return -1;
    }
    for (int i = 0; i < t->n; i++)
        if (!t->rows[i].deleted && !m->aux[OR_USERS][i].skip && apply_agents(m, &t->rows[i]) != 0)
            return -1;
    for (int i = 0; i < t->n; i++)
        if (t->rows[i].deleted && !m->aux[OR_USERS][i].skip && delete_person(m, t->rows[i].f[C_SOURCED_ID]) != 0)
            return -1;
    int n;
    const char **gone = absent(m, OR_USERS, "user", &n);
    for (int i = 0; i < n; i++)
        if (delete_person(m, gone[i]) != 0)
            return -1;
    return 0;
}

/* ---- writes: enrollments */

static int apply_student(or_imp_t *m, const or_row_t *row, const char *cls, const char *student)
{
    db_result_t res;
    if (db_exec(m->db, &Q_CLASS_YEAR, DB_ARGS(DB_TEXT(m->tenant), DB_TEXT(cls)), m->a, &res) != 0)
        return -1;
    const char *ys = db_get(&res, 0, 1), *ye = db_get(&res, 0, 2);
    const char *start = row->f[ENR_BEGIN] ? row->f[ENR_BEGIN] : ys, *end = row->f[ENR_END];
    if (strcmp(start, ys) < 0 || strcmp(start, ye) > 0 || (end != NULL && strcmp(end, start) < 0)) {
        or_err(&m->errs, "enrollments.csv", row->line, "beginDate", "must be within the class's school year (%s to %s)",
               ys, ye);
        m->refused = 1;
        return -1;
    }
    const char *vals[] = {student, cls, db_get(&res, 0, 0), start, end}, *id;
    or_count_t before = m->count[K_ENROLLMENTS];
    if (or_put(m, &E_ENROLLMENT, OR_ENROLLMENTS, row, vals, &id) != 0)
        return -1;
    const or_count_t *now = &m->count[K_ENROLLMENTS];
    if (now->created == before.created && now->updated == before.updated)
        return 0;
    return or_audit(m, "student.update", student, arena_printf(m->a, "enrollment %s", id));
}

/* The class's teacher: the first primary teacher enrollment of the class, else the first. */
static const char *chosen_teacher(const or_imp_t *m, const char *cls)
{
    const or_table_t *t = &m->t[OR_ENROLLMENTS];
    const char *first = NULL;
    for (int i = 0; i < t->n; i++) {
        const or_row_t *r = &t->rows[i];
        if (r->deleted || m->aux[OR_ENROLLMENTS][i].skip || strcmp(r->f[ENR_ROLE], "teacher") != 0 ||
            strcmp(r->f[ENR_CLASS], cls) != 0)
            continue;
        if (r->f[ENR_PRIMARY] != NULL && strcmp(r->f[ENR_PRIMARY], "true") == 0)
            return r->f[ENR_USER];
        if (first == NULL)
            first = r->f[ENR_USER];
    }
    return first;
}

/*
 * Whether class sid is a section taught to one of our classes; then *cls is that class and *subject the
 * section's course (from the file, or from the teaching assignment it became). 1, 0, or -1 (db).
 */
static int section_of(or_imp_t *m, const char *sid, const char **cls, const char **subject)
{
    const or_row_t *c = smap_get(&m->t[OR_CLASSES].by_id, sid);
    if (c != NULL) {
        if (c->f[CLS_HOMEROOM] == NULL)
            return 0;
        *cls = or_id_get(m, "class", c->f[CLS_HOMEROOM])->local_id;
        *subject = or_id_get(m, "course", c->f[CLS_COURSE])->local_id;
        return 1;
    }
    const or_id_t *id = or_id_get(m, "class", sid);
    if (id == NULL || strcmp(id->local_kind, "section") != 0)
        return 0;
    db_result_t res;
    if (db_exec(m->db, &Q_CS_GET, DB_ARGS(DB_TEXT(m->tenant), DB_TEXT(id->local_id)), m->a, &res) != 0)
        return -1;
    if (res.nrows == 0)
        return 0;
    *cls = db_get(&res, 0, 0);
    *subject = db_get(&res, 0, 1);
    return 1;
}

/* A teacher of a section taught to one of our classes: the teaching assignment, which the section then names. */
static int apply_section_teacher(or_imp_t *m, const or_row_t *row, const char *cls, const char *subject,
                                 const char *teacher)
{
    const char *vals[] = {cls, subject, teacher}, *id;
    if (or_put(m, &E_ASSIGNMENT, OR_ENROLLMENTS, row, vals, &id) != 0)
        return -1;
    return or_id_put(m, "class", row->f[ENR_CLASS], "section", id);
}

static int apply_teacher(or_imp_t *m, const or_row_t *row, const char *teacher)
{
    const char *cls = NULL, *subj = NULL;
    if (strcmp(chosen_teacher(m, row->f[ENR_CLASS]), row->f[ENR_USER]) != 0) {
        m->skipped++;
        return 0;
    }
    int section = section_of(m, row->f[ENR_CLASS], &cls, &subj);
    if (section != 0)
        return section < 0 ? -1 : apply_section_teacher(m, row, cls, subj, teacher);
    cls = or_id_get(m, "class", row->f[ENR_CLASS])->local_id;
    const or_row_t *c = smap_get(&m->t[OR_CLASSES].by_id, row->f[ENR_CLASS]);
    const or_id_t *subject = c != NULL ? or_id_get(m, "course", c->f[CLS_COURSE]) : NULL;
    if (subject != NULL) {
        const char *vals[] = {cls, subject->local_id, teacher}, *id;
        return or_put(m, &E_ASSIGNMENT, OR_ENROLLMENTS, row, vals, &id);
    }
    db_result_t res;
    if (db_exec(m->db, &Q_CLASS_TEACHER, DB_ARGS(DB_TEXT(m->tenant), DB_TEXT(cls), DB_TEXT(teacher)), m->a, &res) != 0)
        return or_write_failed(m, OR_ENROLLMENTS, row, "userSourcedId");
    if (res.changes > 0) /* the class's teacher: a change of the class */
        m->count[K_CLASSES].updated++;
    return or_id_put(m, "enrollment", row->f[C_SOURCED_ID], "class_teacher", cls);
}

/* Whether a present enrollment row other than sid names local_id (a teacher's enrollments of each term). */
static int still_named(const or_imp_t *m, const char *sid, const char *local_id)
{
    const or_table_t *t = &m->t[OR_ENROLLMENTS];
    for (int i = 0; i < t->n; i++) {
        const or_row_t *row = &t->rows[i];
        const or_id_t *x = or_id_get(m, "enrollment", row->f[C_SOURCED_ID]);
        if (!row->deleted && !m->aux[OR_ENROLLMENTS][i].skip && x != NULL && strcmp(row->f[C_SOURCED_ID], sid) != 0 &&
            strcmp(x->local_id, local_id) == 0)
            return 1;
    }
    return 0;
}

/* Removes what enrollment sid made: tobedeleted (row), or left out of a bulk file. */
static int delete_enrollment(or_imp_t *m, const char *sid, const or_row_t *row)
{
    const or_id_t *id = or_id_get(m, "enrollment", sid);
    if (id == NULL)
        return 0;
    if (strcmp(id->local_kind, "enrollment") != 0 && still_named(m, sid, id->local_id))
        return or_id_drop(m, "enrollment", sid);
    stmt_t *st = strcmp(id->local_kind, "enrollment") == 0      ? &Q_ENR_DELETE
                 : strcmp(id->local_kind, "class_subject") == 0 ? &Q_CS_DELETE
                                                                : &Q_CLASS_TEACHER_CLEAR;
    db_result_t res;
    if (db_exec(m->db, st, DB_ARGS(DB_TEXT(m->tenant), DB_TEXT(id->local_id)), m->a, &res) != 0)
        return or_write_failed(m, OR_ENROLLMENTS, row, NULL);
    int gone = st == &Q_ENR_DELETE ? res.nrows > 0 : res.changes > 0;
    if (gone && st != &Q_CLASS_TEACHER_CLEAR)
        m->count[st == &Q_ENR_DELETE ? K_ENROLLMENTS : K_ASSIGNMENTS].deleted++;
    else if (gone)
        m->count[K_CLASSES].updated++;
    if (gone && st == &Q_ENR_DELETE &&
        or_audit(m, "student.update", db_get(&res, 0, 0), arena_printf(m->a, "enrollment %s removed", id->local_id)) !=
            0)
        return -1;
    return or_id_drop(m, "enrollment", sid);
}

int or_apply_enrollments(or_imp_t *m)
{
    or_table_t *t = &m->t[OR_ENROLLMENTS];
    for (int i = 0; i < t->n; i++) {
        const or_row_t *row = &t->rows[i];
        int rc;
        if (m->aux[OR_ENROLLMENTS][i].skip) {
            m->skipped++;
            continue;
        }
        if (row->deleted)
            continue;
        const char *user = or_id_get(m, "user", row->f[ENR_USER])->local_id, *cls, *subj;
        if (strcmp(row->f[ENR_ROLE], "teacher") == 0)
            rc = apply_teacher(m, row, user);
        else if ((rc = section_of(m, row->f[ENR_CLASS], &cls, &subj)) > 0) {
            m->skipped++; /* a student of a section is a student of the class it is taught to */
            rc = 0;
        } else if (rc == 0)
            rc = apply_student(m, row, or_id_get(m, "class", row->f[ENR_CLASS])->local_id, user);
        if (rc != 0)
            return -1;
    }
    for (int i = 0; i < t->n; i++)
        if (t->rows[i].deleted && delete_enrollment(m, t->rows[i].f[C_SOURCED_ID], &t->rows[i]) != 0)
            return -1;
    int n;
    const char **gone = absent(m, OR_ENROLLMENTS, "enrollment", &n);
    for (int i = 0; i < n; i++)
        if (delete_enrollment(m, gone[i], &absent_row) != 0)
            return -1;
    return 0;
}
