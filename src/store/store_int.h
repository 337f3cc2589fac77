/*
 * store_int.h - what the store's files share: the engine port (one connection
 * of one engine), replica state and statistics. Not for use outside src/store/.
 */
#ifndef ERP_STORE_STORE_INT_H
#define ERP_STORE_STORE_INT_H

#include <pthread.h>

#include "obs/metrics.h"
#include "store/store.h"

typedef struct dbconn dbconn_t;

/* One engine: a connection and what can be done on it. */
typedef struct db_engine {
    const char *name; /* "sqlite", "postgres" */
    /* Connects; NULL with err filled on failure. */
    dbconn_t *(*connect)(const char *url, db_error_t *err);
    void (*disconnect)(dbconn_t *c);
    /* Runs a statement (prepared on first use on this connection). */
    int (*exec)(dbconn_t *c, stmt_t *st, const db_arg_t *args, int nargs, arena_t *a, db_result_t *res,
                db_error_t *err);
    /* Runs text without parameters (BEGIN, COMMIT, DDL scripts). */
    int (*script)(dbconn_t *c, const char *sql, db_error_t *err);
    /* Streams rows in COPY text format into `COPY … FROM STDIN` sql; NULL when the engine has no COPY. */
    int (*copy_in)(dbconn_t *c, const char *sql, const char *rows, size_t len, db_error_t *err);
    /* Text of BEGIN for a write transaction. */
    const char *begin_sql;
    /* Whether the connection is still usable after an error. */
    int (*healthy)(dbconn_t *c);
} db_engine_t;

extern const db_engine_t db_engine_sqlite;
extern const db_engine_t db_engine_pg;

/* Sets the statement timeout of PostgreSQL connections made from now on (store_open()). */
void pg_set_statement_timeout(int ms);

/* The SQL text of st for an engine. */
const char *stmt_sql(const stmt_t *st, const db_engine_t *e);
/* Gives st its id (and stats) on first use; thread-safe. */
int stmt_id(stmt_t *st);

enum { TARGET_SQLITE, TARGET_PRIMARY, TARGET_REPLICA, TARGET_COUNT };

struct stmt_stats {
    const stmt_t *st;
    hist_t duration[TARGET_COUNT];
    uint64_t errors[TARGET_COUNT];
    stmt_stats_t *next;
};

/* Replica monitoring and read-your-writes (replicas.c). */
typedef struct replica_state {
    char *url;
    int up;               /* atomic: last probe succeeded */
    uint64_t replay_lsn;  /* atomic: last known replayed WAL position */
    int fresh;            /* atomic: within the allowed lag */
    double lag_ms;        /* last computed lag, for metrics */
} replica_state_t;

typedef struct replicas replicas_t;

/* Starts the monitor thread for n replica URLs (primary_url for the primary's WAL position). */
replicas_t *replicas_start(const char *primary_url, char *const *urls, int n, int max_lag_ms);
void replicas_stop(replicas_t *rs);
int replicas_count(const replicas_t *rs);
replica_state_t *replicas_get(replicas_t *rs, int i);
/* Records that actor's last write reached WAL position lsn. */
void replicas_note_write(replicas_t *rs, const char *actor, uint64_t lsn);
/* WAL position the actor's reads must see (0: none). */
uint64_t replicas_required_lsn(replicas_t *rs, const char *actor);
/* Parses "16/B374D848"; 0 on malformed text. */
uint64_t lsn_parse(const char *text);

#endif
