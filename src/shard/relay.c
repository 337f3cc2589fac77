/* relay.c - a school's rows between two PostgreSQL clusters over libpq (see relay.h). */
#include "shard/relay.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"

/* The same text forms on every cluster: checksums compare text. */
#define SESSION_SQL                                                                                                    \
    "SET DateStyle = ISO, MDY; SET TimeZone = 'UTC'; SET IntervalStyle = postgres; SET extra_float_digits = 3;"      \
    " SET bytea_output = hex; SET lock_timeout = '10s'; SET statement_timeout = 0;"                                  \
    " SET idle_in_transaction_session_timeout = 0"

/* School tables: ordinary or partitioned, not a partition, with tenant_id (or tenants), not the catalog's or queue's. */
#define TABLES_SQL                                                                                                     \
    "SELECT c.relname, quote_ident(c.relname),"                                                                        \
    " (SELECT string_agg(quote_ident(a.attname), ',' ORDER BY a.attnum) FROM pg_attribute a"                           \
    "   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''),"                    \
    " (SELECT string_agg(quote_ident(a.attname), ',' ORDER BY array_position(i.indkey::int2[], a.attnum))"             \
    "   FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])"          \
    "   WHERE i.indrelid = c.oid AND i.indisprimary)"                                                                  \
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"                                                   \
    " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition"                       \
    " AND c.relname NOT IN ('tenant_shards', 'tenant_moves', 'tenant_fences', 'jobs')"                                 \
    " AND (c.relname = 'tenants' OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid"                    \
    "      AND a.attname = 'tenant_id' AND NOT a.attisdropped))"                                                       \
    " ORDER BY c.relname"

static int fail(char *err, size_t errlen, const char *what, PGconn *c)
{
    char msg[300];
    snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c));
    msg[strcspn(msg, "\n")] = '\0';
    snprintf(err, errlen, "%s: %s", what, msg);
    return -1;
}

int relay_uuid_valid(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

int relay_exec(PGconn *c, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    return ok ? 0 : fail(err, errlen, "database", c);
}

PGconn *relay_connect(const char *url, char *err, size_t errlen)
{
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) {
        fail(err, errlen, "connect", c);
        PQfinish(c);
        return NULL;
    }
    if (relay_exec(c, SESSION_SQL, err, errlen) != 0) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

void relay_tables_free(relay_tables_t *ts)
{
    for (int i = 0; i < ts->n; i++) {
        free(ts->t[i].name);
        free(ts->t[i].cols);
        free(ts->t[i].pk);
    }
    free(ts->t);
    ts->t = NULL;
    ts->n = 0;
}

int relay_tables(PGconn *c, relay_tables_t *out, char *err, size_t errlen)
{
    out->t = NULL;
    out->n = 0;
    PGresult *r = PQexec(c, TABLES_SQL);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        return fail(err, errlen, "list the school's tables", c);
    }
    int n = PQntuples(r), rc = 0;
    out->t = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*out->t));
    for (int i = 0; i < n && rc == 0; i++) {
        if (PQgetisnull(r, i, 3)) {
            snprintf(err, errlen, "table %s has no primary key: its rows cannot be compared", PQgetvalue(r, i, 0));
            rc = -1;
            break;
        }
        relay_table_t *t = &out->t[out->n++];
        t->name = xstrdup(PQgetvalue(r, i, 1));
        t->cols = xstrdup(PQgetvalue(r, i, 2));
        t->pk = xstrdup(PQgetvalue(r, i, 3));
        t->by_id = strcmp(PQgetvalue(r, i, 0), "tenants") == 0;
    }
    PQclear(r);
    if (rc != 0)
        relay_tables_free(out);
    return rc;
}

int relay_same_schema(const relay_tables_t *a, const relay_tables_t *b, char *err, size_t errlen)
{
    for (int i = 0; i < a->n || i < b->n; i++) {
        const relay_table_t *x = i < a->n ? &a->t[i] : NULL, *y = i < b->n ? &b->t[i] : NULL;
        if (x == NULL || y == NULL || strcmp(x->name, y->name) != 0 || strcmp(x->cols, y->cols) != 0 ||
            strcmp(x->pk, y->pk) != 0) {
            snprintf(err, errlen, "the clusters' schemas differ at table %s (run school-erp migrate)",
                     x != NULL ? x->name : y->name);
            return -1;
        }
    }
    return 0;
}

/* "tenant_id = '<school>'" (or id for tenants) into buf; school is a checked UUID. */
static const char *where(const relay_table_t *t, const char *school, char *buf, size_t len)
{
    snprintf(buf, len, "%s = '%s'", t->by_id ? "id" : "tenant_id", school);
    return buf;
}

/* Full: count, md5 of the rows' md5s in key order, sum of their 64-bit hashes; quick: no md5 (no sort). */
#define SUM_FULL                                                                                                       \
    "SELECT count(*), md5(COALESCE(string_agg(md5(relay_row), '' ORDER BY %s), '')),"                                 \
    " COALESCE(sum(hashtextextended(relay_row, 0)::numeric), 0)"                                                       \
    " FROM (SELECT ROW(%s)::text AS relay_row, %s FROM %s WHERE %s) x"
#define SUM_QUICK                                                                                                      \
    "SELECT count(*), '', COALESCE(sum(hashtextextended(ROW(%s)::text, 0)::numeric), 0) FROM %s WHERE %s"

int relay_sum(PGconn *c, const relay_table_t *t, const char *school, int quick, relay_sum_t *out, char *err,
              size_t errlen)
{
    char w[80];
    char *sql = NULL;
    int n = !relay_uuid_valid(school) ? -1
            : quick ? asprintf(&sql, SUM_QUICK, t->cols, t->name, where(t, school, w, sizeof(w)))
                    : asprintf(&sql, SUM_FULL, t->pk, t->cols, t->pk, t->name, where(t, school, w, sizeof(w)));
    if (n < 0) {
        snprintf(err, errlen, "checksum of %s: not a school id, or out of memory", t->name);
        return -1;
    }
    PGresult *r = PQexec(c, sql);
    free(sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        PQclear(r);
        return fail(err, errlen, t->name, c);
    }
    out->rows = atoll(PQgetvalue(r, 0, 0));
    snprintf(out->md5, sizeof(out->md5), "%s", PQgetvalue(r, 0, 1));
    snprintf(out->hash, sizeof(out->hash), "%s", PQgetvalue(r, 0, 2));
    PQclear(r);
    return 0;
}

int relay_sum_equal(const relay_sum_t *a, const relay_sum_t *b, int quick)
{
    return a->rows == b->rows && strcmp(a->hash, b->hash) == 0 && (quick || strcmp(a->md5, b->md5) == 0);
}

/* Starts COPY sql on c (in or out); 0 once the stream is open. */
static int copy_start(PGconn *c, const char *sql, ExecStatusType want, const char *what, char *err, size_t errlen)
{
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == want;
    PQclear(r);
    return ok ? 0 : fail(err, errlen, what, c);
}

/* Reads the result that ends a COPY on c; *rows from its command tag when rows is not NULL. */
static int copy_end(PGconn *c, long long *rows, const char *what, char *err, size_t errlen)
{
    PGresult *r;
    int rc = 0;
    while ((r = PQgetResult(c)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = -1;
        else if (rows != NULL)
            *rows = atoll(PQcmdTuples(r));
        PQclear(r);
    }
    return rc == 0 ? 0 : fail(err, errlen, what, c);
}

/* Reads what is left of an open COPY OUT on c, so its end can be read (a stream left open would never end). */
static void drain(PGconn *c)
{
    char *buf;
    while (PQgetCopyData(c, &buf, 0) > 0)
        PQfreemem(buf);
}

/* Passes every row of the open COPY OUT on src into the open COPY IN on dst. */
static int pump(PGconn *src, PGconn *dst, const char *name, char *err, size_t errlen)
{
    char *buf;
    int n;
    while ((n = PQgetCopyData(src, &buf, 0)) > 0) {
        int put = PQputCopyData(dst, buf, n);
        PQfreemem(buf);
        if (put != 1) {
            PQputCopyEnd(dst, "the copy stopped");
            copy_end(dst, NULL, name, err, errlen);
            return -1;
        }
    }
    if (n == -2) {
        PQputCopyEnd(dst, "the source failed");
        copy_end(dst, NULL, name, err, errlen);
        return fail(err, errlen, name, src);
    }
    return 0;
}

int relay_copy(PGconn *src, PGconn *dst, const relay_table_t *t, const char *school, long long *rows, char *err,
               size_t errlen)
{
    char w[80];
    char *out = NULL, *in = NULL;
    int rc = -1;
    *rows = 0;
    if (!relay_uuid_valid(school) ||
        asprintf(&out, "COPY (SELECT %s FROM %s WHERE %s) TO STDOUT", t->cols, t->name,
                 where(t, school, w, sizeof(w))) < 0 ||
        asprintf(&in, "COPY %s (%s) FROM STDIN", t->name, t->cols) < 0) {
        snprintf(err, errlen, "copy of %s: not a school id, or out of memory", t->name);
        goto out;
    }
    if (copy_start(src, out, PGRES_COPY_OUT, t->name, err, errlen) != 0)
        goto out;
    if (copy_start(dst, in, PGRES_COPY_IN, t->name, err, errlen) != 0 || pump(src, dst, t->name, err, errlen) != 0) {
        drain(src);
        copy_end(src, NULL, t->name, err, 0); /* ends the source's stream; the first reason stays in err */
        goto out;
    }
    if (copy_end(src, NULL, t->name, err, errlen) != 0)
        goto out;
    if (PQputCopyEnd(dst, NULL) != 1) {
        fail(err, errlen, t->name, dst);
        goto out;
    }
    rc = copy_end(dst, rows, t->name, err, errlen);
out:
    free(out);
    free(in);
    return rc;
}

int relay_delete(PGconn *c, const relay_table_t *t, const char *school, char *err, size_t errlen)
{
    char w[80], sql[400];
    if (!relay_uuid_valid(school)) {
        snprintf(err, errlen, "not a school id: %s", school);
        return -1;
    }
    snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE %s", t->name, where(t, school, w, sizeof(w)));
    return relay_exec(c, sql, err, errlen);
}

/* Whether table (as written in SQL) is among the first column's values of r. */
static int listed(const PGresult *r, const char *table)
{
    for (int i = 0; i < PQntuples(r); i++)
        if (strcmp(PQgetvalue(r, i, 0), table) == 0)
            return 1;
    return 0;
}

int relay_install_fence(PGconn *c, const relay_tables_t *ts, char *err, size_t errlen)
{
    PGresult *have = PQexec(c, "SELECT quote_ident(c.relname) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                               " WHERE t.tgname = 'tenant_write_fence'");
    if (PQresultStatus(have) != PGRES_TUPLES_OK) {
        PQclear(have);
        return fail(err, errlen, "fence", c);
    }
    int rc = 0;
    for (int i = 0; i < ts->n && rc == 0; i++) {
        if (ts->t[i].by_id || listed(have, ts->t[i].name))
            continue;
        char sql[400];
        snprintf(sql, sizeof(sql),
                 "CREATE TRIGGER tenant_write_fence BEFORE INSERT OR UPDATE OR DELETE ON %s"
                 " FOR EACH ROW EXECUTE FUNCTION tenant_write_fence()",
                 ts->t[i].name);
        rc = relay_exec(c, sql, err, errlen);
    }
    PQclear(have);
    return rc;
}
