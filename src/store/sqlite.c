/*
 * sqlite.c - the SQLite engine: one connection per thread, WAL journal,
 * foreign keys on, a busy timeout, and a per-connection cache of prepared
 * statements indexed by statement id.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

struct dbconn {
    sqlite3 *db;
    sqlite3_stmt **cache;
    int cap;
};

static void set_error(db_error_t *err, sqlite3 *db, int rc)
{
    int ext = db != NULL ? sqlite3_extended_errcode(db) : rc;
    const char *msg = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    err->constraint[0] = '\0';
    snprintf(err->message, sizeof(err->message), "%s", msg);
    switch (ext) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        err->status = DB_UNIQUE;
        /* "UNIQUE constraint failed: users.tenant_id, users.email" names the columns */
        {
            const char *colon = strchr(msg, ':');
            snprintf(err->constraint, sizeof(err->constraint), "%s", colon != NULL ? colon + 2 : "");
        }
        break;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        err->status = DB_FOREIGN_KEY;
        break;
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
        err->status = DB_INVALID;
        break;
    case SQLITE_BUSY_SNAPSHOT: /* a read transaction's snapshot went stale before it could write */
        err->status = DB_RETRY;
        break;
    case SQLITE_BUSY: /* still locked after the busy timeout: overload, not a conflict */
    case SQLITE_LOCKED:
        err->status = DB_UNAVAILABLE;
        break;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
        err->status = DB_UNAVAILABLE;
        break;
    default:
        err->status = (ext & 0xff) == SQLITE_CONSTRAINT ? DB_INVALID : DB_ERROR;
    }
}

static dbconn_t *sq_connect(const char *url, db_error_t *err)
{
    const char *path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        set_error(err, db, rc);
        err->status = DB_UNAVAILABLE;
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 5000);
    static const char pragmas[] = "PRAGMA synchronous=NORMAL;"
                                  "PRAGMA foreign_keys=ON;"
                                  "PRAGMA temp_store=MEMORY;"
                                  "PRAGMA cache_size=-16384;";
    char *msg = NULL;
    /*
     * Turning a new database to WAL takes an exclusive lock without calling the
     * busy handler, so connections opening a fresh file at the same moment get
     * SQLITE_BUSY at once: wait for each other here (up to the busy timeout).
     */
    for (int waited_ms = 0;; waited_ms += 10) {
        rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, &msg);
        if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= 5000)
            break;
        sqlite3_free(msg);
        msg = NULL;
        sqlite3_sleep(10);
    }
    if (rc != SQLITE_OK || sqlite3_exec(db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err->message, sizeof(err->message), "%s", msg != NULL ? msg : "pragma failed");
        err->status = DB_UNAVAILABLE;
        sqlite3_free(msg);
        sqlite3_close(db);
        return NULL;
    }
    dbconn_t *c = xcalloc(1, sizeof(*c));
    c->db = db;
    return c;
}

static void sq_disconnect(dbconn_t *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < c->cap; i++)
        sqlite3_finalize(c->cache[i]);
    free(c->cache);
    sqlite3_exec(c->db, "PRAGMA optimize", NULL, NULL, NULL); /* statistics the queries of this connection want */
    sqlite3_close(c->db);
    free(c);
}

/* "$12" -> "?12" outside quoted text and comments, so numbered parameters bind by position. */
static char *rewrite_params(const char *sql)
{
    char *out = xstrdup(sql);
    char quote = 0;
    for (char *p = out; *p != '\0'; p++) {
        if (quote) {
            if (*p == quote)
                quote = 0;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (p[0] == '-' && p[1] == '-') {
            while (p[1] != '\0' && p[1] != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            char *end = strstr(p + 2, "*/");
            if (end == NULL)
                break;
            p = end + 1;
        } else if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
            *p = '?';
        }
    }
    return out;
}

static sqlite3_stmt *prepared(dbconn_t *c, stmt_t *st, db_error_t *err)
{
    int id = stmt_id(st);
    if (id >= c->cap) {
        int cap = c->cap ? c->cap : 64;
        while (cap <= id)
            cap *= 2;
        c->cache = xrealloc(c->cache, sizeof(*c->cache) * (size_t)cap);
        memset(c->cache + c->cap, 0, sizeof(*c->cache) * (size_t)(cap - c->cap));
        c->cap = cap;
    }
    if (c->cache[id] == NULL) {
        char *sql = rewrite_params(stmt_sql(st, &db_engine_sqlite));
        int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->cache[id], NULL);
        free(sql);
        if (rc != SQLITE_OK) {
            set_error(err, c->db, rc);
            snprintf(err->message, sizeof(err->message), "prepare %s: %s", st->name, sqlite3_errmsg(c->db));
            err->status = DB_ERROR;
            return NULL;
        }
    }
    return c->cache[id];
}

static int bind(sqlite3_stmt *s, const db_arg_t *args, int nargs)
{
    int rc = SQLITE_OK;
    for (int i = 0; i < nargs && rc == SQLITE_OK; i++) {
        const db_arg_t *a = &args[i];
        switch (a->type) {
        case DBT_NULL:
            rc = sqlite3_bind_null(s, i + 1);
            break;
        case DBT_TEXT:
            rc = sqlite3_bind_text(s, i + 1, a->s, -1, SQLITE_STATIC);
            break;
        case DBT_INT:
        case DBT_BOOL:
            rc = sqlite3_bind_int64(s, i + 1, a->i);
            break;
        case DBT_REAL:
            rc = sqlite3_bind_double(s, i + 1, a->d);
            break;
        }
    }
    return rc;
}

/*
 * A REAL as text that reads back as the same double, in the form PostgreSQL
 * prints (shortest exact digits, "Infinity"); SQLite's own conversion keeps
 * only 15 significant digits (0.1 + 0.2 would come back as "0.3").
 */
static const char *real_text(arena_t *a, double d)
{
    if (isinf(d))
        return d > 0 ? "Infinity" : "-Infinity";
    char buf[32];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    return arena_strdup(a, buf);
}

static int sq_exec(dbconn_t *c, stmt_t *st, const db_arg_t *args, int nargs, arena_t *a, db_result_t *res,
                   db_error_t *err)
{
    sqlite3_stmt *s = prepared(c, st, err);
    if (s == NULL)
        return -1;
    if (nargs != sqlite3_bind_parameter_count(s)) {
        /* SQLite would bind NULL to missing arguments; PostgreSQL refuses: refuse here too */
        err->status = DB_ERROR;
        err->constraint[0] = '\0';
        snprintf(err->message, sizeof(err->message), "%s: takes %d arguments, got %d", st->name,
                 sqlite3_bind_parameter_count(s), nargs);
        return -1;
    }
    int rc = bind(s, args, nargs);
    if (rc != SQLITE_OK) {
        set_error(err, c->db, rc);
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        return -1;
    }
    int ncols = sqlite3_column_count(s);
    int cap = 0, nrows = 0;
    sqlite3_int64 total_before = sqlite3_total_changes64(c->db);
    const char **cells = NULL;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (res == NULL)
            continue;
        if (nrows == cap) {
            int ncap = cap ? cap * 2 : 8;
            const char **grown = arena_alloc(a, sizeof(char *) * (size_t)ncap * (size_t)(ncols ? ncols : 1));
            if (cells != NULL)
                memcpy(grown, cells, sizeof(char *) * (size_t)nrows * (size_t)ncols);
            cells = grown;
            cap = ncap;
        }
        for (int col = 0; col < ncols; col++) {
            if (sqlite3_column_type(s, col) == SQLITE_FLOAT) {
                cells[nrows * ncols + col] = real_text(a, sqlite3_column_double(s, col));
                continue;
            }
            const unsigned char *t = sqlite3_column_text(s, col);
            cells[nrows * ncols + col] =
                t != NULL ? arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(s, col)) : NULL;
        }
        nrows++;
    }
    int ok = rc == SQLITE_DONE;
    if (!ok)
        set_error(err, c->db, rc);
    if (res != NULL) {
        res->nrows = ok ? nrows : 0;
        res->ncols = ncols;
        res->cells = cells;
        /* sqlite3_changes64() keeps the last INSERT/UPDATE/DELETE's count: use it only if this one changed rows */
        res->changes = ok && sqlite3_total_changes64(c->db) != total_before ? sqlite3_changes64(c->db) : 0;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return ok ? 0 : -1;
}

static int sq_script(dbconn_t *c, const char *sql, db_error_t *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        set_error(err, c->db, rc);
        if (msg != NULL)
            snprintf(err->message, sizeof(err->message), "%s", msg);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int sq_healthy(dbconn_t *c)
{
    (void)c;
    return 1;
}

const db_engine_t db_engine_sqlite = {
    .name = "sqlite",
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .exec = sq_exec,
    .script = sq_script,
    .begin_sql = "BEGIN IMMEDIATE",
    .healthy = sq_healthy,
};
