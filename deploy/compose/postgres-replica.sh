#!/bin/sh
# The replica's entry point: on an empty data directory, copies the primary (pg_basebackup -R
# writes the standby settings), then runs PostgreSQL as a hot standby streaming from it.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -q -h postgres-primary -U "$POSTGRES_USER"; do sleep 1; done
    PGPASSWORD=$REPLICATION_PASSWORD pg_basebackup -h postgres-primary -U replicator -D "$PGDATA" \
        -R -X stream --checkpoint=fast
    chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on
