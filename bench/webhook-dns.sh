#!/usr/bin/env bash
# Another account's leases while webhook creations wait on a nameserver that never answers. A silent nameserver on
# loopback (python3: takes every query, answers none) is the service's WEBHOOK_NAMESERVERS; wrk leases on the
# account "other" for DURATION three times: alone, while FLOOD clients of one account create webhooks on fresh names
# (each client one creation after another, at most one per PACE seconds), and while the same FLOOD clients are
# spread over SPREAD accounts (so more lookups are in flight than there are worker threads). Prints the leases' rate,
# p50 and p99 for each run, how the creations were answered, and how many queries the nameserver took. The JIT is
# warmed first on both workloads at once, in rounds of 5 s until a round spends under 1 s compiling (at most WARM).
#   bench/webhook-dns.sh   (DURATION=20s CONNECTIONS=8 FLOOD=24 PACE=1 SPREAD=6 WARM=20 PORT=8096
#                           BENCH_DB=sluice_dns_bench JAR=... to change; see bench/service.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-8}
FLOOD=${FLOOD:-24}
PACE=${PACE:-1}
SPREAD=${SPREAD:-6}
WARM=${WARM:-20}
PORT=${PORT:-8096}
BENCH_DB=${BENCH_DB:-sluice_dns_bench}

source bench/service.sh
needs wrk
fresh_database

# The silent nameserver: its port in $WORK/dns.port, the queries it took so far in $WORK/dns.queries.
python3 - "$WORK/dns" <<'PY' &
import socket, sys
server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
server.bind(("127.0.0.1", 0))
open(sys.argv[1] + ".port", "w").write(str(server.getsockname()[1]))
taken = 0
while True:
    server.recv(4096)  # and never answered
    taken += 1
    open(sys.argv[1] + ".queries", "w").write(str(taken))
PY
NAMESERVER=$!
trap 'kill "$NAMESERVER" 2>/dev/null || true; stop_service || true' EXIT
for _ in $(seq 1 50); do [ -s "$WORK/dns.port" ] && break; sleep 0.1; done
start_service GLOBAL_DAY_LIMIT=100000 GLOBAL_MONTH_LIMIT=1000000 WEBHOOK_NAMESERVERS="127.0.0.1:$(cat "$WORK/dns.port")"

read -r API TUNNEL _ <<< "$(account other 1000)"
FLOODERS=()
for i in $(seq 1 "$SPREAD"); do
  read -r _ _ service <<< "$(account "noisy-$i" 10)"
  FLOODERS+=("noisy-$i:$service")
done
lease_script lease "$API"

# flood SECONDS ACCOUNTS...: FLOOD clients, spread over the given "slug:service-token" accounts, each creating
# webhooks one after another (at most one per PACE seconds) until SECONDS have passed; prints how they were answered.
flood() {
  python3 - "$BASE" "$FLOOD" "$PACE" "$@" <<'PY'
import collections, http.client, json, sys, threading, time, urllib.parse, uuid
base, clients, pace, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
accounts = sys.argv[5:]
end = time.monotonic() + seconds
answers = collections.Counter()
slowest = collections.defaultdict(float)
lock = threading.Lock()
def client(n):
    slug, token = accounts[n % len(accounts)].split(":", 1)
    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    while time.monotonic() < end:
        started = time.monotonic()
        body = json.dumps({"url": "http://%s.flood.invalid/hook" % uuid.uuid4(), "events": ["tunnel.closed"]})
        conn.request("POST", "/admin/accounts/%s/webhooks" % slug, body,
                     {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        response = conn.getresponse()
        message = json.loads(response.read() or b"{}").get("message", "")
        took = time.monotonic() - started
        reason = ("did not resolve in time" if "did not resolve within" in message
                  else "refused at once: lookups in flight" if "being resolved already" in message else message[:60])
        with lock:
            answers["%d %s" % (response.status, reason)] += 1
            slowest[reason] = max(slowest[reason], took)
        time.sleep(max(0.0, pace - took))
threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
for answer, count in sorted(answers.items()):
    reason = answer.split(" ", 1)[1]
    print("    %6d x %s (slowest %.2f s)" % (count, answer, slowest[reason]))
PY
}


SECONDS_OF_RUN=$(python3 -c "import re,sys; v='$DURATION'; m=re.fullmatch(r'(\d+)([smh]?)', v); \
print(int(m.group(1)) * {'': 1, 's': 1, 'm': 60, 'h': 3600}[m.group(2)])")
source bench/jit.sh
for WARM_ROUNDS in $(seq 1 "$WARM"); do
  before=$(compile_seconds)
  flood 5 "${FLOODERS[@]}" > /dev/null &
  wrk_leases warm-up 5s > /dev/null
  wait $!
  compiler_settled "$before" 1 && break
done
echo "JIT warm-up: $WARM_ROUNDS rounds of 5 s, $(compiler_total)"
queries() { cat "$WORK/dns.queries" 2>/dev/null || echo 0; }
echo "another account's leases, $CONNECTIONS connections, $DURATION each (rate, p50, p99):"
wrk_leases "alone"
Q0=$(queries)
flood "$SECONDS_OF_RUN" "${FLOODERS[0]}" > "$WORK/flood-one" &
wrk_leases "while $FLOOD clients of one account create webhooks"
wait $!
Q1=$(queries)
flood "$SECONDS_OF_RUN" "${FLOODERS[@]}" > "$WORK/flood-spread" &
wrk_leases "while $FLOOD clients of $SPREAD accounts do"
wait $!
echo "the creations of one account (count, answer, slowest), $((Q1 - Q0)) queries to the silent nameserver:"
cat "$WORK/flood-one"
echo "the creations of $SPREAD accounts, $(($(queries) - Q1)) queries:"
cat "$WORK/flood-spread"
