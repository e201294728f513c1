#!/usr/bin/env bash
# Stands up a standalone Temporal server on PostgreSQL on one machine, without Docker, for mlasim workers:
# PostgreSQL from Debian's packages, the Temporal server and its SQL schema tool built from this module's
# own dependencies (the server version in go.mod, the same one mlasim embeds and tests), the schemas, the
# namespace and mlasim's search attributes.
#
#   deploy/cluster.sh up [DIR]     build, start, set up; prints the TEMPORAL_* settings for workers
#   deploy/cluster.sh down [DIR]   stop the server and PostgreSQL (the data stays in DIR)
#   deploy/cluster.sh env [DIR]    print the settings again
#
# DIR (default .mlasim-cluster) holds the binaries, the configuration, the database and the logs.
# Settings: MLASIM_CLUSTER_PORT (Temporal frontend, default 17233; the services use the next ports),
# MLASIM_PG_PORT (PostgreSQL, default 15432), NAMESPACE (default "default"). Everything listens on
# 127.0.0.1 only. On a machine without PostgreSQL the script installs it with apt-get (as root).
set -euo pipefail

cmd=${1:-}
dir=${2:-.mlasim-cluster}
port=${MLASIM_CLUSTER_PORT:-17233}
pgport=${MLASIM_PG_PORT:-15432}
namespace=${NAMESPACE:-default}
repo=$(cd "$(dirname "$0")/.." && pwd)

say() { printf 'cluster: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pgdata=$dir/postgres
pgrun=$dir/postgres-run
bin=$dir/bin

# PostgreSQL refuses to run as root: as root, its commands run as the postgres user Debian creates.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$d" ]; then
    [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed: install Debian's postgresql package (apt-get install postgresql)"
    say "installing PostgreSQL from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
    d=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  echo "$d"
}

psql_run() { as_pg "$pg/psql" -h "$pgrun" -p "$pgport" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

start_postgres() {
  pg=$(pg_bin)
  # The postgres user must reach its data inside DIR (mktemp makes folders only root can enter).
  if [ "$(id -u)" = 0 ]; then chmod 0755 "$dir"; fi
  if [ ! -f "$pgdata/PG_VERSION" ]; then
    say "creating a PostgreSQL cluster in $pgdata"
    mkdir -p "$pgdata"
    if [ "$(id -u)" = 0 ]; then chown postgres "$pgdata"; fi
    as_pg "$pg/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log"
  fi
  mkdir -p "$pgrun"
  if [ "$(id -u)" = 0 ]; then chown postgres "$pgrun"; fi
  if ! as_pg "$pg/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
    say "starting PostgreSQL on 127.0.0.1:$pgport"
    as_pg "$pg/pg_ctl" -D "$pgdata" -l "$pgrun/postgres.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $pgport -k $pgrun -c max_connections=200" start >/dev/null
  fi
  if [ -z "$(psql_run -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname='temporal'")" ]; then
    psql_run -d postgres -c "CREATE ROLE temporal LOGIN CREATEDB PASSWORD 'temporal'"
  fi
}

build_temporal() {
  # The server and its SQL tool are `tool` dependencies in go.mod, at the version mlasim embeds.
  mkdir -p "$bin"
  if [ ! -x "$bin/temporal-server" ] || [ ! -x "$bin/temporal-sql-tool" ] || [ "$repo/go.mod" -nt "$bin/temporal-server" ]; then
    say "building the Temporal server and temporal-sql-tool $(server_version) (a minute with a warm Go cache)"
    (cd "$repo" && go build -o "$bin/temporal-server" go.temporal.io/server/cmd/server &&
      go build -o "$bin/temporal-sql-tool" go.temporal.io/server/cmd/tools/sql)
  fi
}

server_version() { (cd "$repo" && go list -m -f '{{.Version}}' go.temporal.io/server); }
server_dir() { (cd "$repo" && go mod download -json go.temporal.io/server | sed -n 's/.*"Dir": "\(.*\)",/\1/p'); }

setup_schema() {
  local schema sql db
  schema=$(server_dir)/schema/postgresql/v12
  sql=("$bin/temporal-sql-tool" --plugin postgres12 --ep 127.0.0.1 -p "$pgport" -u temporal --pw temporal)
  for db in temporal temporal_visibility; do
    local versioned=$schema/temporal/versioned
    [ "$db" = temporal_visibility ] && versioned=$schema/visibility/versioned
    if [ -z "$(psql_run -d postgres -c "SELECT 1 FROM pg_database WHERE datname='$db'")" ]; then
      say "creating database $db and its schema"
      "${sql[@]}" --db "$db" create >>"$dir/schema.log" 2>&1
      "${sql[@]}" --db "$db" setup-schema -v 0.0 >>"$dir/schema.log" 2>&1
    fi
    # Brings an existing database up to this server version's schema too.
    "${sql[@]}" --db "$db" update-schema -d "$versioned" >>"$dir/schema.log" 2>&1 ||
      die "schema update of $db failed: see $dir/schema.log"
  done
}

write_config() {
  local p=$port
  cat >"$dir/temporal.yaml" <<EOF
# Written by deploy/cluster.sh: a Temporal server on PostgreSQL at 127.0.0.1:$pgport.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:
      sql: {pluginName: postgres12, databaseName: temporal, connectAddr: "127.0.0.1:$pgport", connectProtocol: tcp, user: temporal, password: temporal, maxConns: 20, maxIdleConns: 20, maxConnLifetime: 1h}
    visibility:
      sql: {pluginName: postgres12, databaseName: temporal_visibility, connectAddr: "127.0.0.1:$pgport", connectProtocol: tcp, user: temporal, password: temporal, maxConns: 10, maxIdleConns: 10, maxConnLifetime: 1h}
global:
  membership: {maxJoinDuration: 30s, broadcastAddress: "127.0.0.1"}
services:
  frontend: {rpc: {grpcPort: $p, membershipPort: $((p + 100)), bindOnLocalHost: true, httpPort: $((p + 10))}}
  history: {rpc: {grpcPort: $((p + 1)), membershipPort: $((p + 101)), bindOnLocalHost: true}}
  matching: {rpc: {grpcPort: $((p + 2)), membershipPort: $((p + 102)), bindOnLocalHost: true}}
  worker: {rpc: {grpcPort: $((p + 6)), membershipPort: $((p + 106)), bindOnLocalHost: true}}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active: {enabled: true, initialFailoverVersion: 1, rpcName: frontend, rpcAddress: "127.0.0.1:$p"}
dcRedirectionPolicy: {policy: noop}
dynamicConfigClient: {filepath: "$dir/dynamicconfig.yaml", pollInterval: 10s}
EOF
  cat >"$dir/dynamicconfig.yaml" <<'EOF'
# A new search attribute is usable at once, not after the cache refresh.
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
EOF
}

start_temporal() {
  if [ -f "$dir/temporal.pid" ] && kill -0 "$(cat "$dir/temporal.pid")" 2>/dev/null; then
    say "the Temporal server is running (pid $(cat "$dir/temporal.pid"))"
    return
  fi
  say "starting the Temporal server on 127.0.0.1:$port"
  nohup "$bin/temporal-server" --config-file "$dir/temporal.yaml" --allow-no-auth start >"$dir/temporal.log" 2>&1 &
  echo $! >"$dir/temporal.pid"
}

mlasim() {
  if [ ! -x "$bin/mlasim" ] || [ -n "$(find "$repo" -name '*.go' -newer "$bin/mlasim" -print -quit)" ]; then
    (cd "$repo" && go build -o "$bin/mlasim" ./cmd/mlasim)
  fi
  TEMPORAL_ADDRESS=127.0.0.1:$port TEMPORAL_NAMESPACE=$namespace "$bin/mlasim" "$@"
}

wait_and_setup() {
  local i
  for i in $(seq 1 120); do
    if mlasim setup >"$dir/setup.log" 2>&1; then
      sed 's/^/cluster: /' "$dir/setup.log" >&2
      return
    fi
    kill -0 "$(cat "$dir/temporal.pid")" 2>/dev/null || die "the Temporal server exited: see $dir/temporal.log"
    sleep 1
  done
  cat "$dir/setup.log" >&2
  die "the Temporal server did not answer within 2 minutes: see $dir/temporal.log"
}

print_env() {
  cat <<EOF
export TEMPORAL_ADDRESS=127.0.0.1:$port
export TEMPORAL_NAMESPACE=$namespace
EOF
}

case $cmd in
up)
  start_postgres
  build_temporal
  setup_schema
  write_config
  start_temporal
  wait_and_setup
  say "ready: Temporal $(server_version) at 127.0.0.1:$port, namespace $namespace; start workers with these settings:"
  print_env
  ;;
down)
  if [ -f "$dir/temporal.pid" ]; then
    kill "$(cat "$dir/temporal.pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$(cat "$dir/temporal.pid")" 2>/dev/null || break; sleep 0.2; done
    rm -f "$dir/temporal.pid"
  fi
  pg=$(pg_bin)
  as_pg "$pg/pg_ctl" -D "$pgdata" -m fast stop >/dev/null 2>&1 || true
  say "stopped; the data stays in $dir"
  ;;
env) print_env ;;
*)
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
