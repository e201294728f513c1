#!/bin/sh
# Run by docker-compose.yml in temporalio/admin-tools: creates Temporal's two PostgreSQL databases if they
# are missing and brings their schemas to the image's server version. Safe to run again.
set -eu
sql() { temporal-sql-tool --plugin postgres12 --ep postgresql -p 5432 -u temporal --db "$@"; }
schema=/etc/temporal/schema/postgresql/v12
for db in temporal temporal_visibility; do
  dir=$schema/temporal/versioned
  [ "$db" = temporal_visibility ] && dir=$schema/visibility/versioned
  if sql "$db" create 2>/dev/null; then
    sql "$db" setup-schema -v 0.0
    echo "created database $db"
  fi
  sql "$db" update-schema -d "$dir"
done
echo "schemas ready"
