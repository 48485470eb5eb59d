#!/usr/bin/env bash
# The console's weight and load time: starts the packaged service against the local PostgreSQL, sums the bytes of
# every console asset as served (curl), and times a headless Chromium load of /console/ against one of about:blank
# (the browser's own start-up), median of RUNS.
#   bench/console.sh            (PORT=8098 RUNS=5 BENCH_DB=sluice_console_bench JAR=... to change)
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8098}
RUNS=${RUNS:-5}
BENCH_DB=${BENCH_DB:-sluice_console_bench}
ASSETS=src/main/resources/META-INF/resources/console

source bench/service.sh
needs chromium
fresh_database
start_service
trap 'stop_service || true; $PG -d postgres -c "drop database if exists $BENCH_DB with (force)"' EXIT

# Every file the console loads, as served: index.html (at /console/) and its CSS and JS modules.
total=0
gz=0
printf '%-14s %8s %8s\n' asset bytes gzip
for f in "$ASSETS"/*; do
  name=$(basename "$f")
  url="$BASE/console/$name"
  [ "$name" = index.html ] && url="$BASE/console/"
  served=$(curl -sf -o "$WORK/body" -w '%{size_download}' "$url")
  zipped=$(gzip -9 -c "$WORK/body" | wc -c)
  printf '%-14s %8d %8d\n' "$name" "$served" "$zipped"
  total=$((total + served))
  gz=$((gz + zipped))
done
printf '%-14s %8d %8d\n' total "$total" "$gz"

# Headless loads: the page's scripts run (the token screen is drawn), so the time covers HTML, CSS and all modules.
load_ms() {
  local start end
  start=$(date +%s%N)
  chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$WORK/profile" --dump-dom "$1" \
    > "$WORK/dom" 2>/dev/null
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
load_ms about:blank >/dev/null
blank=$(for _ in $(seq "$RUNS"); do load_ms about:blank; done | median)
console=$(for _ in $(seq "$RUNS"); do load_ms "$BASE/console/"; done | median)
grep -q 'Open console' "$WORK/dom" || { echo "the console did not render" >&2; exit 1; }
echo "headless load, median of $RUNS: about:blank ${blank} ms, /console/ ${console} ms, console's own share $((console - blank)) ms"
