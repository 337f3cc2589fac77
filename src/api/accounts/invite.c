/* invite.c - POST /users with "invite": true: an account without a password and its invitation (accounts.h). */
#include <string.h>

#include "api/accounts/accounts_int.h"
#include "api/app.h"
#include "api/api.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "auth/identity.h"
#include "mail/mail.h"

typedef struct invite {
    req_t *r;
    const user_in_t *u;
    char id[40];
    int limit_hit;
    int queue_down;
} invite_t;

static int invite_tx(db_t *db, void *ctx)
{
    invite_t *c = ctx;
    c->limit_hit = c->queue_down = 0;
    /* no password: the empty hash matches none, so the account cannot log in until the invitation is accepted */
    if (identity_insert_user(c->r, db, c->r->auth.tenant_id, c->u, "", c->id, &c->limit_hit) != 0)
        return -1;
    account_link_t to = {.tenant_id = c->r->auth.tenant_id, .user_id = c->id, .email = c->u->email,
                         .display_name = c->u->display_name};
    int rc = account_link_send(db, &c->r->arena, TOKEN_INVITE, &to);
    if (rc == MAIL_EQUEUE)
        c->queue_down = 1;
    return rc != 0 ? -1 : audit_caller(db, c->r, "user.invite", "user", c->id, NULL);
}

int users_invite(req_t *r, const char **id)
{
    user_in_t u = {0};
    char email[256];
    users_read_new(r, 0, &u, email);
    if (u.password != NULL)
        res_field_error(r, "password", "must be absent when invite is true: the invited person chooses it");
    if (res_check_fields(r) != 0)
        return -1;
    invite_t c = {.r = r, .u = &u};
    db_t *db = req_db(r);
    if (db_transaction(db, invite_tx, &c) != 0) {
        if (c.limit_hit)
            return res_fail(r, ERR_CONFLICT, "The school has reached its limit of %d users; raise maxUsers to add more.",
                            c.limit_hit);
        if (c.queue_down)
            return account_queue_down(r);
        if (db_error(db)->status == DB_UNIQUE)
            return duplicate(r, "email",
                             arena_printf(&r->arena, "email %s is already used by another account of this school",
                                          email));
        return db_fail(r, db);
    }
    *id = arena_strdup(&r->arena, c.id);
    return 0;
}
