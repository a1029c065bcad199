#!/usr/bin/env bash
# Cluster benchmark (run on demand, not in CI): two nodes on one PostgreSQL database and data
# directory behind nginx.conf.sample. Measures
#   1. from a scheduled render's due time to its start (database clock),
#   2. from a node's death to its abandoned render being claimed by the other node,
#   3. from a node's death to nginx serving that node's pinned client from the other node.
# Usage: bench/cluster.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
. bench/lib/cluster.sh
start_cluster cluster 6939 6941
# jq: an ISO time from the API (2026-11-25T21:37:01.123+00:00) in Unix milliseconds.
ms='def ms: capture("^(?<s>[^.+Z]+)(\\.(?<f>[0-9]+))?") | ((.s + "Z") | fromdateiso8601) * 1000 + ((.f // "0") + "00" | .[0:3] | tonumber);'

deploy_rmd() { # name body -> guid
  local dir="$work/src-$1" guid bundle task
  mkdir -p "$dir"
  printf -- '---\ntitle: "%s"\noutput: html_document\n---\n\n%s\n' "$1" "$2" > "$dir/doc.Rmd"
  printf '{"version":1,"metadata":{"appmode":"rmd-static","primary_rmd":"doc.Rmd"},"packages":null}' > "$dir/manifest.json"
  tar -czf "$work/$1.tar.gz" -C "$dir" .
  guid=$(api -X POST -d "{\"name\":\"$1\"}" "$base/content" | jq -r .guid)
  bundle=$(curl -fs -H "Authorization: Key $key" --data-binary "@$work/$1.tar.gz" "$base/content/$guid/bundles" | jq -r .id)
  task=$(api -X POST -d "{\"bundle_id\":\"$bundle\"}" "$base/content/$guid/deploy" | jq -r .task_id)
  until api "$base/tasks/$task" | jq -e .finished >/dev/null; do sleep 0.2; done
  echo "$guid"
}

# 1. Due time to start.
quick=$(deploy_rmd quick "Quick.")
for i in $(seq 1 "$runs"); do
  start=$(date -u -d "@$(( $(date +%s) + 2 ))" +%FT%TZ)
  api -X POST -d "{\"interval\":\"24h\",\"start\":\"$start\"}" "$base/content/$quick/schedules" >/dev/null
  sleep 3
done
until [ "$(api "$base/content/$quick/jobs" | jq '[.[] | select(.status == "succeeded")] | length')" -ge "$runs" ]; do sleep 0.5; done
due_to_start=$(api "$base/content/$quick/jobs" | jq -r "$ms"' [.[] | (.start_time | ms) - (.due_time | ms)] | "min \(min) ms, median \(sort | .[length/2|floor]) ms, max \(max) ms"')

# 2. Node death to re-claim of its render.
slow=$(deploy_rmd slow '```{r}
Sys.sleep(30)
```')
api -X POST -d "{\"interval\":\"24h\",\"start\":\"$(date -u +%FT%TZ)\"}" "$base/content/$slow/schedules" >/dev/null
until [ "$(api "$base/content/$slow/jobs" | jq -r '.[0].status // ""')" = running ]; do sleep 0.2; done
victim=$(api "$base/content/$slow/jobs" | jq -r '.[0].node' | sed 's/node-//')
survivor=$([ "$victim" = a ] && echo b || echo a)
killed_at=$(now_ms)
kill -9 "${pid[$victim]}"
pkill -9 -f "Sys.sleep\(30\)" 2>/dev/null || true
sbase="http://127.0.0.1:${port[$survivor]}/__api__/v1"
until [ "$(curl -fs -H "Authorization: Key $key" "$sbase/content/$slow/jobs" | jq -r '.[0].claim_token')" = 2 ]; do sleep 0.1; done
reclaimed_at=$(curl -fs -H "Authorization: Key $key" "$sbase/content/$slow/jobs" | jq -r "$ms"' .[0].start_time | ms')
start_node "$victim"

# 3. Node death to nginx serving its pinned client elsewhere.
start_nginx 6940
curl -fs -c "$work/jar" -o /dev/null http://127.0.0.1:6940/__ping__
pinned=$(awk '$6 == "CONNECT_NODE" {print $7}' "$work/jar")
victim=$([ "$pinned" = "127.0.0.1:${port[a]}" ] && echo a || echo b)
killed_at2=$(now_ms)
kill -9 "${pid[$victim]}"
until curl -fs -b "$work/jar" -c "$work/jar" -o /dev/null http://127.0.0.1:6940/__ping__; do :; done
served_at=$(now_ms)
repinned=$(awk '$6 == "CONNECT_NODE" {print $7}' "$work/jar")

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); PostgreSQL $(basename "$(dirname "$PG_BIN")"); $runs scheduled runs"
echo
echo "| measurement | result |"
echo "|---|---|"
echo "| scheduled render: due time to start | $due_to_start |"
echo "| node death to its render claimed by node-$survivor | $((reclaimed_at - killed_at)) ms |"
echo "| node death to nginx serving the pinned client elsewhere ($pinned -> $repinned) | $((served_at - killed_at2)) ms |"
