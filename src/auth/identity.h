/*
 * identity.h - schools and accounts: the operations the API and the command
 * line share. Each reports failures on r (a request, or the command line's
 * stand-in), returning -1 with r->err set.
 */
#ifndef ERP_AUTH_IDENTITY_H
#define ERP_AUTH_IDENTITY_H

#include "http/handler.h"
#include "store/store.h"

typedef struct tenant_in {
    const char *name;
    const char *slug;
    const char *time_zone; /* NULL: "UTC" */
    const char *currency;  /* NULL: "USD" */
    long long max_users;   /* 0: 10,000 */
    const char *id;        /* NULL: a new id; else the id the tenant directory registered (src/shard/), whose
                              catalog then holds the platform's audit of the creation */
} tenant_in_t;

typedef struct user_in {
    const char *email; /* normalized to lower case by the caller */
    const char *display_name;
    const char *password; /* plain; hashed here */
    unsigned roles;
} user_in_t;

/*
 * Creates a school and its first admin in one transaction. Fails with 409 when
 * the slug is taken; 422 for a password the policy refuses.
 */
int identity_create_tenant(req_t *r, db_t *db, const tenant_in_t *t, const user_in_t *admin, char tenant_id[40],
                           char admin_id[40]);

/*
 * Creates an account in a school (tenant_id; PLATFORM_TENANT_ID for platform
 * admins). Fails with 409 for a taken email or when the school's user limit is
 * reached, 422 for a password the policy refuses, 404 when the school does not exist.
 */
int identity_create_user(req_t *r, db_t *db, const char *tenant_id, const user_in_t *u, char user_id[40]);

/*
 * The insert of identity_create_user() (the school's user limit checked, the
 * row, its audit event) inside the caller's open transaction, with the
 * password already hashed. Returns 0, or -1: a database error (db_error()),
 * or the limit reached (*limit_hit set to it), or no such school.
 */
int identity_insert_user(req_t *r, db_t *db, const char *tenant_id, const user_in_t *u, const char *hash,
                         char user_id[40], int *limit_hit);

/* A password_hash() of pw, refusing it with a 422 naming field when the policy does. */
int identity_hash_password(req_t *r, const char *field, const char *pw, const char *email, char out[128]);

#endif
