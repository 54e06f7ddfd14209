#!/bin/bash
# Run once by the postgres image's entrypoint, when the primary's data directory is new
# (/docker-entrypoint-initdb.d/). Makes the roles ssj needs, each with its password read from a
# compose secret (/run/secrets/…), never from this file or the command line:
#   ssj_owner       owns the database `ssj`; `ssj db migrate` connects as it (SSJ_ADMIN_DATABASE_URL)
#   ssj_service     the service (SSJ_DATABASE_URL); `ssj db migrate` grants it INSERT and SELECT only
#   ssj_replicator  streaming replication and pg_basebackup of the standby
# and the physical replication slot the standby streams from, so that the primary keeps every WAL
# segment the standby has not received yet.
set -euo pipefail

secret() {
    local file="/run/secrets/$1"
    if [[ ! -s "$file" ]]; then
        echo "init-primary.sh: 缺少密钥文件 $file（compose.yaml 的 secrets: $1）" >&2
        exit 1
    fi
    cat "$file"
}

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner_pw="$(secret pg_owner_password)" \
    -v service_pw="$(secret pg_service_password)" \
    -v replicator_pw="$(secret pg_replication_password)" <<'SQL'
CREATE ROLE ssj_owner LOGIN PASSWORD :'owner_pw';
CREATE ROLE ssj_service LOGIN PASSWORD :'service_pw';
CREATE ROLE ssj_replicator LOGIN REPLICATION PASSWORD :'replicator_pw';
CREATE DATABASE ssj OWNER ssj_owner;
SELECT pg_create_physical_replication_slot('ssj_standby');
SQL

# The image's pg_hba.conf lets every database in with a password, but not replication
# connections, which `all` does not match.
echo "host replication ssj_replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
