/*
 * pg.c - the PostgreSQL engine over libpq: statements are prepared once per
 * connection (on first use), parameters are sent as text, results copied into
 * the caller's arena. SQLSTATEs map onto db_status_t.
 */
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

struct dbconn {
    PGconn *pg;
    unsigned char *prepared; /* by statement id: 1 once prepared on this connection */
    int cap;
};

static db_status_t status_of(const char *sqlstate)
{
    if (sqlstate == NULL)
        return DB_UNAVAILABLE; /* no SQLSTATE: the connection failed */
    if (strcmp(sqlstate, "23505") == 0)
        return DB_UNIQUE;
    if (strcmp(sqlstate, "23503") == 0)
        return DB_FOREIGN_KEY;
    if (strncmp(sqlstate, "23", 2) == 0 || strncmp(sqlstate, "22", 2) == 0)
        return DB_INVALID;
    if (strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0)
        return DB_RETRY;
    if (strcmp(sqlstate, "08P01") == 0)
        return DB_ERROR; /* protocol violation: the wrong number of arguments, a bug rather than an outage */
    if (strncmp(sqlstate, "08", 2) == 0 || strcmp(sqlstate, "57P01") == 0 || strcmp(sqlstate, "57P02") == 0 ||
        strcmp(sqlstate, "57P03") == 0 || strcmp(sqlstate, "25006") == 0 || strcmp(sqlstate, "53300") == 0)
        return DB_UNAVAILABLE;
    /* cancelled (the statement timeout) or a lock not granted in time: the database is too busy right now */
    if (strcmp(sqlstate, "57014") == 0 || strcmp(sqlstate, "55P03") == 0)
        return DB_UNAVAILABLE;
    return DB_ERROR;
}

static void set_error(db_error_t *err, PGconn *pg, const PGresult *r)
{
    const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *cons = r != NULL ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
    const char *msg = r != NULL ? PQresultErrorMessage(r) : NULL;
    if (msg == NULL || *msg == '\0')
        msg = PQerrorMessage(pg);
    err->status = status_of(state);
    if (PQstatus(pg) == CONNECTION_BAD)
        err->status = DB_UNAVAILABLE;
    snprintf(err->constraint, sizeof(err->constraint), "%s", cons != NULL ? cons : "");
    snprintf(err->message, sizeof(err->message), "%s", msg);
    size_t n = strlen(err->message);
    while (n > 0 && (err->message[n - 1] == '\n' || err->message[n - 1] == ' '))
        err->message[--n] = '\0';
}

/* Notices ("relation already exists, skipping") are not errors; keep them off stderr. */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static char options[64] = "-c statement_timeout=30000 -c TimeZone=UTC";

void pg_set_statement_timeout(int ms)
{
    snprintf(options, sizeof(options), "-c statement_timeout=%d -c TimeZone=UTC", ms);
}

static dbconn_t *pg_connect(const char *url, db_error_t *err)
{
    /* Defaults first: settings in the URL override them (expand_dbname). */
    const char *keys[] = {"connect_timeout", "application_name", "keepalives_idle", "keepalives_interval",
                          "keepalives_count", "options", "dbname", NULL};
    const char *vals[] = {"3", "school-erp", "10", "3", "3", options, url, NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
        err->status = DB_UNAVAILABLE;
        err->constraint[0] = '\0';
        snprintf(err->message, sizeof(err->message), "%s", pg != NULL ? PQerrorMessage(pg) : "out of memory");
        size_t n = strlen(err->message);
        while (n > 0 && (err->message[n - 1] == '\n' || err->message[n - 1] == ' '))
            err->message[--n] = '\0';
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, ignore_notice, NULL);
    dbconn_t *c = xcalloc(1, sizeof(*c));
    c->pg = pg;
    return c;
}

static void pg_disconnect(dbconn_t *c)
{
    if (c == NULL)
        return;
    PQfinish(c->pg);
    free(c->prepared);
    free(c);
}

static int ensure_prepared(dbconn_t *c, stmt_t *st, db_error_t *err)
{
    int id = stmt_id(st);
    if (id >= c->cap) {
        int cap = c->cap ? c->cap : 64;
        while (cap <= id)
            cap *= 2;
        c->prepared = xrealloc(c->prepared, (size_t)cap);
        memset(c->prepared + c->cap, 0, (size_t)(cap - c->cap));
        c->cap = cap;
    }
    if (c->prepared[id])
        return 0;
    char name[16];
    snprintf(name, sizeof(name), "s%d", id);
    PGresult *r = PQprepare(c->pg, name, stmt_sql(st, &db_engine_pg), 0, NULL);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        set_error(err, c->pg, r);
        char msg[sizeof(err->message)];
        snprintf(msg, sizeof(msg), "prepare %s: %s", st->name, err->message);
        memcpy(err->message, msg, sizeof(msg));
    }
    PQclear(r);
    if (ok)
        c->prepared[id] = 1;
    return ok ? 0 : -1;
}

#define MAX_PARAMS 64

/* Rows a statement inserted, updated or deleted (PQcmdTuples also counts the rows a SELECT returned). */
static long long changes_of(PGresult *r)
{
    const char *cmd = PQcmdStatus(r);
    if (strncmp(cmd, "INSERT ", 7) != 0 && strncmp(cmd, "UPDATE ", 7) != 0 && strncmp(cmd, "DELETE ", 7) != 0 &&
        strncmp(cmd, "MERGE ", 6) != 0)
        return 0;
    const char *tuples = PQcmdTuples(r);
    return tuples != NULL && *tuples != '\0' ? atoll(tuples) : 0;
}

static int pg_exec(dbconn_t *c, stmt_t *st, const db_arg_t *args, int nargs, arena_t *a, db_result_t *res,
                   db_error_t *err)
{
    if (nargs > MAX_PARAMS) {
        err->status = DB_ERROR;
        snprintf(err->message, sizeof(err->message), "%s: too many parameters", st->name);
        return -1;
    }
    if (ensure_prepared(c, st, err) != 0)
        return -1;
    const char *values[MAX_PARAMS];
    char numbers[MAX_PARAMS][32];
    for (int i = 0; i < nargs; i++) {
        switch (args[i].type) {
        case DBT_NULL:
            values[i] = NULL;
            break;
        case DBT_TEXT:
            values[i] = args[i].s;
            break;
        case DBT_INT:
            snprintf(numbers[i], sizeof(numbers[i]), "%lld", args[i].i);
            values[i] = numbers[i];
            break;
        case DBT_BOOL:
            values[i] = args[i].i ? "true" : "false";
            break;
        case DBT_REAL:
            snprintf(numbers[i], sizeof(numbers[i]), "%.17g", args[i].d);
            values[i] = numbers[i];
            break;
        }
    }
    char name[16];
    snprintf(name, sizeof(name), "s%d", stmt_id(st));
    PGresult *r = PQexecPrepared(c->pg, name, nargs, values, NULL, NULL, 0);
    ExecStatusType rs = PQresultStatus(r);
    if (rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK) {
        set_error(err, c->pg, r);
        /* A prepared statement can vanish (DISCARD ALL, a pooler): prepare again next time. */
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (state != NULL && strcmp(state, "26000") == 0)
            c->prepared[stmt_id(st)] = 0;
        PQclear(r);
        return -1;
    }
    if (res != NULL) {
        int nrows = PQntuples(r), ncols = PQnfields(r);
        res->nrows = nrows;
        res->ncols = ncols;
        res->cells = arena_alloc(a, sizeof(char *) * (size_t)(nrows ? nrows : 1) * (size_t)(ncols ? ncols : 1));
        for (int row = 0; row < nrows; row++)
            for (int col = 0; col < ncols; col++)
                res->cells[row * ncols + col] =
                    PQgetisnull(r, row, col)
                        ? NULL
                        : arena_strndup(a, PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
        res->changes = changes_of(r);
    }
    PQclear(r);
    return 0;
}

static int pg_script(dbconn_t *c, const char *sql, db_error_t *err)
{
    PGresult *r = PQexec(c->pg, sql);
    ExecStatusType rs = PQresultStatus(r);
    int ok = rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK;
    if (!ok)
        set_error(err, c->pg, r);
    PQclear(r);
    return ok ? 0 : -1;
}

static int pg_copy_in(dbconn_t *c, const char *sql, const char *rows, size_t len, db_error_t *err)
{
    if (len > INT_MAX) {
        err->status = DB_ERROR;
        snprintf(err->message, sizeof(err->message), "COPY of %zu bytes: too large for one call", len);
        return -1;
    }
    PGresult *r = PQexec(c->pg, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        set_error(err, c->pg, r);
        PQclear(r);
        return -1;
    }
    PQclear(r);
    int sent = PQputCopyData(c->pg, rows, (int)len) == 1;
    if (!sent)
        set_error(err, c->pg, NULL);
    /* a failed send ends the COPY with an error, so that nothing of it is loaded */
    if (PQputCopyEnd(c->pg, sent ? NULL : "the rows could not be sent") != 1 && sent) {
        set_error(err, c->pg, NULL);
        sent = 0;
    }
    int ok = sent;
    while ((r = PQgetResult(c->pg)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            if (ok)
                set_error(err, c->pg, r);
            ok = 0;
        }
        PQclear(r);
    }
    return ok ? 0 : -1;
}

static int pg_healthy(dbconn_t *c)
{
    return PQstatus(c->pg) == CONNECTION_OK;
}

const db_engine_t db_engine_pg = {
    .name = "postgres",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .exec = pg_exec,
    .script = pg_script,
    .copy_in = pg_copy_in,
    .begin_sql = "BEGIN",
    .healthy = pg_healthy,
};
