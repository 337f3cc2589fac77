/* identity.c - `school-erp admin create` and `school-erp tenant create`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/common.h"
#include "auth/audit.h"
#include "auth/identity.h"
#include "auth/roles.h"
#include "cli/cli.h"
#include "core/utf8.h"
#include "shard/shard.h"

/* The texts the API bounds (TenantCreate, UserCreate): the command line takes the same. */
#define NAME_CHARS 200
#define PASSWORD_CHARS 1024

/*
 * Checks an option's text as the API checks the same field (core/utf8.h);
 * prints why it is refused and returns -1, or 0. A missing optional value is fine.
 */
static int check_text(const char *what, const char *flag, const char *v, size_t max)
{
    char why[80];
    if (v == NULL || utf8_text_check(v, 1, max, why, sizeof(why)) == 0)
        return 0;
    fprintf(stderr, "school-erp %s: %s %s\n", what, flag, why);
    return -1;
}

/* Checks that every "--x" in argv is one of known (each taking a value unless listed in flags). */
static int check_args(int argc, char **argv, const char *const *known, const char *const *flags)
{
    for (int i = 1; i < argc; i++) {
        int ok = 0, is_flag = 0;
        for (int k = 0; flags[k] != NULL; k++)
            if (strcmp(argv[i], flags[k]) == 0)
                ok = is_flag = 1;
        for (int k = 0; known[k] != NULL && !ok; k++)
            ok = strcmp(argv[i], known[k]) == 0;
        if (!ok || (!is_flag && i + 1 >= argc)) {
            fprintf(stderr, "school-erp %s: %s '%s'\n", argv[0], ok ? "missing value for" : "unknown argument",
                    argv[i]);
            return -1;
        }
        i += !is_flag;
    }
    return 0;
}

/* One creation against the configured database, on a request stand-in whose errors are printed. */
typedef int (*create_fn)(req_t *r, db_t *db, void *ctx, char id[40]);

/* Opens the store, runs fn, prints the new id (or why it failed); returns the exit status. */
static int run_create(const char *failed, create_fn fn, void *ctx)
{
    config_t cfg;
    int rc = cli_open(&cfg);
    if (rc != 0)
        return rc;
    req_t r = {0};
    arena_init(&r.arena);
    req_reset(&r);
    db_t *db = store_session(app.store);
    char id[40];
    if (fn(&r, db, ctx, id) != 0) {
        cli_print_error(failed, &r);
        rc = 1;
    } else {
        printf("%s\n", id);
    }
    db_close(db);
    req_release(&r);
    arena_destroy(&r.arena);
    cli_close(&cfg);
    return rc;
}

typedef struct account {
    const char *tenant_id;
    const user_in_t *u;
} account_t;

static int create_account_in(req_t *r, db_t *db, void *ctx, char id[40])
{
    const account_t *a = ctx;
    return identity_create_user(r, db, a->tenant_id, a->u, id);
}

typedef struct school {
    const tenant_in_t *t;
    const user_in_t *admin;
    const char *shard; /* NULL: the placement rule */
} school_t;

static int create_school(req_t *r, db_t *db, void *ctx, char id[40])
{
    const school_t *sc = ctx;
    char admin_id[40];
    shard_sessions_t *ss = shard_sessions_new(db);
    int rc = shard_create_tenant(r, ss, db, sc->t, sc->admin, sc->shard, id, admin_id);
    shard_sessions_free(ss);
    return rc;
}

static int create_account(const char *what, const char *tenant_id, unsigned roles, const char *email_arg,
                          const char *name)
{
    char email[256], password[1100];
    if (email_arg == NULL || !valid_email(email_arg, email, sizeof(email))) {
        fprintf(stderr, "school-erp %s: --email must be an email address\n", what);
        return 2;
    }
    if (check_text(what, "--name", name, NAME_CHARS) != 0)
        return 2;
    if (cli_read_secret(password, sizeof(password)) != 0) {
        fprintf(stderr, "school-erp %s: no password on standard input\n", what);
        return 2;
    }
    if (check_text(what, "the password", password, PASSWORD_CHARS) != 0)
        return 2;
    user_in_t u = {email, name != NULL ? name : email, password, roles};
    account_t a = {tenant_id, &u};
    return run_create("cannot create the account", create_account_in, &a);
}

int cli_admin(int argc, char **argv)
{
    static const char *const known[] = {"--email", "--name", NULL};
    static const char *const flags[] = {"--password-stdin", NULL};
    if (argc < 2 || strcmp(argv[1], "create") != 0) {
        fprintf(stderr, "usage: school-erp admin create --email E --password-stdin [--name N]\n");
        return 2;
    }
    argc--, argv++;
    if (check_args(argc, argv, known, flags) != 0)
        return 2;
    if (!cli_flag(argc, argv, "--password-stdin")) {
        fprintf(stderr, "school-erp admin create: give the password on standard input with --password-stdin\n");
        return 2;
    }
    return create_account("admin create", PLATFORM_TENANT_ID, ROLE_PLATFORM_ADMIN, cli_opt(argc, argv, "--email"),
                          cli_opt(argc, argv, "--name"));
}

int cli_tenant(int argc, char **argv)
{
    static const char *const known[] = {"--name",      "--slug",      "--admin-email", "--admin-name",
                                        "--time-zone", "--currency", "--max-users",   "--shard", NULL};
    static const char *const flags[] = {"--admin-password-stdin", NULL};
    if (argc >= 2 && strcmp(argv[1], "move") == 0)
        return cli_tenant_move(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "repair") == 0)
        return cli_tenant_repair(argc - 1, argv + 1);
    if (argc < 2 || strcmp(argv[1], "create") != 0) {
        fprintf(stderr, "usage: school-erp tenant create --name N --slug S --admin-email E --admin-password-stdin\n"
                        "       [--admin-name N] [--time-zone TZ] [--currency CUR] [--max-users N] [--shard NAME]\n"
                        "       school-erp tenant move SCHOOL (--to NAME [--keep-source] [--grace S] | --cleanup | --abort)\n"
                        "       school-erp tenant repair\n");
        return 2;
    }
    argc--, argv++;
    if (check_args(argc, argv, known, flags) != 0)
        return 2;
    tenant_in_t t = {cli_opt(argc, argv, "--name"), cli_opt(argc, argv, "--slug"), cli_opt(argc, argv, "--time-zone"),
                     cli_opt(argc, argv, "--currency"), 0};
    const char *max = cli_opt(argc, argv, "--max-users");
    const char *email_arg = cli_opt(argc, argv, "--admin-email");
    char email[256], password[1100];
    const char *problem = NULL;
    const char *admin_name = cli_opt(argc, argv, "--admin-name");
    if (t.name == NULL || *t.name == '\0')
        problem = "--name is required";
    else if (check_text("tenant create", "--name", t.name, NAME_CHARS) != 0 ||
             check_text("tenant create", "--admin-name", admin_name, NAME_CHARS) != 0)
        return 2;
    else if (t.slug == NULL || !valid_slug(t.slug))
        problem = "--slug must be 3-63 characters of a-z, 0-9 and '-'";
    else if (email_arg == NULL || !valid_email(email_arg, email, sizeof(email)))
        problem = "--admin-email must be an email address";
    else if (t.time_zone != NULL && !valid_time_zone(t.time_zone))
        problem = "--time-zone must be an IANA time zone name";
    else if (t.currency != NULL && !valid_currency(t.currency))
        problem = "--currency must be an ISO 4217 code such as USD";
    else if (max != NULL && ((t.max_users = atoll(max)) < 1 || t.max_users > 1000000))
        problem = "--max-users must be from 1 to 1000000";
    else if (!cli_flag(argc, argv, "--admin-password-stdin"))
        problem = "give the admin's password on standard input with --admin-password-stdin";
    else if (cli_read_secret(password, sizeof(password)) != 0)
        problem = "no password on standard input";
    if (problem == NULL && check_text("tenant create", "the password", password, PASSWORD_CHARS) != 0)
        return 2;
    if (problem != NULL) {
        fprintf(stderr, "school-erp tenant create: %s\n", problem);
        return 2;
    }
    user_in_t admin = {email, admin_name != NULL ? admin_name : "School administrator", password, ROLE_ADMIN};
    school_t sc = {&t, &admin, cli_opt(argc, argv, "--shard")};
    return run_create("cannot create the school", create_school, &sc);
}
