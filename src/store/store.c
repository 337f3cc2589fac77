/*
 * store.c - sessions, routing of statements to the primary or a replica,
 * transactions, reconnection with backoff, statistics and error mapping.
 * Engines (sqlite.c, pg.c) only run statements on one connection.
 */
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/store_int.h"

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000
#define TX_ATTEMPTS 4

struct store {
    const db_engine_t *engine;
    /*
     * SQLite allows one writer at a time and makes the others poll with growing
     * sleeps (1, 2, 5, … ms): under load that costs milliseconds per write. The
     * threads of this process queue for the write lock on this mutex instead and
     * get it handed over at once; SQLite's busy timeout remains for other processes.
     */
    pthread_mutex_t writer;
    char *url;
    replicas_t *replicas;
    int nsessions; /* atomic */
    int quiet;     /* atomic: store_metrics_quiet() */
    int open_conns[TARGET_COUNT]; /* atomic */
    int busy_conns[TARGET_COUNT]; /* atomic */
};

/* A connection slot that reconnects with exponential backoff. */
typedef struct link {
    dbconn_t *c;
    const char *url;
    int target;
    int failures;
    uint64_t retry_at_ns;
} link_t;

struct db {
    store_t *s;
    link_t primary;
    link_t replica;
    int replica_idx; /* -1: none */
    int in_tx;
    int holds_writer; /* this session holds store.writer (SQLite) */
    int tx_wrote;
    int tx_failed; /* a statement failed inside the open transaction: it cannot commit */
    int tx_lost;   /* the transaction's connection was lost: every statement fails until rollback */
    int read_primary; /* db_read_primary(): no replica for this request */
    const char *actor;
    db_error_t err;
    int last_target;
};

/* ---- statements ---- */

static pthread_mutex_t stmt_mu = PTHREAD_MUTEX_INITIALIZER;
static int stmt_count;
static stmt_stats_t *all_stats;

int stmt_id(stmt_t *st)
{
    int id = __atomic_load_n(&st->id, __ATOMIC_ACQUIRE);
    if (id != 0)
        return id;
    pthread_mutex_lock(&stmt_mu);
    id = st->id;
    if (id == 0) {
        stmt_stats_t *ss = xcalloc(1, sizeof(*ss));
        ss->st = st;
        ss->next = all_stats;
        all_stats = ss;
        st->stats = ss;
        id = ++stmt_count;
        __atomic_store_n(&st->id, id, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&stmt_mu);
    return id;
}

const char *stmt_sql(const stmt_t *st, const db_engine_t *e)
{
    if (e == &db_engine_sqlite && st->sql_sqlite != NULL)
        return st->sql_sqlite;
    if (e == &db_engine_pg && st->sql_pg != NULL)
        return st->sql_pg;
    return st->sql;
}

long long db_get_int(const db_result_t *res, int row, int col)
{
    const char *v = db_get(res, row, col);
    return v != NULL ? strtoll(v, NULL, 10) : 0;
}

int db_get_bool(const db_result_t *res, int row, int col)
{
    const char *v = db_get(res, row, col);
    return v != NULL && (v[0] == 't' || v[0] == '1');
}

int db_is_null(const db_result_t *res, int row, int col)
{
    return db_get(res, row, col) == NULL;
}

/* ---- metrics ---- */

static const char *const target_names[TARGET_COUNT] = {"sqlite", "primary", "replica"};

void store_metrics_quiet(store_t *s)
{
    __atomic_store_n(&s->quiet, 1, __ATOMIC_RELEASE);
}

static void collect(sbuf_t *out, void *ud)
{
    store_t *s = ud;
    if (__atomic_load_n(&s->quiet, __ATOMIC_ACQUIRE))
        return;
    stmt_stats_t *list;
    pthread_mutex_lock(&stmt_mu);
    list = all_stats;
    pthread_mutex_unlock(&stmt_mu);
    metrics_family(out, "db_query_duration_seconds", "histogram", "Time to run a statement, by statement and target.");
    for (stmt_stats_t *ss = list; ss != NULL; ss = ss->next) {
        for (int t = 0; t < TARGET_COUNT; t++) {
            hist_t h = {0};
            hist_merge(&h, &ss->duration[t]);
            if (h.count == 0)
                continue;
            char labels[192];
            snprintf(labels, sizeof(labels), "statement=\"%s\",target=\"%s\"", ss->st->name, target_names[t]);
            hist_render(out, "db_query_duration_seconds", labels, &h, &HIST_SECONDS);
        }
    }
    metrics_family(out, "db_query_errors_total", "counter", "Statements that failed, by statement and target.");
    for (stmt_stats_t *ss = list; ss != NULL; ss = ss->next)
        for (int t = 0; t < TARGET_COUNT; t++) {
            uint64_t n = __atomic_load_n(&ss->errors[t], __ATOMIC_RELAXED);
            if (n > 0)
                sbuf_printf(out, "db_query_errors_total{statement=\"%s\",target=\"%s\"} %llu\n", ss->st->name,
                            target_names[t], (unsigned long long)n);
        }
    metrics_family(out, "db_connections_open", "gauge", "Open database connections of the handler threads.");
    for (int t = 0; t < TARGET_COUNT; t++)
        sbuf_printf(out, "db_connections_open{target=\"%s\"} %d\n", target_names[t],
                    __atomic_load_n(&s->open_conns[t], __ATOMIC_RELAXED));
    metrics_family(out, "db_connections_in_use", "gauge", "Database connections running a statement now.");
    for (int t = 0; t < TARGET_COUNT; t++)
        sbuf_printf(out, "db_connections_in_use{target=\"%s\"} %d\n", target_names[t],
                    __atomic_load_n(&s->busy_conns[t], __ATOMIC_RELAXED));
    int n = replicas_count(s->replicas);
    if (n > 0) {
        metrics_family(out, "db_replica_up", "gauge", "1 when the replica answered its last probe.");
        for (int i = 0; i < n; i++)
            sbuf_printf(out, "db_replica_up{replica=\"%d\"} %d\n", i,
                        __atomic_load_n(&replicas_get(s->replicas, i)->up, __ATOMIC_RELAXED));
        metrics_family(out, "db_replica_fresh", "gauge", "1 when the replica is within ERP_REPLICA_MAX_LAG_MS.");
        for (int i = 0; i < n; i++)
            sbuf_printf(out, "db_replica_fresh{replica=\"%d\"} %d\n", i,
                        __atomic_load_n(&replicas_get(s->replicas, i)->fresh, __ATOMIC_RELAXED));
    }
}

/* ---- store ---- */


/* Creates the directory that will hold an SQLite file. */
static int make_parent_dir(const char *path, char *err, size_t errlen)
{
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0750);
            *p = '/';
        }
    }
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

store_t *store_open(const config_t *cfg, char *err, size_t errlen)
{
    store_t *s = xcalloc(1, sizeof(*s));
    pthread_mutex_init(&s->writer, NULL);
    s->url = xstrdup(cfg->database_url);
    if (config_is_sqlite(cfg)) {
        s->engine = &db_engine_sqlite;
        if (make_parent_dir(cfg->database_url + 7, err, errlen) != 0) {
            store_close(s);
            return NULL;
        }
    } else {
        s->engine = &db_engine_pg;
        pg_set_statement_timeout(cfg->statement_timeout_ms > 0 ? cfg->statement_timeout_ms : 30000);
        if (cfg->n_read_urls > 0)
            s->replicas = replicas_start(cfg->database_url, cfg->read_urls, cfg->n_read_urls, cfg->replica_max_lag_ms);
    }
    metrics_register(collect, s);
    return s;
}

void store_close(store_t *s)
{
    if (s == NULL)
        return;
    metrics_unregister(collect, s);
    replicas_stop(s->replicas);
    free(s->url);
    pthread_mutex_destroy(&s->writer);
    free(s);
}

const char *store_engine(const store_t *s)
{
    return s->engine->name;
}

db_t *store_session(store_t *s)
{
    db_t *db = xcalloc(1, sizeof(*db));
    db->s = s;
    db->primary.url = s->url;
    db->primary.target = s->engine == &db_engine_sqlite ? TARGET_SQLITE : TARGET_PRIMARY;
    int idx = __atomic_fetch_add(&s->nsessions, 1, __ATOMIC_RELAXED);
    db->replica_idx = -1;
    int n = replicas_count(s->replicas);
    if (n > 0) {
        db->replica_idx = idx % n; /* spread the threads over the replicas */
        db->replica.url = replicas_get(s->replicas, db->replica_idx)->url;
        db->replica.target = TARGET_REPLICA;
    }
    return db;
}

static void link_drop(store_t *s, link_t *l)
{
    if (l->c != NULL) {
        s->engine->disconnect(l->c);
        l->c = NULL;
        __atomic_fetch_sub(&s->open_conns[l->target], 1, __ATOMIC_RELAXED);
    }
}

void db_close(db_t *db)
{
    if (db == NULL)
        return;
    db_rollback(db);
    link_drop(db->s, &db->primary);
    link_drop(db->s, &db->replica);
    free(db);
}

store_t *db_store(const db_t *db)
{
    return db->s;
}

void db_set_actor(db_t *db, const char *actor)
{
    db->actor = actor;
}

void db_read_primary(db_t *db, int on)
{
    db->read_primary = on;
}

int db_in_transaction(const db_t *db)
{
    return db->in_tx;
}

const db_error_t *db_error(const db_t *db)
{
    return &db->err;
}

const char *db_last_target(const db_t *db)
{
    return target_names[db->last_target];
}

static void set_err(db_t *db, db_status_t st, const char *fmt, const char *arg)
{
    db->err.status = st;
    db->err.constraint[0] = '\0';
    snprintf(db->err.message, sizeof(db->err.message), fmt, arg);
}

/* The link's connection, connecting (or waiting out the backoff) as needed; NULL with db->err set. */
static dbconn_t *link_get(db_t *db, link_t *l)
{
    store_t *s = db->s;
    if (l->c != NULL && !s->engine->healthy(l->c))
        link_drop(s, l);
    if (l->c != NULL)
        return l->c;
    uint64_t now = clock_mono_ns();
    if (now < l->retry_at_ns) {
        set_err(db, DB_UNAVAILABLE, "%s database unreachable; retrying shortly", target_names[l->target]);
        return NULL;
    }
    l->c = s->engine->connect(l->url, &db->err);
    if (l->c == NULL) {
        uint64_t delay = BACKOFF_MIN_MS << (l->failures < 6 ? l->failures : 6);
        if (delay > BACKOFF_MAX_MS)
            delay = BACKOFF_MAX_MS;
        l->failures++;
        l->retry_at_ns = now + delay * 1000000u;
        if (l->failures == 1)
            log_warn("database connection failed", "%s: %s", target_names[l->target], db->err.message);
        return NULL;
    }
    if (l->failures > 0)
        log_info("database connection restored", "%s after %d attempts", target_names[l->target], l->failures);
    l->failures = 0;
    l->retry_at_ns = 0;
    __atomic_fetch_add(&s->open_conns[l->target], 1, __ATOMIC_RELAXED);
    return l->c;
}

/* Runs st on one link, timing it. */
static int run_on(db_t *db, link_t *l, stmt_t *st, const db_arg_t *args, int nargs, arena_t *a, db_result_t *res)
{
    store_t *s = db->s;
    dbconn_t *c = link_get(db, l);
    if (c == NULL)
        return -1;
    stmt_id(st);
    db->last_target = l->target;
    __atomic_fetch_add(&s->busy_conns[l->target], 1, __ATOMIC_RELAXED);
    uint64_t t0 = clock_mono_ns();
    int rc = s->engine->exec(c, st, args, nargs, a, res, &db->err);
    uint64_t dur = clock_mono_ns() - t0;
    __atomic_fetch_sub(&s->busy_conns[l->target], 1, __ATOMIC_RELAXED);
    hist_observe(&st->stats->duration[l->target], &HIST_SECONDS, dur);
    if (rc != 0) {
        __atomic_fetch_add(&st->stats->errors[l->target], 1, __ATOMIC_RELAXED);
        if (!s->engine->healthy(c))
            link_drop(s, l);
    }
    return rc;
}

/* The replica this read may use, or NULL for the primary. */
static link_t *pick_replica(db_t *db)
{
    if (db->replica_idx < 0 || db->in_tx || db->read_primary)
        return NULL;
    replica_state_t *r = replicas_get(db->s->replicas, db->replica_idx);
    if (!__atomic_load_n(&r->up, __ATOMIC_ACQUIRE) || !__atomic_load_n(&r->fresh, __ATOMIC_ACQUIRE))
        return NULL;
    uint64_t need = replicas_required_lsn(db->s->replicas, db->actor);
    if (need > __atomic_load_n(&r->replay_lsn, __ATOMIC_ACQUIRE))
        return NULL; /* this user wrote something the replica has not replayed yet */
    if (db->replica.c == NULL && clock_mono_ns() < db->replica.retry_at_ns)
        return NULL;
    return &db->replica;
}

/*
 * The WAL position a reader must wait for: the insert position, which is past our commit record even
 * before it is written out (with synchronous_commit off, pg_current_wal_lsn() can still be short of it).
 */
static stmt_t Q_WRITE_LSN = STMT("store.write_lsn", 0, "SELECT pg_current_wal_insert_lsn()::text");

/* After a committed write: remember how far this actor's reads must have replayed. */
static void note_write(db_t *db, arena_t *a)
{
    if (db->replica_idx < 0 || db->actor == NULL)
        return;
    db_result_t res;
    db_error_t keep = db->err;
    if (run_on(db, &db->primary, &Q_WRITE_LSN, NULL, 0, a, &res) == 0 && res.nrows == 1)
        replicas_note_write(db->s->replicas, db->actor, lsn_parse(db_get(&res, 0, 0)));
    db->err = keep;
}

static void writer_lock(db_t *db)
{
    if (db->s->engine == &db_engine_sqlite && !db->holds_writer) {
        pthread_mutex_lock(&db->s->writer);
        db->holds_writer = 1;
    }
}

static void writer_unlock(db_t *db)
{
    if (db->holds_writer) {
        db->holds_writer = 0;
        pthread_mutex_unlock(&db->s->writer);
    }
}

/* Inside a transaction whose connection died: fail instead of reconnecting into autocommit. */
static int tx_gone(db_t *db)
{
    if (!db->in_tx)
        return 0;
    if (!db->tx_lost && db->primary.c != NULL && db->s->engine->healthy(db->primary.c))
        return 0;
    db->tx_lost = 1;
    db->tx_failed = 1;
    set_err(db, DB_UNAVAILABLE, "%s", "the connection of the open transaction was lost; roll it back");
    return 1;
}

int db_exec(db_t *db, stmt_t *st, const db_arg_t *args, int nargs, arena_t *a, db_result_t *res)
{
    db->err.status = DB_OK;
    if (tx_gone(db))
        return -1;
    int is_read = (st->flags & (STMT_READ | STMT_ACCESS)) != 0;
    if ((st->flags & STMT_READ) && !(st->flags & STMT_ACCESS)) {
        link_t *rl = pick_replica(db);
        if (rl != NULL) {
            if (run_on(db, rl, st, args, nargs, a, res) == 0)
                return 0;
            if (db->err.status != DB_UNAVAILABLE)
                return -1;
            /* the replica went away: this read goes to the primary */
        }
    }
    int single_write = !is_read && !db->in_tx;
    if (single_write)
        writer_lock(db);
    int rc = run_on(db, &db->primary, st, args, nargs, a, res);
    if (single_write)
        writer_unlock(db);
    if (rc != 0 && db->in_tx)
        db->tx_failed = 1;
    if (rc != 0 && is_read && !db->in_tx && db->err.status == DB_UNAVAILABLE && db->primary.c == NULL &&
        db->primary.failures == 0) {
        /* a connection that died while idle: one fresh attempt is safe for a read */
        rc = run_on(db, &db->primary, st, args, nargs, a, res);
    }
    if (rc == 0 && !is_read) {
        if (db->in_tx)
            db->tx_wrote = 1;
        else
            note_write(db, a);
    }
    return rc;
}

int db_begin(db_t *db)
{
    db->err.status = DB_OK;
    if (db->in_tx) {
        set_err(db, DB_ERROR, "%s", "a transaction is already open");
        return -1;
    }
    dbconn_t *c = link_get(db, &db->primary);
    if (c == NULL)
        return -1;
    writer_lock(db);
    if (db->s->engine->script(c, db->s->engine->begin_sql, &db->err) != 0) {
        writer_unlock(db);
        if (!db->s->engine->healthy(c))
            link_drop(db->s, &db->primary);
        return -1;
    }
    db->in_tx = 1;
    db->tx_wrote = 0;
    db->tx_failed = 0;
    db->tx_lost = 0;
    return 0;
}

static int commit(db_t *db);

int db_commit(db_t *db)
{
    int rc = commit(db);
    writer_unlock(db);
    if (rc == 0 && db->tx_wrote) {
        arena_t a;
        arena_init(&a);
        note_write(db, &a);
        arena_destroy(&a);
    }
    return rc;
}

static int commit(db_t *db)
{
    if (!db->in_tx) {
        set_err(db, DB_ERROR, "%s", "no transaction to commit");
        return -1;
    }
    db->in_tx = 0;
    dbconn_t *c = db->primary.c;
    if (c == NULL || db->tx_lost) {
        db->tx_lost = 0;
        link_drop(db->s, &db->primary);
        set_err(db, DB_UNAVAILABLE, "%s", "connection lost during the transaction");
        return -1;
    }
    if (db->tx_failed) {
        /*
         * PostgreSQL has aborted such a transaction and would answer COMMIT with
         * ROLLBACK (as a success); SQLite would commit the statements that did
         * succeed. Neither is what the caller asked for: refuse on both engines.
         */
        db_error_t ignore;
        if (db->s->engine->script(c, "ROLLBACK", &ignore) != 0 && !db->s->engine->healthy(c))
            link_drop(db->s, &db->primary);
        set_err(db, DB_ERROR, "%s", "cannot commit: a statement of this transaction failed; it was rolled back");
        return -1;
    }
    if (db->s->engine->script(c, "COMMIT", &db->err) != 0) {
        db_error_t keep = db->err;
        if (db->s->engine->healthy(c))
            db->s->engine->script(c, "ROLLBACK", &db->err);
        else
            link_drop(db->s, &db->primary);
        db->err = keep;
        return -1;
    }
    return 0;
}

void db_rollback(db_t *db)
{
    if (!db->in_tx)
        return;
    db->in_tx = 0;
    db->tx_lost = 0;
    dbconn_t *c = db->primary.c;
    if (c != NULL) {
        db_error_t ignore;
        if (db->s->engine->script(c, "ROLLBACK", &ignore) != 0 && !db->s->engine->healthy(c))
            link_drop(db->s, &db->primary);
    }
    writer_unlock(db);
}

int db_transaction(db_t *db, int (*fn)(db_t *db, void *ctx), void *ctx)
{
    for (int attempt = 1;; attempt++) {
        if (db_begin(db) != 0) {
            if (db->err.status == DB_RETRY && attempt < TX_ATTEMPTS)
                continue;
            return -1;
        }
        int rc = fn(db, ctx);
        if (rc != 0) {
            db_status_t st = db->err.status;
            db_error_t keep = db->err;
            db_rollback(db);
            db->err = keep;
            if (st == DB_RETRY && attempt < TX_ATTEMPTS) {
                struct timespec ts = {0, (long)(attempt * 2 + (long)(clock_mono_ns() % 5)) * 1000000L};
                nanosleep(&ts, NULL);
                continue;
            }
            return rc;
        }
        if (db_commit(db) == 0)
            return 0;
        if (db->err.status != DB_RETRY || attempt >= TX_ATTEMPTS)
            return -1;
    }
}

int db_analyze(db_t *db)
{
    /* SQLite keeps no statistics until asked; without them it guesses that tenant_id matches ten rows */
    return db_exec_script(db, db->s->engine == &db_engine_sqlite ? "PRAGMA analysis_limit=1000; ANALYZE;" : "ANALYZE");
}

/* What runs on the primary without a prepared statement: a script, or a COPY. */
typedef struct primary_op {
    const char *sql, *rows;
    size_t len;
} primary_op_t;

/* Runs op on the primary's connection, as db_exec_script() and db_copy_in() say; 0 or -1. */
static int on_primary(db_t *db, const primary_op_t *op)
{
    db->err.status = DB_OK;
    if (tx_gone(db))
        return -1;
    dbconn_t *c = link_get(db, &db->primary);
    if (c == NULL)
        return -1;
    int single = !db->in_tx;
    if (single)
        writer_lock(db);
    const db_engine_t *e = db->s->engine;
    int rc = op->rows != NULL ? e->copy_in(c, op->sql, op->rows, op->len, &db->err) : e->script(c, op->sql, &db->err);
    if (single)
        writer_unlock(db);
    if (rc != 0 && db->in_tx)
        db->tx_failed = 1;
    if (rc != 0 && !e->healthy(c))
        link_drop(db->s, &db->primary);
    return rc;
}

int db_exec_script(db_t *db, const char *sql)
{
    primary_op_t op = {.sql = sql};
    return on_primary(db, &op);
}

int db_can_copy(const db_t *db)
{
    return db->s->engine->copy_in != NULL;
}

int db_copy_in(db_t *db, const char *sql, const char *rows, size_t len)
{
    if (db->s->engine->copy_in == NULL) {
        db->err.status = DB_ERROR;
        snprintf(db->err.message, sizeof(db->err.message), "%s has no COPY", db->s->engine->name);
        return -1;
    }
    primary_op_t op = {.sql = sql, .rows = rows, .len = len};
    return on_primary(db, &op);
}

static stmt_t Q_PING = STMT("store.ping", 0, "SELECT 1");

int db_ping(db_t *db)
{
    arena_t a;
    arena_init(&a);
    db_result_t res;
    int rc = db_exec(db, &Q_PING, NULL, 0, &a, &res);
    arena_destroy(&a);
    return rc;
}

int db_fail(req_t *r, const db_t *db)
{
    const db_error_t *e = &db->err;
    switch (e->status) {
    case DB_UNIQUE:
        return res_fail(r, ERR_CONFLICT, "A record with the same unique values already exists.");
    case DB_FOREIGN_KEY:
        return res_fail(r, ERR_VALIDATION, "The request refers to a record that does not exist, or removes one still in use.");
    case DB_INVALID:
        return res_fail(r, ERR_VALIDATION, "A value is not acceptable.");
    case DB_RETRY:
        return res_fail(r, ERR_CONFLICT, "A concurrent change got in the way; try again.");
    case DB_UNAVAILABLE:
        log_warn("database unavailable", "request %s: %s", r->request_id, e->message);
        r->err.retry_after = 1;
        return res_fail(r, ERR_UNAVAILABLE, "The database is not reachable right now; try again shortly.");
    default:
        /* the engine's message names tables and SQL: it goes to the log, not to the client */
        log_error("database error", "request %s: %s", r->request_id, e->message);
        return res_fail(r, ERR_INTERNAL, "A database error occurred.");
    }
}
