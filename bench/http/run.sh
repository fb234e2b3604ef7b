#!/usr/bin/env bash
# HTTP load test of `suanli serve` with wrk on loopback (make bench).
# Measures requests/s and p99 latency of: the health check (the baseline:
# routing + JSON, no work), a catalog read, the estimate endpoint with a
# repeated request (cache hits), and with a new request every time (the
# estimator's own cost). Then the service under attack: 200 keep-alive
# clients (wrk -c200) on the health check while 70 slow clients trickle
# headers a byte a second (slowloris.py, loopback only). Prints a table and
# the goals beside the measurements: >= 5,000 estimate requests/s with
# p99 < 20 ms on 2 cores; under attack, cheap requests p99 < 100 ms.
#   bench/http/run.sh BUILD_DIR [SECONDS] [CONNECTIONS]
set -euo pipefail
build=${1:-build}
seconds=${2:-10}
conns=${3:-32}
here=$(cd "$(dirname "$0")" && pwd)
suanli="$build/suanli"
command -v wrk >/dev/null || { echo "wrk not found: run make deps"; exit 1; }
[ -x "$suanli" ] || { echo "$suanli not built"; exit 1; }
data=$(mktemp -d)
log="$data/serve.log"
# The rate limiter is off: this measures the service, not the limiter.
"$suanli" serve --listen 127.0.0.1:0 --data-dir "$data" --no-examples --rate-limit 0 >"$log" 2>&1 &
pid=$!
slow_pid=""
trap 'kill $pid $slow_pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
port=""
for _ in $(seq 1 600); do
  port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\).*|\1|p' "$log" | head -1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "server did not start:"; cat "$log"; exit 1; }
url="http://127.0.0.1:$port"
echo "suanli serve on $url; wrk: 2 threads, $conns connections, ${seconds} s per endpoint ($(nproc) cores, client and server on the same machine)"

# wrk --latency prints "Requests/sec:" and a latency distribution with "99%".
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); print v/1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v); print v } else if (v ~ /s$/) { sub(/s$/, "", v); print v*1000 } else print v }'; }
declare -A RPS P99
measure() {  # key label path [script] [connections]
  local key=$1 label=$2 path=$3 script=${4:-} c=${5:-$conns}
  local args=(-t2 -c"$c" -d"${seconds}s" --latency)
  [ -n "$script" ] && args+=(-s "$here/$script")
  local out errors
  out=$(wrk "${args[@]}" "$url$path")
  RPS[$key]=$(echo "$out" | awk '/Requests\/sec:/ {print $2}')
  P99[$key]=$(to_ms "$(echo "$out" | awk '$1=="99%" {print $2}')")
  errors=$(echo "$out" | awk '/Non-2xx or 3xx responses:/ {print $5}')
  printf "%-28s %12.0f %10.2f %8s\n" "$label" "${RPS[$key]}" "${P99[$key]}" "${errors:-0}"
}
printf "%-28s %12s %10s %8s\n" "endpoint" "requests/s" "p99 (ms)" "non-2xx"
measure health "health (baseline)" /api/v1/health
measure catalog "catalog read" /api/v1/catalog/accelerators
measure estimate "estimate (repeated)" /api/v1/estimate/infer estimate.lua
measure uncached "estimate (new each time)" /api/v1/estimate/infer estimate_uncached.lua
echo
awk -v e="${RPS[estimate]}" -v u="${RPS[uncached]}" -v c="${RPS[catalog]}" -v b="${RPS[health]}" 'BEGIN {
  printf "ratios to the health baseline (same run): estimate repeated %.2f, estimate new %.2f, catalog %.2f\n", e/b, u/b, c/b }'
awk -v r="${RPS[estimate]}" -v p="${P99[estimate]}" 'BEGIN {
  ok = (r >= 5000 && p < 20) ? "met" : "NOT met";
  printf "goal >= 5000 estimate requests/s with p99 < 20 ms: %s (%.0f requests/s, p99 %.2f ms)\n", ok, r, p }'

# Under attack: 70 slow clients hold connections open, trickling headers
# (each is cut off with a 408 after the header deadline and reconnects),
# while 200 keep-alive clients hammer a cheap route.
echo
slow=70
python3 "$here/slowloris.py" "$port" "$slow" $((seconds + 4)) >"$data/slow.log" 2>&1 &
slow_pid=$!
sleep 2
echo "under attack: $slow slow clients trickling headers, wrk with 200 keep-alive connections"
printf "%-28s %12s %10s %8s\n" "endpoint" "requests/s" "p99 (ms)" "non-2xx"
measure attack "health, 200 + $slow slow" /api/v1/health "" 200
wait "$slow_pid" || true
slow_pid=""
cat "$data/slow.log"
awk -v p="${P99[attack]}" -v r="${RPS[attack]}" 'BEGIN {
  ok = (p < 100) ? "met" : "NOT met";
  printf "goal p99 < 100 ms for cheap requests with 200 clients + 70 slow ones: %s (p99 %.2f ms, %.0f requests/s)\n", ok, p, r }'
