/*
 * contract_test.c - the storage port's contract (src/store/store.h), run
 * unchanged against both engines.
 *
 * ERP_TEST_DATABASE_URL names the database: sqlite:/path/file.db (the file
 * need not exist) or a postgres:// URL of an empty database on a server where
 * the user may create databases (the migration tests make fresh sibling
 * databases next to it and drop them afterwards). Unset, the program fails.
 *
 * The group setup applies the real migrations and creates scratch tables with
 * this file's own DDL; each test starts from empty scratch tables. A few
 * tests exist for PostgreSQL only (a deadlock, a serialization failure,
 * killed connections); the first lines of output say how many tests run.
 * ERP_TEST_MIGRATE_ROUNDS=N repeats the concurrent-migration test N times
 * (default 3) when hunting races.
 *
 * Where the engines differ and the port does not hide it, a test pins each
 * engine's answer: db_error()->constraint is the constraint name on
 * PostgreSQL but "table.column, …" on SQLite; booleans read back as "t"/"f"
 * or "1"/"0" (use db_get_bool).
 *
 * cmocka's assertions must run on the main thread, so worker threads record
 * what they saw and the test checks it after joining them.
 */
#include "../unit/unit.h"

#include <errno.h>
#include <float.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/sbuf.h"
#include "http/handler.h"
#include "obs/metrics.h"
#include "store/migrate.h"
#include "store/store.h"

/* ---- the database under test ---- */

static struct {
    const char *url;
    int pg;          /* 1: PostgreSQL, 0: SQLite */
    store_t *store;  /* on url, for the whole run */
    char dbname[64]; /* PostgreSQL: current_database() */
    const migration_t *migrations;
    int nmigrations;
} G;

static store_t *open_store(const char *url)
{
    config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.database_url = (char *)url;
    cfg.replica_max_lag_ms = 1000;
    char err[256] = "";
    store_t *s = store_open(&cfg, err, sizeof(err));
    if (s == NULL)
        fail_msg("store_open(%s): %s", url, err);
    return s;
}

static double elapsed_ms(uint64_t t0)
{
    return (double)(clock_mono_ns() - t0) / 1e6;
}

/* Asserts a call failed with the given status (printing the engine's message otherwise). */
#define assert_db_fails(db, call, want)                                                                                \
    do {                                                                                                               \
        int rc_ = (call);                                                                                              \
        if (rc_ != -1 || db_error(db)->status != (want))                                                               \
            fail_msg("%s: rc %d status %d (want -1, status %d): %s", #call, rc_, (int)db_error(db)->status,            \
                     (int)(want), db_error(db)->message);                                                              \
    } while (0)

#define assert_db_ok(db, call)                                                                                         \
    do {                                                                                                               \
        if ((call) != 0)                                                                                               \
            fail_msg("%s failed: status %d: %s", #call, (int)db_error(db)->status, db_error(db)->message);             \
    } while (0)

/* ---- scratch schema (this file's own DDL, one text per engine) ---- */

static const char DDL_SQLITE[] =
    "CREATE TABLE t_values (id INTEGER PRIMARY KEY, t TEXT, i INTEGER, b INTEGER, r REAL) STRICT;"
    "CREATE TABLE t_parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " CONSTRAINT t_parent_name_key UNIQUE (name)) STRICT;"
    "CREATE TABLE t_child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES t_parent (id),"
    " qty INTEGER NOT NULL CONSTRAINT t_child_qty_check CHECK (qty > 0)) STRICT;"
    "CREATE TABLE t_counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL) STRICT;"
    "CREATE TABLE t_log (thread INTEGER NOT NULL, seq INTEGER NOT NULL, note TEXT,"
    " PRIMARY KEY (thread, seq)) STRICT;";

static const char DDL_PG[] =
    "CREATE TABLE t_values (id bigint PRIMARY KEY, t text, i bigint, b boolean, r double precision);"
    "CREATE TABLE t_parent (id bigint PRIMARY KEY, name text NOT NULL,"
    " CONSTRAINT t_parent_name_key UNIQUE (name));"
    "CREATE TABLE t_child (id bigint PRIMARY KEY, parent_id bigint NOT NULL"
    " CONSTRAINT t_child_parent_fkey REFERENCES t_parent (id),"
    " qty integer NOT NULL CONSTRAINT t_child_qty_check CHECK (qty > 0));"
    "CREATE TABLE t_counter (id bigint PRIMARY KEY, n bigint NOT NULL);"
    "CREATE TABLE t_log (thread integer NOT NULL, seq integer NOT NULL, note text,"
    " PRIMARY KEY (thread, seq));";

static const char CLEAN_SQL[] = "DELETE FROM t_child; DELETE FROM t_parent; DELETE FROM t_values;"
                                "DELETE FROM t_counter; DELETE FROM t_log;";

/* Statements on the scratch tables: written once for both engines unless noted. */
static stmt_t Q_VAL_INS =
    STMT("t.values.insert", 0, "INSERT INTO t_values (id, t, i, b, r) VALUES ($1, $2, $3, $4, $5)");
static stmt_t Q_VAL_GET = STMT("t.values.get", STMT_READ, "SELECT t, i, b, r FROM t_values WHERE id = $1");
static stmt_t Q_VAL_TEXT = STMT("t.values.text", STMT_READ, "SELECT t FROM t_values WHERE id = $1");
static stmt_t Q_VAL_LEN =
    STMT2("t.values.len", STMT_READ, "SELECT length(t), length(CAST(t AS BLOB)) FROM t_values WHERE id = $1",
          "SELECT length(t), octet_length(t) FROM t_values WHERE id = $1");
static stmt_t Q_VAL_COUNT = STMT("t.values.count", STMT_READ, "SELECT count(*) FROM t_values");
static stmt_t Q_VAL_RANGE =
    STMT("t.values.range", STMT_READ, "SELECT id, t FROM t_values WHERE id >= $1 AND id < $2 ORDER BY id");
static stmt_t Q_VAL_INS3 =
    STMT("t.values.insert3", 0, "INSERT INTO t_values (id, t) VALUES ($1, 'a'), ($1 + 1, 'b'), ($1 + 2, 'c')");
static stmt_t Q_VAL_SET = STMT("t.values.set", 0, "UPDATE t_values SET t = $1 WHERE id >= $2");
static stmt_t Q_VAL_DEL = STMT("t.values.delete", 0, "DELETE FROM t_values WHERE id = $1");
static stmt_t Q_VAL_INS_RET =
    STMT("t.values.insert_returning", 0, "INSERT INTO t_values (id, t) VALUES ($1, $2), ($1 + 1, $2) RETURNING id");
static stmt_t Q_VAL_IGNORE =
    STMT("t.values.insert_ignore", 0, "INSERT INTO t_values (id, t) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING");
static stmt_t Q_DDL_NOOP = STMT("t.ddl.noop", 0, "CREATE TABLE IF NOT EXISTS t_counter (id INTEGER PRIMARY KEY)");

static stmt_t Q_ECHO = STMT2("t.echo", STMT_READ, "SELECT $1, $2, $3", "SELECT $1::text, $2::text, $3::text");
static stmt_t Q_QUOTED = STMT("t.quoted", STMT_READ, "SELECT '$1', $1, 'it''s $2'");
static stmt_t Q_COMMENTED =
    STMT("t.commented", STMT_READ, "SELECT /* the user's pick, not $9 */ $2, -- it's $3 in reverse\n $1");
static stmt_t Q_ENGINE = STMT2("t.engine", STMT_READ, "SELECT 'sqlite', sqlite_version()",
                               "SELECT 'postgres', current_setting('server_version')");

static stmt_t Q_PARENT_INS = STMT("t.parent.insert", 0, "INSERT INTO t_parent (id, name) VALUES ($1, $2)");
static stmt_t Q_PARENT_DEL = STMT("t.parent.delete", 0, "DELETE FROM t_parent WHERE id = $1");
static stmt_t Q_PARENT_COUNT = STMT("t.parent.count", STMT_READ, "SELECT count(*) FROM t_parent");
static stmt_t Q_PARENT_HAS = STMT("t.parent.has", STMT_READ, "SELECT count(*) FROM t_parent WHERE id = $1");
static stmt_t Q_CHILD_INS = STMT("t.child.insert", 0, "INSERT INTO t_child (id, parent_id, qty) VALUES ($1, $2, $3)");
static stmt_t Q_CHILD_BAD_TYPE =
    STMT("t.child.bad_type", 0, "INSERT INTO t_child (id, parent_id, qty) VALUES ($1, $2, $3)");
static stmt_t Q_SYNTAX = STMT("t.syntax", 0, "SELEC nothing FROM t_parent");
static stmt_t Q_NO_TABLE = STMT("t.no_table", STMT_READ, "SELECT * FROM t_does_not_exist");

static stmt_t Q_CTR_INIT = STMT("t.counter.init", 0, "INSERT INTO t_counter (id, n) VALUES ($1, 0)");
static stmt_t Q_CTR_INC = STMT("t.counter.inc", 0, "UPDATE t_counter SET n = n + 1 WHERE id = $1");
static stmt_t Q_CTR_GET = STMT("t.counter.get", STMT_READ, "SELECT n FROM t_counter WHERE id = $1");

static stmt_t Q_LOG_INS = STMT("t.log.insert", 0, "INSERT INTO t_log (thread, seq, note) VALUES ($1, $2, $3)");
static stmt_t Q_LOG_COUNT = STMT("t.log.count", STMT_READ, "SELECT count(*) FROM t_log WHERE thread = $1");
static stmt_t Q_LOG_TOTAL = STMT("t.log.total", STMT_READ, "SELECT count(*), count(DISTINCT thread) FROM t_log");

/* Runs a statement that returns one integer. */
static long long one_int(db_t *db, stmt_t *st, const db_arg_t *args, int nargs)
{
    arena_t a;
    arena_init(&a);
    db_result_t res;
    if (db_exec(db, st, args, nargs, &a, &res) != 0)
        fail_msg("%s failed: %s", st->name, db_error(db)->message);
    assert_int_equal(res.nrows, 1);
    long long v = db_get_int(&res, 0, 0);
    arena_destroy(&a);
    return v;
}

/* One integer through a fresh session (what another request would see). */
static long long seen_by_other(stmt_t *st, const db_arg_t *args, int nargs)
{
    db_t *db = store_session(G.store);
    long long v = one_int(db, st, args, nargs);
    db_close(db);
    return v;
}

static int clean(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    int rc = db_exec_script(db, CLEAN_SQL);
    if (rc != 0)
        print_error("cleaning the scratch tables: %s\n", db_error(db)->message);
    db_close(db);
    return rc;
}

/* ---- sibling databases (fresh ones for the migration tests) ---- */

/* The URL of a database next to the one under test, called NAME_suffix (PostgreSQL) or FILE.suffix (SQLite). */
static void sibling_url(const char *suffix, char *out, size_t outlen, char *name, size_t namelen)
{
    if (!G.pg) {
        snprintf(out, outlen, "%s.%s", G.url, suffix);
        snprintf(name, namelen, "%s", out + 7);
        return;
    }
    snprintf(name, namelen, "%s_%s", G.dbname, suffix);
    const char *scheme = strstr(G.url, "://");
    if (scheme == NULL) { /* key=value conninfo: a later dbname wins */
        snprintf(out, outlen, "%s dbname=%s", G.url, name);
        return;
    }
    const char *path = strchr(scheme + 3, '/');
    const char *query = strchr(scheme + 3, '?');
    if (path == NULL || (query != NULL && path > query))
        path = query != NULL ? query : G.url + strlen(G.url);
    snprintf(out, outlen, "%.*s/%s%s", (int)(path - G.url), G.url, name, query != NULL ? query : "");
}

static void drop_sibling(const char *name)
{
    if (!G.pg) {
        static const char *const tails[] = {"", "-wal", "-shm", "-journal"};
        for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
            char path[1100];
            snprintf(path, sizeof(path), "%s%s", name, tails[i]);
            unlink(path);
        }
        return;
    }
    char sql[200];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
    db_t *db = store_session(G.store);
    assert_db_ok(db, db_exec_script(db, sql));
    db_close(db);
}

/* Makes an empty sibling database and returns its URL. */
static void fresh_sibling(const char *suffix, char *url, size_t urllen, char *name, size_t namelen)
{
    sibling_url(suffix, url, urllen, name, namelen);
    drop_sibling(name);
    if (G.pg) {
        char sql[200];
        snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", name);
        db_t *db = store_session(G.store);
        assert_db_ok(db, db_exec_script(db, sql));
        db_close(db);
    }
}

/* ================= exec and results ================= */

static void values_round_trip(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    arena_t a;
    arena_init(&a);
    db_result_t res;
    const char *utf8 = "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x8e\x93 'single' \"double\" \\ $1 ?";
    static const struct {
        long long i;
        int b;
        double r;
    } rows[] = {
        {INT64_MAX, 1, 3.25}, {INT64_MIN, 0, -0.0}, {0, 1, 0.1 + 0.2}, {-1, 0, 1.0 / 3.0},
        {42, 1, 1e300},       {7, 0, -2.5e-300},    {8, 1, DBL_MAX},   {9, 0, 123456789.125},
    };
    int n = (int)(sizeof(rows) / sizeof(rows[0]));
    for (int k = 0; k < n; k++) {
        res.changes = -1;
        assert_db_ok(db, db_exec(db, &Q_VAL_INS,
                                 DB_ARGS(DB_INT(k + 1), DB_TEXT(utf8), DB_INT(rows[k].i), DB_BOOL(rows[k].b),
                                         DB_REAL(rows[k].r)),
                                 &a, &res));
        assert_int_equal(res.changes, 1);
        assert_int_equal(res.nrows, 0);
    }
    for (int k = 0; k < n; k++) {
        assert_db_ok(db, db_exec(db, &Q_VAL_GET, DB_ARGS(DB_INT(k + 1)), &a, &res));
        assert_int_equal(res.nrows, 1);
        assert_int_equal(res.ncols, 4);
        assert_string_equal(db_get(&res, 0, 0), utf8);
        assert_true(db_get_int(&res, 0, 1) == rows[k].i);
        char want[32];
        snprintf(want, sizeof(want), "%lld", rows[k].i);
        assert_string_equal(db_get(&res, 0, 1), want); /* INT64 limits survive as text too */
        assert_int_equal(db_get_bool(&res, 0, 2), rows[k].b);
        const char *r = db_get(&res, 0, 3);
        assert_non_null(r);
        double back = strtod(r, NULL);
        if (back != rows[k].r)
            fail_msg("REAL %.17g came back as \"%s\" (%.17g): a double must survive the text cell exactly", rows[k].r,
                     r, back);
        assert_false(db_is_null(&res, 0, 0));
    }
    assert_string_equal(db_last_target(db), G.pg ? "primary" : "sqlite");

    /* SQL NULL, both ways of binding it, in every column */
    assert_db_ok(db, db_exec(db, &Q_VAL_INS, DB_ARGS(DB_INT(100), DB_TEXT(NULL), DB_NULL, DB_NULL, DB_NULL), &a, &res));
    assert_db_ok(db, db_exec(db, &Q_VAL_GET, DB_ARGS(DB_INT(100)), &a, &res));
    assert_int_equal(res.nrows, 1);
    for (int col = 0; col < 4; col++) {
        assert_true(db_is_null(&res, 0, col));
        assert_null(db_get(&res, 0, col));
    }
    assert_int_equal(db_get_int(&res, 0, 1), 0);
    assert_int_equal(db_get_bool(&res, 0, 2), 0);

    /* the empty string is not NULL */
    assert_db_ok(
        db, db_exec(db, &Q_VAL_INS, DB_ARGS(DB_INT(101), DB_TEXT(""), DB_INT(0), DB_BOOL(0), DB_REAL(0)), &a, &res));
    assert_db_ok(db, db_exec(db, &Q_VAL_TEXT, DB_ARGS(DB_INT(101)), &a, &res));
    assert_non_null(db_get(&res, 0, 0));
    assert_string_equal(db_get(&res, 0, 0), "");

    /* parameters without a column to give them a type */
    assert_db_ok(db, db_exec(db, &Q_ECHO, DB_ARGS(DB_TEXT(utf8), DB_NULL, DB_TEXT(NULL)), &a, &res));
    assert_int_equal(res.ncols, 3);
    assert_string_equal(db_get(&res, 0, 0), utf8);
    assert_null(db_get(&res, 0, 1));
    assert_null(db_get(&res, 0, 2));
    arena_destroy(&a);
    db_close(db);
}

/* Text of exactly len bytes made of whole UTF-8 characters, quotes and parameter look-alikes. */
static char *big_text(size_t len)
{
    static const char piece[] = "\xc3\x9c"
                                "n"
                                "\xc3\xaf"
                                "c"
                                "\xc3\xb6" /* Ünïcö */
                                "d\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x8e\x93 'q' \"dq\" \\ $1 ?2 %s\n\t";
    char *s = malloc(len + 1);
    assert_non_null(s);
    size_t n = 0;
    while (n + sizeof(piece) - 1 <= len) {
        memcpy(s + n, piece, sizeof(piece) - 1);
        n += sizeof(piece) - 1;
    }
    while (n < len)
        s[n++] = 'x';
    s[n] = '\0';
    return s;
}

static void large_text(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    arena_t a;
    arena_init(&a);
    db_result_t res;
    size_t sizes[] = {100 * 1024, 1024 * 1024};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        char *s = big_text(sizes[k]);
        assert_db_ok(db,
                     db_exec(db, &Q_VAL_INS, DB_ARGS(DB_INT(k + 1), DB_TEXT(s), DB_NULL, DB_NULL, DB_NULL), &a, &res));
        assert_db_ok(db, db_exec(db, &Q_VAL_TEXT, DB_ARGS(DB_INT(k + 1)), &a, &res));
        assert_int_equal(res.nrows, 1);
        const char *back = db_get(&res, 0, 0);
        assert_int_equal(strlen(back), sizes[k]);
        assert_memory_equal(back, s, sizes[k]);
        assert_db_ok(db, db_exec(db, &Q_VAL_LEN, DB_ARGS(DB_INT(k + 1)), &a, &res));
        assert_int_equal(db_get_int(&res, 0, 1), sizes[k]);        /* bytes */
        assert_true(db_get_int(&res, 0, 0) < (long long)sizes[k]); /* characters, fewer: it is UTF-8 */
        /* the same text as a bare parameter */
        assert_db_ok(db, db_exec(db, &Q_ECHO, DB_ARGS(DB_TEXT(s), DB_TEXT("x"), DB_INT(1)), &a, &res));
        assert_memory_equal(db_get(&res, 0, 0), s, sizes[k] + 1);
        free(s);
    }
    arena_destroy(&a);
    db_close(db);
}

static void rows_columns_and_empty_results(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    arena_t a;
    arena_init(&a);
    db_result_t res;
    for (int i = 0; i < 300; i++) {
        char t[16];
        snprintf(t, sizeof(t), "row %d", i);
        assert_db_ok(
            db, db_exec(db, &Q_VAL_INS, DB_ARGS(DB_INT(1000 + i), DB_TEXT(t), DB_NULL, DB_NULL, DB_NULL), &a, NULL));
    }
    assert_db_ok(db, db_exec(db, &Q_VAL_RANGE, DB_ARGS(DB_INT(1000), DB_INT(2000)), &a, &res));
    assert_int_equal(res.nrows, 300); /* more rows than any first allocation */
    assert_int_equal(res.ncols, 2);
    for (int i = 0; i < 300; i++) {
        char t[16];
        snprintf(t, sizeof(t), "row %d", i);
        assert_int_equal(db_get_int(&res, i, 0), 1000 + i);
        assert_string_equal(db_get(&res, i, 1), t);
    }
    /* empty result: no rows, but the columns are known */
    res.nrows = -1;
    assert_db_ok(db, db_exec(db, &Q_VAL_RANGE, DB_ARGS(DB_INT(5000), DB_INT(6000)), &a, &res));
    assert_int_equal(res.nrows, 0);
    assert_int_equal(res.ncols, 2);
    assert_int_equal(res.changes, 0);
    /* a result is optional */
    assert_db_ok(db, db_exec(db, &Q_VAL_RANGE, DB_ARGS(DB_INT(1000), DB_INT(2000)), &a, NULL));
    assert_db_ok(db, db_exec(db, &Q_VAL_COUNT, DB_NOARGS, &a, &res));
    assert_int_equal(db_get_int(&res, 0, 0), 300);
    /* rows stay valid while the arena lives, across later statements */
    db_result_t first;
    assert_db_ok(db, db_exec(db, &Q_VAL_RANGE, DB_ARGS(DB_INT(1000), DB_INT(1003)), &a, &first));
    assert_db_ok(db, db_exec(db, &Q_VAL_SET, DB_ARGS(DB_TEXT("changed"), DB_INT(0)), &a, &res));
    assert_db_ok(db, db_exec(db, &Q_VAL_RANGE, DB_ARGS(DB_INT(1000), DB_INT(1003)), &a, &res));
    assert_string_equal(db_get(&first, 2, 1), "row 2");
    assert_string_equal(db_get(&res, 2, 1), "changed");
    arena_destroy(&a);
    db_close(db);
}

static void changes_counts(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    arena_t a;
    arena_init(&a);
    db_result_t res;
    assert_db_ok(db, db_exec(db, &Q_VAL_INS3, DB_ARGS(DB_INT(10)), &a, &res));
    assert_int_equal(res.changes, 3);
    assert_db_ok(db, db_exec(db, &Q_VAL_SET, DB_ARGS(DB_TEXT("z"), DB_INT(11)), &a, &res));
    assert_int_equal(res.changes, 2);
    assert_db_ok(db, db_exec(db, &Q_VAL_SET, DB_ARGS(DB_TEXT("z"), DB_INT(99)), &a, &res));
    assert_int_equal(res.changes, 0);
    assert_db_ok(db, db_exec(db, &Q_VAL_DEL, DB_ARGS(DB_INT(10)), &a, &res));
    assert_int_equal(res.changes, 1);
    assert_db_ok(db, db_exec(db, &Q_VAL_DEL, DB_ARGS(DB_INT(10)), &a, &res));
    assert_int_equal(res.changes, 0);
    /* INSERT … RETURNING: rows and changes */
    assert_db_ok(db, db_exec(db, &Q_VAL_INS_RET, DB_ARGS(DB_INT(20), DB_TEXT("r")), &a, &res));
    assert_int_equal(res.nrows, 2);
    assert_int_equal(res.changes, 2);
    /* ON CONFLICT DO NOTHING: nothing inserted */
    assert_db_ok(db, db_exec(db, &Q_VAL_IGNORE, DB_ARGS(DB_INT(20), DB_TEXT("dup")), &a, &res));
    assert_int_equal(res.changes, 0);
    /* after a write, statements that change nothing report 0, not the last write's count */
    assert_db_ok(db, db_exec(db, &Q_VAL_INS3, DB_ARGS(DB_INT(30)), &a, &res));
    assert_int_equal(res.changes, 3);
    assert_db_ok(db, db_exec(db, &Q_VAL_RANGE, DB_ARGS(DB_INT(0), DB_INT(100)), &a, &res));
    assert_int_equal(res.nrows, 7); /* 11, 12, 20, 21, 30, 31, 32 */
    if (res.changes != 0)
        fail_msg("a SELECT of %d rows reported changes = %lld", res.nrows, res.changes);
    assert_db_ok(db, db_exec(db, &Q_VAL_INS3, DB_ARGS(DB_INT(40)), &a, &res));
    assert_db_ok(db, db_exec(db, &Q_DDL_NOOP, DB_NOARGS, &a, &res));
    if (res.changes != 0)
        fail_msg("a DDL statement reported changes = %lld", res.changes);
    arena_destroy(&a);
    db_close(db);
}

static stmt_t Q_LOOP_INS =
    STMT("t.loop.insert", 0, "INSERT INTO t_log /* contract-loop-marker */ (thread, seq, note) VALUES ($1, $2, $3)");
static stmt_t Q_LOOP_GET =
    STMT("t.loop.get", STMT_READ, "SELECT note /* contract-loop-marker */ FROM t_log WHERE thread = $1 AND seq = $2");
static stmt_t Q_PREPARED_COUNT =
    STMT2("t.prepared.count", STMT_READ, "SELECT count(*) FROM sqlite_stmt WHERE sql LIKE '%' || $1 || '%'",
          "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%' || $1 || '%'");

static void same_statement_many_times(void **state)
{
    (void)state;
    enum { N = 5000 };
    db_t *db = store_session(G.store);
    arena_t a;
    arena_init(&a);
    db_result_t res;
    uint64_t t0 = clock_mono_ns();
    assert_db_ok(db, db_begin(db));
    for (int i = 0; i < N; i++) {
        char note[24];
        snprintf(note, sizeof(note), "n%d", i);
        if (db_exec(db, &Q_LOOP_INS, DB_ARGS(DB_INT(1), DB_INT(i), DB_TEXT(note)), &a, &res) != 0)
            fail_msg("insert %d: %s", i, db_error(db)->message);
        assert_int_equal(res.changes, 1);
        arena_reset(&a);
    }
    assert_db_ok(db, db_commit(db));
    double ins_ms = elapsed_ms(t0);
    t0 = clock_mono_ns();
    for (int i = 0; i < N; i++) {
        if (db_exec(db, &Q_LOOP_GET, DB_ARGS(DB_INT(1), DB_INT(i)), &a, &res) != 0)
            fail_msg("select %d: %s", i, db_error(db)->message);
        char note[24];
        snprintf(note, sizeof(note), "n%d", i);
        assert_int_equal(res.nrows, 1);
        assert_string_equal(db_get(&res, 0, 0), note);
        arena_reset(&a);
    }
    print_message("%d inserts in %.0f ms, %d selects in %.0f ms\n", N, ins_ms, N, elapsed_ms(t0));
    assert_int_equal(one_int(db, &Q_LOG_COUNT, DB_ARGS(DB_INT(1))), N);
    /* each statement was prepared once on this connection: one entry each, not thousands */
    assert_int_equal(one_int(db, &Q_PREPARED_COUNT, DB_ARGS(DB_TEXT("contract-loop-marker"))), 2);
    arena_destroy(&a);
    db_close(db);
}

static void per_engine_sql(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    arena_t a;
    arena_init(&a);
    db_result_t res;
    assert_db_ok(db, db_exec(db, &Q_ENGINE, DB_NOARGS, &a, &res));
    assert_string_equal(db_get(&res, 0, 0), store_engine(G.store));
    assert_non_null(db_get(&res, 0, 1));
    assert_string_equal(store_engine(G.store), G.pg ? "postgres" : "sqlite");
    /* "$1" inside a quoted literal is text, not a parameter */
    assert_db_ok(db, db_exec(db, &Q_QUOTED, DB_ARGS(DB_TEXT("v")), &a, &res));
    assert_int_equal(res.ncols, 3);
    assert_string_equal(db_get(&res, 0, 0), "$1");
    assert_string_equal(db_get(&res, 0, 1), "v");
    assert_string_equal(db_get(&res, 0, 2), "it's $2");
    /* parameters out of order, after comments holding quotes and parameter look-alikes */
    assert_db_ok(db, db_exec(db, &Q_COMMENTED, DB_ARGS(DB_TEXT("first"), DB_TEXT("second")), &a, &res));
    assert_int_equal(res.ncols, 2);
    assert_string_equal(db_get(&res, 0, 0), "second");
    assert_string_equal(db_get(&res, 0, 1), "first");
    arena_destroy(&a);
    db_close(db);
}

/* ================= error mapping ================= */

static void error_unique(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    assert_db_ok(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(1), DB_TEXT("a")), NULL, NULL));
    assert_db_fails(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(2), DB_TEXT("a")), NULL, NULL), DB_UNIQUE);
    if (G.pg)
        assert_string_equal(db_error(db)->constraint, "t_parent_name_key");
    else
        assert_string_equal(db_error(db)->constraint, "t_parent.name"); /* SQLite names the columns */
    assert_true(strlen(db_error(db)->message) > 0);
    assert_db_fails(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(1), DB_TEXT("b")), NULL, NULL), DB_UNIQUE);
    if (G.pg)
        assert_string_equal(db_error(db)->constraint, "t_parent_pkey");
    /* the session goes on, and a success clears the error */
    assert_db_ok(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(2), DB_TEXT("b")), NULL, NULL));
    assert_int_equal(db_error(db)->status, DB_OK);
    assert_int_equal(one_int(db, &Q_PARENT_COUNT, DB_NOARGS), 2);
    db_close(db);
}

static void error_foreign_key(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    assert_db_fails(db, db_exec(db, &Q_CHILD_INS, DB_ARGS(DB_INT(1), DB_INT(77), DB_INT(1)), NULL, NULL),
                    DB_FOREIGN_KEY);
    if (G.pg)
        assert_string_equal(db_error(db)->constraint, "t_child_parent_fkey");
    assert_db_ok(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(77), DB_TEXT("p")), NULL, NULL));
    assert_db_ok(db, db_exec(db, &Q_CHILD_INS, DB_ARGS(DB_INT(1), DB_INT(77), DB_INT(1)), NULL, NULL));
    /* a row still referenced cannot go */
    assert_db_fails(db, db_exec(db, &Q_PARENT_DEL, DB_ARGS(DB_INT(77)), NULL, NULL), DB_FOREIGN_KEY);
    assert_int_equal(one_int(db, &Q_PARENT_HAS, DB_ARGS(DB_INT(77))), 1);
    db_close(db);
}

static void error_invalid(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    assert_db_ok(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(1), DB_TEXT("p")), NULL, NULL));
    /* check constraint */
    assert_db_fails(db, db_exec(db, &Q_CHILD_INS, DB_ARGS(DB_INT(1), DB_INT(1), DB_INT(0)), NULL, NULL), DB_INVALID);
    if (G.pg)
        assert_string_equal(db_error(db)->constraint, "t_child_qty_check");
    /* not-null, with each way of binding NULL */
    assert_db_fails(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(2), DB_TEXT(NULL)), NULL, NULL), DB_INVALID);
    assert_db_fails(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(2), DB_NULL), NULL, NULL), DB_INVALID);
    /* a value of the wrong type */
    assert_db_fails(db, db_exec(db, &Q_CHILD_BAD_TYPE, DB_ARGS(DB_INT(1), DB_INT(1), DB_TEXT("many")), NULL, NULL),
                    DB_INVALID);
    assert_int_equal(one_int(db, &Q_PARENT_COUNT, DB_NOARGS), 1);
    db_close(db);
}

/* The wrong number of arguments is a bug in the caller (500), on both engines: not an outage, not NULLs. */
static void error_argument_count(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    assert_db_fails(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(1)), NULL, NULL), DB_ERROR);
    assert_db_fails(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(1), DB_TEXT("a"), DB_TEXT("b")), NULL, NULL),
                    DB_ERROR);
    assert_db_fails(db, db_exec(db, &Q_PARENT_COUNT, DB_ARGS(DB_INT(1)), NULL, NULL), DB_ERROR);
    assert_int_equal(one_int(db, &Q_PARENT_COUNT, DB_NOARGS), 0);
    /* the session is fine afterwards, also inside a transaction that then cannot commit */
    assert_db_ok(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(1), DB_TEXT("a")), NULL, NULL));
    assert_int_equal(one_int(db, &Q_PARENT_COUNT, DB_NOARGS), 1);
    db_close(db);
}

static void error_syntax_and_unknown_table(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    for (int k = 0; k < 2; k++) { /* a statement that failed to prepare fails the same way again */
        assert_db_fails(db, db_exec(db, &Q_SYNTAX, DB_NOARGS, NULL, NULL), DB_ERROR);
        assert_non_null(strstr(db_error(db)->message, "t.syntax")); /* the statement's name is in the message */
    }
    assert_db_fails(db, db_exec(db, &Q_NO_TABLE, DB_NOARGS, NULL, NULL), DB_ERROR);
    assert_db_fails(db, db_exec_script(db, "CREATE TABL nothing (x int)"), DB_ERROR);
    assert_db_ok(db, db_exec_script(db, "CREATE TABLE t_script_ok (x integer); DROP TABLE t_script_ok"));
    assert_int_equal(one_int(db, &Q_PARENT_COUNT, DB_NOARGS), 0);
    db_close(db);
}

static stmt_t Q_COPY_ROWS = STMT("t.copy.rows", 0, "SELECT id, note FROM t_copy ORDER BY id");

/*
 * db_copy_in: PostgreSQL loads COPY text (sbuf_copy_text's escapes and its
 * U+FFFD read back as sent), a bad row loads nothing of its stream and leaves
 * the session usable, and a COPY in a transaction goes with its rollback;
 * SQLite has no COPY and says so.
 */
static void copy_in_rows(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    const char *sql = "COPY t_copy (id, note) FROM STDIN";
    if (!G.pg) {
        assert_false(db_can_copy(db));
        assert_db_fails(db, db_copy_in(db, sql, "1\tx\n", 4), DB_ERROR);
        db_close(db);
        return;
    }
    assert_true(db_can_copy(db));
    assert_db_ok(db, db_exec_script(db, "DROP TABLE IF EXISTS t_copy; CREATE TABLE t_copy (id integer, note text)"));
    static const char *const notes[] = {"tab\there", "back\\slash \\N \\.", "line\nbreak\rreturn", "caf\xc3\xa9",
                                        "bad \xff byte"};
    static const char *const want[] = {"tab\there", "back\\slash \\N \\.", "line\nbreak\rreturn", "caf\xc3\xa9",
                                       "bad \xef\xbf\xbd byte"};
    sbuf_t rows;
    sbuf_init(&rows, NULL, 0);
    for (int i = 0; i < 5; i++) {
        sbuf_printf(&rows, "%d\t", i + 1);
        sbuf_copy_text(&rows, notes[i], strlen(notes[i]));
        sbuf_putc(&rows, '\n');
    }
    sbuf_puts(&rows, "6\t\\N\n");
    assert_db_ok(db, db_copy_in(db, sql, rows.p, rows.len));
    arena_t a;
    arena_init(&a);
    db_result_t res;
    assert_db_ok(db, db_exec(db, &Q_COPY_ROWS, DB_NOARGS, &a, &res));
    assert_int_equal(res.nrows, 6);
    for (int i = 0; i < 5; i++)
        assert_string_equal(db_get(&res, i, 1), want[i]);
    assert_true(db_is_null(&res, 5, 1));
    /* a row that does not parse: none of the stream is loaded, and the session goes on */
    assert_db_fails(db, db_copy_in(db, sql, "7\tfine\nnot a number\tx\n", 22), DB_INVALID);
    assert_db_ok(db, db_exec(db, &Q_COPY_ROWS, DB_NOARGS, &a, &res));
    assert_int_equal(res.nrows, 6);
    /* in a transaction: rolled back with it */
    assert_db_ok(db, db_begin(db));
    assert_db_ok(db, db_copy_in(db, sql, "8\tgone\n", 7));
    db_rollback(db);
    assert_db_ok(db, db_exec(db, &Q_COPY_ROWS, DB_NOARGS, &a, &res));
    assert_int_equal(res.nrows, 6);
    arena_destroy(&a);
    sbuf_free(&rows);
    assert_db_ok(db, db_exec_script(db, "DROP TABLE t_copy"));
    db_close(db);
}

/* A session whose database cannot be reached: a closed port (PostgreSQL) or a directory (SQLite). */
static store_t *unreachable_store(char *url, size_t urllen, char *dir, size_t dirlen)
{
    dir[0] = '\0';
    if (G.pg) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(sa);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
        close(fd); /* nothing listens there now */
        snprintf(url, urllen, "postgres://postgres@127.0.0.1:%d/nothing", ntohs(sa.sin_port));
    } else {
        snprintf(dir, dirlen, "%s.dir", G.url + 7);
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            fail_msg("mkdir %s: %s", dir, strerror(errno));
        snprintf(url, urllen, "sqlite:%s", dir);
    }
    return open_store(url);
}

static void unreachable_database(void **state)
{
    (void)state;
    char url[1100], dir[1100];
    store_t *s = unreachable_store(url, sizeof(url), dir, sizeof(dir));
    db_t *db = store_session(s);
    uint64_t t0 = clock_mono_ns();
    assert_db_fails(db, db_exec(db, &Q_ENGINE, DB_NOARGS, NULL, NULL), DB_UNAVAILABLE);
    double first_ms = elapsed_ms(t0);
    char first_msg[256];
    snprintf(first_msg, sizeof(first_msg), "%s", db_error(db)->message);
    assert_null(strstr(first_msg, "retrying shortly")); /* a real attempt, with the engine's reason */
    /* within the backoff: fails at once, without trying to connect */
    t0 = clock_mono_ns();
    for (int i = 0; i < 100; i++) {
        assert_db_fails(db, db_exec(db, &Q_VAL_INS, DB_ARGS(DB_INT(1), DB_NULL, DB_NULL, DB_NULL, DB_NULL), NULL, NULL),
                        DB_UNAVAILABLE);
        assert_non_null(strstr(db_error(db)->message, "retrying shortly"));
    }
    double backoff_ms = elapsed_ms(t0);
    assert_db_fails(db, db_begin(db), DB_UNAVAILABLE);
    assert_db_fails(db, db_exec_script(db, "SELECT 1"), DB_UNAVAILABLE);
    assert_int_equal(db_ping(db), -1);
    /* after the backoff it tries again (and fails again, for real) */
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    assert_db_fails(db, db_ping(db), DB_UNAVAILABLE);
    assert_null(strstr(db_error(db)->message, "retrying shortly"));
    print_message("first failure in %.1f ms (%s); 100 failures in backoff in %.2f ms\n", first_ms, first_msg,
                  backoff_ms);
    assert_true(first_ms < 1000);
    assert_true(backoff_ms < 50);
    db_close(db);
    store_close(s);
    if (dir[0] != '\0')
        rmdir(dir);
}

/* Turns the session's failure into a problem response and renders it. */
static void check_problem(db_t *db, int want_status, int want_retry_after)
{
    req_t *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    arena_init(&r->arena);
    req_reset(r);
    snprintf(r->request_id, sizeof(r->request_id), "contract-test");
    assert_int_equal(db_fail(r, db), -1);
    assert_int_equal(error_status(r->err.code), want_status);
    assert_int_equal(r->err.retry_after, want_retry_after);
    assert_non_null(r->err.detail);
    res_render_error(r);
    assert_int_equal(r->res.status, want_status);
    assert_string_equal(r->res.content_type, "application/problem+json");
    int retry_header = 0;
    for (int i = 0; i < r->res.nheaders; i++)
        if (strcmp(r->res.headers[i].name, "retry-after") == 0 && strcmp(r->res.headers[i].value, "1") == 0)
            retry_header = 1;
    assert_int_equal(retry_header, want_retry_after > 0);
    if (want_status == 500) /* the engine's message is logged, not sent: the body must not leak SQL details */
        assert_null(strstr(r->res.body, "SELEC"));
    req_release(r);
    arena_destroy(&r->arena);
    free(r);
}

static void db_fail_statuses(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    assert_db_ok(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(1), DB_TEXT("a")), NULL, NULL));
    assert_db_fails(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(2), DB_TEXT("a")), NULL, NULL), DB_UNIQUE);
    check_problem(db, 409, 0);
    assert_db_fails(db, db_exec(db, &Q_CHILD_INS, DB_ARGS(DB_INT(1), DB_INT(9), DB_INT(1)), NULL, NULL),
                    DB_FOREIGN_KEY);
    check_problem(db, 422, 0);
    assert_db_fails(db, db_exec(db, &Q_CHILD_INS, DB_ARGS(DB_INT(1), DB_INT(1), DB_INT(-1)), NULL, NULL), DB_INVALID);
    check_problem(db, 422, 0);
    assert_db_fails(db, db_exec(db, &Q_SYNTAX, DB_NOARGS, NULL, NULL), DB_ERROR);
    check_problem(db, 500, 0);
    db_close(db);

    char url[1100], dir[1100];
    store_t *s = unreachable_store(url, sizeof(url), dir, sizeof(dir));
    db = store_session(s);
    assert_db_fails(db, db_exec(db, &Q_ENGINE, DB_NOARGS, NULL, NULL), DB_UNAVAILABLE);
    check_problem(db, 503, 1);
    db_close(db);
    store_close(s);
    if (dir[0] != '\0')
        rmdir(dir);
}

/* ================= transactions ================= */

static void tx_commit_persists(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    assert_db_ok(db, db_begin(db));
    assert_db_ok(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(1), DB_TEXT("a")), NULL, NULL));
    assert_db_ok(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(2), DB_TEXT("b")), NULL, NULL));
    assert_int_equal(one_int(db, &Q_PARENT_COUNT, DB_NOARGS), 2);   /* the transaction sees its own writes */
    assert_int_equal(seen_by_other(&Q_PARENT_COUNT, DB_NOARGS), 0); /* others do not, yet */
    assert_db_ok(db, db_commit(db));
    assert_int_equal(seen_by_other(&Q_PARENT_COUNT, DB_NOARGS), 2);
    db_close(db);
}

static void tx_rollback_discards(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    assert_db_ok(db, db_begin(db));
    assert_db_ok(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(1), DB_TEXT("a")), NULL, NULL));
    db_rollback(db);
    assert_int_equal(one_int(db, &Q_PARENT_COUNT, DB_NOARGS), 0);
    db_rollback(db); /* without a transaction: nothing happens */
    /* closing a session rolls back its open transaction */
    assert_db_ok(db, db_begin(db));
    assert_db_ok(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(2), DB_TEXT("b")), NULL, NULL));
    db_close(db);
    assert_int_equal(seen_by_other(&Q_PARENT_COUNT, DB_NOARGS), 0);
}

typedef struct tx_ctx {
    int calls;
    int fail_with; /* 0: fail on a unique violation; else return this */
} tx_ctx_t;

static int insert_then_fail(db_t *db, void *p)
{
    tx_ctx_t *c = p;
    c->calls++;
    if (db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(10), DB_TEXT("ten")), NULL, NULL) != 0)
        return -1;
    if (c->fail_with != 0)
        return c->fail_with;
    return db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(11), DB_TEXT("ten")), NULL, NULL);
}

static int insert_two(db_t *db, void *p)
{
    tx_ctx_t *c = p;
    c->calls++;
    if (db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(20), DB_TEXT("x")), NULL, NULL) != 0)
        return -1;
    return db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(21), DB_TEXT("y")), NULL, NULL);
}

static void tx_function_errors_roll_back(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    tx_ctx_t c = {0, 0};
    assert_int_equal(db_transaction(db, insert_then_fail, &c), -1);
    assert_int_equal(db_error(db)->status, DB_UNIQUE); /* the error that ended fn is kept */
    assert_int_equal(c.calls, 1);                      /* not retried: only DB_RETRY is */
    assert_int_equal(one_int(db, &Q_PARENT_COUNT, DB_NOARGS), 0);
    c = (tx_ctx_t){0, 7};
    assert_int_equal(db_transaction(db, insert_then_fail, &c), 7); /* fn's own result */
    assert_int_equal(c.calls, 1);
    assert_int_equal(one_int(db, &Q_PARENT_COUNT, DB_NOARGS), 0);
    c = (tx_ctx_t){0, 0};
    assert_db_ok(db, db_transaction(db, insert_two, &c));
    assert_int_equal(c.calls, 1);
    assert_int_equal(seen_by_other(&Q_PARENT_COUNT, DB_NOARGS), 2);
    db_close(db);
}

static void tx_misuse(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    assert_db_fails(db, db_commit(db), DB_ERROR); /* no transaction */
    assert_db_ok(db, db_begin(db));
    assert_db_ok(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(1), DB_TEXT("a")), NULL, NULL));
    assert_db_fails(db, db_begin(db), DB_ERROR); /* nested */
    /* the outer transaction is still open and intact */
    assert_db_ok(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(2), DB_TEXT("b")), NULL, NULL));
    assert_int_equal(seen_by_other(&Q_PARENT_COUNT, DB_NOARGS), 0);
    assert_db_ok(db, db_commit(db));
    assert_db_fails(db, db_commit(db), DB_ERROR); /* the transaction is over */
    assert_int_equal(seen_by_other(&Q_PARENT_COUNT, DB_NOARGS), 2);
    db_close(db);
}

/*
 * A statement fails inside a transaction and the caller commits anyway.
 * PostgreSQL has aborted the transaction: its COMMIT answers ROLLBACK. SQLite
 * would keep the other statements. The port must give one answer: the commit
 * fails and nothing of the transaction is kept.
 */
static void tx_commit_after_failed_statement(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    assert_db_ok(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(1), DB_TEXT("a")), NULL, NULL));
    assert_db_ok(db, db_begin(db));
    assert_db_ok(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(2), DB_TEXT("b")), NULL, NULL));
    assert_db_fails(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(3), DB_TEXT("a")), NULL, NULL), DB_UNIQUE);
    int rc = db_commit(db);
    long long kept = seen_by_other(&Q_PARENT_COUNT, DB_NOARGS);
    if (rc == 0)
        fail_msg("db_commit reported success after a failed statement; rows now: %lld (1 means the commit was "
                 "really a rollback)",
                 kept);
    assert_int_equal(kept, 1);
    /* a transaction where fn swallowed an error cannot commit either */
    assert_db_ok(db, db_begin(db));
    assert_db_fails(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(1), DB_TEXT("dup")), NULL, NULL), DB_UNIQUE);
    db_rollback(db);
    /* and the session is fine afterwards */
    assert_db_ok(db, db_begin(db));
    assert_db_ok(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(4), DB_TEXT("d")), NULL, NULL));
    assert_db_ok(db, db_commit(db));
    assert_int_equal(seen_by_other(&Q_PARENT_COUNT, DB_NOARGS), 2);
    db_close(db);
}

/* ---- deadlock (PostgreSQL) ---- */

typedef struct lock_ctx {
    pthread_barrier_t *barrier;
    long long first, second; /* counter rows, locked in this order */
    int calls;
    int rc;
    db_status_t failed_with; /* status of the failure that made fn give up an attempt */
    char message[256];
} lock_ctx_t;

static int lock_two_rows(db_t *db, void *p)
{
    lock_ctx_t *c = p;
    c->calls++;
    if (db_exec(db, &Q_CTR_INC, DB_ARGS(DB_INT(c->first)), NULL, NULL) != 0)
        goto failed;
    if (c->calls == 1)
        pthread_barrier_wait(c->barrier); /* both hold their first row now */
    if (db_exec(db, &Q_CTR_INC, DB_ARGS(DB_INT(c->second)), NULL, NULL) != 0)
        goto failed;
    return 0;
failed:
    c->failed_with = db_error(db)->status;
    snprintf(c->message, sizeof(c->message), "%s", db_error(db)->message);
    return -1;
}

static void *lock_thread(void *p)
{
    lock_ctx_t *c = p;
    db_t *db = store_session(G.store);
    c->rc = db_transaction(db, lock_two_rows, c);
    if (c->rc != 0)
        snprintf(c->message, sizeof(c->message), "%s", db_error(db)->message);
    db_close(db);
    return NULL;
}

static void tx_retry_on_deadlock(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    assert_db_ok(db, db_exec(db, &Q_CTR_INIT, DB_ARGS(DB_INT(1)), NULL, NULL));
    assert_db_ok(db, db_exec(db, &Q_CTR_INIT, DB_ARGS(DB_INT(2)), NULL, NULL));
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, 2);
    lock_ctx_t c[2] = {{&barrier, 1, 2, 0, -1, DB_OK, ""}, {&barrier, 2, 1, 0, -1, DB_OK, ""}};
    pthread_t t[2];
    uint64_t t0 = clock_mono_ns();
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, lock_thread, &c[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&barrier);
    print_message("deadlock resolved in %.0f ms; calls %d and %d\n", elapsed_ms(t0), c[0].calls, c[1].calls);
    for (int i = 0; i < 2; i++)
        if (c[i].rc != 0)
            fail_msg("transaction %d failed after %d calls: %s", i, c[i].calls, c[i].message);
    /* exactly one was chosen as the victim and ran again */
    assert_int_equal(c[0].calls + c[1].calls, 3);
    int victim = c[0].calls == 2 ? 0 : 1;
    if (c[victim].failed_with != DB_RETRY)
        fail_msg("the deadlock victim failed with status %d, not DB_RETRY: %s", c[victim].failed_with,
                 c[victim].message);
    /* both transactions committed once: each row counted twice */
    assert_int_equal(one_int(db, &Q_CTR_GET, DB_ARGS(DB_INT(1))), 2);
    assert_int_equal(one_int(db, &Q_CTR_GET, DB_ARGS(DB_INT(2))), 2);
    db_close(db);
}

/* ---- serialization failure (PostgreSQL): DB_RETRY without threads ---- */

typedef struct snapshot_ctx {
    int calls;
    db_status_t first_failure;
} snapshot_ctx_t;

/* Reads a row under a snapshot, lets another session change it (first call only), then updates it. */
static int update_after_concurrent_change(db_t *db, void *p)
{
    snapshot_ctx_t *c = p;
    c->calls++;
    if (db_exec_script(db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ") != 0 ||
        db_exec(db, &Q_CTR_GET, DB_ARGS(DB_INT(1)), NULL, NULL) != 0)
        return -1;
    if (c->calls == 1) {
        db_t *other = store_session(G.store);
        int rc = db_exec(other, &Q_CTR_INC, DB_ARGS(DB_INT(1)), NULL, NULL);
        db_close(other);
        if (rc != 0)
            return 99;
    }
    if (db_exec(db, &Q_CTR_INC, DB_ARGS(DB_INT(1)), NULL, NULL) != 0) {
        if (c->first_failure == DB_OK)
            c->first_failure = db_error(db)->status;
        return -1;
    }
    return 0;
}

static void tx_retry_on_serialization_failure(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    assert_db_ok(db, db_exec(db, &Q_CTR_INIT, DB_ARGS(DB_INT(1)), NULL, NULL));
    /* by hand: the conflict is DB_RETRY, which a request reports as 409 */
    assert_db_ok(db, db_begin(db));
    assert_db_ok(db, db_exec_script(db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
    assert_int_equal(one_int(db, &Q_CTR_GET, DB_ARGS(DB_INT(1))), 0);
    assert_int_equal(seen_by_other(&Q_CTR_GET, DB_ARGS(DB_INT(1))), 0);
    db_t *other = store_session(G.store);
    assert_db_ok(other, db_exec(other, &Q_CTR_INC, DB_ARGS(DB_INT(1)), NULL, NULL));
    db_close(other);
    assert_db_fails(db, db_exec(db, &Q_CTR_INC, DB_ARGS(DB_INT(1)), NULL, NULL), DB_RETRY);
    check_problem(db, 409, 0);
    db_rollback(db);
    /* in db_transaction: run again, and the second run commits */
    snapshot_ctx_t c = {0, DB_OK};
    assert_db_ok(db, db_transaction(db, update_after_concurrent_change, &c));
    assert_int_equal(c.calls, 2);
    assert_int_equal(c.first_failure, DB_RETRY);
    assert_int_equal(one_int(db, &Q_CTR_GET, DB_ARGS(DB_INT(1))), 3);
    db_close(db);
}

/* ---- concurrent writers (both engines) ---- */

typedef struct writer_ctx {
    int thread;
    int n;
    int done;
    int failures;
    char message[256];
} writer_ctx_t;

typedef struct writer_step {
    writer_ctx_t *w;
    int seq;
} writer_step_t;

/* Reads first, then writes: on SQLite a deferred BEGIN would fail to upgrade its lock (SQLITE_BUSY). */
static int read_then_write(db_t *db, void *p)
{
    writer_step_t *s = p;
    arena_t a;
    arena_init(&a);
    db_result_t res;
    int rc = db_exec(db, &Q_CTR_GET, DB_ARGS(DB_INT(1)), &a, &res);
    if (rc == 0)
        rc = db_exec(db, &Q_LOG_INS, DB_ARGS(DB_INT(s->w->thread), DB_INT(s->seq), DB_TEXT(db_get(&res, 0, 0))), &a,
                     NULL);
    if (rc == 0)
        rc = db_exec(db, &Q_CTR_INC, DB_ARGS(DB_INT(1)), &a, NULL);
    arena_destroy(&a);
    return rc;
}

static void *writer_thread(void *p)
{
    writer_ctx_t *w = p;
    db_t *db = store_session(G.store);
    for (int i = 0; i < w->n; i++) {
        writer_step_t s = {w, i};
        if (db_transaction(db, read_then_write, &s) == 0) {
            w->done++;
        } else {
            if (w->failures++ == 0)
                snprintf(w->message, sizeof(w->message), "status %d: %s", db_error(db)->status, db_error(db)->message);
        }
    }
    db_close(db);
    return NULL;
}

static void tx_concurrent_writers(void **state)
{
    (void)state;
    enum { N = 400 };
    db_t *db = store_session(G.store);
    assert_db_ok(db, db_exec(db, &Q_CTR_INIT, DB_ARGS(DB_INT(1)), NULL, NULL));
    writer_ctx_t w[2] = {{1, N, 0, 0, ""}, {2, N, 0, 0, ""}};
    pthread_t t[2];
    uint64_t t0 = clock_mono_ns();
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer_thread, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    print_message("2 x %d read-then-write transactions in %.0f ms\n", N, elapsed_ms(t0));
    for (int i = 0; i < 2; i++)
        if (w[i].failures != 0)
            fail_msg("writer %d: %d of %d transactions failed; first: %s", i, w[i].failures, N, w[i].message);
    assert_int_equal(one_int(db, &Q_CTR_GET, DB_ARGS(DB_INT(1))), 2 * N);
    assert_int_equal(one_int(db, &Q_LOG_COUNT, DB_ARGS(DB_INT(1))), N);
    assert_int_equal(one_int(db, &Q_LOG_COUNT, DB_ARGS(DB_INT(2))), N);
    db_close(db);
}

/* ================= sessions per thread ================= */

static stmt_t Q_BACKEND = STMT2("t.backend", STMT_READ, "SELECT 0", "SELECT pg_backend_pid()");

typedef struct session_ctx {
    int thread;
    int ops;
    int errors;
    long long own_rows;
    long long backend;
    char message[256];
} session_ctx_t;

static void *session_thread(void *p)
{
    session_ctx_t *c = p;
    db_t *db = store_session(G.store);
    arena_t a;
    arena_init(&a);
    db_result_t res;
    for (int i = 0; i < c->ops; i++) {
        int rc;
        switch (i % 4) {
        case 0:
        case 1:
            rc = db_exec(db, &Q_LOG_INS, DB_ARGS(DB_INT(c->thread), DB_INT(i), DB_TEXT("s")), &a, &res);
            if (rc == 0 && res.changes != 1)
                rc = -1;
            break;
        case 2:
            rc = db_exec(db, &Q_CTR_INC, DB_ARGS(DB_INT(1)), &a, &res);
            if (rc == 0 && res.changes != 1)
                rc = -1;
            break;
        default:
            rc = db_exec(db, &Q_LOG_COUNT, DB_ARGS(DB_INT(c->thread)), &a, &res);
            /* this thread's writes so far, no more, no less */
            if (rc == 0 && db_get_int(&res, 0, 0) != (i / 4 + 1) * 2)
                rc = -1;
            break;
        }
        if (rc != 0 && c->errors++ == 0)
            snprintf(c->message, sizeof(c->message), "op %d: status %d: %s", i, db_error(db)->status,
                     db_error(db)->message);
        arena_reset(&a);
    }
    if (db_exec(db, &Q_LOG_COUNT, DB_ARGS(DB_INT(c->thread)), &a, &res) == 0)
        c->own_rows = db_get_int(&res, 0, 0);
    if (db_exec(db, &Q_BACKEND, DB_NOARGS, &a, &res) == 0)
        c->backend = db_get_int(&res, 0, 0);
    arena_destroy(&a);
    db_close(db);
    return NULL;
}

static void sessions_per_thread(void **state)
{
    (void)state;
    enum { THREADS = 8, OPS = 500 };
    db_t *db = store_session(G.store);
    assert_db_ok(db, db_exec(db, &Q_CTR_INIT, DB_ARGS(DB_INT(1)), NULL, NULL));
    session_ctx_t c[THREADS];
    pthread_t t[THREADS];
    uint64_t t0 = clock_mono_ns();
    for (int i = 0; i < THREADS; i++) {
        c[i] = (session_ctx_t){.thread = 100 + i, .ops = OPS};
        assert_int_equal(pthread_create(&t[i], NULL, session_thread, &c[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    print_message("%d threads x %d operations in %.0f ms\n", THREADS, OPS, elapsed_ms(t0));
    for (int i = 0; i < THREADS; i++) {
        if (c[i].errors != 0)
            fail_msg("thread %d: %d errors; first: %s", i, c[i].errors, c[i].message);
        assert_int_equal(c[i].own_rows, OPS / 2);
    }
    arena_t a;
    arena_init(&a);
    db_result_t res;
    assert_db_ok(db, db_exec(db, &Q_LOG_TOTAL, DB_NOARGS, &a, &res));
    assert_int_equal(db_get_int(&res, 0, 0), THREADS * OPS / 2);
    assert_int_equal(db_get_int(&res, 0, 1), THREADS);
    assert_int_equal(one_int(db, &Q_CTR_GET, DB_ARGS(DB_INT(1))), THREADS * OPS / 4);
    arena_destroy(&a);
    if (G.pg) /* each session had its own connection */
        for (int i = 0; i < THREADS; i++)
            for (int j = i + 1; j < THREADS; j++)
                assert_true(c[i].backend != c[j].backend);
    db_close(db);
}

/* ================= connection loss (PostgreSQL) ================= */

static stmt_t Q_KILL =
    STMT("t.kill", 0,
         "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'school-erp'"
         " AND pid <> pg_backend_pid() AND datname = current_database()");
static stmt_t Q_ALIVE = STMT("t.alive", 0, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1");

/* Terminates every other school-erp connection to this database and waits until pid is gone. */
static void kill_others(long long pid)
{
    db_t *killer = store_session(G.store);
    arena_t a;
    arena_init(&a);
    db_result_t res;
    assert_db_ok(killer, db_exec(killer, &Q_KILL, DB_NOARGS, &a, &res));
    assert_true(res.nrows >= 1);
    for (int i = 0; i < 500 && one_int(killer, &Q_ALIVE, DB_ARGS(DB_INT(pid))) != 0; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(one_int(killer, &Q_ALIVE, DB_ARGS(DB_INT(pid))), 0);
    arena_destroy(&a);
    db_close(killer);
}

static void connection_loss_read(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    long long pid = one_int(db, &Q_BACKEND, DB_NOARGS);
    kill_others(pid);
    /* a read on the killed connection is retried once on a new one: it succeeds */
    long long pid2 = one_int(db, &Q_BACKEND, DB_NOARGS);
    assert_true(pid2 != pid);
    assert_int_equal(one_int(db, &Q_PARENT_COUNT, DB_NOARGS), 0);
    db_close(db);
}

static void connection_loss_write(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    long long pid = one_int(db, &Q_BACKEND, DB_NOARGS);
    kill_others(pid);
    /* a write is not retried (it may have run): it fails, and the caller decides */
    assert_db_fails(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(1), DB_TEXT("a")), NULL, NULL), DB_UNAVAILABLE);
    assert_int_equal(seen_by_other(&Q_PARENT_COUNT, DB_NOARGS), 0);
    /* the next statement reconnects */
    assert_db_ok(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(1), DB_TEXT("a")), NULL, NULL));
    assert_true(one_int(db, &Q_BACKEND, DB_NOARGS) != pid);
    assert_int_equal(seen_by_other(&Q_PARENT_COUNT, DB_NOARGS), 1);
    db_close(db);
}

static void connection_loss_in_transaction(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    assert_db_ok(db, db_begin(db));
    assert_db_ok(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(1), DB_TEXT("a")), NULL, NULL));
    long long pid = one_int(db, &Q_BACKEND, DB_NOARGS);
    kill_others(pid);
    /* inside a transaction even a read is not retried: the transaction is gone */
    assert_db_fails(db, db_exec(db, &Q_PARENT_COUNT, DB_NOARGS, NULL, NULL), DB_UNAVAILABLE);
    /* and it stays gone until rolled back: no statement runs in autocommit on a new connection */
    assert_true(db_in_transaction(db));
    assert_db_fails(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(3), DB_TEXT("c")), NULL, NULL), DB_UNAVAILABLE);
    assert_db_fails(db, db_exec(db, &Q_PARENT_COUNT, DB_NOARGS, NULL, NULL), DB_UNAVAILABLE);
    assert_int_equal(seen_by_other(&Q_PARENT_COUNT, DB_NOARGS), 0);
    assert_db_fails(db, db_commit(db), DB_UNAVAILABLE);
    assert_false(db_in_transaction(db));
    assert_int_equal(seen_by_other(&Q_PARENT_COUNT, DB_NOARGS), 0);
    /* the session reconnects and works */
    assert_db_ok(db, db_begin(db));
    assert_db_ok(db, db_exec(db, &Q_PARENT_INS, DB_ARGS(DB_INT(2), DB_TEXT("b")), NULL, NULL));
    assert_db_ok(db, db_commit(db));
    assert_int_equal(seen_by_other(&Q_PARENT_COUNT, DB_NOARGS), 1);
    db_close(db);
}

/* ================= migrations ================= */

static stmt_t Q_MIG_ROWS =
    STMT("t.migrations.rows", STMT_READ, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
static stmt_t Q_MIG_FUTURE =
    STMT("t.migrations.future", 0,
         "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from_the_future', 0)");
static stmt_t Q_PLATFORM =
    STMT("t.platform", STMT_READ, "SELECT slug FROM tenants WHERE id = '00000000-0000-0000-0000-000000000000'");

/* Every known migration recorded once, in order, with its name. */
static void check_recorded(db_t *db, uint64_t since_ms)
{
    arena_t a;
    arena_init(&a);
    db_result_t res;
    assert_db_ok(db, db_exec(db, &Q_MIG_ROWS, DB_NOARGS, &a, &res));
    assert_int_equal(res.nrows, G.nmigrations);
    for (int i = 0; i < G.nmigrations; i++) {
        assert_int_equal(db_get_int(&res, i, 0), G.migrations[i].version);
        assert_string_equal(db_get(&res, i, 1), G.migrations[i].name);
        long long at = db_get_int(&res, i, 2);
        assert_true(at >= (long long)since_ms && at <= (long long)clock_wall_ms());
    }
    assert_db_ok(db, db_exec(db, &Q_PLATFORM, DB_NOARGS, &a, &res)); /* the schema is really there */
    assert_int_equal(res.nrows, 1);
    assert_string_equal(db_get(&res, 0, 0), "-platform-");
    arena_destroy(&a);
}

static void migrations_fresh_database(void **state)
{
    (void)state;
    char url[1100], name[1100], msg[512];
    fresh_sibling("mig_fresh", url, sizeof(url), name, sizeof(name));
    store_t *s = open_store(url);
    db_t *db = store_session(s);
    const char *engine = store_engine(s);
    int have = -1, want = -1, applied = -1;
    uint64_t t0 = clock_wall_ms();
    assert_int_equal(migrate_check(db, engine, &have, &want, msg, sizeof(msg)), MIGRATE_PENDING);
    assert_int_equal(have, 0);
    assert_int_equal(want, G.nmigrations);
    assert_true(strlen(msg) > 0);
    assert_int_equal(migrate_apply(db, engine, &applied, msg, sizeof(msg)), MIGRATE_CURRENT);
    assert_int_equal(applied, G.nmigrations);
    assert_int_equal(migrate_check(db, engine, &have, &want, msg, sizeof(msg)), MIGRATE_CURRENT);
    assert_int_equal(have, G.nmigrations);
    assert_int_equal(migrate_apply(db, engine, &applied, msg, sizeof(msg)), MIGRATE_CURRENT);
    assert_int_equal(applied, 0);
    check_recorded(db, t0);
    db_close(db);
    store_close(s);
    drop_sibling(name);
}

static void migrations_newer_database(void **state)
{
    (void)state;
    char url[1100], name[1100], msg[512];
    fresh_sibling("mig_newer", url, sizeof(url), name, sizeof(name));
    store_t *s = open_store(url);
    db_t *db = store_session(s);
    const char *engine = store_engine(s);
    int have = -1, want = -1, applied = -1;
    assert_int_equal(migrate_apply(db, engine, &applied, msg, sizeof(msg)), MIGRATE_CURRENT);
    assert_db_ok(db, db_exec(db, &Q_MIG_FUTURE, DB_ARGS(DB_INT(G.nmigrations + 5)), NULL, NULL));
    msg[0] = '\0';
    assert_int_equal(migrate_check(db, engine, &have, &want, msg, sizeof(msg)), MIGRATE_NEWER);
    assert_int_equal(have, G.nmigrations + 5);
    assert_int_equal(want, G.nmigrations);
    assert_non_null(strstr(msg, "newer"));
    print_message("%s\n", msg);
    msg[0] = '\0';
    assert_int_equal(migrate_apply(db, engine, &applied, msg, sizeof(msg)), MIGRATE_NEWER);
    assert_int_equal(applied, 0);
    assert_non_null(strstr(msg, "newer"));
    db_close(db);
    store_close(s);
    drop_sibling(name);
}

typedef struct migrator {
    store_t *s;
    pthread_barrier_t *barrier;
    migrate_state_t st;
    int applied;
    char msg[512];
} migrator_t;

static void *migrator_thread(void *p)
{
    migrator_t *m = p;
    db_t *db = store_session(m->s);
    pthread_barrier_wait(m->barrier);
    m->st = migrate_apply(db, store_engine(m->s), &m->applied, m->msg, sizeof(m->msg));
    db_close(db);
    return NULL;
}

static void migrations_concurrent(void **state)
{
    (void)state;
    enum { THREADS = 4 };
    int rounds = 3;
    const char *env = getenv("ERP_TEST_MIGRATE_ROUNDS"); /* more rounds hunt for races */
    if (env != NULL && atoi(env) > 0)
        rounds = atoi(env);
    for (int round = 0; round < rounds; round++) {
        char url[1100], name[1100], suffix[32];
        snprintf(suffix, sizeof(suffix), "mig_conc%d", round);
        fresh_sibling(suffix, url, sizeof(url), name, sizeof(name));
        store_t *s = open_store(url);
        pthread_barrier_t barrier;
        pthread_barrier_init(&barrier, NULL, THREADS);
        migrator_t m[THREADS];
        pthread_t t[THREADS];
        uint64_t t0 = clock_wall_ms();
        for (int i = 0; i < THREADS; i++) {
            m[i] = (migrator_t){.s = s, .barrier = &barrier, .st = MIGRATE_FAILED, .applied = -1};
            assert_int_equal(pthread_create(&t[i], NULL, migrator_thread, &m[i]), 0);
        }
        for (int i = 0; i < THREADS; i++)
            pthread_join(t[i], NULL);
        pthread_barrier_destroy(&barrier);
        int total = 0;
        for (int i = 0; i < THREADS; i++) {
            if (m[i].st != MIGRATE_CURRENT)
                fail_msg("round %d, migrator %d ended in state %d: %s", round, i, m[i].st, m[i].msg);
            total += m[i].applied;
        }
        assert_int_equal(total, G.nmigrations); /* each applied exactly once */
        db_t *db = store_session(s);
        check_recorded(db, t0);
        db_close(db);
        store_close(s);
        drop_sibling(name);
    }
}

static void migrations_main_database_current(void **state)
{
    (void)state;
    char msg[512];
    int have = -1, want = -1;
    db_t *db = store_session(G.store);
    assert_int_equal(migrate_check(db, store_engine(G.store), &have, &want, msg, sizeof(msg)), MIGRATE_CURRENT);
    assert_int_equal(have, want);
    db_close(db);
}

/* ================= identity schema ================= */

static stmt_t Q_TENANT_INS = STMT(
    "t.tenant.insert", 0, "INSERT INTO tenants (id, slug, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)");
static stmt_t Q_TENANT_CURRENCY = STMT("t.tenant.currency", 0, "UPDATE tenants SET currency = $2 WHERE id = $1");
static stmt_t Q_USER_INS =
    STMT("t.user.insert", 0,
         "INSERT INTO users (tenant_id, id, email, display_name, roles, password_hash,"
         " password_changed_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'x', $6, $6, $6)");
static stmt_t Q_USER_COUNT = STMT("t.user.count", STMT_READ, "SELECT count(*) FROM users WHERE email = $1");
static stmt_t Q_SESSION_INS = STMT("t.session.insert", 0,
                                   "INSERT INTO sessions (tenant_id, id, user_id, created_at, last_used_at, expires_at)"
                                   " VALUES ($1, $2, $3, 0, 0, 1)");

static void new_tenant(db_t *db, char id[UUID_STR_LEN + 1])
{
    ids_uuid7(id);
    char slug[64];
    snprintf(slug, sizeof(slug), "school-%s", id + 24);
    assert_db_ok(db, db_exec(db, &Q_TENANT_INS,
                             DB_ARGS(DB_TEXT(id), DB_TEXT(slug), DB_TEXT("A school"), DB_INT(clock_wall_ms())), NULL,
                             NULL));
}

static int add_user(db_t *db, const char *tenant, const char *email)
{
    char id[UUID_STR_LEN + 1];
    ids_uuid7(id);
    return db_exec(
        db, &Q_USER_INS,
        DB_ARGS(DB_TEXT(tenant), DB_TEXT(id), DB_TEXT(email), DB_TEXT("Some One"), DB_INT(1), DB_INT(clock_wall_ms())),
        NULL, NULL);
}

static void identity_user_needs_tenant(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    char missing[UUID_STR_LEN + 1];
    ids_uuid7(missing);
    assert_db_fails(db, add_user(db, missing, "nobody@example.org"), DB_FOREIGN_KEY);
    assert_int_equal(one_int(db, &Q_USER_COUNT, DB_ARGS(DB_TEXT("nobody@example.org"))), 0);
    /* a session must belong to a user of its own tenant */
    char t1[UUID_STR_LEN + 1], t2[UUID_STR_LEN + 1], user[UUID_STR_LEN + 1], sid[UUID_STR_LEN + 1];
    new_tenant(db, t1);
    new_tenant(db, t2);
    ids_uuid7(user);
    assert_db_ok(db, db_exec(db, &Q_USER_INS,
                             DB_ARGS(DB_TEXT(t1), DB_TEXT(user), DB_TEXT("owner@example.org"), DB_TEXT("O"), DB_INT(1),
                                     DB_INT(1)),
                             NULL, NULL));
    ids_uuid7(sid);
    assert_db_fails(db, db_exec(db, &Q_SESSION_INS, DB_ARGS(DB_TEXT(t2), DB_TEXT(sid), DB_TEXT(user)), NULL, NULL),
                    DB_FOREIGN_KEY);
    assert_db_ok(db, db_exec(db, &Q_SESSION_INS, DB_ARGS(DB_TEXT(t1), DB_TEXT(sid), DB_TEXT(user)), NULL, NULL));
    db_close(db);
}

static void identity_email_unique_per_tenant(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    char t1[UUID_STR_LEN + 1], t2[UUID_STR_LEN + 1];
    new_tenant(db, t1);
    new_tenant(db, t2);
    assert_db_ok(db, add_user(db, t1, "same@example.org"));
    assert_db_fails(db, add_user(db, t1, "same@example.org"), DB_UNIQUE);
    if (G.pg)
        assert_string_equal(db_error(db)->constraint, "users_email_key");
    else
        assert_string_equal(db_error(db)->constraint, "users.tenant_id, users.email");
    assert_db_ok(db, add_user(db, t2, "same@example.org"));
    assert_int_equal(one_int(db, &Q_USER_COUNT, DB_ARGS(DB_TEXT("same@example.org"))), 2);
    db_close(db);
}

static void identity_constraints(void **state)
{
    (void)state;
    db_t *db = store_session(G.store);
    char t1[UUID_STR_LEN + 1], t2[UUID_STR_LEN + 1];
    new_tenant(db, t1);
    ids_uuid7(t2);
    /* slugs are unique across tenants */
    char slug[64];
    snprintf(slug, sizeof(slug), "school-%s", t1 + 24);
    assert_db_fails(
        db, db_exec(db, &Q_TENANT_INS, DB_ARGS(DB_TEXT(t2), DB_TEXT(slug), DB_TEXT("B"), DB_INT(1)), NULL, NULL),
        DB_UNIQUE);
    if (G.pg)
        assert_string_equal(db_error(db)->constraint, "tenants_slug_key");
    /* checks: a user needs a role, a currency has three letters */
    char id[UUID_STR_LEN + 1];
    ids_uuid7(id);
    assert_db_fails(
        db,
        db_exec(db, &Q_USER_INS,
                DB_ARGS(DB_TEXT(t1), DB_TEXT(id), DB_TEXT("r@example.org"), DB_TEXT("R"), DB_INT(0), DB_INT(1)), NULL,
                NULL),
        DB_INVALID);
    assert_db_fails(db, db_exec(db, &Q_TENANT_CURRENCY, DB_ARGS(DB_TEXT(t1), DB_TEXT("EURO")), NULL, NULL), DB_INVALID);
    assert_db_ok(db, db_exec(db, &Q_TENANT_CURRENCY, DB_ARGS(DB_TEXT(t1), DB_TEXT("EUR")), NULL, NULL));
    db_close(db);
}

/* ================= store life cycle ================= */

/* How many stores render their gauges into /metrics now. */
static int stores_in_metrics(void)
{
    sbuf_t out;
    sbuf_init(&out, NULL, 4096);
    metrics_render(&out);
    int n = 0;
    for (const char *p = out.p; (p = strstr(p, "# TYPE db_connections_open ")) != NULL; p++)
        n++;
    sbuf_free(&out);
    return n;
}

/* A closed store leaves nothing behind that /metrics would read (ASan sees a use after free otherwise). */
static void store_close_forgets_metrics(void **state)
{
    (void)state;
    int before = stores_in_metrics();
    assert_true(before >= 1); /* G.store */
    store_t *s = open_store(G.url);
    db_t *db = store_session(s);
    assert_db_ok(db, db_ping(db));
    assert_int_equal(stores_in_metrics(), before + 1);
    db_close(db);
    store_close(s);
    assert_int_equal(stores_in_metrics(), before);
    /* more stores than the registry has room for come and go */
    for (int i = 0; i < 40; i++)
        store_close(open_store(G.url));
    assert_int_equal(stores_in_metrics(), before);
}

/* ================= set-up ================= */

static stmt_t Q_DBNAME = STMT("t.dbname", STMT_READ, "SELECT current_database()");
static stmt_t Q_OBJECTS = STMT2("t.objects", STMT_READ, "SELECT count(*) FROM sqlite_schema",
                                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                                " WHERE n.nspname = 'public'");

static int group_setup(void **state)
{
    (void)state;
    G.store = open_store(G.url);
    G.pg = strcmp(store_engine(G.store), "postgres") == 0;
    G.migrations = G.pg ? migrations_pg : migrations_sqlite;
    G.nmigrations = G.pg ? migrations_pg_count : migrations_sqlite_count;
    db_t *db = store_session(G.store);
    arena_t a;
    arena_init(&a);
    db_result_t res;
    int rc = -1;
    char msg[512];
    int applied;
    if (db_exec(db, &Q_OBJECTS, DB_NOARGS, &a, &res) != 0) {
        print_error("cannot use the database at ERP_TEST_DATABASE_URL: %s\n", db_error(db)->message);
        goto out;
    }
    if (db_get_int(&res, 0, 0) != 0) {
        print_error("the database at ERP_TEST_DATABASE_URL is not empty; give the contract suite a fresh one\n");
        goto out;
    }
    if (G.pg) {
        if (db_exec(db, &Q_DBNAME, DB_NOARGS, &a, &res) != 0)
            goto out;
        snprintf(G.dbname, sizeof(G.dbname), "%s", db_get(&res, 0, 0));
    }
    if (migrate_apply(db, store_engine(G.store), &applied, msg, sizeof(msg)) != MIGRATE_CURRENT) {
        print_error("migrating the test database: %s\n", msg);
        goto out;
    }
    if (db_exec_script(db, G.pg ? DDL_PG : DDL_SQLITE) != 0) {
        print_error("creating the scratch tables: %s\n", db_error(db)->message);
        goto out;
    }
    rc = 0;
out:
    arena_destroy(&a);
    db_close(db);
    return rc;
}

static int group_teardown(void **state)
{
    (void)state;
    store_close(G.store);
    return 0;
}

#define T(fn) cmocka_unit_test_setup(fn, clean)

int main(void)
{
    G.url = getenv("ERP_TEST_DATABASE_URL");
    if (G.url == NULL || *G.url == '\0') {
        fprintf(stderr, "contract_test: ERP_TEST_DATABASE_URL is not set; set it to sqlite:/path/file.db or to the "
                        "postgres:// URL of an empty database (tests/run does this)\n");
        return 1;
    }
    int pg = strncmp(G.url, "sqlite:", 7) != 0;
    static const struct CMUnitTest common[] = {
        T(values_round_trip),
        T(large_text),
        T(rows_columns_and_empty_results),
        T(changes_counts),
        T(same_statement_many_times),
        T(per_engine_sql),
        T(error_unique),
        T(error_foreign_key),
        T(error_invalid),
        T(error_argument_count),
        T(error_syntax_and_unknown_table),
        T(copy_in_rows),
        T(unreachable_database),
        T(db_fail_statuses),
        T(tx_commit_persists),
        T(tx_rollback_discards),
        T(tx_function_errors_roll_back),
        T(tx_misuse),
        T(tx_commit_after_failed_statement),
        T(tx_concurrent_writers),
        T(sessions_per_thread),
        T(migrations_main_database_current),
        T(migrations_fresh_database),
        T(migrations_newer_database),
        T(migrations_concurrent),
        T(identity_user_needs_tenant),
        T(identity_email_unique_per_tenant),
        T(identity_constraints),
        T(store_close_forgets_metrics),
    };
    static const struct CMUnitTest pg_only[] = {
        T(tx_retry_on_deadlock),  T(tx_retry_on_serialization_failure), T(connection_loss_read),
        T(connection_loss_write), T(connection_loss_in_transaction),
    };
    size_t ncommon = sizeof(common) / sizeof(common[0]), npg = sizeof(pg_only) / sizeof(pg_only[0]);
    struct CMUnitTest tests[sizeof(common) / sizeof(common[0]) + sizeof(pg_only) / sizeof(pg_only[0])];
    size_t n = 0;
    for (size_t i = 0; i < ncommon; i++)
        tests[n++] = common[i];
    for (size_t i = 0; pg && i < npg; i++)
        tests[n++] = pg_only[i];
    printf("storage contract on %s: %zu tests (%zu common, %zu for this engine only)\n", pg ? "postgres" : "sqlite", n,
           ncommon, n - ncommon);
    if (!pg)
        printf("not applicable to SQLite: deadlock between two sessions, killed server connections\n");
    fflush(stdout);
    return _cmocka_run_group_tests(pg ? "store_contract_postgres" : "store_contract_sqlite", tests, n, group_setup,
                                   group_teardown);
}
