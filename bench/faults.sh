#!/usr/bin/env bash
# Fault benchmark (run on demand, not in CI): two nodes on one PostgreSQL database and data
# directory behind nginx.conf.sample, a Plumber API under steady load through nginx (wrk), and
#   1. the database made unreachable for 8 s,
#   2. one node killed with SIGKILL.
# For each: failed requests during the run, and how long until everything works again.
# Usage: bench/faults.sh [seconds of load per scenario, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
. bench/lib/cluster.sh
start_cluster faults 7939 7941 "$(printf '[LoadBalancing]\nTrustedProxies = 127.0.0.1')"

# A public Plumber API, warm on both nodes.
mkdir -p "$work/src"
printf '#* @get /echo\nfunction(msg = "") list(msg = msg)\n' > "$work/src/plumber.R"
printf '{"version":1,"metadata":{"appmode":"api","primary_rmd":null,"primary_html":null},"packages":null}' > "$work/src/manifest.json"
tar -czf "$work/api.tar.gz" -C "$work/src" .
guid=$(api -X POST -d '{"name":"echo"}' "$base/content" | jq -r .guid)
api -X PATCH -d '{"access_type":"all","min_processes":1}' "$base/content/$guid" >/dev/null
bundle=$(curl -fs -H "Authorization: Key $key" --data-binary "@$work/api.tar.gz" "$base/content/$guid/bundles" | jq -r .id)
task=$(api -X POST -d "{\"bundle_id\":\"$bundle\"}" "$base/content/$guid/deploy" | jq -r .task_id)
until api "$base/tasks/$task" | jq -e .finished >/dev/null; do sleep 0.2; done
for n in a b; do until curl -fs -o /dev/null "http://127.0.0.1:${port[$n]}/content/$guid/echo?msg=warm"; do sleep 0.2; done; done

start_nginx 7940
url="http://127.0.0.1:7940/content/$guid/echo?msg=load"

# wrk's failures: non-2xx answers plus socket errors.
failures() { # wrk output file
  local non2xx errors
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$1"); non2xx=${non2xx:-0}
  errors=$(awk -F'[ ,]+' '/Socket errors:/ {print $4 + $6 + $8 + $10}' "$1"); errors=${errors:-0}
  echo $((non2xx + errors))
}
requests() { awk '/requests in/ {print $1}' "$1"; }

# 1. The database unreachable for 8 s, 5 s into the load.
wrk -t1 -c8 -d"${seconds}s" "$url" > "$work/wrk-db.txt" &
load=$!
sleep 5
psql_admin -c "ALTER DATABASE connect ALLOW_CONNECTIONS false" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'connect'" >/dev/null
sleep 6 # a heartbeat (every 5 s) has failed by now
degraded=$(curl -s "http://127.0.0.1:${port[a]}/__ping__" || true)
sleep 2
psql_admin -c "ALTER DATABASE connect ALLOW_CONNECTIONS true" >/dev/null
back_at=$(now_ms)
until api "$base/content" >/dev/null; do sleep 0.05; done
api_back=$(( $(now_ms) - back_at ))
wait $load

# 2. One node killed with SIGKILL, 5 s into the load.
wrk -t1 -c8 -d"${seconds}s" "$url" > "$work/wrk-kill.txt" &
load=$!
sleep 5
kill -9 "${pid[a]}"
killed_at=$(now_ms)
until curl -fs -o /dev/null "$url"; do :; done
served_after=$(( $(now_ms) - killed_at ))
wait $load

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); PostgreSQL $(basename "$(dirname "$PG_BIN")"); nginx from nginx.conf.sample; wrk -t1 -c8 for ${seconds} s per scenario against a public Plumber endpoint"
echo
echo "| scenario | requests | failed | recovery |"
echo "|---|---|---|---|"
echo "| database unreachable for 8 s | $(requests "$work/wrk-db.txt") | $(failures "$work/wrk-db.txt") | API answers again $api_back ms after the database is back; \`/__ping__\` during the outage: \`$(echo "$degraded" | jq -c '{status, database}' 2>/dev/null || echo "$degraded")\` |"
echo "| node-a killed (SIGKILL) | $(requests "$work/wrk-kill.txt") | $(failures "$work/wrk-kill.txt") | a fresh request served ${served_after} ms after the kill |"
