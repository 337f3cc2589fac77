/*
 * relay.h - a school's rows between two PostgreSQL clusters, for the mover
 * (shard/move.h): which tables hold them, their checksums, COPY from one
 * cluster into another, the write fence.
 *
 * The relay speaks libpq directly (COPY streams, session settings the store
 * does not offer), on connections of its own made from the clusters' URLs;
 * the process itself carries the bytes, so the clusters need no path to each
 * other, no replication slot and no wal_level=logical.
 *
 * A school's tables: every ordinary or partitioned table of the schema with a
 * tenant_id column (its rows: tenant_id = the school), and `tenants` (its
 * row: id = the school), except the catalog's own (tenant_shards,
 * tenant_moves, tenant_fences) and the job queue's (jobs: the queue lives
 * with the catalog whatever cluster holds the school). Each must have a
 * primary key: checksums order rows by it.
 *
 * Checksum of a table: the count of the school's rows, the md5 of the md5s
 * of their text forms (ROW(columns)::text) in primary-key order, and the sum
 * of their 64-bit hashes, computed by each cluster with the same session
 * settings (ISO dates, UTC, exact floats), so equal rows give equal sums on
 * any cluster.
 *
 * Writes made through the relay run with session_replication_role = replica:
 * triggers (the append-only ledger, the fence) and foreign-key checks stay
 * off while a whole school is copied in or deleted, as PostgreSQL's own
 * logical replication applies rows. Needs a superuser, or (PostgreSQL 15)
 * GRANT SET ON PARAMETER session_replication_role to the role.
 *
 * Every call returns 0 or -1 with a one-line reason in err (errlen bytes).
 * School ids are checked as UUIDs before they are written into SQL text
 * (COPY takes no parameters).
 */
#ifndef ERP_SHARD_RELAY_H
#define ERP_SHARD_RELAY_H

#include <libpq-fe.h>
#include <stddef.h>

typedef struct relay_table {
    char *name; /* the table's name, as written in SQL */
    char *cols; /* its columns in order, quoted, comma-separated */
    char *pk;   /* its primary key's columns, quoted, comma-separated */
    int by_id;  /* 1 for tenants (the school's row is id = the school) */
} relay_table_t;

typedef struct relay_tables {
    relay_table_t *t; /* heap; relay_tables_free() */
    int n;
} relay_tables_t;

typedef struct relay_sum {
    long long rows;
    char md5[33];  /* "" from a quick sum */
    char hash[48]; /* the sum of the rows' 64-bit hashes (hashtextextended), in decimal */
} relay_sum_t;

/* Connects to url with the relay's session settings; NULL with err. The caller PQfinish()es it. */
PGconn *relay_connect(const char *url, char *err, size_t errlen);

/* Runs SQL text that returns no rows. */
int relay_exec(PGconn *c, const char *sql, char *err, size_t errlen);

/* The school tables of the cluster c is connected to (see above), by name. */
int relay_tables(PGconn *c, relay_tables_t *out, char *err, size_t errlen);
void relay_tables_free(relay_tables_t *ts);
/* 0 when both clusters have the same school tables with the same columns and keys; -1 naming the first that differs. */
int relay_same_schema(const relay_tables_t *a, const relay_tables_t *b, char *err, size_t errlen);

/*
 * Count and checksums of the school's rows of t on c. quick: the count and the
 * hash sum only (no sort: what tells one cluster's table from its own earlier
 * state); else the md5 too (what two clusters compare).
 */
int relay_sum(PGconn *c, const relay_table_t *t, const char *school, int quick, relay_sum_t *out, char *err,
              size_t errlen);
/* Whether two sums agree (quick: on the count and hash sum only). */
int relay_sum_equal(const relay_sum_t *a, const relay_sum_t *b, int quick);

/* Copies the school's rows of t from src to dst (COPY out, COPY in); *rows: how many. */
int relay_copy(PGconn *src, PGconn *dst, const relay_table_t *t, const char *school, long long *rows, char *err,
               size_t errlen);

/* Deletes the school's rows of t on c (within the caller's transaction). */
int relay_delete(PGconn *c, const relay_table_t *t, const char *school, char *err, size_t errlen);

/* Puts the fence trigger (tenant_write_fence(), migration 0020) on every table of ts but tenants; idempotent. */
int relay_install_fence(PGconn *c, const relay_tables_t *ts, char *err, size_t errlen);

/* Whether s is a UUID in its text form (36 characters, hex digits and dashes). */
int relay_uuid_valid(const char *s);

#endif
