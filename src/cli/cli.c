#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "auth/crypto.h"
#include "auth/password.h"
#include "core/log.h"
#include "shard/shard.h"
#include "store/migrate.h"

int cli_open(config_t *cfg)
{
    char err[512];
    if (config_load_env(cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "school-erp: configuration: %s\n", err);
        config_free(cfg);
        return 2;
    }
    log_setup((log_level_t)cfg->log_level, 2); /* commands print results on stdout; logs go to stderr */
    if (crypto_setup() != 0) {
        fprintf(stderr, "school-erp: libsodium could not start\n");
        return 1;
    }
    password_setup(cfg->password_memory_kib, cfg->password_passes);
    app.cfg = cfg;
    app.store = store_open(cfg, err, sizeof(err));
    if (app.store == NULL) {
        fprintf(stderr, "school-erp: database: %s\n", err);
        return 1;
    }
    db_t *db = store_session(app.store);
    int have, want;
    migrate_state_t st = migrate_check(db, store_engine(app.store), &have, &want, err, sizeof(err));
    db_close(db);
    if (st != MIGRATE_CURRENT) {
        fprintf(stderr, "school-erp: %s\n", err);
        store_close(app.store);
        return st == MIGRATE_FAILED ? 1 : 3;
    }
    if (shards_setup(cfg, app.store, err, sizeof(err)) != 0) {
        fprintf(stderr, "school-erp: configuration: %s\n", err);
        store_close(app.store);
        return 2;
    }
    return 0;
}

static shard_sessions_t *cli_shards; /* the command's sessions of the shards */

db_t *cli_school_db(db_t *catalog, const char *tenant_id)
{
    if (shards_count() <= 1)
        return catalog;
    if (cli_shards == NULL)
        cli_shards = shard_sessions_new(catalog);
    db_t *db = shard_route(cli_shards, catalog, tenant_id);
    if (db == NULL)
        fprintf(stderr, "school-erp: the tenant directory cannot be read, or names a shard ERP_SHARDS lacks: %s\n",
                db_error(catalog)->message);
    return db;
}

void cli_close(config_t *cfg)
{
    shard_sessions_free(cli_shards);
    cli_shards = NULL;
    shards_shutdown();
    store_close(app.store);
    app.store = NULL;
    config_free(cfg);
}

void cli_print_error(const char *what, const req_t *r)
{
    fprintf(stderr, "school-erp: %s: %s\n", what,
            r->err.detail != NULL ? r->err.detail : error_title(r->err.code));
    for (int i = 0; i < r->err.nfields; i++)
        fprintf(stderr, "  %s: %s\n", r->err.fields[i].field, r->err.fields[i].message);
}

int cli_read_secret(char *buf, size_t len)
{
    if (fgets(buf, (int)len, stdin) == NULL)
        return -1;
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return n > 0 ? 0 : -1;
}

const char *cli_opt(int argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

int cli_flag(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}
