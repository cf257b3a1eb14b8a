#!/bin/bash
# Restore a backup pair (deploy/backup.sh) into a NEW, empty database, as the postgres user:
#   deploy/restore.sh /var/backups/dayanisma/db/dayanisma-STAMP.dump /var/backups/dayanisma/keys/dayanisma-keys-STAMP.dump
# Stop the app servers first (systemctl stop dayanisma), and have the roles (roles.sql) on this server. The dumps
# carry owners and grants, so the app role gets back exactly its rights. Then: `flask --app wsgi audit verify`
# with the anchor kept outside (docs/OPERATIONS.md, restore) before starting the app servers again.
set -euo pipefail
DB="${DAYANISMA_DB:-dayanisma}"
OWNER="${DAYANISMA_DB_OWNER:-dayanisma_owner}"
PSQL="${PSQL:-psql}"
PG_RESTORE="${PG_RESTORE:-pg_restore}"
data_dump="$1"
keys_dump="$2"
[ -r "$data_dump" ] && [ -r "$keys_dump" ] || { echo "usage: $0 DATA_DUMP KEYS_DUMP (both readable)" >&2; exit 2; }
if [ "$("$PSQL" -XAtc "SELECT count(*) FROM pg_database WHERE datname = '$DB'" postgres)" != 0 ]; then
  echo "database $DB exists: rename or drop it first (ALTER DATABASE $DB RENAME TO ${DB}_broken)" >&2
  exit 1
fi
"$PSQL" -X -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$DB\" OWNER \"$OWNER\" TEMPLATE template0" postgres
# As roles.sql: only the app role may connect (database-level grants are not in a dump of the database's contents).
"$PSQL" -X -v ON_ERROR_STOP=1 -c "REVOKE ALL ON DATABASE \"$DB\" FROM PUBLIC" \
  -c "GRANT CONNECT, TEMPORARY ON DATABASE \"$DB\" TO dayanisma_app" postgres
"$PG_RESTORE" --exit-on-error --dbname="$DB" "$data_dump"
"$PG_RESTORE" --exit-on-error --data-only --dbname="$DB" "$keys_dump"
echo "restored $DB from $data_dump and $keys_dump"
