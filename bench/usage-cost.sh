#!/usr/bin/env bash
# What recording usage costs (run on demand, not in CI): the static fast path's throughput for a page view (an item's
# index.html, which is recorded as a visit) with Metrics.Instrumentation on and off, on one node on SQLite, in
# alternating rounds so drift on a busy machine falls on both alike. Prints both rates and the cost in per cent.
# Usage: bench/usage-cost.sh [seconds-per-round] [rounds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-8}
rounds=${2:-3}
conns=${3:-8}
scripts/install-deps.sh
dotnet build Connect.Runtime -c Release -nologo -clp:ErrorsOnly >/dev/null

work=$(mktemp -d /tmp/connect-usage-cost.XXXXXX)
cleanup() {
  [ -n "${node_pid:-}" ] && kill -TERM "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
. bench/lib/node.sh

mkdir -p "$work/site"
head -c 2048 /dev/urandom | base64 > "$work/site/index.html"
printf '{"version":1,"metadata":{"appmode":"static","primary_html":"index.html"},"packages":null}' > "$work/site/manifest.json"

rate() { # url -> requests per second; the number of requests made is added to $work/requests
  local out
  out=$(wrk -t2 -c"$conns" -d"${duration}s" "$1")
  echo "$out" | awk '/requests in/ {print $1}' >> "$work/requests"
  echo "$out" | awk '/Requests\/sec/ {print $2}'
}

declare -A total=([true]=0 [false]=0)
recorded_requests=0
guid=""
for round in $(seq 1 "$rounds"); do
  for instrumentation in true false; do
    start_node 5950 "[Metrics]
Enabled = false
Instrumentation = $instrumentation"
    [ -n "$guid" ] || guid=$(deploy site "$work/site")
    url="http://127.0.0.1:5950/content/$guid/index.html"
    : > "$work/requests"
    rate "$url" >/dev/null # warm-up
    r=$(rate "$url")
    [ "$instrumentation" = true ] && recorded_requests=$((recorded_requests + $(awk '{ n += $1 } END { print n }' "$work/requests")))
    echo "round $round, Instrumentation = $instrumentation: $r req/s"
    total[$instrumentation]=$(awk -v a="${total[$instrumentation]}" -v b="$r" 'BEGIN { print a + b }')
    kill -TERM "$node_pid"; wait "$node_pid" 2>/dev/null || true; node_pid=""
  done
done

on=$(awk -v t="${total[true]}" -v n="$rounds" 'BEGIN { print t / n }')
off=$(awk -v t="${total[false]}" -v n="$rounds" 'BEGIN { print t / n }')
# Every view of the recorded runs must be in the database once the node has stopped (a clean stop writes what waits).
rows=$(sqlite3 "$work/data/db/connect.db" 'SELECT COUNT(*) FROM content_visits' 2>/dev/null || echo "?")
views=$(sqlite3 "$work/data/db/connect.db" 'SELECT SUM(hits) FROM content_visits' 2>/dev/null || echo "?")
printf '| page view of a static item, recorded | %.0f req/s |\n| the same, Metrics.Instrumentation = false | %.0f req/s |\n| cost of recording | %.2f %% (target < 2 %%) |\n| views requested while recording / counted in the database (rows) | %s / %s (%s) |\n' \
  "$on" "$off" "$(awk -v on="$on" -v off="$off" 'BEGIN { print (off - on) / off * 100 }')" "$recorded_requests" "$views" "$rows"
