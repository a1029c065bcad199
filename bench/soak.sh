#!/usr/bin/env bash
# Soak (run on demand, not in CI): one node on SQLite under an hour of mixed load — static pages, a Plumber API,
# Shiny sessions opened and closed, a redeploy every 30 s, a render every minute, API reads — with retention set
# low enough to work during the run. Every minute it samples the node's RSS, descriptors and threads, the row counts
# of the tables that grow, and the data directory's size; at the end it prints the first and last samples and the
# RSS trend over the second half (after warm-up). The node runs from a copy of the build.
# Usage: bench/soak.sh [seconds, default 3600]; samples go to /tmp/soak.csv
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-3600}
scripts/install-deps.sh
dotnet build Connect.Runtime -c Release -nologo -clp:ErrorsOnly >/dev/null
dotnet build bench/ShinySessions -c Release -nologo -clp:ErrorsOnly >/dev/null

work=$(mktemp -d /tmp/connect-soak.XXXXXX)
cleanup() {
  [ -n "${node_pid:-}" ] && kill -TERM "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null || true
  cp "$work/node.log" /tmp/soak-node.log 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cp -r Connect.Runtime/bin/Release/net10.0 "$work/node-bin"
cp -r bench/ShinySessions/bin/Release/net10.0 "$work/sessions-bin"
export CONNECT_DLL="$work/node-bin/connect.dll"

. bench/lib/node.sh
start_node 5970 "[Prometheus]
Enabled = true
[Applications]
BundleRetentionLimit = 3
BundleReapFrequency = 5m
HistoryRetention = 10m
HistoryRetentionLimit = 20
[Scheduler]
MaxConnsPerClient = 100"

mkdir -p "$work/site" "$work/api" "$work/shiny" "$work/report"
echo '<h1>soak</h1>' > "$work/site/index.html"
printf '{"version":1,"metadata":{"appmode":"static","primary_html":"index.html"},"packages":null}' > "$work/site/manifest.json"
printf '#* @get /echo\nfunction(msg = "") list(msg = msg)\n' > "$work/api/plumber.R"
printf '{"version":1,"metadata":{"appmode":"api"},"packages":null}' > "$work/api/manifest.json"
printf 'library(shiny)\nui <- fluidPage(numericInput("n", "n", 1), textOutput("out"))\nserver <- function(input, output, session) output$out <- renderText(paste("n is", input$n))\nshinyApp(ui, server)\n' > "$work/shiny/app.R"
printf '{"version":1,"metadata":{"appmode":"shiny"},"packages":null}' > "$work/shiny/manifest.json"
printf -- '---\ntitle: "Soak"\noutput: html_document\n---\n\nRendered at `r Sys.time()`.\n' > "$work/report/report.Rmd"
printf '{"version":1,"metadata":{"appmode":"rmd-static","primary_rmd":"report.Rmd"},"packages":null}' > "$work/report/manifest.json"
site=$(deploy site "$work/site")
api_guid=$(deploy api "$work/api")
shiny=$(deploy shiny "$work/shiny")
report=$(deploy report "$work/report")
node_url="http://127.0.0.1:$node_port"

sample() { # elapsed seconds -> one CSV line
  local rss fds threads counts size
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$node_pid/status")
  threads=$(awk '/Threads/ {print $2}' "/proc/$node_pid/status")
  fds=$(ls "/proc/$node_pid/fd" | wc -l)
  counts=$(sqlite3 "$work/data/db/connect.db" "SELECT (SELECT COUNT(*) FROM tasks) || ',' || (SELECT COUNT(*) FROM task_output) || ',' || (SELECT COUNT(*) FROM jobs) || ',' || (SELECT COUNT(*) FROM bundles)")
  size=$(du -sb "$work/data" | cut -f1)
  # The managed heap after the last collection: RSS can grow while the GC is merely lazy; this cannot.
  heap=$(curl -fs "http://127.0.0.1:$node_port/metrics" | awk '/^dotnet_gc_last_collection_heap_size_bytes/ { s += $NF } END { printf "%d", s }')
  echo "$1,$rss,$fds,$threads,$counts,$size,${heap:-0}"
}

echo "seconds,rss_kib,fds,threads,tasks,task_output,jobs,bundles,data_bytes,gc_heap_bytes" > /tmp/soak.csv
sample 0 >> /tmp/soak.csv
static_urls=$(for _ in $(seq 1 20); do printf -- "-o /dev/null %s/content/%s/ " "$node_url" "$site"; done)
api_urls=$(for _ in $(seq 1 10); do printf -- "-o /dev/null %s/content/%s/echo?msg=soak " "$node_url" "$api_guid"; done)
started=$(date +%s)
next_deploy=30
next_minute=60
requests=0
failures=0
while :; do
  elapsed=$(( $(date +%s) - started ))
  [ "$elapsed" -ge "$seconds" ] && break
  # shellcheck disable=SC2086
  curl -s $static_urls || failures=$((failures + 1))
  # shellcheck disable=SC2086
  curl -s $api_urls || failures=$((failures + 1))
  requests=$((requests + 30))
  api "$base/content" >/dev/null || failures=$((failures + 1))
  if (( elapsed >= next_deploy )); then
    next_deploy=$((next_deploy + 30))
    echo "<h1>soak $elapsed</h1>" > "$work/site/index.html"
    tar -czf "$work/site.tar.gz" -C "$work/site" .
    bundle=$(curl -fs -H "Authorization: Key $key" --data-binary "@$work/site.tar.gz" "$base/content/$site/bundles" | field id)
    api -X POST -d "{\"bundle_id\":\"$bundle\"}" "$base/content/$site/deploy" >/dev/null || failures=$((failures + 1))
  fi
  if (( elapsed >= next_minute )); then
    next_minute=$((next_minute + 60))
    api -X POST "$base/content/$report/render" >/dev/null || failures=$((failures + 1))
    timeout 60 dotnet "$work/sessions-bin/ShinySessions.dll" "ws://127.0.0.1:$node_port/content/$shiny/websocket/" 20 10 >/dev/null 2>&1 || failures=$((failures + 1))
    sample "$elapsed" >> /tmp/soak.csv
  fi
  sleep 1
done
sample "$seconds" >> /tmp/soak.csv

echo "soak: $seconds s, about $requests content requests, $failures failed steps"
echo "first and last samples (seconds, RSS KiB, descriptors, threads, tasks, task_output, jobs, bundles, data bytes, GC heap bytes):"
sed -n 2p /tmp/soak.csv
tail -n 1 /tmp/soak.csv
# RSS trend over the second half: least-squares slope in MiB per hour.
awk -F, -v half=$((seconds / 2)) 'NR > 1 && $1 >= half { n++; x += $1; y += $2; xx += $1 * $1; xy += $1 * $2 }
  END { if (n > 1) printf "RSS trend over the second half: %.1f MiB/h (%d samples)\n", (n * xy - x * y) / (n * xx - x * x) * 3600 / 1024, n }' /tmp/soak.csv
awk -F, 'NR > 1 { if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2 } END { printf "RSS range: %.0f-%.0f MiB\n", min / 1024, max / 1024 }' /tmp/soak.csv
awk -F, -v half=$((seconds / 2)) 'NR > 1 && $1 >= half && $10 > 0 { n++; x += $1; y += $10; xx += $1 * $1; xy += $1 * $10 }
  END { if (n > 1) printf "GC heap trend over the second half: %.1f MiB/h (%d samples)\n", (n * xy - x * y) / (n * xx - x * x) * 3600 / 1048576, n }' /tmp/soak.csv
