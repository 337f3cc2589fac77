/* move.c - `school-erp tenant move SCHOOL (--to NAME [--keep-source] [--grace S] | --cleanup | --abort)` (shard/move.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "cache/cache.h"
#include "cli/cli.h"
#include "shard/move.h"

#define MOVE_USAGE                                                                                                     \
    "usage: school-erp tenant move SCHOOL --to NAME [--keep-source] [--grace SECONDS]\n"                              \
    "       school-erp tenant move SCHOOL --cleanup\n"                                                                 \
    "       school-erp tenant move SCHOOL --abort\n"

/* Reads the options after SCHOOL into o; a one-line reason when they are wrong, else NULL. */
static const char *read_opts(int argc, char **argv, move_opts_t *o)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int valued = strcmp(a, "--to") == 0 || strcmp(a, "--grace") == 0;
        if (valued && i + 1 >= argc)
            return "an option lacks its value";
        if (strcmp(a, "--to") == 0)
            o->to = argv[++i];
        else if (strcmp(a, "--grace") == 0) {
            char *end;
            long s = strtol(argv[++i], &end, 10);
            if (*argv[i] == '\0' || *end != '\0' || s < 0 || s > 86400)
                return "--grace must be a number of seconds from 0 to 86400";
            o->grace_s = (int)s;
        } else if (strcmp(a, "--keep-source") == 0)
            o->keep_source = 1;
        else if (strcmp(a, "--cleanup") == 0)
            o->cleanup = 1;
        else if (strcmp(a, "--abort") == 0)
            o->abort_move = 1;
        else
            return "unknown argument";
    }
    if ((o->to != NULL) + o->cleanup + o->abort_move != 1)
        return "give one of --to NAME, --cleanup, --abort";
    if (o->to == NULL && (o->keep_source || o->grace_s != MOVE_GRACE_S))
        return "--keep-source and --grace go with --to";
    return NULL;
}

int cli_tenant_move(int argc, char **argv)
{
    move_opts_t o = {.grace_s = MOVE_GRACE_S};
    if (argc < 2 || strncmp(argv[1], "--", 2) == 0) {
        fputs(MOVE_USAGE, stderr);
        return 2;
    }
    o.school = argv[1];
    const char *why = read_opts(argc, argv, &o);
    if (why != NULL) {
        fprintf(stderr, "school-erp tenant move: %s\n" MOVE_USAGE, why);
        return 2;
    }
    config_t cfg;
    int rc = cli_open(&cfg);
    if (rc != 0)
        return rc;
    char err[300];
    if (cache_setup(&cfg, err, sizeof(err)) != 0) { /* the directory's invalidations reach every instance through it */
        fprintf(stderr, "school-erp tenant move: cache: %s\n", err);
        cli_close(&cfg);
        return 2;
    }
    db_t *db = store_session(app.store);
    rc = move_run(&cfg, db, &o);
    db_close(db);
    cache_shutdown();
    cli_close(&cfg);
    return rc;
}
