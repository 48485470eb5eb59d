#!/usr/bin/env bash
# The Sluice hot-path benchmark. One run starts the packaged service against the local PostgreSQL and prints, each
# next to the single statement PostgreSQL runs in its place (pgbench, same server, same run):
#   - leases on one hot account            vs the best hot-row UPDATE ... RETURNING at 1, 8 and 64 clients;
#   - leases spread over ACCOUNTS accounts vs the same UPDATE spread over ACCOUNTS rows;
#   - the same two lease phases on prepaid accounts (contract §11: each lease draws from grants and writes a
#     ledger entry), the hot one holding 5 active grants, against the postpaid figures of the same run;
#   - the same two lease phases on accounts with 5 budgets each, 2 of them blocking (contract §12), none binding in
#     the run, against the postpaid figures of the same run;
#   - authenticated GET /v1/usage          vs a primary-key SELECT (and GET /q/health/live, on the management
#                                          port, no database);
#   - the service's peak resident memory; then bench/reconcile.sh (the mass downgrade).
# With pg_stat_statements loaded (shared_preload_libraries) it also prints where PostgreSQL's time went; with
# PROFILE=1 Java Flight Recorder records each lease phase and the usage reads to /tmp/sluice-<phase>.jfr
# (bench/profile.py reads them).
#   bench/run.sh   (DURATION=20s CONNECTIONS=64 ACCOUNTS=64 PORT=8099 BENCH_DB=sluice_bench RECONCILE=1
#                   JAR=target/quarkus-app/quarkus-run.jar PROFILE=0 PGPORT=5432 BENCH_DB_READY=0 to change)
# On Citus: create BENCH_DB on the coordinator and every worker, CREATE EXTENSION citus in each, register the nodes,
# then run with PGPORT=<coordinator port> BENCH_DB_READY=1 (the script then uses that empty database as it is).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}
ACCOUNTS=${ACCOUNTS:-64}
PORT=${PORT:-8099}
BENCH_DB=${BENCH_DB:-sluice_bench}
PROFILE=${PROFILE:-0}
RECONCILE=${RECONCILE:-1}
POOL=${QUARKUS_DATASOURCE_JDBC_MAX_SIZE:-8}

# Debian's pgbench ships with the server package; /usr/bin/pgbench alone may be just the client wrapper.
command -v wrk >/dev/null && pgbench --version >/dev/null 2>&1 || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk postgresql >/dev/null; }
source bench/service.sh
fresh_database
$PG -d "$BENCH_DB" -c "create extension if not exists pg_stat_statements" 2>/dev/null || true
# With PROFILE=1 the statements inside the PL/pgSQL functions are counted too (for this database only).
[ "$PROFILE" = 1 ] && $PG -d "$BENCH_DB" -c "alter database $BENCH_DB set pg_stat_statements.track = 'all'" 2>/dev/null
[ "$PROFILE" = 1 ] && JVM+=(-XX:FlightRecorderOptions=stackdepth=256)
start_service GLOBAL_DAY_LIMIT=10000000 GLOBAL_MONTH_LIMIT=100000000
read -r API TUNNEL _ <<< "$(account hot 100000)"
{
  echo "local targets = {"
  for i in $(seq 1 "$ACCOUNTS"); do
    read -r token tunnel _ <<< "$(account "spread-$i" 1000)"
    echo "  {path = '/v1/tunnels/$tunnel/lease', auth = 'Bearer $token'},"
  done
  cat <<'LUA'
}
local n = 0
request = function()
  n = n + 1
  local t = targets[(n % #targets) + 1]
  return wrk.format("POST", t.path, {["Authorization"] = t.auth, ["Content-Type"] = "application/json"},
                    '{"consumed":50}')
end
LUA
} > "$WORK/spread.lua"
# Prepaid: the hot account holds 5 active grants (drawn in priority order), each spread account one; grants large
# enough that no phase runs out.
prepaid_account() { # slug usd grants -> "token tunnel service-token"
  local seeded; seeded=$(account "$1" "$2")
  curl -sf -X PATCH "$BASE/admin/accounts/$1" -H "Authorization: Bearer $ROOT" -H 'Content-Type: application/json' \
    -d '{"funding":"prepaid"}' >/dev/null
  for g in $(seq 1 "$3"); do
    post "/admin/accounts/$1/grants" "$ROOT" "{\"credits\":1000000000000,\"category\":\"paid\",\"priority\":$((g * 10))}" >/dev/null
  done
  echo "$seeded"
}
# Budgets: 5 on each account, 2 of them blocking (the whole account's month, the token's day), limits as large as the
# account's, so none binds during a run; the notify ones have thresholds.
budgeted_account() { # slug usd -> "token tunnel service-token"
  local seeded service id body; seeded=$(account "$1" "$2")
  service=${seeded##* }
  id=$(curl -sf "$BASE/admin/accounts/$1/tokens" -H "Authorization: Bearer $service" \
    | json '["tokens"][-1]["id"]')
  for body in "{\"window\":\"month\",\"limitUsd\":$2,\"action\":\"block\"}" \
      "{\"tokenId\":\"$id\",\"window\":\"day\",\"limitUsd\":$2,\"action\":\"block\"}" \
      "{\"window\":\"day\",\"limitUsd\":$2,\"action\":\"notify\",\"thresholds\":[{\"pct\":50},{\"pct\":100}]}" \
      "{\"tokenId\":\"$id\",\"window\":\"month\",\"limitUsd\":$2,\"action\":\"notify\"}" \
      "{\"window\":\"month\",\"limitUsd\":$2,\"action\":\"notify\",\"thresholds\":[{\"pct\":90}]}"; do
    post "/admin/accounts/$1/budgets" "$service" "$body" >/dev/null
  done
  echo "$seeded"
}
# A lease script on one tunnel: name token tunnel.
one_tunnel() {
  lease_script "$1" "$2"
  echo "wrk.path = \"/v1/tunnels/$3/lease\"" >> "$WORK/$1.lua"
}
# A lease script over ACCOUNTS accounts, made by the command given (slug as its last argument), round-robin as
# spread.lua: name command...
spread_over() {
  local name=$1; shift
  for i in $(seq 1 "$ACCOUNTS"); do
    read -r token tunnel _ <<< "$("$@" "$name-$i")"
    echo "  {path = '/v1/tunnels/$tunnel/lease', auth = 'Bearer $token'},"
  done | { echo "local targets = {"; cat; sed -n '/^}$/,$p' "$WORK/spread.lua"; } > "$WORK/$name.lua"
}
prepaid_spread() { prepaid_account "$1" 1000 1; }
budgeted_spread() { budgeted_account "$1" 1000; }
read -r token tunnel _ <<< "$(prepaid_account prepaid-hot 100000 5)"
one_tunnel prepaid "$token" "$tunnel"
spread_over prepaid-spread prepaid_spread
read -r token tunnel _ <<< "$(budgeted_account budgeted-hot 100000)"
one_tunnel budgeted "$token" "$tunnel"
spread_over budgeted-spread budgeted_spread
lease_script lease "$API"
cat > "$WORK/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $API"
LUA

# PostgreSQL's side of each comparison: one statement per transaction, as pgbench runs it.
$PG -d "$BENCH_DB" -c "create table bench_row (id int primary key, used bigint not null)" \
  -c "insert into bench_row select g, 0 from generate_series(1, greatest($ACCOUNTS, 1)) g"
echo 'update bench_row set used = used + 1 where id = 1 returning used;' > "$WORK/hot.sql"
printf '\\set id random(1, %s)\nupdate bench_row set used = used + 1 where id = :id returning used;\n' "$ACCOUNTS" > "$WORK/spread.sql"
printf '\\set id random(1, %s)\nselect used from bench_row where id = :id;\n' "$ACCOUNTS" > "$WORK/select.sql"
# PostgreSQL alone doing what the spread phase asks of it: settle_tunnels with one lease per call, each client on
# its own account (as the service's round-robin spread mostly is), so the service's share of the gap shows.
{ printf '\\set n :client_id %% %s + 1\n' "$ACCOUNTS"; settle_call :n; } > "$WORK/settle.sql"
pgb() { pgbench -h 127.0.0.1 -p "$PGPORT" -U postgres -n -c "$1" -j 2 -T "${DURATION%s}" -f "$WORK/$2" "${@:3}" "$BENCH_DB" 2>&1; }
leases() { wrk -t2 -c"$CONNECTIONS" -d"$1" --latency -s "$WORK/$2.lua" "$BASE/v1/tunnels/$TUNNEL/lease"; }
stats_reset() { $PG -d "$BENCH_DB" -tAc "select pg_stat_statements_reset()" >/dev/null 2>&1 || true; }
# PostgreSQL's time per statement while Sluice ran, top 6 by total time (empty without pg_stat_statements).
stats() {
  $PG -d "$BENCH_DB" -F ' | ' -tAc "select calls, round(total_exec_time::numeric / greatest(calls, 1), 3) || ' ms',
      round(100 * total_exec_time::numeric / sum(total_exec_time) over ())::text || ' %', left(regexp_replace(query, '\s+', ' ', 'g'), 90)
      from pg_stat_statements where dbid = (select oid from pg_database where datname = '$BENCH_DB')
      order by total_exec_time desc limit 6" 2>/dev/null | sed 's/^/    /' || true
}

usage() { wrk -t2 -c"$CONNECTIONS" -d"$1" --latency -s "$WORK/auth.lua" "$BASE/v1/usage"; }
# Warm the JIT before measuring, on every workload measured. On 2 cores C2 went on compiling for minutes: after a
# fixed 10 s warm-up it still took a third of the service's CPU in the hot phase, and the usage phase ran on code
# being compiled as it went. So warm-up goes on in rounds (each workload 5 s) until a round spends under 1 s of
# compiler time (jstat), at most 20 rounds; the line printed says how many it took.
source bench/jit.sh
for WARM_ROUNDS in $(seq 1 20); do
  before=$(compile_seconds)
  leases 5s lease >/dev/null; leases 5s spread >/dev/null; usage 5s >/dev/null
  leases 5s prepaid >/dev/null; leases 5s prepaid-spread >/dev/null
  leases 5s budgeted >/dev/null; leases 5s budgeted-spread >/dev/null
  compiler_settled "$before" 1 && break
done
WARM_UP="JIT warm-up: $WARM_ROUNDS rounds of 35 s, $(compiler_total)"
# With PROFILE=1, each lease phase and the usage phase are recorded by Java Flight Recorder into
# /tmp/sluice-<phase>.jfr (hot, spread, usage).
# JFR's profile settings, sampling every millisecond instead of every 10, so a 20 s phase gives enough samples.
JFC=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")/lib/jfr/profile.jfc
sed 's/control="method-sampling-java-interval">10 ms/control="method-sampling-java-interval">1 ms/' "$JFC" > "$WORK/sampling.jfc"
record() { [ "$PROFILE" = 1 ] && jcmd $SLUICE JFR.start name="$1" settings="$WORK/sampling.jfc" filename="/tmp/sluice-$1.jfr" >/dev/null || true; }
recorded() { [ "$PROFILE" = 1 ] && jcmd $SLUICE JFR.stop name="$1" >/dev/null || true; }
# CPU ticks (USER_HZ) of the service, and of the whole machine but idle, so a phase can say who used the cores.
ticks() { echo "$(awk '{print $14 + $15}' "/proc/$SLUICE/stat") $(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat)"; }
cpu_split() { # before-ticks after-ticks -> "service X% of busy CPU (Y cores busy)"
  python3 -c "import sys; a=list(map(int,'$1'.split())); b=list(map(int,'$2'.split())); s=b[0]-a[0]; m=b[1]-a[1]
print('the service used %d%% of the busy CPU, %.1f of %d cores busy' % (100*s/max(m,1), m/100/${DURATION%s}, $(nproc)))"; }
stats_reset; record hot; T0=$(ticks)
leases "$DURATION" lease > "$WORK/lease.txt"; HOT_CPU=$(cpu_split "$T0" "$(ticks)"); recorded hot; stats > "$WORK/lease.stats"
stats_reset; record spread; T0=$(ticks)
leases "$DURATION" spread > "$WORK/spread.txt"; SPREAD_CPU=$(cpu_split "$T0" "$(ticks)"); recorded spread
stats > "$WORK/spread.stats"
stats_reset; record prepaid
leases "$DURATION" prepaid > "$WORK/prepaid.txt"; recorded prepaid; stats > "$WORK/prepaid.stats"
leases "$DURATION" prepaid-spread > "$WORK/prepaid-spread.txt"
# Budgets beside a second postpaid run of the same two phases, alternated, so their ratio is of neighbours.
stats_reset
leases "$DURATION" budgeted > "$WORK/budgeted.txt"; stats > "$WORK/budgeted.stats"
leases "$DURATION" lease > "$WORK/lease-2.txt"
leases "$DURATION" budgeted-spread > "$WORK/budgeted-spread.txt"
leases "$DURATION" spread > "$WORK/spread-2.txt"
for c in 1 8 "$CONNECTIONS"; do pgb "$c" hot.sql > "$WORK/hot-$c.txt"; done
pgb "$CONNECTIONS" spread.sql > "$WORK/pgspread.txt"
settle_table spread-
pgb "$CONNECTIONS" settle.sql > "$WORK/pgsettle.txt"
# The same with as many clients as the service has connections (QUARKUS_DATASOURCE_JDBC_MAX_SIZE), each statement
# prepared once, as pgjdbc does: what the database does at the concurrency the service gives it.
pgb "$POOL" settle.sql -M prepared > "$WORK/pgsettle-pool.txt"
# The function's statements alone, without its rules (bench/settle-statements.sql), the same way: the gap between
# the two rows is PL/pgSQL working out the rules.
$PG -d "$BENCH_DB" -f bench/settle-statements.sql >/dev/null
printf '\\set n :client_id %% %s + 1\nselect s.ordinal from bench_settle b, bench_settle_statements(b.account_id, b.tunnel_id, b.token_id, 50) s where b.n = :n;\n' \
  "$ACCOUNTS" > "$WORK/statements.sql"
pgb "$POOL" statements.sql -M prepared > "$WORK/pgstatements-pool.txt"
record usage
usage "$DURATION" > "$WORK/usage.txt"
recorded usage
pgb "$CONNECTIONS" select.sql > "$WORK/select.txt"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$MANAGEMENT/q/health/live" > "$WORK/health.txt"
RSS_MB=$(( $(awk '/VmHWM/ {print $2}' "/proc/$SLUICE/status") / 1024 ))

rps() { awk '/Requests\/sec/ {print $2}' "$WORK/$1"; }
pct() { awk -v p="$2" '$1 == p {print $2}' "$WORK/$1"; }
non2xx() { awk '/Non-2xx/ {print $5}' "$WORK/$1" | head -n1; }
tps() { awk '/^tps/ {print $3}' "$WORK/$1"; }
HOT_BEST=$(for c in 1 8 "$CONNECTIONS"; do echo "$(tps "hot-$c.txt") $c"; done | sort -rn | head -n1)
row() { printf '%-50s %10s %9s %9s\n' "$@"; }
echo
echo "Sluice benchmark: $CONNECTIONS connections, $DURATION each, $(nproc) cores, $ACCOUNTS accounts in the spread"
row "what" "per second" "p50" "p99"
row "POST lease, one hot account" "$(rps lease.txt)" "$(pct lease.txt 50%)" "$(pct lease.txt 99%)"
for c in 1 8 "$CONNECTIONS"; do row "  pgbench hot-row UPDATE, $c clients" "$(tps "hot-$c.txt")" "" ""; done
row "POST lease, $ACCOUNTS accounts" "$(rps spread.txt)" "$(pct spread.txt 50%)" "$(pct spread.txt 99%)"
row "  pgbench UPDATE over $ACCOUNTS rows, $CONNECTIONS clients" "$(tps pgspread.txt)" "" ""
row "  pgbench settle_tunnels, 1 lease a call, $CONNECTIONS clients" "$(tps pgsettle.txt)" "" ""
row "  the same, $POOL clients (the pool), prepared" "$(tps pgsettle-pool.txt)" "" ""
row "  its statements alone, no rules, the same way" "$(tps pgstatements-pool.txt)" "" ""
row "POST lease, one hot prepaid account (5 grants)" "$(rps prepaid.txt)" "$(pct prepaid.txt 50%)" "$(pct prepaid.txt 99%)"
row "POST lease, $ACCOUNTS prepaid accounts" "$(rps prepaid-spread.txt)" "$(pct prepaid-spread.txt 50%)" "$(pct prepaid-spread.txt 99%)"
row "POST lease, one hot account with 5 budgets" "$(rps budgeted.txt)" "$(pct budgeted.txt 50%)" "$(pct budgeted.txt 99%)"
row "  again without budgets, right after" "$(rps lease-2.txt)" "$(pct lease-2.txt 50%)" "$(pct lease-2.txt 99%)"
row "POST lease, $ACCOUNTS accounts with 5 budgets" "$(rps budgeted-spread.txt)" "$(pct budgeted-spread.txt 50%)" "$(pct budgeted-spread.txt 99%)"
row "  again without budgets, right after" "$(rps spread-2.txt)" "$(pct spread-2.txt 50%)" "$(pct spread-2.txt 99%)"
row "GET /v1/usage (api token)" "$(rps usage.txt)" "$(pct usage.txt 50%)" "$(pct usage.txt 99%)"
row "  pgbench primary-key SELECT, $CONNECTIONS clients" "$(tps select.txt)" "" ""
row "GET /q/health/live (no database)" "$(rps health.txt)" "$(pct health.txt 50%)" "$(pct health.txt 99%)"
python3 - <<PY
hot, hot_clients = "$HOT_BEST".split()
print("ratios: hot lease / best hot UPDATE (%s clients) %.2f;  spread lease / spread UPDATE %.2f;  usage / PK SELECT %.2f"
      % (hot_clients, $(rps lease.txt) / float(hot), $(rps spread.txt) / $(tps pgspread.txt), $(rps usage.txt) / $(tps select.txt)))
print("prepaid / postpaid leases: hot %.2f (best hot UPDATE %.2f);  spread %.2f (spread UPDATE %.2f)"
      % ($(rps prepaid.txt) / $(rps lease.txt), $(rps prepaid.txt) / float(hot),
         $(rps prepaid-spread.txt) / $(rps spread.txt), $(rps prepaid-spread.txt) / $(tps pgspread.txt)))
print("5 budgets / none: hot %.2f (%.2f against the first postpaid run);  spread %.2f (%.2f)"
      % ($(rps budgeted.txt) / $(rps lease-2.txt), $(rps budgeted.txt) / $(rps lease.txt),
         $(rps budgeted-spread.txt) / $(rps spread-2.txt), $(rps budgeted-spread.txt) / $(rps spread.txt)))
PY
echo "$WARM_UP; service peak resident memory: ${RSS_MB} MB"
echo "non-2xx lease answers: hot $(non2xx lease.txt || true) spread $(non2xx spread.txt || true)" \
  "prepaid $(non2xx prepaid.txt || true) prepaid spread $(non2xx prepaid-spread.txt || true)" \
  "budgeted $(non2xx budgeted.txt || true) budgeted spread $(non2xx budgeted-spread.txt || true);" \
  "credits used on the hot account: $(curl -sf "$BASE/v1/usage" -H "Authorization: Bearer $API" | json '["day"]["used"]')"
echo "while leasing on one hot account $HOT_CPU; on $ACCOUNTS accounts $SPREAD_CPU"
if [ -s "$WORK/lease.stats" ]; then
  echo "PostgreSQL time by statement (pg_stat_statements: calls | mean | share | statement), hot account:"
  cat "$WORK/lease.stats"
  echo "  $ACCOUNTS accounts:"
  cat "$WORK/spread.stats"
  echo "  hot prepaid account:"
  cat "$WORK/prepaid.stats"
  echo "  hot account with 5 budgets:"
  cat "$WORK/budgeted.stats"
fi
stop_service
if [ "$RECONCILE" = 1 ]; then
  echo
  JAR=$JAR BENCH_DB_READY=0 bench/reconcile.sh
fi
