/* demo.c - `school-erp demo`: a demo school to try the product with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "auth/crypto.h"
#include "auth/identity.h"
#include "auth/roles.h"
#include "cli/cli.h"

int cli_demo(int argc, char **argv)
{
    const char *v;
    long tenants = 1;
    if ((v = cli_opt(argc, argv, "--tenants")) != NULL && ((tenants = atol(v)) < 1 || tenants > 1000)) {
        fprintf(stderr, "school-erp demo: --tenants must be from 1 to 1000\n");
        return 2;
    }
    config_t cfg;
    int rc = cli_open(&cfg);
    if (rc != 0)
        return rc;
    char password[32];
    crypto_random_b64(password, sizeof(password), 12);
    req_t r = {0};
    arena_init(&r.arena);
    db_t *db = store_session(app.store);
    for (long i = 0; i < tenants && rc == 0; i++) {
        req_reset(&r);
        char name[64], slug[32], email[64], tenant_id[40], admin_id[40];
        if (i == 0) {
            snprintf(name, sizeof(name), "Demo High School");
            snprintf(slug, sizeof(slug), "demo");
            snprintf(email, sizeof(email), "admin@demo.school");
        } else {
            snprintf(name, sizeof(name), "Demo High School %ld", i + 1);
            snprintf(slug, sizeof(slug), "demo-%ld", i + 1);
            snprintf(email, sizeof(email), "admin@demo%ld.school", i + 1);
        }
        tenant_in_t t = {name, slug, "UTC", "USD", 0};
        user_in_t admin = {email, "Demo Admin", password, ROLE_ADMIN};
        if (identity_create_tenant(&r, db, &t, &admin, tenant_id, admin_id) != 0) {
            cli_print_error("cannot create the demo school", &r);
            rc = 1;
            break;
        }
        printf("school: %s (slug %s)\nadmin login: %s / %s\n", name, slug, email, password);
        req_release(&r);
    }
    db_close(db);
    req_release(&r);
    arena_destroy(&r.arena);
    cli_close(&cfg);
    return rc;
}
