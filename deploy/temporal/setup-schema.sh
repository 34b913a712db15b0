#!/bin/sh
# Creates or migrates Temporal's two PostgreSQL databases (persistence and visibility)
# with the temporal-sql-tool of the admin-tools image, and creates the empty database of
# Clusterflow's store when CLUSTERFLOW_DBNAME names one (the worker and the API make its
# tables themselves, with their versioned migrations). Runs on every `docker compose up`:
# each step is idempotent (create skips an existing database, setup-schema keeps a newer
# version, update-schema applies only the missing versions).
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS names the PostgreSQL host}"
: "${POSTGRES_USER:?POSTGRES_USER names the PostgreSQL user}"
: "${SQL_PASSWORD:?SQL_PASSWORD is the PostgreSQL password (from POSTGRES_PASSWORD in .env)}"
DB_PORT="${DB_PORT:-5432}"
SCHEMA_ROOT="${TEMPORAL_SCHEMA_ROOT:-/etc/temporal/schema/postgresql/v12}"

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

migrate() {
  database="$1"
  versioned="$2"
  echo "[temporal-schema] database ${database}: create if missing, then migrate"
  sql_tool --db "$database" create
  sql_tool --db "$database" setup-schema -v 0.0
  sql_tool --db "$database" update-schema -d "$versioned"
}

migrate "${DBNAME:-temporal}" "$SCHEMA_ROOT/temporal/versioned"
migrate "${VISIBILITY_DBNAME:-temporal_visibility}" "$SCHEMA_ROOT/visibility/versioned"
if [ -n "${CLUSTERFLOW_DBNAME:-}" ]; then
  echo "[temporal-schema] database ${CLUSTERFLOW_DBNAME}: create if missing (Clusterflow's store)"
  sql_tool --db "$CLUSTERFLOW_DBNAME" create
fi
echo "[temporal-schema] schema is current"
