#!/usr/bin/env bash
# One account stuck on its own credit lock, and what every other account gets meanwhile. psql holds the account
# "stuck"'s account_usage row FOR UPDATE for HOLD seconds (as a forgotten transaction would) while PILED of its
# registrations (CALL=worker: its owner's worker creations) arrive at once; a second later another account's lease,
# registration and usage read, and the health probes, are made at once and timed. Prints each of those answers, how
# many of the database's backends waited for a lock meanwhile, and how the stuck account's calls were answered (a 503
# commits nothing).
#   bench/stall.sh   (PILED=60 HOLD=20 CALL=registration PORT=8097 BENCH_DB=sluice_stall_bench JAR=... to change; see
#                     bench/service.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
PILED=${PILED:-60}
HOLD=${HOLD:-20}
CALL=${CALL:-registration}
PORT=${PORT:-8097}
BENCH_DB=${BENCH_DB:-sluice_stall_bench}

source bench/service.sh
fresh_database
start_service
read -r STUCK _ STUCK_OWNER <<< "$(account stuck 10)"
read -r OTHER OTHER_TUNNEL _ <<< "$(account other 10)"
STUCK_ID=$($PG -d "$BENCH_DB" -tAc "select account_id from account_slug where slug = 'stuck'")

# status and seconds of one call: timed METHOD URL TOKEN [BODY]
timed() {
  curl -s -o /dev/null -w '%{http_code} %{time_total}' -X "$1" "$2" ${3:+-H "Authorization: Bearer $3"} \
    ${4:+-H 'Content-Type: application/json' -d "$4"}
}
$PG -d "$BENCH_DB" -c "begin" -c "select 1 from account_usage where account_id = $STUCK_ID for update" \
  -c "select pg_sleep($HOLD)" -c "commit" >/dev/null &
HOLDER=$!
sleep 0.5
PILE=()
for i in $(seq 1 "$PILED"); do
  if [ "$CALL" = worker ]; then
    { timed POST "$BASE/v1/workers" "$STUCK_OWNER" "{\"name\":\"w$i\"}"; echo; } > "$WORK/piled-$i" &
  else
    { timed POST "$BASE/v1/tunnels" "$STUCK" '{}'; echo; } > "$WORK/piled-$i" &
  fi
  PILE+=($!)
done
sleep 1
timed POST "$BASE/v1/tunnels/$OTHER_TUNNEL/lease" "$OTHER" '{"consumed":0}' > "$WORK/lease" & PROBE=($!)
timed POST "$BASE/v1/tunnels" "$OTHER" '{}' > "$WORK/registration" & PROBE+=($!)
timed GET "$BASE/v1/usage" "$OTHER" > "$WORK/usage" & PROBE+=($!)
timed GET "$MANAGEMENT/q/health/live" > "$WORK/live" & PROBE+=($!)
timed GET "$MANAGEMENT/q/health/ready" > "$WORK/ready" & PROBE+=($!)
sleep 0.5
WAITING=$($PG -d "$BENCH_DB" -tAc "select count(*) from pg_stat_activity where datname = '$BENCH_DB'
  and wait_event_type = 'Lock'")
wait "$HOLDER" "${PILE[@]}" "${PROBE[@]}"
row() { printf '%-44s %s\n' "$1" "$2"; }
echo "the account 'stuck' locked by psql for ${HOLD} s, $PILED of its calls ($CALL) arriving at once;"
echo "a second later, all at once (status, seconds):"
row "another account's lease" "$(cat "$WORK/lease")"
row "another account's registration" "$(cat "$WORK/registration")"
row "another account's usage read" "$(cat "$WORK/usage")"
row "liveness" "$(cat "$WORK/live")"
row "readiness" "$(cat "$WORK/ready")"
row "backends waiting for a lock half a second on" "$WAITING"
echo "the stuck account's calls (count, status, slowest seconds):"
cat "$WORK"/piled-* | awk '{n[$1]++; if ($2 > t[$1]) t[$1] = $2} END {for (s in n) printf "  %5d  %s  %.2f\n", n[s], s, t[s]}'
echo "credits the stuck account used: $(curl -sf "$BASE/v1/usage" -H "Authorization: Bearer $STUCK" | json '["day"]["used"]')" \
  "(1 for its first tunnel, 1 for each registration answered 201)"
