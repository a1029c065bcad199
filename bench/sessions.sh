#!/usr/bin/env bash
# Open Shiny sessions one 2-core node holds (run on demand, not in CI): opens N sessions to one echo app through
# the node and keeps them open, then gives each an input and times its answer. Prints the figures and the memory
# of the node and of its R workers. Usage: bench/sessions.sh [sessions] [processes]
set -euo pipefail
cd "$(dirname "$0")/.."
sessions=${1:-2000}
processes=${2:-4}
scripts/install-deps.sh
dotnet build Connect.Runtime -c Release -nologo -clp:ErrorsOnly >/dev/null
dotnet build bench/ShinySessions -c Release -nologo -clp:ErrorsOnly >/dev/null

work=$(mktemp -d /tmp/connect-sessions.XXXXXX)
cleanup() {
  [ -n "${node_pid:-}" ] && kill -TERM "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null || true
  cp "$work/node.log" /tmp/sessions-node.log 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

. bench/lib/node.sh
# Enough room per process for every session: MaxProcesses x MaxConnsPerProcess >= sessions. Every session comes from
# this one address, standing for as many viewers, so the per-client limit (Scheduler.MaxConnsPerClient) is raised too.
start_node 5950 "[Scheduler]
MaxProcesses = $processes
MaxProcessesLimit = $processes
MaxConnsPerProcess = $(( (sessions + processes - 1) / processes ))
LoadFactor = 1.0
IdleTimeout = 30m
MaxConnsPerClient = $sessions"

mkdir -p "$work/echo"
printf 'library(shiny)\nshinyApp(fluidPage(numericInput("n", "n", 0), textOutput("out")), function(input, output) output$out <- renderText(paste("n is", input$n)))\n' > "$work/echo/app.R"
printf '{"version":1,"metadata":{"appmode":"shiny"},"packages":null}' > "$work/echo/manifest.json"
echo_guid=$(deploy echo "$work/echo")

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $sessions sessions over at most $processes R processes"
dotnet bench/ShinySessions/bin/Release/net10.0/ShinySessions.dll "ws://127.0.0.1:5950/content/$echo_guid/websocket/" "$sessions" 50 < /dev/null &
client=$!
# Memory while every session is open: sampled until the client ends, the largest figure kept.
node_peak=0
r_peak=0
while kill -0 "$client" 2>/dev/null; do
  node_rss=$(awk '/VmRSS/ {print $2}' "/proc/$node_pid/status")
  r_rss=$( (pgrep -f 'shiny::runApp' || true) | xargs -r ps -o rss= -p | awk '{s += $1} END {print s + 0}')
  [ "$node_rss" -gt "$node_peak" ] && node_peak=$node_rss
  [ "$r_rss" -gt "$r_peak" ] && r_peak=$r_rss
  sleep 1
done
wait "$client"
# Anything the node had to say about refused or failed connections.
grep -E ' (warn|fail):' "$work/node.log" | cut -c1-300 | tail -n 5 || true
echo "node RSS at most $(( node_peak / 1024 )) MiB; R workers at most $(( r_peak / 1024 )) MiB together; workers: $(api "$base/server/processes" | grep -o '"content_guid"' | wc -l)"
