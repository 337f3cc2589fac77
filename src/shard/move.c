/* move.c - moving a school between clusters online: the steps and their state in the catalog (see move.h). */
#include "shard/move.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/audit.h"
#include "core/clock.h"
#include "shard/relay.h"
#include "shard/shard.h"

#define LOCK_KEY "20" /* the school's move lock on a source cluster: (20, hashtext(school)), as tenant_write_fence() */

static stmt_t Q_SCHOOL = STMT("moves.school", 0,
                              "SELECT id FROM tenants WHERE (id::text = $1 OR slug = $1)"
                              " AND id <> '00000000-0000-0000-0000-000000000000'");
static stmt_t Q_MOVER = STMT("moves.mover_lock", 0, "SELECT pg_try_advisory_lock(21, hashtext($1::text))");
static stmt_t Q_GET = STMT("moves.get", 0, "SELECT source, target, state FROM tenant_moves WHERE tenant_id = $1");
static stmt_t Q_START = STMT("moves.start", 0,
                             "INSERT INTO tenant_moves (tenant_id, source, target, state, started_at)"
                             " VALUES ($1, $2, $3, 'copying', $4) ON CONFLICT (tenant_id) DO UPDATE SET source = $2,"
                             " target = $3, state = 'copying', started_at = $4, frozen_at = NULL, switched_at = NULL,"
                             " done_at = NULL, freeze_ms = NULL");
static stmt_t Q_FROZEN = STMT("moves.frozen", 0,
                              "UPDATE tenant_moves SET state = 'frozen', frozen_at = COALESCE(frozen_at, $2)"
                              " WHERE tenant_id = $1");
static stmt_t Q_SWITCHED = STMT("moves.switched", 0,
                                "UPDATE tenant_moves SET state = 'switched', switched_at = $2,"
                                " freeze_ms = $2 - frozen_at WHERE tenant_id = $1 RETURNING freeze_ms");
static stmt_t Q_DONE = STMT("moves.done", 0,
                            "UPDATE tenant_moves SET state = 'done', done_at = $2 WHERE tenant_id = $1");
static stmt_t Q_FORGET = STMT("moves.forget", 0, "DELETE FROM tenant_moves WHERE tenant_id = $1");
static stmt_t Q_PLACE = STMT("moves.place", 0,
                             "INSERT INTO tenant_shards (tenant_id, shard, placed_at, frozen) VALUES ($1, $2, $3, $4)"
                             " ON CONFLICT (tenant_id) DO UPDATE SET shard = $2, placed_at = $3, frozen = $4");
static stmt_t Q_WHERE = STMT("moves.where", 0,
                             "SELECT COALESCE((SELECT shard FROM tenant_shards WHERE tenant_id = $1), 'main')");

typedef struct mover {
    const config_t *cfg;
    db_t *catalog;
    req_t r; /* the audit's stand-in request, and an arena */
    char school[40];
    char source[SHARD_NAME_MAX];
    char target[SHARD_NAME_MAX];
    PGconn *src, *dst;
    relay_tables_t tables;
    relay_sum_t *snap;       /* per table: the source's figures in the copy's snapshot (when have_snap) */
    int have_snap;           /* the copy ran in this process, and the target was found equal to snap */
    relay_sum_t *sums;       /* per table: the figures printed by the verification */
    unsigned char *verified; /* per table: equal on both clusters under the freeze */
    char err[600];
} mover_t;

static int is_main(const char *name)
{
    return strcmp(name, SHARD_MAIN) == 0;
}

/* Prints why the move stopped on stderr; returns 1 (the exit status of a failed step). */
static int failed(mover_t *m, const char *step)
{
    fprintf(stderr, "school-erp tenant move: %s: %s\n", step, m->err);
    return 1;
}

static int catalog_failed(mover_t *m, const char *step)
{
    snprintf(m->err, sizeof(m->err), "catalog: %s", db_error(m->catalog)->message);
    db_rollback(m->catalog);
    return failed(m, step);
}

/* The primary URL of a cluster by name (heap), from ERP_DATABASE_URL or ERP_SHARDS; NULL with m->err. */
static char *cluster_url(mover_t *m, const char *name)
{
    if (is_main(name))
        return xstrdup(m->cfg->database_url);
    shard_spec_t specs[SHARD_MAX - 1];
    const char *text = getenv("ERP_SHARDS");
    int n = shard_spec_parse(text != NULL ? text : "", specs, SHARD_MAX - 1, m->err, sizeof(m->err));
    char *url = NULL;
    for (int i = 0; i < n && url == NULL; i++)
        if (strcmp(specs[i].name, name) == 0)
            url = xstrdup(specs[i].primary);
    if (n >= 0)
        shard_spec_free(specs, n);
    if (url == NULL && n >= 0)
        snprintf(m->err, sizeof(m->err), "ERP_SHARDS names no cluster %s", name);
    return url;
}

/* Connects to both clusters and reads the school tables (the same on both, or the move is refused). */
static int open_links(mover_t *m)
{
    char *su = cluster_url(m, m->source), *du = su != NULL ? cluster_url(m, m->target) : NULL;
    if (su != NULL && du != NULL) {
        m->src = relay_connect(su, m->err, sizeof(m->err));
        m->dst = m->src != NULL ? relay_connect(du, m->err, sizeof(m->err)) : NULL;
    }
    free(su);
    free(du);
    if (m->dst == NULL || relay_tables(m->src, &m->tables, m->err, sizeof(m->err)) != 0)
        return -1;
    relay_tables_t theirs;
    if (relay_tables(m->dst, &theirs, m->err, sizeof(m->err)) != 0)
        return -1;
    int rc = relay_same_schema(&m->tables, &theirs, m->err, sizeof(m->err));
    relay_tables_free(&theirs);
    m->sums = xcalloc((size_t)m->tables.n + 1, sizeof(*m->sums));
    m->snap = xcalloc((size_t)m->tables.n + 1, sizeof(*m->snap));
    m->verified = xcalloc((size_t)m->tables.n + 1, 1);
    return rc;
}

static void close_links(mover_t *m)
{
    free(m->sums);
    free(m->snap);
    free(m->verified);
    relay_tables_free(&m->tables);
    PQfinish(m->src);
    PQfinish(m->dst);
    m->src = m->dst = NULL;
}

/* Runs "fmt" (one %s: the school's id) on c. */
static int on(PGconn *c, mover_t *m, const char *fmt)
{
    char sql[400];
    snprintf(sql, sizeof(sql), fmt, m->school);
    return relay_exec(c, sql, m->err, sizeof(m->err));
}

/* Whether the school's row of t is written on a cluster: the catalog keeps its own tenants row. */
static int writable(const relay_table_t *t, const char *cluster)
{
    return !(t->by_id && is_main(cluster));
}

/* Deletes the school's rows of every table on c (cluster), and its fence there: one transaction, triggers off. */
static int wipe(mover_t *m, PGconn *c, const char *cluster)
{
    if (relay_exec(c, "BEGIN; SET LOCAL session_replication_role = replica", m->err, sizeof(m->err)) != 0)
        return -1;
    for (int i = 0; i < m->tables.n; i++)
        if (writable(&m->tables.t[i], cluster) && relay_delete(c, &m->tables.t[i], m->school, m->err, sizeof(m->err)))
            goto undo;
    if (on(c, m, "DELETE FROM tenant_fences WHERE tenant_id = '%s'") == 0 &&
        relay_exec(c, "COMMIT", m->err, sizeof(m->err)) == 0)
        return 0;
undo:
    relay_exec(c, "ROLLBACK", m->err, 0);
    return -1;
}

/* Opens the transactions of a copy: a snapshot on the source, triggers off on the target. */
static int begin_pair(mover_t *m)
{
    if (relay_exec(m->src, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", m->err, sizeof(m->err)) != 0)
        return -1;
    if (relay_exec(m->dst, "BEGIN; SET LOCAL session_replication_role = replica", m->err, sizeof(m->err)) == 0)
        return 0;
    relay_exec(m->src, "ROLLBACK", m->err, 0);
    return -1;
}

static int end_pair(mover_t *m, int ok)
{
    if (ok && relay_exec(m->dst, "COMMIT", m->err, sizeof(m->err)) == 0) {
        relay_exec(m->src, "COMMIT", m->err, 0);
        return 0;
    }
    relay_exec(m->dst, "ROLLBACK", m->err, 0);
    relay_exec(m->src, "ROLLBACK", m->err, 0);
    return -1;
}

/* Replaces the target's rows of t by the source's. */
static int recopy(mover_t *m, const relay_table_t *t, long long *rows)
{
    return relay_delete(m->dst, t, m->school, m->err, sizeof(m->err)) != 0
               ? -1
               : relay_copy(m->src, m->dst, t, m->school, rows, m->err, sizeof(m->err));
}

/* The test suite's kill -9 point: with ERP_TEST_MOVE_HALT=STATE (test routes on), the mover stops there. */
static void halt_point(const char *state)
{
    const char *halt = getenv("ERP_TEST_MOVE_HALT"), *test = getenv("ERP_ENABLE_TEST_ROUTES");
    if (halt == NULL || strcmp(halt, state) != 0 || test == NULL || strcmp(test, "1") != 0)
        return;
    printf("halted: %s\n", state);
    fflush(stdout);
    for (;;)
        pause();
}

/* ---- the steps ---- */

/* The figures of every table in the copy's snapshot (the source's transaction still open), into m->snap. */
static int sum_snapshot(mover_t *m)
{
    for (int i = 0; i < m->tables.n; i++)
        if (writable(&m->tables.t[i], m->target) &&
            relay_sum(m->src, &m->tables.t[i], m->school, 0, &m->snap[i], m->err, sizeof(m->err)) != 0)
            return -1;
    return 0;
}

/* Checks the committed copy against the snapshot's figures: what the catch-up compares with. */
static int check_copy(mover_t *m)
{
    for (int i = 0; i < m->tables.n; i++) {
        relay_sum_t b;
        if (!writable(&m->tables.t[i], m->target))
            continue;
        if (relay_sum(m->dst, &m->tables.t[i], m->school, 0, &b, m->err, sizeof(m->err)) != 0)
            return -1;
        if (!relay_sum_equal(&m->snap[i], &b, 0)) {
            snprintf(m->err, sizeof(m->err), "table %s differs on %s right after its copy", m->tables.t[i].name,
                     m->target);
            return -1;
        }
    }
    m->have_snap = 1;
    return 0;
}

static int step_copy(mover_t *m)
{
    uint64_t t0 = clock_mono_ns();
    if (relay_install_fence(m->src, &m->tables, m->err, sizeof(m->err)) != 0 || begin_pair(m) != 0)
        return failed(m, "copy");
    long long total = 0;
    int ok = on(m->dst, m, "DELETE FROM tenant_fences WHERE tenant_id = '%s'") == 0;
    for (int i = 0; ok && i < m->tables.n; i++) {
        long long rows = 0;
        ok = !writable(&m->tables.t[i], m->target) || recopy(m, &m->tables.t[i], &rows) == 0;
        total += rows;
    }
    if (end_pair(m, ok && sum_snapshot(m) == 0) != 0 || check_copy(m) != 0)
        return failed(m, "copy");
    printf("copied %lld rows of %d tables from %s to %s in %llu ms (counts and checksums equal)\n", total,
           m->tables.n, m->source, m->target, (unsigned long long)((clock_mono_ns() - t0) / 1000000u));
    fflush(stdout);
    halt_point("copying");
    return 0;
}

static int set_place(mover_t *m, const char *shard, int frozen)
{
    return db_exec(m->catalog, &Q_PLACE,
                   DB_ARGS(DB_TEXT(m->school), DB_TEXT(shard), DB_INT(clock_wall_ms()), DB_BOOL(frozen)),
                   &m->r.arena, NULL);
}

static int step_freeze(mover_t *m)
{
    if (db_begin(m->catalog) != 0 || set_place(m, m->source, 1) != 0 ||
        db_exec(m->catalog, &Q_FROZEN, DB_ARGS(DB_TEXT(m->school), DB_INT(clock_wall_ms())), &m->r.arena, NULL) != 0 ||
        db_commit(m->catalog) != 0)
        return catalog_failed(m, "freeze");
    shard_invalidate(m->school);
    char sql[300];
    snprintf(sql, sizeof(sql),
             "INSERT INTO tenant_fences (tenant_id, target, fenced_at) VALUES ('%s', '%s', %lld)"
             " ON CONFLICT (tenant_id) DO NOTHING",
             m->school, m->target, (long long)clock_wall_ms());
    /* the fence first: once the lock is ours, no write of the school is in flight or can start on the source */
    if (relay_exec(m->src, sql, m->err, sizeof(m->err)) != 0 ||
        on(m->src, m, "SELECT pg_advisory_lock(" LOCK_KEY ", hashtext('%s'))") != 0)
        return failed(m, "freeze");
    printf("frozen: the school's writes answer 503 (Retry-After: %d), its reads go on\n", SHARD_FREEZE_RETRY_S);
    fflush(stdout);
    halt_point("frozen");
    return 0;
}

/* Sums the school's rows of table i on both clusters (in their open transactions): 1 equal, 0 not, -1 failed. */
static int compare(mover_t *m, int i, relay_sum_t *a, relay_sum_t *b)
{
    const relay_table_t *t = &m->tables.t[i];
    if (relay_sum(m->src, t, m->school, 0, a, m->err, sizeof(m->err)) != 0 ||
        relay_sum(m->dst, t, m->school, 0, b, m->err, sizeof(m->err)) != 0)
        return -1;
    return relay_sum_equal(a, b, 0);
}

/*
 * Whether table i is unchanged on the source since the copy's snapshot (so equal to the target, checked
 * equal to that snapshot): a quick sum on the source alone. Without the snapshot's figures (a resumed
 * move), both clusters are summed in full. 1 equal, 0 not, -1 failed.
 */
static int unchanged(mover_t *m, int i)
{
    relay_sum_t now;
    if (!m->have_snap)
        return compare(m, i, &m->sums[i], &now);
    if (relay_sum(m->src, &m->tables.t[i], m->school, 1, &now, m->err, sizeof(m->err)) != 0)
        return -1;
    m->sums[i] = m->snap[i];
    return relay_sum_equal(&m->snap[i], &now, 1);
}

/*
 * Under the freeze: each table whose sums differ (the writes made during the copy) is copied again; the
 * others are verified already (both clusters summed them, and neither changes now).
 */
static int step_catch_up(mover_t *m)
{
    if (begin_pair(m) != 0)
        return failed(m, "catch-up");
    int ok = 1, again = 0;
    long long rows = 0;
    for (int i = 0; ok && i < m->tables.n; i++) {
        if (!writable(&m->tables.t[i], m->target)) {
            m->verified[i] = 1; /* the catalog's own row of the school: it is the one kept */
            continue;
        }
        int same = unchanged(m, i);
        ok = same >= 0;
        m->verified[i] = same == 1;
        if (same == 0) {
            long long n = 0;
            ok = recopy(m, &m->tables.t[i], &n) == 0;
            rows += n;
            again++;
        }
    }
    if (end_pair(m, ok) != 0)
        return failed(m, "catch-up");
    printf("caught up: %d table%s copied again (%lld rows)\n", again, again == 1 ? "" : "s", rows);
    return 0;
}

/* Sums again the tables the catch-up copied; prints every table's figures; 0 when all are equal on both. */
static int step_verify(mover_t *m)
{
    const char *snap = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    if (relay_exec(m->src, snap, m->err, sizeof(m->err)) != 0 || relay_exec(m->dst, snap, m->err, sizeof(m->err)))
        return failed(m, "verify");
    int ok = 1, differ = 0;
    long long rows = 0;
    for (int i = 0; ok && i < m->tables.n; i++) {
        relay_sum_t *a = &m->sums[i], b = *a;
        int same = m->verified[i] ? 1 : compare(m, i, a, &b);
        ok = same >= 0;
        if (same == 0) {
            fprintf(stderr, "school-erp tenant move: %s differs: %lld rows md5 %s on %s, %lld rows md5 %s on %s\n",
                    m->tables.t[i].name, a->rows, a->md5, m->source, b.rows, b.md5, m->target);
            differ++;
        } else if (same == 1 && a->rows > 0) {
            printf("  %s: %lld rows, md5 %s\n", m->tables.t[i].name, a->rows, a->md5);
        }
        rows += a->rows;
    }
    relay_exec(m->src, "ROLLBACK", m->err, 0);
    relay_exec(m->dst, "ROLLBACK", m->err, 0);
    if (!ok)
        return failed(m, "verify");
    if (differ > 0) {
        snprintf(m->err, sizeof(m->err), "%d table%s differ between %s and %s", differ, differ == 1 ? "" : "s",
                 m->source, m->target);
        return failed(m, "verify");
    }
    printf("verified: %d tables, %lld rows: counts and checksums equal on %s and %s\n", m->tables.n, rows, m->source,
           m->target);
    return 0;
}

static int audit_move(mover_t *m, long long freeze_ms)
{
    audit_event_t e = {.tenant_id = PLATFORM_TENANT_ID,
                       .action = "tenant.move",
                       .subject_type = "tenant",
                       .subject_id = m->school,
                       .detail = arena_printf(&m->r.arena, "from shard %s to %s; writes paused %lld ms", m->source,
                                              m->target, freeze_ms)};
    return audit_record(m->catalog, &m->r, &e);
}

static int step_switch(mover_t *m)
{
    db_result_t res;
    if (db_begin(m->catalog) != 0 || set_place(m, m->target, 0) != 0 ||
        db_exec(m->catalog, &Q_SWITCHED, DB_ARGS(DB_TEXT(m->school), DB_INT(clock_wall_ms())), &m->r.arena, &res) != 0 ||
        res.nrows != 1 || audit_move(m, db_get_int(&res, 0, 0)) != 0 || db_commit(m->catalog) != 0)
        return catalog_failed(m, "switch");
    shard_invalidate(m->school);
    on(m->src, m, "SELECT pg_advisory_unlock(" LOCK_KEY ", hashtext('%s'))");
    printf("switched: the school is on %s; its writes were paused for %lld ms\n", m->target, db_get_int(&res, 0, 0));
    fflush(stdout);
    halt_point("switched");
    return 0;
}

/* The directory's cluster of the school, read from the catalog itself (not a cache); 0, or -1 with m->err. */
static int placed_on(mover_t *m, const char *expected)
{
    db_result_t res;
    if (db_exec(m->catalog, &Q_WHERE, DB_ARGS(DB_TEXT(m->school)), &m->r.arena, &res) != 0 || res.nrows != 1) {
        snprintf(m->err, sizeof(m->err), "catalog: %s", db_error(m->catalog)->message);
        return -1;
    }
    if (strcmp(db_get(&res, 0, 0), expected) == 0)
        return 0;
    snprintf(m->err, sizeof(m->err), "the directory places the school on %s, not %s: nothing deleted",
             db_get(&res, 0, 0), expected);
    return -1;
}

static int step_cleanup(mover_t *m, int grace_s)
{
    if (grace_s > 0) {
        printf("waiting %d s before removing the copy on %s (instances drop their cached directory entries)\n",
               grace_s, m->source);
        fflush(stdout);
        sleep((unsigned)grace_s);
    }
    if (placed_on(m, m->target) != 0 || wipe(m, m->src, m->source) != 0)
        return failed(m, "cleanup");
    if (db_exec(m->catalog, &Q_DONE, DB_ARGS(DB_TEXT(m->school), DB_INT(clock_wall_ms())), &m->r.arena, NULL) != 0)
        return catalog_failed(m, "cleanup");
    printf("removed the school's rows from %s: the move is done\n", m->source);
    return 0;
}

/* Rolls back a move not switched: the target's copy goes, the fence and the freeze are lifted. */
static int step_abort(mover_t *m)
{
    if (placed_on(m, m->source) != 0 || wipe(m, m->dst, m->target) != 0 ||
        on(m->src, m, "DELETE FROM tenant_fences WHERE tenant_id = '%s'") != 0)
        return failed(m, "abort");
    if (db_begin(m->catalog) != 0 || set_place(m, m->source, 0) != 0 ||
        db_exec(m->catalog, &Q_FORGET, DB_ARGS(DB_TEXT(m->school)), &m->r.arena, NULL) != 0 ||
        db_commit(m->catalog) != 0)
        return catalog_failed(m, "abort");
    shard_invalidate(m->school);
    printf("rolled back: the school stays on %s, its copy on %s is removed, its writes go on\n", m->source,
           m->target);
    return 0;
}

/* ---- the command ---- */

/* From frozen on: catch up, verify (else roll back), switch, then the cleanup unless kept. */
static int finish(mover_t *m, const move_opts_t *o)
{
    if (step_catch_up(m) != 0)
        return 1;
    if (step_verify(m) != 0) {
        fprintf(stderr, "school-erp tenant move: rolling the move back\n");
        step_abort(m);
        return 1;
    }
    if (step_switch(m) != 0)
        return 1;
    if (o->keep_source) {
        printf("the copy on %s stays (fenced) until: school-erp tenant move %s --cleanup\n", m->source, o->school);
        return 0;
    }
    return step_cleanup(m, o->grace_s);
}

static int start(mover_t *m, const move_opts_t *o)
{
    db_result_t res;
    if (db_exec(m->catalog, &Q_WHERE, DB_ARGS(DB_TEXT(m->school)), &m->r.arena, &res) != 0)
        return catalog_failed(m, "start");
    snprintf(m->source, sizeof(m->source), "%s", db_get(&res, 0, 0));
    if (strcmp(m->source, o->to) == 0) {
        printf("the school is on %s already: nothing to move\n", o->to);
        return 0;
    }
    if (shards_index(m->source) < 0) {
        fprintf(stderr, "school-erp tenant move: the school is on %s, which ERP_SHARDS does not name\n", m->source);
        return 2;
    }
    if (db_exec(m->catalog, &Q_START,
                DB_ARGS(DB_TEXT(m->school), DB_TEXT(m->source), DB_TEXT(m->target), DB_INT(clock_wall_ms())),
                &m->r.arena, NULL) != 0)
        return catalog_failed(m, "start");
    printf("moving school %s from %s to %s\n", m->school, m->source, m->target);
    return -1; /* go on with the copy */
}

move_step_t move_next(const char *state, const char *target, const move_opts_t *o, const char **why)
{
    int none = *state == '\0', switched = strcmp(state, "switched") == 0;
    *why = NULL;
    if (o->cleanup) {
        if (switched)
            return MOVE_CLEANUP;
        *why = "--cleanup: the school has no switched move whose source copy waits";
    } else if (o->abort_move) {
        if (!none && !switched)
            return MOVE_ABORT;
        *why = none ? "--abort: the school has no unfinished move"
                    : "--abort: the move is switched already; move the school back instead";
    } else if (none) {
        return MOVE_START;
    } else if (strcmp(o->to, target) != 0) {
        *why = "an unfinished move of this school goes elsewhere: finish it (--to its target; --cleanup once switched)"
               " or --abort it";
    } else if (switched) {
        return o->keep_source ? MOVE_KEEP : MOVE_CLEANUP_AFTER_GRACE;
    } else {
        return strcmp(state, "copying") == 0 ? MOVE_COPY : MOVE_FREEZE;
    }
    return MOVE_REFUSE;
}

/* Runs a step of move_next() and those after it; the links are open. The exit status. */
static int dispatch(mover_t *m, const move_opts_t *o, move_step_t step)
{
    switch (step) {
    case MOVE_ABORT:
        return step_abort(m) != 0;
    case MOVE_CLEANUP:
        return step_cleanup(m, 0) != 0;
    case MOVE_CLEANUP_AFTER_GRACE:
        return step_cleanup(m, o->grace_s) != 0;
    case MOVE_KEEP:
        printf("switched already; the copy on %s stays until --cleanup\n", m->source);
        return 0;
    case MOVE_START:
    case MOVE_COPY:
        if (step_copy(m) != 0)
            return 1;
        /* fall through */
    case MOVE_FREEZE:
        return step_freeze(m) != 0 ? 1 : finish(m, o);
    default:
        return 2;
    }
}

/* The recorded move of the school into m (source, target) and state ("" when none or done); -1 on a catalog error. */
static int load(mover_t *m, char *state, size_t len)
{
    db_result_t res;
    if (db_exec(m->catalog, &Q_GET, DB_ARGS(DB_TEXT(m->school)), &m->r.arena, &res) != 0)
        return -1;
    *state = '\0';
    if (res.nrows == 1 && strcmp(db_get(&res, 0, 2), "done") != 0) {
        snprintf(m->source, sizeof(m->source), "%s", db_get(&res, 0, 0));
        snprintf(m->target, sizeof(m->target), "%s", db_get(&res, 0, 1));
        snprintf(state, len, "%s", db_get(&res, 0, 2));
    }
    return 0;
}

/* Finds the school and takes the catalog's mover lock of it; 0, or the exit status. */
static int claim(mover_t *m, const move_opts_t *o)
{
    db_result_t res;
    if (db_exec(m->catalog, &Q_SCHOOL, DB_ARGS(DB_TEXT(o->school)), &m->r.arena, &res) != 0)
        return catalog_failed(m, "find the school");
    if (res.nrows != 1) {
        fprintf(stderr, "school-erp tenant move: no school has the id or slug %s\n", o->school);
        return 2;
    }
    snprintf(m->school, sizeof(m->school), "%s", db_get(&res, 0, 0));
    /* a mover killed a moment ago holds it until its server notices the closed connection: wait a little */
    for (int tries = 0;; tries++) {
        if (db_exec(m->catalog, &Q_MOVER, DB_ARGS(DB_TEXT(m->school)), &m->r.arena, &res) != 0 || res.nrows != 1)
            return catalog_failed(m, "lock");
        if (db_get_bool(&res, 0, 0) || tries == 50)
            break;
        usleep(100000);
    }
    if (!db_get_bool(&res, 0, 0)) {
        fprintf(stderr, "school-erp tenant move: another mover is working on this school\n");
        return 2;
    }
    return 0;
}

static int run(mover_t *m, const move_opts_t *o)
{
    char state[16];
    const char *why;
    int rc = claim(m, o);
    if (rc != 0)
        return rc;
    if (load(m, state, sizeof(state)) != 0)
        return catalog_failed(m, "read the move");
    move_step_t step = move_next(state, m->target, o, &why);
    if (step == MOVE_REFUSE) {
        fprintf(stderr, "school-erp tenant move: %s", why);
        if (*state)
            fprintf(stderr, " (state %s, from %s to %s)", state, m->source, m->target);
        fputc('\n', stderr);
        return 2;
    }
    if (step == MOVE_START) {
        snprintf(m->target, sizeof(m->target), "%s", o->to);
        if ((rc = start(m, o)) >= 0)
            return rc;
    } else {
        printf("resuming the move of school %s from %s to %s (state %s)\n", m->school, m->source, m->target, state);
    }
    if (open_links(m) != 0)
        return failed(m, "connect");
    return dispatch(m, o, step);
}

int move_run(const config_t *cfg, db_t *catalog, const move_opts_t *o)
{
    if (shards_count() <= 1) {
        fprintf(stderr, "school-erp tenant move: moves need more than one cluster (ERP_SHARDS, PostgreSQL)\n");
        return 2;
    }
    if (o->to != NULL && shards_index(o->to) < 0) {
        fprintf(stderr, "school-erp tenant move: --to: ERP_SHARDS names no cluster %s\n", o->to);
        return 2;
    }
    mover_t m = {.cfg = cfg, .catalog = catalog};
    arena_init(&m.r.arena);
    req_reset(&m.r);
    int rc = run(&m, o);
    fflush(stdout);
    close_links(&m);
    req_release(&m.r);
    arena_destroy(&m.r.arena);
    return rc;
}
