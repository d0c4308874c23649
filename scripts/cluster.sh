#!/usr/bin/env bash
# A real Temporal cluster on PostgreSQL on this machine: the same server version and schema as
# docker-compose.yml, without containers. Used by developers (`npm run cluster -- up`) and the
# tests (test/helpers/cluster.ts).
#
#   scripts/cluster.sh up      [--dir DIR] [--postgres-only]   start PostgreSQL and the server; prints TEMPORAL_ADDRESS=...
#                                  (--postgres-only: PostgreSQL with the results database, no server)
#   scripts/cluster.sh status  [--dir DIR]   what runs, and the settings to use it
#   scripts/cluster.sh env     [--dir DIR]   only the settings (for `eval "$(scripts/cluster.sh env)"`)
#   scripts/cluster.sh down    [--dir DIR] [--keep]   stop both; removes DIR unless --keep
#   scripts/cluster.sh restart-server   [--dir DIR] [--kill]   SIGTERM (or SIGKILL) the server, start it again
#   scripts/cluster.sh restart-postgres [--dir DIR]   pg_ctl restart -m immediate (a crash and recovery)
#
# DIR (default $DXP_CLUSTER_DIR, else ${TMPDIR:-/tmp}/dxp-cluster) holds everything: pg/ (the
# database cluster), run/ (its unix socket), temporal.yaml and dynamicconfig.yaml (the server's
# config), *.log, *.pid and cluster.env. `up` on a DIR kept by `down --keep` reuses its data.
# Besides Temporal's two databases, PostgreSQL holds dxp_results, the results store every worker
# shares (DXP_RESULTS_URL in the printed settings).
#
# The server and temporal-sql-tool are built from Go modules by `npm run setup` into
# .tools/temporal-server-<version>/ (DXP_TEMPORAL_SERVER_DIR to use another); PostgreSQL is
# Debian's `postgresql` (DXP_PG_BIN_DIR for another bin/ folder). Nothing is downloaded here.
# PostgreSQL refuses to run as root: as root, it runs as the `postgres` user. It listens on
# 127.0.0.1 only, on a free port, with trust authentication (loopback, user temporal).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TEMPORAL_SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-1.30.4}"
# bin/ (server, sql), schema/ and config/: copied from the module by scripts/setup.sh.
TOOLS_DIR="${DXP_TEMPORAL_SERVER_DIR:-$ROOT/.tools/temporal-server-$TEMPORAL_SERVER_VERSION}"
BIN_DIR="$TOOLS_DIR/bin"
SCHEMA_DIR="$TOOLS_DIR/schema/postgresql/v12"
SERVER="$BIN_DIR/server"
SQL_TOOL="$BIN_DIR/sql"
NAMESPACE="${DXP_CLUSTER_NAMESPACE:-default}"
START_TIMEOUT="${DXP_CLUSTER_START_TIMEOUT:-120}"

die() { echo "cluster: $*" >&2; exit 1; }
log() { echo "cluster: $*" >&2; }

COMMAND="${1:-}"
[ $# -gt 0 ] && shift
DIR="${DXP_CLUSTER_DIR:-${TMPDIR:-/tmp}/dxp-cluster}"
KEEP=0
KILL=0
POSTGRES_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --dir=*) DIR="${1#--dir=}"; shift ;;
    --keep) KEEP=1; shift ;;
    --kill) KILL=1; shift ;;
    --postgres-only) POSTGRES_ONLY=1; shift ;;
    *) die "unknown option $1 (see the top of $0)" ;;
  esac
done
[ "$COMMAND" = up ] && mkdir -p "$DIR"
if [ -d "$DIR" ]; then DIR="$(cd "$DIR" && pwd)"; fi
PGDATA="$DIR/pg"
SOCKET_DIR="$DIR/run"
ENV_FILE="$DIR/cluster.env"
PORTS_FILE="$DIR/ports.env"
SERVER_PID_FILE="$DIR/server.pid"

# --- PostgreSQL ---------------------------------------------------------------------------

pg_bin_dir() {
  if [ -n "${DXP_PG_BIN_DIR:-}" ]; then echo "$DXP_PG_BIN_DIR"; return; fi
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v pg_ctl)")"; return; fi
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  [ -n "$d" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  return 1
}

# Runs a PostgreSQL program as the user that owns the data: `postgres` when we are root.
as_pg() {
  if [ "$(id -u)" = "0" ]; then (cd "$DIR" && runuser -u postgres -- "$@"); else (cd "$DIR" && "$@"); fi
}

pg_running() { [ -d "$PGDATA" ] && as_pg "$PG_BIN/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1; }

pg_start() {
  as_pg "$PG_BIN/pg_ctl" start -w -t 60 -D "$PGDATA" -l "$DIR/postgres.log" \
    -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$SOCKET_DIR -c max_connections=200" >/dev/null \
    || die "PostgreSQL did not start; see $DIR/postgres.log: $(tail -5 "$DIR/postgres.log" 2>/dev/null)"
}

# The results store's database; its tables are made by the first worker that starts (a migration).
create_results_db() {
  local exists
  exists="$(as_pg "$PG_BIN/psql" -X -A -t -h 127.0.0.1 -p "$PG_PORT" -U temporal -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'dxp_results'")" \
    || die "cannot reach PostgreSQL on $PG_PORT; see $DIR/postgres.log"
  [ "$exists" = 1 ] || as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U temporal dxp_results || die "could not create database dxp_results"
}

sql_tool() { "$SQL_TOOL" --plugin postgres12 --endpoint 127.0.0.1 --port "$PG_PORT" --user temporal --password temporal "$@"; }


# --- the Temporal server ------------------------------------------------------------------

server_pid() { [ -f "$SERVER_PID_FILE" ] && cat "$SERVER_PID_FILE"; }
server_running() { local pid; pid="$(server_pid || true)"; [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

write_server_config() {
  # From the module's config/development-postgres12.yaml: free ports instead of 7233-7239,
  # 6933-6939, 7243, 7936 and 8000, no archival, no pprof, no metrics listener, warn-level logs.
  cat >"$DIR/temporal.yaml" <<EOF
log:
  stdout: true
  level: ${DXP_CLUSTER_LOG_LEVEL:-warn}

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:
      sql:
        pluginName: "postgres12"
        databaseName: "temporal"
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: "tcp"
        user: "temporal"
        password: "temporal"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: "1h"
    postgres-visibility:
      sql:
        pluginName: "postgres12"
        databaseName: "temporal_visibility"
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: "tcp"
        user: "temporal"
        password: "temporal"
        maxConns: 4
        maxIdleConns: 4
        maxConnLifetime: "1h"

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"

services:
  frontend:
    rpc:
      grpcPort: $FRONTEND_PORT
      membershipPort: $FRONTEND_MEMBERSHIP_PORT
      bindOnLocalHost: true
      httpPort: $FRONTEND_HTTP_PORT
  matching:
    rpc:
      grpcPort: $MATCHING_PORT
      membershipPort: $MATCHING_MEMBERSHIP_PORT
      bindOnLocalHost: true
  history:
    rpc:
      grpcPort: $HISTORY_PORT
      membershipPort: $HISTORY_MEMBERSHIP_PORT
      bindOnLocalHost: true
  worker:
    rpc:
      grpcPort: $WORKER_PORT
      membershipPort: $WORKER_MEMBERSHIP_PORT
      bindOnLocalHost: true

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:$FRONTEND_PORT"

dcRedirectionPolicy:
  policy: "noop"

dynamicConfigClient:
  filepath: "$DIR/dynamicconfig.yaml"
  pollInterval: "10s"
EOF
  cat >"$DIR/dynamicconfig.yaml" <<EOF
# New search attributes usable at once (as in docker-compose.yml), at the cost of extra reads.
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
    constraints: {}
EOF
  if [ -n "${DXP_CLUSTER_DYNAMIC_CONFIG:-}" ]; then cat "$DXP_CLUSTER_DYNAMIC_CONFIG" >>"$DIR/dynamicconfig.yaml"; fi
}

server_start() {
  # Its own session: it outlives this script, and a Ctrl-C in the terminal does not reach it.
  setsid "$SERVER" --config-file "$DIR/temporal.yaml" --allow-no-auth start >>"$DIR/server.log" 2>&1 </dev/null &
  echo $! >"$SERVER_PID_FILE"
}

server_stop() {
  local pid signal="${1:-TERM}" i
  pid="$(server_pid || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "-$signal" "$pid" 2>/dev/null || true
    for i in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
  fi
  rm -f "$SERVER_PID_FILE"
}

server_wait() {
  DXP_CLUSTER_SERVER_PID="$(server_pid)" node "$ROOT/scripts/cluster-util.js" namespace "$ADDRESS" "$NAMESPACE" "$START_TIMEOUT" \
    || { server_running || log "the server exited; last lines of $DIR/server.log:"; tail -20 "$DIR/server.log" >&2; exit 1; }
}

# --- commands -----------------------------------------------------------------------------

load_env() {
  [ -f "$ENV_FILE" ] || return 1
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  # shellcheck disable=SC1090
  if [ -f "$PORTS_FILE" ]; then . "$PORTS_FILE"; fi
  PG_PORT="$DXP_CLUSTER_PG_PORT"
  ADDRESS="$TEMPORAL_ADDRESS"
}

print_env() {
  cat "$ENV_FILE"
}

require_postgres() {
  PG_BIN="$(pg_bin_dir)" || die "PostgreSQL not found (initdb, pg_ctl): install Debian's \`postgresql\` package (\`npm run setup\` does it as root; otherwise \`sudo apt-get install postgresql\`), or set DXP_PG_BIN_DIR"
}

require_binaries() {
  [ -x "$SERVER" ] && [ -x "$SQL_TOOL" ] || die "no Temporal server $TEMPORAL_SERVER_VERSION in $BIN_DIR: run \`npm run setup\` (it builds it with \`go install go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION\`, Go 1.26 or newer)"
  require_postgres
  [ -d "$SCHEMA_DIR/temporal/versioned" ] && [ -d "$SCHEMA_DIR/visibility/versioned" ] || die "no schema in $SCHEMA_DIR: run \`npm run setup\` (it copies it from the Go module)"
}

cmd_up() {
  if [ "$POSTGRES_ONLY" = 1 ]; then require_postgres; else require_binaries; fi
  local started=$SECONDS
  if load_env && { [ "$POSTGRES_ONLY" = 1 ] || server_running; } && pg_running; then
    log "already running in $DIR"
    print_env
    return
  fi
  if [ ! -f "$ENV_FILE" ]; then
    local p
    mapfile -t p < <(node "$ROOT/scripts/cluster-util.js" ports 10)
    cat >"$ENV_FILE" <<EOF
TEMPORAL_ADDRESS=127.0.0.1:${p[0]}
TEMPORAL_NAMESPACE=$NAMESPACE
DXP_CLUSTER_DIR=$DIR
DXP_CLUSTER_PG_PORT=${p[1]}
DXP_CLUSTER_PG_DATA=$PGDATA
DXP_CLUSTER_PG_URL=postgres://temporal:temporal@127.0.0.1:${p[1]}/temporal
DXP_RESULTS_URL=postgres://temporal:temporal@127.0.0.1:${p[1]}/dxp_results
EOF
    cat >"$PORTS_FILE" <<EOF
FRONTEND_HTTP_PORT=${p[2]}
FRONTEND_MEMBERSHIP_PORT=${p[3]}
HISTORY_PORT=${p[4]}
HISTORY_MEMBERSHIP_PORT=${p[5]}
MATCHING_PORT=${p[6]}
MATCHING_MEMBERSHIP_PORT=${p[7]}
WORKER_PORT=${p[8]}
WORKER_MEMBERSHIP_PORT=${p[9]}
EOF
  fi
  load_env
  FRONTEND_PORT="${ADDRESS##*:}"

  # PostgreSQL: a database cluster in DIR owned by the user it runs as.
  chmod 0755 "$DIR"
  mkdir -p "$SOCKET_DIR"
  local fresh=0
  touch "$DIR/postgres.log"
  if [ "$(id -u)" = "0" ]; then chown postgres: "$SOCKET_DIR" "$DIR/postgres.log"; fi
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    fresh=1
    mkdir -p "$PGDATA"
    chmod 0700 "$PGDATA"
    if [ "$(id -u)" = "0" ]; then chown postgres: "$PGDATA"; fi
    as_pg "$PG_BIN/initdb" -D "$PGDATA" -U temporal --auth=trust -E UTF8 --locale=C >"$DIR/initdb.log" 2>&1 \
      || die "initdb failed; see $DIR/initdb.log: $(tail -5 "$DIR/initdb.log")"
  fi
  pg_running || pg_start
  log "PostgreSQL on 127.0.0.1:$PG_PORT, data in $PGDATA ($((SECONDS - started)) s)"
  create_results_db
  if [ "$POSTGRES_ONLY" = 1 ]; then
    grep '^DXP_' "$ENV_FILE"
    return
  fi

  # Both databases, migrated to the schema of this server version (idempotent).
  local schema="$SCHEMA_DIR"
  for db in temporal temporal_visibility; do
    local versioned="$schema/temporal/versioned"
    [ "$db" = temporal_visibility ] && versioned="$schema/visibility/versioned"
    if [ "$fresh" = 1 ]; then
      sql_tool --database "$db" create-database >>"$DIR/schema.log" 2>&1 || die "could not create database $db; see $DIR/schema.log"
      sql_tool --database "$db" setup-schema -v 0.0 >>"$DIR/schema.log" 2>&1 || die "setup-schema of $db failed; see $DIR/schema.log"
    fi
    sql_tool --database "$db" update-schema -d "$versioned" >>"$DIR/schema.log" 2>&1 || die "update-schema of $db failed; see $DIR/schema.log"
  done
  log "schema of temporal and temporal_visibility at server $TEMPORAL_SERVER_VERSION ($((SECONDS - started)) s)"

  write_server_config
  server_running || server_start
  server_wait
  # This project's search attributes, through the operator API (the same code as `dxp server setup`).
  TEMPORAL_ADDRESS="$ADDRESS" TEMPORAL_NAMESPACE="$NAMESPACE" node "$ROOT/bin/dxp.js" server setup >&2
  DXP_CLUSTER_SERVER_PID="$(server_pid)" node "$ROOT/scripts/cluster-util.js" visibility "$ADDRESS" "$NAMESPACE" "$START_TIMEOUT"
  log "Temporal server $TEMPORAL_SERVER_VERSION (pid $(server_pid)) on $ADDRESS, namespace $NAMESPACE, up in $((SECONDS - started)) s; logs in $DIR"
  print_env
}

cmd_down() {
  if load_env 2>/dev/null; then :; fi
  server_stop TERM
  if PG_BIN="$(pg_bin_dir)" && pg_running; then
    as_pg "$PG_BIN/pg_ctl" stop -w -m fast -D "$PGDATA" >/dev/null 2>&1 || as_pg "$PG_BIN/pg_ctl" stop -w -m immediate -D "$PGDATA" >/dev/null 2>&1 || true
  fi
  if [ "$KEEP" = 1 ]; then
    log "stopped; data kept in $DIR (\`$0 up --dir $DIR\` starts it again)"
  else
    case "$DIR" in /|"$HOME"|"$ROOT") die "refusing to remove $DIR" ;; esac
    rm -rf "$DIR"
    log "stopped; removed $DIR"
  fi
}

cmd_status() {
  if ! load_env; then echo "no cluster in $DIR"; exit 3; fi
  PG_BIN="$(pg_bin_dir || true)"
  local pg=stopped server=stopped
  [ -n "$PG_BIN" ] && pg_running && pg=running
  server_running && server="running (pid $(server_pid))"
  echo "PostgreSQL: $pg on 127.0.0.1:$PG_PORT, data in $PGDATA"
  echo "Temporal server $TEMPORAL_SERVER_VERSION: $server on $ADDRESS"
  print_env
  [ "$pg" = running ] && server_running
}

cmd_restart_server() {
  load_env || die "no cluster in $DIR"
  FRONTEND_PORT="${ADDRESS##*:}"
  if [ "$KILL" = 1 ]; then server_stop KILL; else server_stop TERM; fi
  server_start
  server_wait
  log "server restarted (pid $(server_pid))"
}

cmd_restart_postgres() {
  load_env || die "no cluster in $DIR"
  PG_BIN="$(pg_bin_dir)" || die "PostgreSQL not found"
  as_pg "$PG_BIN/pg_ctl" restart -w -t 60 -m immediate -D "$PGDATA" -l "$DIR/postgres.log" >/dev/null \
    || die "PostgreSQL did not restart; see $DIR/postgres.log"
  log "PostgreSQL restarted (immediate: crash recovery)"
}

case "$COMMAND" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) load_env || die "no cluster in $DIR"; print_env ;;
  restart-server) cmd_restart_server ;;
  restart-postgres) cmd_restart_postgres ;;
  *) die "usage: $0 up|down|status|env|restart-server|restart-postgres [--dir DIR] [--keep] [--kill]" ;;
esac
