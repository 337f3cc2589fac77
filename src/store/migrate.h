/*
 * migrate.h - schema migrations: numbered SQL files per engine
 * (src/store/sql/ENGINE/NNNN_name.sql), embedded in the binary, applied in
 * order, each in its own transaction, recorded in schema_migrations.
 */
#ifndef ERP_STORE_MIGRATE_H
#define ERP_STORE_MIGRATE_H

#include <stddef.h>

#include "store/store.h"

typedef struct migration {
    int version;
    const char *name;
    const char *sql;
} migration_t;

extern const migration_t migrations_sqlite[];
extern const int migrations_sqlite_count;
extern const migration_t migrations_pg[];
extern const int migrations_pg_count;

typedef enum {
    MIGRATE_CURRENT = 0, /* schema matches this binary */
    MIGRATE_PENDING = 1, /* older: migrations to apply */
    MIGRATE_NEWER = 2,   /* newer than this binary knows: refuse to run */
    MIGRATE_FAILED = -1, /* could not read or apply (message says why) */
} migrate_state_t;

/*
 * Reports the schema state of the session's database (applied version in
 * *have, this binary's latest in *want). Nothing is changed.
 */
migrate_state_t migrate_check(db_t *db, const char *engine, int *have, int *want, char *msg, size_t msglen);

/*
 * Applies pending migrations (taking a lock so concurrent migrators wait their
 * turn) and reports the resulting state; *applied counts those applied now.
 */
migrate_state_t migrate_apply(db_t *db, const char *engine, int *applied, char *msg, size_t msglen);

#endif
