#!/usr/bin/env bash
# The reconciler at scale: 10,000 Pro accounts with 5 open tunnels each (50,000), all downgraded to Free at once.
# Reports how long the scheduled reconciler takes to make every account fit (4 tunnels closed per account) and how
# many SQL statements it sends per account, counted by pg_stat_statements when PostgreSQL loads it. A smaller
# downgrade (WARMUP accounts) runs first, and again until the JIT compiler has settled, and is not counted: a mass
# downgrade meets a service that has been running, not one whose JIT compiler is still at work (on 2 cores that
# compiler took a third of a cold run's CPU).
#   bench/reconcile.sh   (ACCOUNTS=10000 TUNNELS=5 WARMUP=2000 PORT=8098 BENCH_DB=sluice_reconcile_bench JAR=...
#                         PGPORT=5432 BENCH_DB_READY=0 to change; see bench/service.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
ACCOUNTS=${ACCOUNTS:-10000}
TUNNELS=${TUNNELS:-5}
WARMUP=${WARMUP:-2000}
PORT=${PORT:-8098}
BENCH_DB=${BENCH_DB:-sluice_reconcile_bench}

source bench/service.sh
fresh_database
start_service RECONCILE_EVERY=1s

echo "seeding $ACCOUNTS Pro accounts (and $WARMUP to warm up) with $TUNNELS open tunnels each"
$PG -d "$BENCH_DB" <<SQL
insert into account (slug, plan, day_limit, month_limit, concurrent_max, lease_chunk, status)
select 'warm-' || g, 'pro', 0, 0, 100, 50, 'active' from generate_series(1, $WARMUP) g;
insert into account (slug, plan, day_limit, month_limit, concurrent_max, lease_chunk, status)
select 'bench-' || g, 'pro', 0, 0, 100, 50, 'active' from generate_series(1, $ACCOUNTS) g;
insert into account_slug (slug, account_id) select slug, account_id from account;
-- Limits of 0 (so no global ceiling to book), and the usage level that goes with them, as the service would have
-- stored it (with 'ok' stored, each account's first touch recorded a level change and queued a quota event).
insert into account_usage (account_id, day_start, month_start, level)
select account_id, (now() at time zone 'utc')::date, date_trunc('month', now() at time zone 'utc')::date, 'exceeded'
  from account;
insert into tunnel (account_id, tunnel_id, subdomain, password_protected, created_at, last_seen_at, last_activity_at)
select a.account_id, gen_random_uuid(), a.slug || '-t' || t, false, now() - t * interval '1 minute', now(), now()
  from account a, generate_series(1, $TUNNELS) t;
analyze;
SQL
# Waits while the service reconciles; stops the run if the service has exited (nothing would ever close the tunnels).
alive() {
  kill -0 $SLUICE 2>/dev/null && return
  echo "the service exited; the end of its log:"; tail -n 20 "$WORK/sluice.log"; exit 1
}
open_beyond() { # open tunnels beyond one per account
  echo $(( $($PG -d "$BENCH_DB" -tAc "select count(*) from tunnel where closed_at is null") - WARMUP - ACCOUNTS ))
}
source bench/jit.sh
# Warm-up rounds go on until one spends under 0.5 s of compiler time (jstat), at most 10: after a single round C2
# still took up to a third of a core during the measured downgrade. Each round after the first gives the warm-up
# accounts back their plan and tunnels, then downgrades them again.
if [ "$WARMUP" -gt 0 ]; then
  for WARM_ROUNDS in $(seq 1 10); do
    before=$(compile_seconds)
    [ "$WARM_ROUNDS" = 1 ] || $PG -d "$BENCH_DB" <<SQL
update account set plan = 'pro' where slug like 'warm-%';
insert into tunnel (account_id, tunnel_id, subdomain, password_protected, created_at, last_seen_at, last_activity_at)
select a.account_id, gen_random_uuid(), a.slug || '-r$WARM_ROUNDS-t' || t, false, now(), now(), now()
  from account a, generate_series(2, $TUNNELS) t where a.slug like 'warm-%';
SQL
    $PG -d "$BENCH_DB" -c "update account set plan = 'free' where slug like 'warm-%'"
    while [ "$(open_beyond)" -gt $((ACCOUNTS * (TUNNELS - 1))) ]; do alive; sleep 0.2; done
    compiler_settled "$before" 0.5 && break
  done
  echo "warmed up: $WARM_ROUNDS downgrades of the $WARMUP warm-up accounts, $(compiler_total)"
fi
$PG -d "$BENCH_DB" -c "create extension if not exists pg_stat_statements" 2>/dev/null || true
STATS=$($PG -d "$BENCH_DB" -tAc "select pg_stat_statements_reset() is not null" 2>/dev/null || echo f)
# Both ends by the database's clock: when the downgrade is about to commit, and when the last tunnel closed. The
# script polls once a second (its count is a scan of every tunnel, which would otherwise compete for the cores).
START=$($PG -d "$BENCH_DB" -tA -c "begin" -c "update account set plan = 'free' where slug like 'bench-%'" \
  -c "select extract(epoch from clock_timestamp())" -c "commit")
while [ "$(open_beyond)" -gt 0 ]; do alive; sleep 1; done
END=$($PG -d "$BENCH_DB" -tAc "select extract(epoch from max(closed_at)) from tunnel
  where close_reason = 'plan_downgrade' and subdomain like 'bench-%'")
sleep 1
STATEMENTS=0
if [ "$STATS" = t ]; then # every statement the service sent to this database; the script's own polling left out
  STATEMENTS=$($PG -d "$BENCH_DB" -tAc "select sum(calls) from pg_stat_statements
    where dbid = (select oid from pg_database where datname = '$BENCH_DB')
      and query not like 'select count(*) from tunnel where closed_at is null%' and query not like 'update account set plan%' and query not like 'select extract(epoch%'")
fi
CLOSED=$($PG -d "$BENCH_DB" -tAc "select count(*) from tunnel where close_reason = 'plan_downgrade' and subdomain like 'bench-%'")
echo
echo "Reconciler: $ACCOUNTS accounts, $((ACCOUNTS * TUNNELS)) open tunnels, mass downgrade Pro -> Free"
python3 - <<PY
elapsed = $END - $START
print(f"tunnels closed (plan_downgrade): $CLOSED")
print(f"time to fit every account:       {elapsed:.1f} s (from the downgrade's commit to the last close, by the database's clock;\n"
      "                                 includes up to 1 s until the next scheduled round)")
print(f"accounts per second:             {$ACCOUNTS / elapsed:.0f}")
if $STATEMENTS:
    print(f"SQL statements sent:             $STATEMENTS ({$STATEMENTS / $ACCOUNTS:.2f} per account, whatever its tunnel count)")
PY
