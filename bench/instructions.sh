#!/usr/bin/env bash
# What one settlement costs PostgreSQL, counted in CPU instructions instead of timed: on a host whose speed moves
# by a third from one minute to the next, a change to settle_tunnels worth a tenth cannot be told apart by pgbench,
# while valgrind's count is the same on every repeat, whatever else the machine does.
#
# It makes a scratch cluster of its own (initdb, port CLUSTER_PORT, removed at the end; the server on 5432 is not
# touched), lets the packaged service migrate it and seed one Pro account with one open tunnel through the API, stops
# both, then runs PostgreSQL's single-user backend under `valgrind --tool=callgrind` twice on fresh copies of that
# cluster: CALLS_FEW and then CALLS_MANY one-lease settle_tunnels calls (bench/service.sh's settle_call, one
# transaction each, as the service sends a lease alone). The difference divided by the difference in calls is what a
# call costs, start-up cancelled out. The same is done with a statement that reads the same row without calling the
# function, so the function's own share shows. With ANNOTATE=1 it also prints where the many-call run's
# instructions went, by function (callgrind_annotate: each function's own instructions; PostgreSQL's static
# functions show as addresses, without debug symbols).
# Runs as root (it starts PostgreSQL as postgres with runuser) on a machine with PostgreSQL's server installed
# (/usr/lib/postgresql/<version>/bin).
#   bench/instructions.sh   (CALLS_FEW=100 CALLS_MANY=400 CLUSTER_PORT=5499 PORT=8097 BENCH_DB=sluice_instructions
#                            ANNOTATE=0 JAR=target/quarkus-app/quarkus-run.jar to change)
set -euo pipefail
# A failure inside $(...) (a count) ends the script too, instead of reading as an empty count.
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
CALLS_FEW=${CALLS_FEW:-100}
CALLS_MANY=${CALLS_MANY:-400}
CLUSTER_PORT=${CLUSTER_PORT:-5499}
PORT=${PORT:-8097}
BENCH_DB=${BENCH_DB:-sluice_instructions}
ANNOTATE=${ANNOTATE:-0}
PGPORT=$CLUSTER_PORT
BENCH_DB_READY=0
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

source bench/service.sh
needs valgrind
# PostgreSQL refuses to run as root: the cluster, its copies and the statements it reads belong to postgres.
CLUSTER=$(mktemp -d)
as_postgres() { runuser -u postgres -- "$@"; }
cluster_stop() { as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER/data" -m fast -w stop >/dev/null; }
trap 'stop_service || true; cluster_stop 2>/dev/null || true; rm -rf "$CLUSTER"' EXIT
chown postgres "$CLUSTER"

as_postgres "$PG_BIN/initdb" -D "$CLUSTER/data" -U postgres --auth=trust -E UTF8 >/dev/null
as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER/data" -l "$CLUSTER/server.log" -w \
  -o "-p $CLUSTER_PORT -k $CLUSTER -c listen_addresses=127.0.0.1" start >/dev/null
fresh_database
start_service GLOBAL_DAY_LIMIT=10000000 GLOBAL_MONTH_LIMIT=100000000
account instr-1 1000 >/dev/null
settle_table instr-
stop_service
cluster_stop

# Instructions of one single-user backend running the statement $2, $1 times, on a fresh copy of the cluster.
instructions() {
  local failed=0 total
  rm -rf "$CLUSTER/run"
  as_postgres cp -a "$CLUSTER/data" "$CLUSTER/run"
  # -j: a statement ends with a semicolon and an empty line.
  for _ in $(seq 1 "$1"); do printf '%s\n\n' "$2"; done > "$CLUSTER/statements.sql"
  chown postgres "$CLUSTER/statements.sql"
  as_postgres valgrind --tool=callgrind --callgrind-out-file="$CLUSTER/callgrind.$1" \
    "$PG_BIN/postgres" --single -j -D "$CLUSTER/run" -c jit=off "$BENCH_DB" \
    < "$CLUSTER/statements.sql" > "$CLUSTER/output.$1" 2> "$CLUSTER/valgrind.$1" || failed=1
  if [ "$failed" = 1 ] || grep -q -E 'ERROR|FATAL|PANIC' "$CLUSTER/output.$1" "$CLUSTER/valgrind.$1"; then
    echo "the backend failed under valgrind:" >&2
    grep -h -m 3 -E 'ERROR|FATAL|PANIC' "$CLUSTER/output.$1" "$CLUSTER/valgrind.$1" >&2 \
      || tail -n 5 "$CLUSTER/valgrind.$1" >&2
    exit 1
  fi
  total=$(awk '/^totals:/ {print $2}' "$CLUSTER/callgrind.$1")
  [[ $total =~ ^[0-9]+$ ]] || { echo "callgrind wrote no total for $1 calls" >&2; exit 1; }
  echo "$total"
}
# Instructions a statement costs: the difference between CALLS_MANY and CALLS_FEW runs, per extra statement.
per_call() {
  local few many
  few=$(instructions "$CALLS_FEW" "$1")
  many=$(instructions "$CALLS_MANY" "$1")
  echo $(( (many - few) / (CALLS_MANY - CALLS_FEW) ))
}

CALL=$(settle_call 1)
SETTLE=$(per_call "$CALL")
cp "$CLUSTER/callgrind.$CALLS_MANY" "$CLUSTER/settle.callgrind"
AROUND=$(per_call "select b.n from bench_settle b where b.n = 1;")
echo
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), single-user, one statement per transaction," \
  "$CALLS_MANY against $CALLS_FEW calls:"
printf '%-60s %12s\n' "a one-lease settle_tunnels call, instructions" "$SETTLE" \
  "  a statement reading the same row without the call" "$AROUND" \
  "  the function's own" "$((SETTLE - AROUND))"
if [ "$ANNOTATE" = 1 ]; then
  echo
  echo "where the $CALLS_MANY-call run's instructions went (each function's own, top 30):"
  callgrind_annotate "$CLUSTER/settle.callgrind" 2>/dev/null | sed -n "/^Ir/,\$p" | sed -n "3p;6,37p"
fi
