# Sourced by the bench scripts, after they set PORT and BENCH_DB: the packaged service and what seeds it.
# Sets PG (psql on the local PostgreSQL at PGPORT), ROOT (the service's root token), BASE, MANAGEMENT (its health and
# metrics, on MANAGEMENT_PORT: PORT + 1000 unless set), WORK (a scratch folder)
# and JVM (bench/jvm.sh's options, which a script may add to), and builds JAR if it is missing. Defines:
#   fresh_database               drops and creates BENCH_DB empty (left as it is with BENCH_DB_READY=1);
#   start_service [NAME=value]   starts JAR with JVM on PORT against BENCH_DB and the extra environment given,
#                                waits until it is ready, and sets SLUICE (its pid);
#   stop_service                 stops it, keeps its log in /tmp/<BENCH_DB>.log and removes WORK (also on exit);
#   needs PACKAGE [COMMAND]      installs a Debian package when its command (PACKAGE unless given) is missing;
#   json, post, account          read answers and seed accounts through the API, as a customer would;
#   lease_script, wrk_leases     a wrk script of one account's leases, and wrk's rate and latency on it;
#   settle_table, settle_call    PostgreSQL's side of a lease without the service: a table of seeded tunnels and one
#                                settle_tunnels call on one of them.
JAR=${JAR:-target/quarkus-app/quarkus-run.jar}
PGPORT=${PGPORT:-5432}
BENCH_DB_READY=${BENCH_DB_READY:-0}
PG="psql -h 127.0.0.1 -p $PGPORT -U postgres -v ON_ERROR_STOP=1 -q"
ROOT=$(java src/main/java/dev/sluice/auth/TokenFormat.java)
BASE=http://127.0.0.1:$PORT
MANAGEMENT_PORT=${MANAGEMENT_PORT:-$((PORT + 1000))}
MANAGEMENT=http://127.0.0.1:$MANAGEMENT_PORT
WORK=$(mktemp -d)
source bench/jvm.sh
[ -f "$JAR" ] || ./mvnw -B -q package -DskipTests

fresh_database() {
  [ "$BENCH_DB_READY" = 1 ] || $PG -d postgres -c "drop database if exists $BENCH_DB with (force)" \
    -c "create database $BENCH_DB"
}

start_service() {
  env SECRETS_KEY="$(head -c 32 /dev/urandom | base64)" ROOT_TOKEN="$ROOT" \
    QUARKUS_HTTP_PORT="$PORT" QUARKUS_MANAGEMENT_PORT="$MANAGEMENT_PORT" \
    QUARKUS_DATASOURCE_JDBC_URL="jdbc:postgresql://127.0.0.1:$PGPORT/$BENCH_DB" "$@" \
    java "${JVM[@]}" -jar "$JAR" > "$WORK/sluice.log" 2>&1 &
  SLUICE=$!
  for _ in $(seq 1 120); do curl -sf "$MANAGEMENT/q/health/ready" >/dev/null && return; sleep 0.5; done
  echo "the service did not get ready; the end of its log:"; tail -n 20 "$WORK/sluice.log"; exit 1
}

stop_service() {
  [ -d "$WORK" ] || return 0
  [ -z "${SLUICE:-}" ] || { kill "$SLUICE" 2>/dev/null || true; wait "$SLUICE" 2>/dev/null || true; }
  [ ! -f "$WORK/sluice.log" ] || cp "$WORK/sluice.log" "/tmp/$BENCH_DB.log"
  rm -rf "$WORK"
}
trap 'stop_service || true' EXIT

needs() {
  command -v "${2:-$1}" >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null; }
}

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
post() { curl -sf -X POST "$BASE$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"; }
# An account (Pro, day and month limits of $2 USD) with an api token and one open tunnel; prints "token tunnel
# service-token".
account() {
  local service api
  service=$(post /admin/accounts "$ROOT" "{\"slug\":\"$1\",\"plan\":\"pro\",\"dayUsd\":$2,\"monthUsd\":$2}" | json '["serviceToken"]')
  api=$(post "/admin/accounts/$1/tokens" "$service" '{}' | json '["token"]')
  echo "$api $(post /v1/tunnels "$api" '{}' | json '["id"]') $service"
}

# lease_script NAME TOKEN: $WORK/NAME.lua, a wrk script that leases {"consumed":50} with TOKEN on the tunnel in wrk's
# URL.
lease_script() {
  cat > "$WORK/$1.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $2"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"consumed":50}'
LUA
}
# wrk_leases NAME [DURATION]: $WORK/lease.lua on TUNNEL for DURATION, one wrk thread with CONNECTIONS connections;
# prints "NAME rate p50 p99 non-2xx" and keeps the p99 in $WORK/p99.
wrk_leases() {
  wrk -t1 -c"$CONNECTIONS" -d"${2:-$DURATION}" --latency -s "$WORK/lease.lua" "$BASE/v1/tunnels/$TUNNEL/lease" \
    > "$WORK/wrk.out"
  awk -v name="$1" -v keep="$WORK/p99" '/Requests\/sec/ {rate = $2} $1 == "50%" {p50 = $2} $1 == "99%" {p99 = $2}
    /Non-2xx/ {errors = $NF}
    END {printf "%-52s %10s/s  p50 %8s  p99 %8s  non-2xx %s\n", name, rate, p50, p99, errors + 0
         print p99 > keep}' "$WORK/wrk.out"
}

# bench_settle: the open tunnels of the accounts whose slug starts with $1, numbered n from 1, with their account and
# token. Joined on account_id, so on Citus the two tables are colocated (account_slug is distributed by slug).
settle_table() {
  $PG -d "$BENCH_DB" -c "create table bench_settle as select row_number() over (order by t.account_id)::int n,
      t.account_id, t.tunnel_id, t.token_id from tunnel t join account a using (account_id)
      where t.closed_at is null and a.slug like '$1%'"
}
# One settle_tunnels call as the service sends a lease of {"consumed":50} alone, on bench_settle's row $1 (a number,
# or a pgbench variable such as :n).
settle_call() {
  printf "select s.ordinal from bench_settle b, settle_tunnels(b.account_id, array[b.tunnel_id], array[b.token_id], \
'{50}', '{null}', '{0}', '{0}', '{false}', '{null}', '{null}', 3600) s where b.n = %s;\n" "$1"
}
