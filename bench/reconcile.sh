#!/usr/bin/env bash
# The reconciler at scale: 10,000 Pro accounts with 5 open tunnels each (50,000), all downgraded to Free at once.
# Reports how long the scheduled reconciler takes to make every account fit (4 tunnels closed per account) and how
# many SQL statements it sends per account, counted by pg_stat_statements when PostgreSQL loads it.
#   bench/reconcile.sh            (ACCOUNTS=10000 TUNNELS=5 PORT=8098 BENCH_DB=sluice_reconcile_bench JAR=... to change)
set -euo pipefail
cd "$(dirname "$0")/.."
ACCOUNTS=${ACCOUNTS:-10000}
TUNNELS=${TUNNELS:-5}
PORT=${PORT:-8098}
BENCH_DB=${BENCH_DB:-sluice_reconcile_bench}
JAR=${JAR:-target/quarkus-app/quarkus-run.jar}
PG="psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -q"
WORK=$(mktemp -d)

[ -f "$JAR" ] || ./mvnw -B -q package -DskipTests
$PG -d postgres -c "drop database if exists $BENCH_DB with (force)" -c "create database $BENCH_DB"
SECRETS_KEY=$(head -c 32 /dev/urandom | base64) ROOT_TOKEN=$(java src/main/java/dev/sluice/auth/TokenFormat.java) \
  QUARKUS_HTTP_PORT=$PORT RECONCILE_EVERY=1s \
  QUARKUS_DATASOURCE_JDBC_URL=jdbc:postgresql://127.0.0.1:5432/$BENCH_DB \
  java -jar "$JAR" > "$WORK/sluice.log" 2>&1 &
SLUICE=$!
trap 'kill $SLUICE 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/q/health/ready" >/dev/null && break; sleep 0.5; done

echo "seeding $ACCOUNTS Pro accounts with $TUNNELS open tunnels each"
$PG -d "$BENCH_DB" <<SQL
insert into account (slug, plan, day_limit, month_limit, concurrent_max, lease_chunk, status)
select 'bench-' || g, 'pro', 0, 0, 100, 50, 'active' from generate_series(1, $ACCOUNTS) g;
insert into account_usage (account_id, day_start, month_start)
select account_id, (now() at time zone 'utc')::date, date_trunc('month', now() at time zone 'utc')::date from account;
insert into tunnel (account_id, tunnel_id, subdomain, password_protected, created_at, last_seen_at, last_activity_at)
select a.account_id, gen_random_uuid(), a.slug || '-t' || t, false, now() - t * interval '1 minute', now(), now()
  from account a, generate_series(1, $TUNNELS) t;
analyze;
SQL
$PG -d "$BENCH_DB" -c "create extension if not exists pg_stat_statements" 2>/dev/null || true
STATS=$($PG -d "$BENCH_DB" -tAc "select pg_stat_statements_reset() is not null" 2>/dev/null || echo f)
START=$(date +%s.%N)
$PG -d "$BENCH_DB" -c "update account set plan = 'free'"
while [ "$($PG -d "$BENCH_DB" -tAc "select count(*) from tunnel where closed_at is null")" -gt "$ACCOUNTS" ]; do sleep 0.2; done
END=$(date +%s.%N)
sleep 1
STATEMENTS=0
if [ "$STATS" = t ]; then # every statement the service sent to this database; the script's own polling left out
  STATEMENTS=$($PG -d "$BENCH_DB" -tAc "select sum(calls) from pg_stat_statements
    where dbid = (select oid from pg_database where datname = '$BENCH_DB')
      and query not like 'select count(*) from tunnel where closed_at is null%' and query not like 'update account set plan%'")
fi
CLOSED=$($PG -d "$BENCH_DB" -tAc "select count(*) from tunnel where close_reason = 'plan_downgrade'")
echo
echo "Reconciler: $ACCOUNTS accounts, $((ACCOUNTS * TUNNELS)) open tunnels, mass downgrade Pro -> Free"
python3 - <<PY
elapsed = $END - $START
print(f"tunnels closed (plan_downgrade): $CLOSED")
print(f"time to fit every account:       {elapsed:.1f} s (includes up to 1 s until the next scheduled round)")
print(f"accounts per second:             {$ACCOUNTS / elapsed:.0f}")
if $STATEMENTS:
    print(f"SQL statements sent:             $STATEMENTS ({$STATEMENTS / $ACCOUNTS:.1f} per account, whatever its tunnel count)")
PY
