/*
 * store.h - the storage port: one API over SQLite (embedded) and PostgreSQL
 * (primary plus read replicas).
 *
 * A process opens one store_t from the configuration. Each handler thread
 * takes a session (db_t) that owns that thread's connections. Statements are
 * static stmt_t values: a name (the metrics label), SQL written once with
 * $1, $2, … parameters, optional per-engine text where the dialects differ,
 * and flags (STMT_READ marks statements a replica may answer). Values are
 * always bound, never formatted into SQL. Results are copied into an arena, so
 * rows stay valid for the rest of the request.
 *
 * Errors: every call returns 0 or -1; after -1, db_error() describes the
 * failure as a db_status_t (unique violation, foreign key, invalid value,
 * retryable conflict, unavailable, other) and db_fail() turns it into the
 * request's problem response (409, 422, 409, 503, 500). See src/store/README.md
 * for how reads are routed to replicas and how a user reads their own writes.
 */
#ifndef ERP_STORE_STORE_H
#define ERP_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/config.h"
#include "http/handler.h"

typedef struct store store_t;
typedef struct db db_t;

enum {
    STMT_READ = 1u << 0,   /* reads only: may run on a replica outside transactions */
    STMT_ACCESS = 1u << 1, /* reads what decides access (session, account, school, roles, the policy's links):
                              always the primary, so a revocation applies to the very next request */
};

typedef struct stmt_stats stmt_stats_t;

/* A statement. Define as `static stmt_t NAME = STMT("area.what", STMT_READ, "SELECT …");` */
typedef struct stmt {
    const char *name;       /* "users.get": metrics label and log name */
    unsigned flags;         /* STMT_* */
    const char *sql;        /* text for both engines, $1… parameters */
    const char *sql_sqlite; /* replaces sql on SQLite when set */
    const char *sql_pg;     /* replaces sql on PostgreSQL when set */
    int id;                 /* assigned by the store on first use */
    stmt_stats_t *stats;    /* assigned by the store on first use */
} stmt_t;

#define STMT(name_, flags_, sql_) {.name = (name_), .flags = (flags_), .sql = (sql_)}
#define STMT2(name_, flags_, sqlite_, pg_) {.name = (name_), .flags = (flags_), .sql_sqlite = (sqlite_), .sql_pg = (pg_)}

typedef enum { DBT_NULL, DBT_TEXT, DBT_INT, DBT_BOOL, DBT_REAL } db_type_t;

typedef struct db_arg {
    db_type_t type;
    const char *s;
    long long i;
    double d;
} db_arg_t;

/* Argument constructors; DB_TEXT(NULL) binds SQL NULL. */
#define DB_TEXT(v) ((db_arg_t){.type = (v) != NULL ? DBT_TEXT : DBT_NULL, .s = (v)})
#define DB_INT(v) ((db_arg_t){.type = DBT_INT, .i = (long long)(v)})
#define DB_BOOL(v) ((db_arg_t){.type = DBT_BOOL, .i = (v) ? 1 : 0})
#define DB_REAL(v) ((db_arg_t){.type = DBT_REAL, .d = (v)})
#define DB_NULL ((db_arg_t){.type = DBT_NULL})
/* Expands to "array, count" for db_exec(). */
#define DB_ARGS(...) ((const db_arg_t[]){__VA_ARGS__}), (int)(sizeof((db_arg_t[]){__VA_ARGS__}) / sizeof(db_arg_t))
#define DB_NOARGS NULL, 0

/* Rows of a result, every cell as text (NULL for SQL NULL), in arena memory. */
typedef struct db_result {
    int nrows;
    int ncols;
    const char **cells; /* row-major */
    long long changes;  /* rows inserted, updated or deleted */
} db_result_t;

static inline const char *db_get(const db_result_t *res, int row, int col)
{
    return res->cells[row * res->ncols + col];
}
/* Cell as integer (0 for NULL), as boolean ("t"/"1" true), whether NULL. */
long long db_get_int(const db_result_t *res, int row, int col);
int db_get_bool(const db_result_t *res, int row, int col);
int db_is_null(const db_result_t *res, int row, int col);

typedef enum {
    DB_OK = 0,
    DB_UNIQUE,      /* a unique constraint (409) */
    DB_FOREIGN_KEY, /* a referenced row is missing, or a row is still referenced (422) */
    DB_INVALID,     /* check or not-null constraint, bad value (422) */
    DB_RETRY,       /* serialization failure or deadlock: run the transaction again */
    DB_UNAVAILABLE, /* connection lost, read-only, shutting down, too busy (503) */
    DB_ERROR,       /* anything else (500) */
} db_status_t;

typedef struct db_error {
    db_status_t status;
    char constraint[64]; /* name of the violated constraint when known */
    char message[256];   /* the engine's message, for logs */
} db_error_t;

/*
 * Opens the store the configuration names (sqlite:… or a PostgreSQL URL), with
 * read replicas from cfg->read_urls. Nothing connects yet except what checking
 * the URL needs. Returns NULL with a message in err.
 */
store_t *store_open(const config_t *cfg, char *err, size_t errlen);
/*
 * Leaves the store's figures out of /metrics: a further store of the same
 * process (a shard, src/shard/), whose statements the first store's figures
 * already count, and whose gauges would repeat its families.
 */
void store_metrics_quiet(store_t *s);
/* Closes the store; every session must have been closed. */
void store_close(store_t *s);
/* "sqlite" or "postgres". */
const char *store_engine(const store_t *s);

/* A session for the calling thread; connections are made on first use. Never NULL. */
db_t *store_session(store_t *s);
/* Closes the session's connections. */
void db_close(db_t *db);
/* The store a session belongs to (a shard's, with ERP_SHARDS: src/shard/shard.h). */
store_t *db_store(const db_t *db);

/*
 * Tells the session who the current request acts for ("tenant:user"), so reads
 * after that user's writes see them (read-your-writes); NULL when anonymous.
 * The string must live until the next call.
 */
void db_set_actor(db_t *db, const char *actor);

/*
 * Makes every read of the session go to the primary (on) or lets STMT_READ
 * statements use a replica again (off). A request that writes reads the
 * primary: what it checks and the version it writes must be current.
 */
void db_read_primary(db_t *db, int on);

/* Whether a transaction is open (a handler that returns with one open is a bug: see app_request_end()). */
int db_in_transaction(const db_t *db);

/*
 * Runs a statement with n arguments; the result (may be NULL when not needed)
 * is allocated from a. Outside a transaction a STMT_READ statement may run on
 * a replica (unless db_read_primary() is on); everything else runs on the
 * primary, writes in their own transaction. Inside a transaction whose
 * connection was lost, every statement fails (DB_UNAVAILABLE) until
 * db_rollback(): a transaction never continues in autocommit on a new
 * connection.
 * Returns 0, or -1 (see db_error()).
 */
int db_exec(db_t *db, stmt_t *st, const db_arg_t *args, int nargs, arena_t *a, db_result_t *res);

/* Starts a write transaction on the primary. Returns 0 or -1. */
int db_begin(db_t *db);
/*
 * Commits; returns 0 or -1 (the transaction is over either way). When a
 * statement of the transaction failed, nothing is committed: it rolls back and
 * fails with DB_ERROR, on both engines.
 */
int db_commit(db_t *db);
/* Rolls back if a transaction is open; never fails. */
void db_rollback(db_t *db);

/*
 * Runs fn in a transaction: commits when fn returns 0, rolls back otherwise.
 * A serialization failure or deadlock (in fn or at commit) runs it again, up
 * to 4 times in all. Returns fn's result, or -1 when the commit fails.
 */
int db_transaction(db_t *db, int (*fn)(db_t *db, void *ctx), void *ctx);

/* Runs SQL text without parameters or results on the primary (DDL, maintenance); 0 or -1. */
int db_exec_script(db_t *db, const char *sql);

/*
 * Whether the session's engine loads rows with COPY (PostgreSQL), and loads
 * them: sql is `COPY table (columns) FROM STDIN`, rows its text format (one
 * line per row, fields separated by tabs: sbuf_copy_text). On the primary, in
 * the session's transaction if one is open; 0 or -1 (nothing loaded).
 */
int db_can_copy(const db_t *db);
int db_copy_in(db_t *db, const char *sql, const char *rows, size_t len);

/* Refreshes the planner's statistics (after migrations and bulk loads); 0 or -1. */
int db_analyze(db_t *db);

/* The last failure of this session. */
const db_error_t *db_error(const db_t *db);

/* Maps the session's last failure onto the request's problem response; returns -1. */
int db_fail(req_t *r, const db_t *db);

/* Whether the primary answers (for /readyz); 0 or -1. */
int db_ping(db_t *db);

/* Where the last statement of this session ran: "sqlite", "primary" or "replica". */
const char *db_last_target(const db_t *db);

#endif
