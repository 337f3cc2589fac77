/*
 * main.c - the school-erp command line: parse the subcommand, load the
 * configuration, wire the modules together and run.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "jobs/jobs.h"
#include "api/files.h"
#include "auth/audit_queue.h"
#include "cache/cache.h"
#include "api/idempotency.h"
#include "api/openapi.h"
#include "auth/crypto.h"
#include "auth/password.h"
#include "auth/sessions.h"
#include "auth/token.h"
#include "cli/cli.h"
#include "core/config.h"
#include "core/log.h"
#include "http/dispatch.h"
#include "http/server.h"
#include "obs/crash.h"
#include "obs/process.h"
#include "queue/setup.h"
#include "shard/shard.h"
#include "store/migrate.h"
#include "store/store.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *usage; /* shown by `school-erp NAME --help` */
} command_t;

static int cmd_help(int argc, char **argv);

/* Loads the configuration or prints the one-line reason it is bad. */
static int load_config(config_t *cfg)
{
    char err[256];
    if (config_load_env(cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "school-erp: configuration: %s\n", err);
        config_free(cfg);
        return -1;
    }
    log_setup((log_level_t)cfg->log_level, 1);
    return 0;
}

/*
 * Opens the configured store (and its shards) into app.store; prints why not.
 * 0, or the exit status (1: the database, 2: the configuration) after freeing cfg.
 */
static int open_store(config_t *cfg)
{
    char err[512];
    app.cfg = cfg;
    app.store = store_open(cfg, err, sizeof(err));
    if (app.store == NULL) {
        fprintf(stderr, "school-erp: database: %s\n", err);
        config_free(cfg);
        return 1;
    }
    if (shards_setup(cfg, app.store, err, sizeof(err)) != 0) {
        fprintf(stderr, "school-erp: configuration: %s\n", err);
        store_close(app.store);
        app.store = NULL;
        config_free(cfg);
        return 2;
    }
    return 0;
}

/* Checks (or applies) the schema of one shard; prints what it did. The migration state. */
static migrate_state_t migrate_shard(int i, int check_only, int *applied, char *msg, size_t msglen)
{
    db_t *db = store_session(shards_store(i));
    int have = 0, want = 0;
    *applied = 0;
    migrate_state_t st = check_only ? migrate_check(db, store_engine(shards_store(i)), &have, &want, msg, msglen)
                                    : migrate_apply(db, store_engine(shards_store(i)), applied, msg, msglen);
    if (st == MIGRATE_CURRENT && *applied > 0 && db_analyze(db) != 0)
        fprintf(stderr, "school-erp: ANALYZE after the migration failed: %s\n", db_error(db)->message);
    db_close(db);
    if (st != MIGRATE_CURRENT && shards_count() > 1) {
        char inner[512];
        snprintf(inner, sizeof(inner), "%s", msg);
        snprintf(msg, msglen, "shard %s: %s", shards_name(i), inner);
    }
    return st;
}

static int cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    config_t cfg;
    if (load_config(&cfg) != 0)
        return 2;
    crash_install();
    process_metrics_register();
    if (openapi_init(api_routes, api_routes_count, cfg.test_routes) != 0)
        return 1;
    char err[512];
    if (crypto_setup() != 0 || token_setup(&cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "school-erp: %s\n", crypto_setup() != 0 ? "libsodium could not start" : err);
        return 2;
    }
    password_setup(cfg.password_memory_kib, cfg.password_passes);
    sessions_setup(&cfg);
    dispatch_set_authenticator(sessions_authenticate);
    dispatch_set_begin(app_request_begin);
    dispatch_set_end(app_request_end);
    dispatch_set_before(idempotency_begin);
    idempotency_setup(&cfg);
    int rc = open_store(&cfg);
    if (rc != 0)
        return rc;
    app.blob = blob_open(cfg.blob_url, err, sizeof(err));
    if (app.blob == NULL || files_setup(&cfg) != 0) {
        fprintf(stderr, "school-erp: %s\n", app.blob == NULL ? err : "file links: cannot derive the signing key");
        return 2;
    }
    /* Refuse to serve a schema this binary does not match, on any shard. */
    char msg[600];
    migrate_state_t st = MIGRATE_CURRENT;
    for (int i = 0; i < shards_count() && st == MIGRATE_CURRENT; i++) {
        int applied;
        st = migrate_shard(i, 1, &applied, msg, sizeof(msg));
    }
    if (st != MIGRATE_CURRENT) {
        fprintf(stderr, "school-erp: %s\n", msg);
        log_error("not starting", "%s", msg);
        return st == MIGRATE_FAILED ? 1 : 3;
    }
    server_opts_t opts = {
        .cfg = &cfg,
        .routes = api_routes,
        .nroutes = api_routes_count,
        .thread_init = app_thread_init,
        .thread_fini = app_thread_fini,
    };
    /* threads started from here on (cache, audit writer) leave SIGTERM and SIGINT to the server's sigwait */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    if (cache_setup(&cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "school-erp: %s\n", err);
        return 2;
    }
    dispatch_set_loop_answers(cache_enabled(CACHE_STUDENT)); /* every loop answer is a cached response */
    if (audit_queue_start(app.store, cfg.audit_buffer) != 0) {
        log_error("cannot start the audit writer", NULL);
        return 1;
    }
    queue_worker_t *jobs = NULL;
    if (queue_serve_start(&cfg, app.store, &app.queue, &jobs, err, sizeof(err)) != 0) {
        fprintf(stderr, "school-erp: job queue: %s\n", err);
        return 1;
    }
    rc = server_run(&opts);
    if (jobs != NULL && worker_stop(jobs) == 0)
        jobs_shutdown(); /* no handler runs any longer */
    audit_queue_stop(cfg.drain_seconds * 1000);
    /* The event loops have no teardown; exit without unwinding them. */
    fflush(stdout);
    _Exit(rc);
}

static int cmd_migrate(int argc, char **argv)
{
    int check_only = argc > 1 && strcmp(argv[1], "--check") == 0;
    if (argc > 1 && !check_only) {
        fprintf(stderr, "school-erp migrate: unknown option '%s'\n", argv[1]);
        return 2;
    }
    config_t cfg;
    if (load_config(&cfg) != 0)
        return 2;
    int rc = open_store(&cfg);
    if (rc != 0)
        return rc;
    char msg[600] = "";
    int applied = 0;
    migrate_state_t st = MIGRATE_CURRENT;
    for (int i = 0; i < shards_count() && st == MIGRATE_CURRENT; i++) {
        int n = 0;
        st = migrate_shard(i, check_only, &n, msg, sizeof(msg));
        applied += n;
        if (shards_count() > 1 && st == MIGRATE_CURRENT)
            printf("school-erp: shard %s: %d migration%s applied; %s\n", shards_name(i), n, n == 1 ? "" : "s", msg);
    }
    shards_shutdown();
    store_close(app.store);
    if (st == MIGRATE_CURRENT && !check_only)
        printf("school-erp: %d migration%s applied; %s\n", applied, applied == 1 ? "" : "s", msg);
    else
        fprintf(st == MIGRATE_CURRENT ? stdout : stderr, "school-erp: %s\n", msg);
    config_free(&cfg);
    return st == MIGRATE_CURRENT ? 0 : st == MIGRATE_FAILED ? 1 : 3;
}


static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("school-erp %s (commit %s)\n", build_version(), build_commit());
    return 0;
}

static const command_t commands[] = {
    {"serve", cmd_serve, "run the API server",
     "usage: school-erp serve\n\n"
     "Runs the HTTP API server until SIGTERM or SIGINT, then drains in-flight requests\n"
     "(at most ERP_DRAIN_SECONDS) and exits 0. Configuration comes from the environment;\n"
     "with none, it serves the embedded profile (SQLite under ./var) on 127.0.0.1:8080.\n"},
    {"worker", cli_worker, "run a background job worker",
     "usage: school-erp worker\n\n"
     "Processes jobs of queue QUEUE_NAME with ERP_WORKER_CONCURRENCY jobs at a time, on Redis (ERP_REDIS_URL)\n"
     "or the database's job table; /healthz and /metrics on ERP_WORKER_LISTEN (127.0.0.1:9464).\n"
     "SIGTERM stops fetching, lets running jobs finish within ERP_WORKER_GRACE_MS, releases the rest, exits 0.\n"},
    {"migrate", cmd_migrate, "apply database migrations",
     "usage: school-erp migrate [--check]\n\n"
     "Applies pending schema migrations to ERP_DATABASE_URL and every shard of ERP_SHARDS (in order, stopping at\n"
     "the first that fails, named), each migration in its own transaction.\n"
     "--check only reports: exit 0 when current, 3 when migrations are pending or the\n"
     "schema is newer than this binary, 1 when the database cannot be read.\n"},
    {"demo", cli_demo, "create a demo school",
     "usage: school-erp demo [--students N] [--tenants N]\n\nCreates the demo school and prints its admin login.\n"},
    {"tenant", cli_tenant, "manage schools",
     "usage: school-erp tenant create --name N --slug S --admin-email E --admin-password-stdin\n"
     "                                [--admin-name N] [--time-zone TZ] [--currency CUR] [--max-users N]\n"
     "                                [--shard NAME]\n\n"
     "Creates a school and its first admin (password read from standard input) and prints the school's id.\n"
     "--shard places it on a shard of ERP_SHARDS (main: the catalog's); without it, the shard with the fewest\n"
     "schools (ties: the first by name), or ERP_SHARD_PLACEMENT when set.\n\n"
     "usage: school-erp tenant move SCHOOL --to NAME [--keep-source] [--grace SECONDS]\n"
     "       school-erp tenant move SCHOOL --cleanup | --abort\n\n"
     "Moves a school (its id or slug) to another cluster while it works: copies its rows, pauses its writes\n"
     "(503, Retry-After) while the copy catches up and is verified (row counts and checksums per table),\n"
     "switches the directory, then after --grace seconds (default 300) deletes the old copy; --keep-source\n"
     "keeps it (fenced) until --cleanup. Run again after an interruption to resume; --abort rolls back a\n"
     "move not yet switched. Exit 0 done, 1 a step failed (run again), 2 refused.\n\n"
     "`tenant repair` settles every school whose catalog rows and shard are not in step (a write that failed\n"
     "between clusters); exit 1 when some are left (their shard unreachable).\n"},
    {"admin", cli_admin, "manage platform operators",
     "usage: school-erp admin create --email E --password-stdin [--name N]\n\n"
     "Creates a platform admin (who manages schools); the password is read from standard input.\n"
     "Prints the new account's id.\n"},
    {"register", cli_register, "write a monthly attendance register (PDF)",
     "usage: school-erp register --school SCHOOL_ID (--class CLASS_ID | --grade N) --month YYYY-MM -o FILE|-\n\n"
     "Writes the attendance register of a class (or of every class of a grade, one after another) for a\n"
     "month as a PDF (-o -: to standard output), read from ERP_DATABASE_URL. Exit 2 on a bad option, 4 when the school, class or\n"
     "grade does not exist, 1 on any other failure.\n"},
    {"import", cli_import, "import students, teachers or staff accounts from CSV",
     "usage: school-erp import KIND FILE --school SCHOOL\n"
     "       school-erp import KIND --template\n\n"
     "Imports a CSV file (KIND: students, teachers, staff; FILE - reads standard input) into the school\n"
     "(its id or slug) on ERP_DATABASE_URL: every record is checked first, then all are written in one\n"
     "transaction, or none when any is wrong. Prints the report (JSON); exit 0 when imported, 1 when not.\n"
     "--template prints the kind's columns and an example record.\n"},
    {"export", cli_export, "export students, guardians, enrollments or attendance as CSV",
     "usage: school-erp export KIND --school SCHOOL [--from YYYY-MM-DD --to YYYY-MM-DD] [--class ID]\n\n"
     "Writes the CSV export of KIND (students, guardians, enrollments, attendance: needs --from and --to)\n"
     "on standard output.\n"},
    {"oneroster", cli_oneroster, "import or export OneRoster 1.1 CSV (a folder or a .zip)",
     "usage: school-erp oneroster import PATH --school SCHOOL [--org SOURCEDID]\n"
     "       school-erp oneroster export --school SCHOOL -o PATH\n\n"
     "Imports manifest.csv and the files it lists (a folder or a .zip) into the school: every row is checked\n"
     "first, then all are written in one transaction, or none. Prints the report (JSON); exit 0 when imported.\n"
     "Export writes the school as OneRoster CSV into a folder or, for a PATH ending in .zip, a zip.\n"},
    {"health", cli_health, "probe a running server or worker (for container health checks)",
     "usage: school-erp health [--worker | URL]\n\n"
     "GETs /readyz of the server on ERP_LISTEN (--worker: /healthz of the worker on ERP_WORKER_LISTEN),\n"
     "or URL, on loopback for an unspecified address; exit 0 on 200, 1 otherwise (3 s at most).\n"},
    {"version", cmd_version, "print the version", "usage: school-erp version\n"},
    {"help", cmd_help, "show this help", "usage: school-erp help [COMMAND]\n"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const command_t *find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int cmd_help(int argc, char **argv)
{
    if (argc > 1) {
        const command_t *c = find(argv[1]);
        if (c != NULL) {
            fputs(c->usage, stdout);
            return 0;
        }
        fprintf(stderr, "school-erp: unknown command '%s'\n", argv[1]);
        return 2;
    }
    printf("usage: school-erp COMMAND [ARGS]\n\nCommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("  %-9s %s\n", commands[i].name, commands[i].summary);
    printf("\nRun 'school-erp COMMAND --help' for the options of a command.\n"
           "Configuration is read from ERP_* environment variables; see README.md.\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cmd_help(1, argv);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return cmd_help(1, argv);
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(0, NULL);
    const command_t *c = find(argv[1]);
    if (c == NULL) {
        fprintf(stderr, "school-erp: unknown command '%s'; run 'school-erp help'\n", argv[1]);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(c->usage, stdout);
            return 0;
        }
    }
    return c->run(argc - 1, argv + 1);
}
