#!/bin/bash
# Point-in-time restore of the compose primary's data directory, run with the server stopped
# (deploy/RUNBOOK.md, 恢复):
#   docker compose -f deploy/compose.yaml run --rm --no-deps --user postgres \
#       --entrypoint /bin/bash postgres-primary /usr/local/bin/ssj-restore.sh BACKUP_DIR [TARGET_TIME]
# BACKUP_DIR is what `pg_basebackup -Ft -z -X stream` wrote (base.tar.gz, pg_wal.tar.gz);
# TARGET_TIME (e.g. '2026-12-01 10:15:00+08') stops the replay of the WAL archive there;
# without it every archived segment is replayed. The server then starts, replays, and
# promotes itself at the target. The data directory it replaces is kept aside, never deleted.
set -euo pipefail

BACKUP="${1:?用法：ssj-restore.sh 备份目录 [恢复到的时间]}"
TARGET="${2:-}"
: "${PGDATA:=/var/lib/postgresql/data}"
[[ -s "$BACKUP/base.tar.gz" ]] || { echo "ssj-restore.sh: $BACKUP/base.tar.gz 不存在" >&2; exit 1; }

if [[ -s "$PGDATA/PG_VERSION" ]]; then
    ASIDE="/var/lib/postgresql/backup/replaced-$(date -u +%Y%m%dT%H%M%SZ)"
    mkdir -p "$ASIDE"
    mv "$PGDATA"/* "$ASIDE"/
    echo "ssj-restore.sh: 原数据目录已移至 $ASIDE" >&2
fi
tar -xzf "$BACKUP/base.tar.gz" -C "$PGDATA"
if [[ -s "$BACKUP/pg_wal.tar.gz" ]]; then
    tar -xzf "$BACKUP/pg_wal.tar.gz" -C "$PGDATA/pg_wal"
fi
chmod 0700 "$PGDATA"
{
    echo "restore_command = 'cp /var/lib/postgresql/archive/%f %p'"
    if [[ -n "$TARGET" ]]; then
        echo "recovery_target_time = '$TARGET'"
        echo "recovery_target_action = 'promote'"
    fi
} >> "$PGDATA/postgresql.auto.conf"
touch "$PGDATA/recovery.signal"
echo "ssj-restore.sh: 已就绪；启动 postgres-primary 后将重放 WAL${TARGET:+ 至 $TARGET}" >&2
