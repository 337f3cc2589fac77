#include "store/migrate.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

static stmt_t Q_CREATE_TABLE = STMT("migrate.create", 0,
                                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
static stmt_t Q_EXISTS =
    STMT2("migrate.exists", 0, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'",
          "SELECT count(*) FROM pg_class WHERE oid = to_regclass('schema_migrations')");
static stmt_t Q_MAX = STMT("migrate.max", 0, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
static stmt_t Q_RECORD = STMT("migrate.record", 0,
                              "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)");
static stmt_t Q_LOCK = STMT("migrate.lock", 0, "SELECT pg_advisory_xact_lock(7291001)");

static const migration_t *list_for(const char *engine, int *n)
{
    if (strcmp(engine, "sqlite") == 0) {
        *n = migrations_sqlite_count;
        return migrations_sqlite;
    }
    *n = migrations_pg_count;
    return migrations_pg;
}

/*
 * The highest version applied (0 for none). With create, makes
 * schema_migrations when missing: only under the migration lock, since two
 * concurrent CREATE TABLE IF NOT EXISTS can collide on PostgreSQL's catalog.
 */
static int current_version(db_t *db, arena_t *a, int create, int *have, char *msg, size_t msglen)
{
    db_result_t res;
    if (create) {
        if (db_exec(db, &Q_CREATE_TABLE, DB_NOARGS, a, NULL) != 0)
            goto failed;
    } else {
        if (db_exec(db, &Q_EXISTS, DB_NOARGS, a, &res) != 0)
            goto failed;
        if (db_get_int(&res, 0, 0) == 0) {
            *have = 0;
            return 0;
        }
    }
    if (db_exec(db, &Q_MAX, DB_NOARGS, a, &res) != 0)
        goto failed;
    *have = (int)db_get_int(&res, 0, 0);
    return 0;
failed:
    snprintf(msg, msglen, "cannot read schema_migrations: %s", db_error(db)->message);
    return -1;
}

migrate_state_t migrate_check(db_t *db, const char *engine, int *have, int *want, char *msg, size_t msglen)
{
    int n;
    list_for(engine, &n);
    *want = n;
    arena_t a;
    arena_init(&a);
    int rc = current_version(db, &a, 0, have, msg, msglen);
    arena_destroy(&a);
    if (rc != 0)
        return MIGRATE_FAILED;
    if (*have > n) {
        snprintf(msg, msglen,
                 "the database schema is at version %d, newer than this school-erp knows (%d); run a newer release",
                 *have, n);
        return MIGRATE_NEWER;
    }
    if (*have < n) {
        snprintf(msg, msglen, "the database schema is at version %d and this school-erp needs %d; run 'school-erp migrate'",
                 *have, n);
        return MIGRATE_PENDING;
    }
    snprintf(msg, msglen, "the database schema is current (version %d)", n);
    return MIGRATE_CURRENT;
}

typedef struct step {
    const migration_t *m;
    const char *engine;
    int applied;
    int have;
    char *msg;
    size_t msglen;
} step_t;

/* One migration in one transaction; skips it when another migrator got there first. */
static int apply_one(db_t *db, void *ctx)
{
    step_t *s = ctx;
    arena_t a;
    arena_init(&a);
    int rc = -1;
    if (strcmp(s->engine, "postgres") == 0 && db_exec(db, &Q_LOCK, DB_NOARGS, &a, NULL) != 0)
        goto out;
    if (current_version(db, &a, 1, &s->have, s->msg, s->msglen) != 0)
        goto out;
    if (s->have >= s->m->version) {
        rc = 0;
        goto out;
    }
    if (db_exec_script(db, s->m->sql) != 0) {
        snprintf(s->msg, s->msglen, "migration %04d_%s failed: %s", s->m->version, s->m->name,
                 db_error(db)->message);
        goto out;
    }
    if (db_exec(db, &Q_RECORD, DB_ARGS(DB_INT(s->m->version), DB_TEXT(s->m->name), DB_INT(clock_wall_ms())), &a,
                NULL) != 0) {
        snprintf(s->msg, s->msglen, "cannot record migration %d: %s", s->m->version, db_error(db)->message);
        goto out;
    }
    s->applied = 1;
    rc = 0;
out:
    arena_destroy(&a);
    return rc;
}

migrate_state_t migrate_apply(db_t *db, const char *engine, int *applied, char *msg, size_t msglen)
{
    int n, have, want;
    const migration_t *list = list_for(engine, &n);
    *applied = 0;
    migrate_state_t st = migrate_check(db, engine, &have, &want, msg, msglen);
    if (st != MIGRATE_PENDING)
        return st;
    msg[0] = '\0';
    for (int i = have; i < n; i++) {
        step_t s = {&list[i], engine, 0, 0, msg, msglen};
        if (db_transaction(db, apply_one, &s) != 0) {
            if (msg[0] == '\0')
                snprintf(msg, msglen, "migration %04d_%s failed: %s", list[i].version, list[i].name,
                         db_error(db)->message);
            return MIGRATE_FAILED;
        }
        if (s.applied) {
            (*applied)++;
            log_info("migration applied", "%04d_%s", list[i].version, list[i].name);
        }
    }
    return migrate_check(db, engine, &have, &want, msg, msglen);
}
