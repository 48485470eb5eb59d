#!/usr/bin/env bash
# Leases while retention purges closed tunnels (docs/operations.md#retention). ACCOUNTS accounts get ROWS closed
# tunnels each that closed 100 days ago (seeded in SQL: history an API cannot make); wrk then leases on the account
# "other" for DURATION, RUNS times alone and once while the purge runs: the statements RetentionJob sends for each
# account, purge_account_rows(account, 'tunnel', now() - 90 days, BATCH), one transaction at a time until one
# deletes less than BATCH. Prints each run's rate, p50 and p99, how long the purge took and
# whether it covered the whole run, and the run under the purge's p99 against the spread of the runs without it.
# The purge's statements go through one psql session, with RetentionJob's pause after each full batch (PAUSE, its
# RETENTION_PAUSE, slept in the database by pg_sleep, which costs no CPU); PAUSE=0 purges as fast as the database
# deletes. The JIT is warmed first (at most WARM rounds of 5 s).
#   bench/purge.sh   (DURATION=10s CONNECTIONS=8 RUNS=3 ACCOUNTS=1 ROWS=100000 BATCH=500 PAUSE=0.1 WARM=20
#                     PORT=8097 BENCH_DB=sluice_purge_bench JAR=... to change; see bench/service.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-8}
RUNS=${RUNS:-3}
ACCOUNTS=${ACCOUNTS:-1}
ROWS=${ROWS:-100000}
BATCH=${BATCH:-500}
PAUSE=${PAUSE:-0.1}
WARM=${WARM:-20}
PORT=${PORT:-8097}
BENCH_DB=${BENCH_DB:-sluice_purge_bench}

source bench/service.sh
needs wrk
fresh_database
# The service's own rounds stay off: the purge below is timed against the leases.
start_service GLOBAL_DAY_LIMIT=100000 GLOBAL_MONTH_LIMIT=1000000 RETENTION_EVERY=off

read -r API TUNNEL _ <<< "$(account other 1000)"
HISTORY=()
for i in $(seq 1 "$ACCOUNTS"); do
  account "history-$i" 10 > /dev/null
  HISTORY+=("$($PG -d "$BENCH_DB" -tAc "select account_id from account where slug = 'history-$i'")")
done
lease_script lease "$API"

# In milliseconds, from wrk's "1.23ms" / "456.78us" / "1.02s".
millis() { python3 -c "import re; v='$1'; n, u = re.fullmatch(r'([\d.]+)(us|ms|s)', v).groups(); \
print(float(n) * {'us': 0.001, 'ms': 1, 's': 1000}[u])"; }

seed() {
  for account in "${HISTORY[@]}"; do
    $PG -d "$BENCH_DB" -c "insert into tunnel (account_id, tunnel_id, subdomain, password_protected, created_at,
        last_seen_at, last_activity_at, closed_at, close_reason, consumed)
      select $account, gen_random_uuid(), 'season-' || g, false, now() - interval '101 days',
             now() - interval '100 days', now() - interval '100 days', now() - interval '100 days', 'closed', 3
        from generate_series(1, $ROWS) g" -c "analyze tunnel"
  done
}
purge_statement() {
  echo "select purge_account_rows($1, 'tunnel', now() - interval '90 days', $BATCH);"
}
# The purge as RetentionJob drains each account: one autocommit statement at a time, PAUSE after each full batch
# (each account's last statement, which deletes less than a batch, is where the job stops).
purge() {
  local started
  started=$(date +%s.%N)
  for account in "${HISTORY[@]}"; do
    for _ in $(seq 1 $((ROWS / BATCH))); do
      purge_statement "$account"
      echo "select pg_sleep($PAUSE);"
    done
    purge_statement "$account"
  done | $PG -d "$BENCH_DB" -tA | awk '$1 ~ /^[0-9]+$/ {total += $1} END {print total + 0}' > "$WORK/purged"
  python3 -c "print('%d rows in %.1f s' % ($(cat "$WORK/purged"), $(date +%s.%N) - $started))"
}

source bench/jit.sh
for WARM_ROUNDS in $(seq 1 "$WARM"); do
  before=$(compile_seconds)
  wrk_leases warm-up 5s > /dev/null
  compiler_settled "$before" 1 && break
done
echo "JIT warm-up: $WARM_ROUNDS rounds of 5 s, $(compiler_total)"
seed
echo "another account's leases, $CONNECTIONS connections, $DURATION each (rate, p50, p99):"
BASELINE=()
for run in $(seq 1 "$RUNS"); do
  wrk_leases "no purge, run $run"
  BASELINE+=("$(millis "$(cat "$WORK/p99")")")
done
purge > "$WORK/purge.out" &
PURGE=$!
wrk_leases "while $((ACCOUNTS * ROWS)) closed tunnels are purged"
DURING=$(millis "$(cat "$WORK/p99")")
if kill -0 "$PURGE" 2>/dev/null; then COVERED="the whole run"; else COVERED="part of the run only"; fi
wait "$PURGE"
echo "the purge: $(cat "$WORK/purge.out"), in batches of $BATCH with a pause of ${PAUSE} s ($COVERED)"
python3 - "$DURING" "${BASELINE[@]}" <<'PY'
import sys
during, runs = float(sys.argv[1]), sorted(map(float, sys.argv[2:]))
verdict = "within" if during <= runs[-1] else "above"
print("p99 under the purge %.2f ms; without it %.2f .. %.2f ms (%d runs): %s their spread, %.2f x their median"
      % (during, runs[0], runs[-1], len(runs), verdict, during / runs[len(runs) // 2]))
PY
left=$($PG -d "$BENCH_DB" -tAc "select count(*) from tunnel where closed_at < now() - interval '90 days'")
echo "closed tunnels past their retention left: $left"
