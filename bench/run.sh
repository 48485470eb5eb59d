#!/usr/bin/env bash
# The Sluice hot-path benchmark: starts the packaged service against the local PostgreSQL and reports, in one
# run, lease grants on one hot account next to pgbench's single-row UPDATE ... RETURNING at the same
# concurrency, and authenticated GET /v1/usage next to GET /q/health/live.
#   bench/run.sh                 (DURATION=20s CONNECTIONS=64 PORT=8099 BENCH_DB=sluice_bench to change)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-8099}
BENCH_DB=${BENCH_DB:-sluice_bench}
PG="psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -q"
ROOT=$(java src/main/java/dev/sluice/auth/TokenFormat.java)
BASE=http://127.0.0.1:$PORT
WORK=$(mktemp -d)

# Debian's pgbench ships with the server package; /usr/bin/pgbench alone may be just the client wrapper.
command -v wrk >/dev/null && pgbench --version >/dev/null 2>&1 || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk postgresql >/dev/null; }
[ -f target/quarkus-app/quarkus-run.jar ] || ./mvnw -B -q package -DskipTests

$PG -d postgres -c "drop database if exists $BENCH_DB with (force)" -c "create database $BENCH_DB"
SECRETS_KEY=$(head -c 32 /dev/urandom | base64) ROOT_TOKEN=$ROOT QUARKUS_HTTP_PORT=$PORT \
  GLOBAL_DAY_LIMIT=1000000 GLOBAL_MONTH_LIMIT=10000000 \
  QUARKUS_DATASOURCE_JDBC_URL=jdbc:postgresql://127.0.0.1:5432/$BENCH_DB \
  java -jar target/quarkus-app/quarkus-run.jar > "$WORK/sluice.log" 2>&1 &
SLUICE=$!
trap 'kill $SLUICE 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 120); do curl -sf "$BASE/q/health/ready" >/dev/null && break; sleep 0.5; done

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
post() { curl -sf -X POST "$BASE$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"; }
SERVICE=$(post /admin/accounts "$ROOT" '{"slug":"hot","plan":"pro","dayUsd":100000,"monthUsd":100000}' | json '["serviceToken"]')
API=$(post /admin/accounts/hot/tokens "$SERVICE" '{}' | json '["token"]')
TUNNEL=$(post /v1/tunnels "$API" '{}' | json '["id"]')

cat > "$WORK/lease.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $API"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"consumed":50}'
LUA
cat > "$WORK/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $API"
LUA
$PG -d "$BENCH_DB" -c "create table bench_hot (id int primary key, used bigint not null); insert into bench_hot values (1, 0)"
echo 'update bench_hot set used = used + 1 where id = 1 returning used;' > "$WORK/update.sql"

# Warm the JIT before measuring.
wrk -t2 -c"$CONNECTIONS" -d5s -s "$WORK/lease.lua" "$BASE/v1/tunnels/$TUNNEL/lease" >/dev/null

wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/lease.lua" "$BASE/v1/tunnels/$TUNNEL/lease" > "$WORK/lease.txt"
pgbench -h 127.0.0.1 -U postgres -n -c "$CONNECTIONS" -j 2 -T "${DURATION%s}" -f "$WORK/update.sql" "$BENCH_DB" > "$WORK/pgbench.txt" 2>&1
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/auth.lua" "$BASE/v1/usage" > "$WORK/usage.txt"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$BASE/q/health/live" > "$WORK/health.txt"

rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
pct() { awk -v p="$2" '$1 == p {print $2}' "$1"; }
errors() { awk '/Non-2xx/ {print $5} END {}' "$1" | head -n1; }
LEASE=$(rps "$WORK/lease.txt")
PGTPS=$(awk '/^tps/ {print $3}' "$WORK/pgbench.txt")
PGLAT=$(awk '/latency average/ {print $4}' "$WORK/pgbench.txt")
USAGE=$(rps "$WORK/usage.txt")
HEALTH=$(rps "$WORK/health.txt")
GRANTED=$(curl -sf "$BASE/v1/usage" -H "Authorization: Bearer $API" | json '["day"]["used"]')
echo
echo "Sluice benchmark: $CONNECTIONS connections, $DURATION each, $(nproc) cores"
printf '%-44s %12s %10s %10s\n' "what" "per second" "p50" "p99"
printf '%-44s %12s %10s %10s\n' "POST /v1/tunnels/{id}/lease (one account)" "$LEASE" "$(pct "$WORK/lease.txt" 50%)" "$(pct "$WORK/lease.txt" 99%)"
printf '%-44s %12s %10s %10s\n' "pgbench single-row UPDATE ... RETURNING" "$PGTPS" "avg ${PGLAT}ms" "-"
printf '%-44s %12s %10s %10s\n' "GET /v1/usage (api token)" "$USAGE" "$(pct "$WORK/usage.txt" 50%)" "$(pct "$WORK/usage.txt" 99%)"
printf '%-44s %12s %10s %10s\n' "GET /q/health/live" "$HEALTH" "$(pct "$WORK/health.txt" 50%)" "$(pct "$WORK/health.txt" 99%)"
python3 -c "print('lease / pgbench ratio: %.2f' % ($LEASE / $PGTPS)); print('usage / health ratio: %.2f' % ($USAGE / $HEALTH))"
echo "non-2xx lease answers: $(errors "$WORK/lease.txt" || true); credits used on the hot account: $GRANTED"
