/* repair.c - `school-erp tenant repair`: settles every school whose catalog rows and shard are not in step. */
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "cli/cli.h"
#include "shard/shard.h"

int cli_tenant_repair(int argc, char **argv)
{
    if (argc != 1) {
        fprintf(stderr, "usage: school-erp tenant repair\n");
        return 2;
    }
    (void)argv;
    config_t cfg;
    int rc = cli_open(&cfg);
    if (rc != 0)
        return rc;
    db_t *db = store_session(app.store);
    shard_sessions_t *ss = shard_sessions_new(db);
    int settled = 0, left = 0;
    if (shard_settle_all(ss, db, &settled, &left) != 0) {
        fprintf(stderr, "school-erp tenant repair: the tenant directory cannot be read: %s\n", db_error(db)->message);
        rc = 1;
    } else {
        printf("%d school%s brought in step, %d left (its shard unreachable or another writer on it)\n", settled,
               settled == 1 ? "" : "s", left);
        rc = left > 0 ? 1 : 0;
    }
    shard_sessions_free(ss);
    db_close(db);
    cli_close(&cfg);
    return rc;
}
