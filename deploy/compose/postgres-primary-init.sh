#!/bin/sh
# Run once by the postgres image on a new primary (/docker-entrypoint-initdb.d): the replication
# role the replica's pg_basebackup and streaming log in as, and its pg_hba.conf line.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '$REPLICATION_PASSWORD';
SQL
echo "host replication replicator all scram-sha-256" >>"$PGDATA/pg_hba.conf"
