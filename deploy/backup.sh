#!/bin/bash
# Nightly database backup (deploy/systemd/dayanisma-backup.timer), as the postgres user. Two dumps:
#   db/    everything except the rows of crypto_data_keys   kept DAYANISMA_BACKUP_KEEP_DAYS (default 35)
#   keys/  only the rows of crypto_data_keys (wrapped)      kept DAYANISMA_KEYS_BACKUP_KEEP_DAYS (default 7)
# Why two: erasing a case (crypto-shredding) destroys its data key; the erasure is complete once no backup holds
# that key. With the keys in their own short regime, a case erased today is unreadable from every backup after 7
# days, while the data dumps can be kept longer. The key file (KEKs) is NOT here: it is copied by hand, offline,
# at install and after each rotation (docs/OPERATIONS.md) — a stolen backup alone decrypts nothing.
# The data dump is taken FIRST: every case it holds had its key before the keys dump starts (keys are created with
# their case and only ever destroyed, never deleted), so a restored pair is always complete — except cases erased
# in between, which is what erasure means.
# Why pg_dump and not WAL archiving: the database is small (text, a few GB with documents), a logical dump restores
# on any PostgreSQL 15 and can leave one table out; point-in-time recovery comes from the streaming replica.
set -euo pipefail
umask 077
DB="${DAYANISMA_DB:-dayanisma}"
DIR="${DAYANISMA_BACKUP_DIR:-/var/backups/dayanisma}"
KEEP_DAYS="${DAYANISMA_BACKUP_KEEP_DAYS:-35}"
KEYS_KEEP_DAYS="${DAYANISMA_KEYS_BACKUP_KEEP_DAYS:-7}"
PG_DUMP="${PG_DUMP:-pg_dump}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$DIR/db" "$DIR/keys"

"$PG_DUMP" --format=custom --exclude-table-data=crypto_data_keys --file="$DIR/db/$DB-$stamp.dump.part" "$DB"
mv "$DIR/db/$DB-$stamp.dump.part" "$DIR/db/$DB-$stamp.dump"
"$PG_DUMP" --format=custom --data-only --table=crypto_data_keys --file="$DIR/keys/$DB-keys-$stamp.dump.part" "$DB"
mv "$DIR/keys/$DB-keys-$stamp.dump.part" "$DIR/keys/$DB-keys-$stamp.dump"

find "$DIR/db" -name '*.dump' -mtime "+$KEEP_DAYS" -delete
find "$DIR/keys" -name '*.dump' -mtime "+$KEYS_KEEP_DAYS" -delete
echo "backup $stamp: $DIR/db/$DB-$stamp.dump $DIR/keys/$DB-keys-$stamp.dump"
