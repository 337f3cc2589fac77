/*
 * api.h - the route table and the handlers it names.
 *
 * Each resource's handlers live in a file of their own (ops.c, …); the one
 * table of routes is in routes.c.
 */
#ifndef ERP_API_API_H
#define ERP_API_API_H

#include <stddef.h>

#include "auth/identity.h"
#include "http/router.h"

/* The route table. */
extern const route_t api_routes[];
extern const size_t api_routes_count;

/* Operations (ops.c). */
int ops_healthz(req_t *r);
int ops_readyz(req_t *r);
int ops_metrics(req_t *r);
int ops_openapi(req_t *r);
int ops_version(req_t *r);

/* Authentication (auth.c). */
int auth_login(req_t *r);
int auth_refresh(req_t *r);
int auth_logout(req_t *r);
int auth_password(req_t *r);
int auth_me(req_t *r);
int auth_me_loop(req_t *r);

/* Schools (tenants.c), accounts (users.c), audit trail (audit.c). */
int tenants_create(req_t *r);
int tenants_list(req_t *r);
int tenants_get(req_t *r);
int tenants_update(req_t *r);
int users_create(req_t *r);
/*
 * Reads and checks a new account from r->json (email, displayName, roles,
 * password; password optional unless need_password) into u, the email in
 * lower case into email (u->email points to it). Errors are recorded as field
 * errors for res_check_fields().
 */
void users_read_new(req_t *r, int need_password, user_in_t *u, char email[256]);
int users_list(req_t *r);
int users_get(req_t *r);
int users_update(req_t *r);
int audit_list(req_t *r);

/* Routes that exist only for the test suite (testing.c), with ERP_ENABLE_TEST_ROUTES=1. */
int testing_sleep(req_t *r);
int testing_fail(req_t *r);
int testing_echo(req_t *r);
int testing_transaction(req_t *r);

#endif
