/*
 * staff.c - planning and writing staff accounts (see imports_int.h): read with
 * the rules of POST /users (users_read_new), created as identity_create_user()
 * creates them (the school's user limit, the audit event), matched by email.
 * The roles column lists role names separated by ";" or spaces ("staff" when
 * empty); the password column is used only when the account is created. A new
 * account without a password is invited: a link to choose one is mailed (7 days).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/accounts/accounts.h"
#include "api/api.h"
#include "mail/mail.h"
#include "auth/crypto.h"
#include "auth/password.h"
#include "core/clock.h"
#include "imports/imports_int.h"

static stmt_t Q_USERS = STMT("imports.users", 0,
                             "SELECT id, email, display_name, roles, version FROM users WHERE tenant_id = $1");
static stmt_t Q_UPDATE = STMT("imports.user_update", 0,
                              "UPDATE users SET display_name = $4, roles = $5, version = version + 1, updated_at = $6"
                              " WHERE tenant_id = $1 AND id = $2 AND version = $3");

/* An account as stored: vals[0] display name, vals[1] roles (decimal). */
int staff_load(imp_t *m)
{
    db_result_t res;
    if (db_exec(m->db, &Q_USERS, DB_ARGS(DB_TEXT(m->r.auth.tenant_id)), m->a, &res) != 0)
        return -1;
    for (int i = 0; i < res.nrows; i++) {
        rec_t *r = arena_calloc(m->a, sizeof(*r));
        r->id = db_get(&res, i, 0);
        r->vals = arena_alloc(m->a, 2 * sizeof(*r->vals));
        r->vals[0] = db_get(&res, i, 2);
        r->vals[1] = db_get(&res, i, 3);
        r->version = db_get_int(&res, i, 4);
        smap_put(&m->existing, db_get(&res, i, 1), r);
    }
    return 0;
}

typedef struct account {
    user_in_t u;
    char email[256];
} account_t;

/* The roles cell as the JSON array POST /users takes ("staff" when empty). */
static json_t *roles_array(const char *cell)
{
    json_t *a = json_array();
    if (a == NULL)
        erp_oom();
    const char *p = cell != NULL ? cell : "";
    while (*p != '\0') {
        size_t n = strcspn(p, "; ");
        if (n > 0 && json_array_append_new(a, json_stringn(p, n)) != 0)
            erp_oom();
        p += n + (p[n] != '\0');
    }
    if (json_array_size(a) == 0 && json_array_append_new(a, json_string("staff")) != 0)
        erp_oom();
    return a;
}

static void read_account(imp_t *m, void *ctx)
{
    account_t *acc = ctx;
    json_t *roles = json_object_get(m->r.json, "roles");
    if (json_object_set_new(m->r.json, "roles", roles_array(json_string_value(roles))) != 0)
        erp_oom();
    users_read_new(&m->r, 0, &acc->u, acc->email);
    if (acc->u.display_name != NULL)
        acc->u.display_name = arena_strdup(m->a, acc->u.display_name);
    if (acc->u.password != NULL)
        acc->u.password = arena_strdup(m->a, acc->u.password);
}

/* The hash of the account's password, or of a random one when the file gives none; NULL when out of memory. */
static const char *hash_of(imp_t *m, const char *password)
{
    char random[64];
    if (password == NULL) {
        crypto_random_b64(random, sizeof(random), 32);
        password = random;
    }
    char *hash = arena_alloc(m->a, PASSWORD_HASH_MAX);
    return password_hash(password, hash) == 0 ? hash : NULL;
}

static void plan_account(imp_t *m, const sheet_row_t *row, plan_t *p, const account_t *acc)
{
    rec_t *cur = smap_get(&m->existing, acc->email);
    rec_t *r = arena_calloc(m->a, sizeof(*r));
    r->vals = arena_alloc(m->a, 2 * sizeof(*r->vals));
    r->vals[0] = acc->u.display_name;
    r->vals[1] = arena_printf(m->a, "%u", acc->u.roles);
    r->line = row->line;
    p->main = r;
    p->user = acc->u;
    p->user.email = arena_strdup(m->a, acc->email);
    if (cur == NULL) {
        r->op = OP_CREATE;
        m->created++;
        return;
    }
    if (!imports_has_column(m, 0, "roles"))
        r->vals[1] = cur->vals[1];
    r->id = cur->id;
    r->version = cur->version;
    r->before = cur->vals;
    r->op = strcmp(r->vals[0], cur->vals[0]) == 0 && strcmp(r->vals[1], cur->vals[1]) == 0 ? OP_NONE : OP_UPDATE;
    if (r->op == OP_UPDATE)
        m->updated++;
    else
        m->unchanged++;
}

void staff_plan(imp_t *m, const sheet_row_t *row, plan_t *p)
{
    account_t acc = {0};
    int before = m->errs.total;
    imports_read_part(m, row, 0, read_account, &acc);
    if (m->errs.total > before)
        return;
    intptr_t first = (intptr_t)smap_get(&m->in_file, acc.email);
    if (first != 0) {
        errlist_add(&m->errs, row->line, "email", "%s appears twice in the file (first on line %d)", acc.email,
                    (int)first);
        return;
    }
    smap_put(&m->in_file, arena_strdup(m->a, acc.email), (void *)(intptr_t)row->line);
    plan_account(m, row, p, &acc);
}

int staff_hash(imp_t *m)
{
    for (int i = 0; i < m->nplans; i++) {
        plan_t *p = &m->plans[i];
        if (p->main->op == OP_CREATE && (p->hash = hash_of(m, p->user.password)) == NULL) {
            errlist_add(&m->errs, p->line, "password", "could not be hashed (out of memory)");
            return -1;
        }
    }
    return 0;
}

/* An account the file gives no password gets an invitation to choose one (accounts.h), in the import's transaction. */
static int invite(imp_t *m, const plan_t *p, const char *id)
{
    account_link_t to = {.tenant_id = m->r.auth.tenant_id, .user_id = id, .email = p->user.email,
                         .display_name = p->user.display_name};
    int rc = account_link_send(m->db, m->a, TOKEN_INVITE, &to);
    if (rc == 0)
        return 0;
    if (rc == MAIL_EQUEUE)
        m->fail = "the job queue cannot be reached to send the invitations; nothing was imported";
    return -1;
}

int staff_apply(imp_t *m, const plan_t *p)
{
    const rec_t *r = p->main;
    if (r->op == OP_CREATE) {
        char id[40];
        int limit = 0;
        if (identity_insert_user(&m->r, m->db, m->r.auth.tenant_id, &p->user, p->hash, id, &limit) == 0)
            return p->user.password == NULL ? invite(m, p, id) : 0;
        if (limit > 0)
            m->fail = arena_printf(m->a, "the school has reached its limit of %d users; nothing was imported", limit);
        return -1;
    }
    if (r->op == OP_NONE)
        return 0;
    db_result_t res;
    if (db_exec(m->db, &Q_UPDATE,
                DB_ARGS(DB_TEXT(m->r.auth.tenant_id), DB_TEXT(r->id), DB_INT(r->version), DB_TEXT(r->vals[0]),
                        DB_INT(atoll(r->vals[1])), DB_INT((long long)clock_wall_ms())),
                m->a, &res) != 0)
        return -1;
    if (res.changes == 0) {
        m->fail = "an account was changed while the file was imported; nothing was imported, import it again";
        return -1;
    }
    int roles_changed = strcmp(r->vals[1], r->before[1]) != 0;
    return imports_audit(m, roles_changed ? "user.roles_change" : "user.update", r->id,
                         roles_changed ? arena_printf(m->a, "roles %s -> %s", r->before[1], r->vals[1])
                                       : "csv import");
}
