#!/bin/bash
# The standby's entrypoint (compose service postgres-standby, run as the user postgres).
# A new data directory is first copied from the primary with pg_basebackup; then PostgreSQL starts
# as a hot standby (read-only queries) that streams the primary's WAL through the slot
# `ssj_standby`, and falls back to the WAL archive when the stream is behind.
# Promote it with:  docker compose exec postgres-standby pg_ctl promote -D "$PGDATA"
set -euo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
PRIMARY_HOST="${SSJ_PG_PRIMARY_HOST:-postgres-primary}"
PASSWORD_FILE=/run/secrets/pg_replication_password
if [[ ! -s "$PASSWORD_FILE" ]]; then
    echo "standby.sh: 缺少密钥文件 $PASSWORD_FILE（compose.yaml 的 secrets: pg_replication_password）" >&2
    exit 1
fi

# libpq reads the password from a passfile, so it never shows in `ps` or in the settings.
PASSFILE="$PGDATA/../ssj-replication.pgpass"
printf '%s:5432:*:ssj_replicator:%s\n' "$PRIMARY_HOST" "$(cat "$PASSWORD_FILE")" > "$PASSFILE"
chmod 0600 "$PASSFILE"

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
    until pg_isready --host "$PRIMARY_HOST" --port 5432 --quiet; do
        echo "standby.sh: 等待主库 $PRIMARY_HOST 就绪" >&2
        sleep 2
    done
    # A primary restored from a base backup has no slots (pg_basebackup leaves them out).
    PGPASSFILE="$PASSFILE" psql --host "$PRIMARY_HOST" --username ssj_replicator --dbname postgres \
        --quiet --tuples-only --command "SELECT pg_create_physical_replication_slot('ssj_standby')
            WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = 'ssj_standby')"
    rm -rf "${PGDATA:?}"/*
    PGPASSFILE="$PASSFILE" pg_basebackup --host "$PRIMARY_HOST" --username ssj_replicator \
        --pgdata "$PGDATA" --wal-method stream --slot ssj_standby --checkpoint fast \
        --write-recovery-conf --progress
    # What -R wrote is replaced by an explicit line: the password stays in the passfile.
    cat >> "$PGDATA/postgresql.auto.conf" <<CONF
primary_conninfo = 'host=$PRIMARY_HOST port=5432 user=ssj_replicator passfile=$PASSFILE application_name=ssj_standby'
primary_slot_name = 'ssj_standby'
restore_command = 'cp /var/lib/postgresql/archive/%f %p'
CONF
fi
chmod 0700 "$PGDATA"

# The primary's settings as well: promoted (pg_ctl promote), this server is the primary, and
# archives its WAL to the same archive from then on.
exec postgres -D "$PGDATA" -c hot_standby=on -c hot_standby_feedback=on \
    -c wal_level=replica -c max_wal_senders=10 -c max_replication_slots=10 \
    -c archive_mode=on -c archive_timeout=60 \
    -c 'archive_command=test ! -f /var/lib/postgresql/archive/%f && cp %p /var/lib/postgresql/archive/%f' \
    -c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3
