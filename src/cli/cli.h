/*
 * cli.h - the operator commands of the command line (everything but serve):
 * each takes the arguments after its name and returns the exit status.
 */
#ifndef ERP_CLI_CLI_H
#define ERP_CLI_CLI_H

#include "core/config.h"
#include "http/handler.h"
#include "store/store.h"

/* school-erp admin create --email E --password-stdin [--name N] */
int cli_admin(int argc, char **argv);
/* school-erp tenant create --name N --slug S --admin-email E --admin-password-stdin […] */
int cli_tenant(int argc, char **argv);
/* school-erp tenant move SCHOOL (--to NAME [--keep-source] [--grace S] | --cleanup | --abort) (cli/move.c) */
int cli_tenant_move(int argc, char **argv);
/* school-erp tenant repair: settles schools whose catalog rows and shard differ (cli/repair.c) */
int cli_tenant_repair(int argc, char **argv);
/* school-erp demo [--students N] [--tenants N] */
int cli_demo(int argc, char **argv);
/* school-erp register --school ID (--class ID | --grade N) --month YYYY-MM -o FILE */
int cli_register(int argc, char **argv);
/* school-erp worker: runs jobs of QUEUE_NAME until SIGTERM (src/cli/worker.c) */
int cli_worker(int argc, char **argv);
/* school-erp import KIND FILE --school SCHOOL (cli/transfer.c) */
int cli_import(int argc, char **argv);
/* school-erp export KIND --school SCHOOL [--from D --to D] [--class ID] (cli/transfer.c) */
int cli_export(int argc, char **argv);
/* Opens the store, runs fn on a session and an arena, closes; returns the exit status (cli/transfer.c). */
int cli_on_store(int (*fn)(db_t *db, arena_t *a, int argc, char **argv), int argc, char **argv);
/* school-erp oneroster import PATH --school S | export --school S -o PATH (cli/oneroster.c) */
int cli_oneroster(int argc, char **argv);
/* school-erp health [--worker | URL]: exit 0 when /readyz (a worker's /healthz) answers 200 (cli/health.c) */
int cli_health(int argc, char **argv);

/*
 * Loads the configuration, opens the store (into app), checks the schema is
 * current and sets up hashing. Returns 0, or the exit status after printing why.
 */
int cli_open(config_t *cfg);
/*
 * The session of the shard holding a school (src/shard/shard.h), for a command
 * that found the school in the catalog's session; the catalog's own without
 * ERP_SHARDS. NULL after printing why (the directory cannot be read).
 */
db_t *cli_school_db(db_t *catalog, const char *tenant_id);
void cli_close(config_t *cfg);

/* Prints a request's error (detail and field errors) to stderr, prefixed by what failed. */
void cli_print_error(const char *what, const req_t *r);

/* Reads one line from stdin without its newline into buf; 0, or -1 when there is none. */
int cli_read_secret(char *buf, size_t len);

/* Value of "--name VALUE" in argv, or NULL. */
const char *cli_opt(int argc, char **argv, const char *name);
/* Whether "--name" appears in argv. */
int cli_flag(int argc, char **argv, const char *name);

#endif
