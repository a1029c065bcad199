#!/usr/bin/env bash
# Proxy benchmark (run on demand, not in CI): one Plumber API and one static file, measured
# (a) directly, (b) through nginx as a plain reverse proxy, (c) through a Connect node, (d) through nginx
# in front of the node as nginx.conf.sample deploys it, in one run; and the same API with two workers.
# Workers listen on Unix sockets only the node may open, so "direct" is the same app in a plain R process this
# script starts on a TCP port (no sandbox), as a client would reach it without Connect.
# Also: cold Shiny time-to-first-byte against R's own start-up, the Shiny WebSocket round trip, and (unless
# SESSIONS=0) the open Shiny sessions one node holds (bench/sessions.sh), and (unless USAGE=0) what recording page views
# costs (bench/usage-cost.sh). Prints the rows as a markdown table,
# then every figure of the proxy issue against its target, all from this one run.
# Usage: [SESSIONS=2000] [USAGE=1] bench/proxy.sh [seconds-per-run] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-8}
conns=${2:-8}
sessions=${SESSIONS:-2000}
scripts/install-deps.sh
dotnet build Connect.Runtime -c Release -nologo -clp:ErrorsOnly >/dev/null
dotnet build bench/WsRoundTrip -c Release -nologo -clp:ErrorsOnly >/dev/null
dotnet build bench/KestrelFloor -c Release -nologo -clp:ErrorsOnly >/dev/null

work=$(mktemp -d /tmp/connect-bench.XXXXXX)
node_port=5939
nginx_port=5940
front_port=5941
floor_port=5942
direct_api_port=5943
direct_echo_port=5944
cleanup() {
  [ -n "${direct_api_pid:-}" ] && kill "$direct_api_pid" 2>/dev/null || true
  [ -n "${direct_echo_pid:-}" ] && kill "$direct_echo_pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  [ -n "${floor_pid:-}" ] && kill "$floor_pid" 2>/dev/null || true
  [ -n "${node_pid:-}" ] && kill -TERM "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

. bench/lib/node.sh
start_node "$node_port" "[Scheduler]
MaxProcesses = 1
MaxConnsPerProcess = 1000
IdleTimeout = 30m
SpareProcesses = 1
[Applications]
RunAsRange = none"

mkdir -p "$work/api" "$work/site" "$work/shiny" "$work/echo"
printf 'library(shiny)\nshinyApp(fluidPage(numericInput("n", "n", 0), textOutput("out")), function(input, output) output$out <- renderText(paste("n is", input$n)))\n' > "$work/echo/app.R"
printf '{"version":1,"metadata":{"appmode":"shiny"},"packages":null}' > "$work/echo/manifest.json"
printf '#* @get /echo\nfunction(msg = "") msg\n' > "$work/api/plumber.R"
printf '{"version":1,"metadata":{"appmode":"api"},"packages":null}' > "$work/api/manifest.json"
head -c 2048 /dev/urandom | base64 > "$work/site/index.html"
printf '{"version":1,"metadata":{"appmode":"static","primary_html":"index.html"},"packages":null}' > "$work/site/manifest.json"
printf 'library(shiny)\nshinyApp(fluidPage("hi"), function(input, output) {})\n' > "$work/shiny/app.R"
printf '{"version":1,"metadata":{"appmode":"shiny"},"packages":null}' > "$work/shiny/manifest.json"
mkdir -p "$work/shiny2" && cp "$work/shiny/"* "$work/shiny2/"
api_guid=$(deploy api "$work/api")
api2_guid=$(deploy api2 "$work/api")
# The second copy keeps two workers warm (MaxProcesses = 2 for it alone); wrk's connections spread over both.
api -X PATCH -d '{"min_processes":2,"max_processes":2}' "$base/content/$api2_guid" >/dev/null
for _ in $(seq 1 150); do
  [ "$(api "$base/server/processes" | tr '{' '\n' | grep "\"content_guid\":\"$api2_guid\"" | grep -c '"state":"ready"')" -ge 2 ] && break
  sleep 0.2
done
site_guid=$(deploy site "$work/site")
# The same file in a private item: the API key row then needs the key checked (and the owner's access), as it would be.
private_guid=$(deploy private "$work/site")
api -X PATCH -d '{"access_type":"acl"}' "$base/content/$private_guid" >/dev/null
shiny_guid=$(deploy shiny "$work/shiny")
shiny2_guid=$(deploy shiny2 "$work/shiny2")
echo_guid=$(deploy echo "$work/echo")

# Cold Shiny: first request (starts R) against R's own start-up with shiny loaded; first from the node's spare
# (Scheduler.SpareProcesses = 1), then at once another app, for which no spare waits yet (its replacement is loading).
for _ in $(seq 1 150); do grep -q 'waits for an app' "$work/node.log" && break; sleep 0.2; done
cold=$(curl -s -o /dev/null -w '%{time_starttransfer}' "http://127.0.0.1:$node_port/content/$shiny_guid/")
cold_plain=$(curl -s -o /dev/null -w '%{time_starttransfer}' "http://127.0.0.1:$node_port/content/$shiny2_guid/")
r_start=$( { /usr/bin/time -f '%e' Rscript -e 'invisible(0)' >/dev/null; } 2>&1 )
r_shiny=$( { /usr/bin/time -f '%e' Rscript -e 'library(shiny)' >/dev/null; } 2>&1 )

curl -fs -o /dev/null "http://127.0.0.1:$node_port/content/$api_guid/echo?msg=x"
# The same API and Shiny app as plain R processes on TCP ports: what a client reaches without Connect.
Rscript -e "plumber::pr_run(plumber::pr('$work/api/plumber.R'), host = '127.0.0.1', port = $direct_api_port, docs = FALSE)" > "$work/direct-api.log" 2>&1 &
direct_api_pid=$!
Rscript -e "shiny::runApp('$work/echo', host = '127.0.0.1', port = $direct_echo_port, launch.browser = FALSE)" > "$work/direct-echo.log" 2>&1 &
direct_echo_pid=$!
for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$direct_api_port/echo?msg=x" && curl -fs -o /dev/null "http://127.0.0.1:$direct_echo_port/" && break; sleep 0.2; done
worker_port=$direct_api_port
site_dir=""
for d in "$work"/data/apps/*/*; do
  if [ -f "$d/index.html" ]; then site_dir=$d; fi
done

cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  upstream plumber { server 127.0.0.1:$worker_port; keepalive 32; }
  upstream connect_node { server 127.0.0.1:$node_port; keepalive 32; }
  map \$http_upgrade \$connect_connection { default upgrade; "" ""; }
  server {
    listen 127.0.0.1:$nginx_port;
    location /echo { proxy_pass http://plumber; proxy_http_version 1.1; proxy_set_header Connection ""; }
    location /static/ { alias $site_dir/; }
  }
  # In front of the node, as nginx.conf.sample has it (one node here).
  server {
    listen 127.0.0.1:$front_port;
    location / {
      proxy_pass http://connect_node;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connect_connection;
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
NGINX
nginx -c "$work/nginx.conf"
# The same file from an empty Kestrel app (bytes in memory, no middleware): what any ASP.NET Core server pays here.
dotnet bench/KestrelFloor/bin/Release/net10.0/KestrelFloor.dll "$site_dir/index.html" "$floor_port" > /dev/null 2>&1 &
floor_pid=$!
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$floor_port/" && break; sleep 0.1; done

ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
run() { # label url [extra wrk args]: a short unmeasured warm-up (the node's JIT settles), then the measured run
  local out rps p50 p99 before after before_floor after_floor count cpu="–"
  wrk -t1 -c"$conns" -d3s "${@:3}" "$2" >/dev/null
  before=$(ticks "$node_pid"); before_floor=$(ticks "$floor_pid")
  out=$(wrk -t1 -c"$conns" -d"${duration}s" --latency "${@:3}" "$2")
  after=$(ticks "$node_pid"); after_floor=$(ticks "$floor_pid")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  count=$(echo "$out" | awk '/requests in/ {print $1}')
  # The node's CPU time per request, for rows through it (clock ticks of 10 ms over the run).
  case "$2" in *":$node_port/"*|*":$front_port/"*) cpu="$(( (after - before) * 10000 / count )) µs" ;; esac
  case "$2" in *":$floor_port/"*) cpu="$(( (after_floor - before_floor) * 10000 / count )) µs (its own)" ;; esac
  printf '| %s | %s | %s | %s | %s |\n' "$1" "$rps" "$p50" "$p99" "$cpu"
  last_rps=$rps
  last_p99=$(ms "$p99")
}
ms() { # wrk's duration (660.00us, 22.72ms, 1.02s) in milliseconds
  echo "$1" | awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else { sub(/s$/, "", v); v *= 1000 }; print v }'
}
calc() { awk "BEGIN { printf \"%$1\", ($2) }"; }

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); wrk -t1 -c$conns -d${duration}s"
echo
echo "| path | req/s | p50 | p99 | node CPU per request |"
echo "|---|---|---|---|---|"
run "Plumber direct, keep-alive" "http://127.0.0.1:$worker_port/echo?msg=x"
best_rps=$last_rps; best_p99=$last_p99
run "Plumber direct, Connection: close" "http://127.0.0.1:$worker_port/echo?msg=x" -H "Connection: close"
if [ "$(calc .0f "$last_rps > $best_rps")" = 1 ]; then best_rps=$last_rps; best_p99=$last_p99; fi
run "Plumber through nginx (upstream keepalive 32)" "http://127.0.0.1:$nginx_port/echo?msg=x"
run "Plumber through the node" "http://127.0.0.1:$node_port/content/$api_guid/echo?msg=x"
node_rps=$last_rps; node_p99=$last_p99
run "Plumber through nginx in front of the node (nginx.conf.sample)" "http://127.0.0.1:$front_port/content/$api_guid/echo?msg=x"
run "Plumber through the node, two workers (MaxProcesses = 2)" "http://127.0.0.1:$node_port/content/$api2_guid/echo?msg=x"
run "static file, nginx" "http://127.0.0.1:$nginx_port/static/index.html"
nginx_rps=$last_rps
run "static file, an empty Kestrel app (the floor for any ASP.NET Core server)" "http://127.0.0.1:$floor_port/index.html"
floor_rps=$last_rps
run "static file, the node" "http://127.0.0.1:$node_port/content/$site_guid/index.html"
static_rps=$last_rps
run "static file, the node, private item, with an API key" "http://127.0.0.1:$node_port/content/$private_guid/index.html" -H "Authorization: Key $key"
key_rps=$last_rps
curl -fs -o /dev/null "http://127.0.0.1:$node_port/content/$echo_guid/"
dotnet bench/WsRoundTrip/bin/Release/net10.0/WsRoundTrip.dll "ws://127.0.0.1:$direct_echo_port/websocket/" 500 > "$work/ws-direct.txt" 2>&1 < /dev/null || true
dotnet bench/WsRoundTrip/bin/Release/net10.0/WsRoundTrip.dll "ws://127.0.0.1:$node_port/content/$echo_guid/websocket/" 500 > "$work/ws-node.txt" 2>&1 < /dev/null || true
echo
echo "Shiny WebSocket round trip (input change to output), direct: $(head -n 1 "$work/ws-direct.txt")"
echo "Shiny WebSocket round trip (input change to output), through the node: $(head -n 1 "$work/ws-node.txt")"
echo
echo "Cold Shiny first byte through the node: from a spare ${cold}s, without one ${cold_plain}s; Rscript start-up: ${r_start}s; with library(shiny): ${r_shiny}s"

if [ "$sessions" -gt 0 ]; then
  # Its own node (the sessions need other scheduler limits); this one stops first so the two do not share the cores.
  kill -TERM "$node_pid" && wait "$node_pid" 2>/dev/null || true
  node_pid=""
  bench/sessions.sh "$sessions" 4 > "$work/sessions.txt" 2>&1 || true
  echo
  sed 's/^/Open Shiny sessions: /' "$work/sessions.txt" | grep -E 'opened|answered|RSS' || true
fi

if [ "${USAGE:-1}" != 0 ]; then
  # Its own node twice over (recording on, then off), after this one has stopped.
  [ -n "$node_pid" ] && kill -TERM "$node_pid" && wait "$node_pid" 2>/dev/null || true
  node_pid=""
  bench/usage-cost.sh "$duration" 3 "$conns" > "$work/usage.txt" 2>&1 || true
  echo
  grep '^|' "$work/usage.txt" || tail -n 5 "$work/usage.txt"
fi

mean() { sed -n 's/.*mean \([0-9.]*\) ms.*/\1/p' "$1"; }
answered=$(grep -Eo '^[0-9]+ answered' "$work/sessions.txt" 2>/dev/null | cut -d' ' -f1 || true)
late=$(grep -Eo '[0-9]+ later than 1 s; [0-9]+ lost' "$work/sessions.txt" 2>/dev/null | awk '{print $1 + $6}' || true)
echo
echo "| figure | this run | target |"
echo "|---|---|---|"
echo "| Plumber through the node ÷ best direct, one worker | $(calc .2f "$node_rps / $best_rps") | ≥ 1.2 |"
echo "| added p99 vs best direct | $(calc +.1f "$node_p99 - $best_p99") ms | < 1 ms |"
echo "| Shiny WebSocket round trip through the node ÷ direct | $(calc .2f "$(mean "$work/ws-node.txt") / $(mean "$work/ws-direct.txt")") | ≤ 0.25 |"
echo "| static file ÷ nginx, anonymous | $(calc .2f "$static_rps / $nginx_rps") ($(calc .2f "$static_rps / $floor_rps") of the empty Kestrel app) | ≥ 0.8 |"
echo "| the same file, private, with an API key ÷ nginx | $(calc .2f "$key_rps / $nginx_rps") | ≥ 0.7 |"
echo "| cold Shiny first byte − library(shiny) | $(calc +.0f "($cold - $r_shiny) * 1000") ms from a spare, $(calc +.0f "($cold_plain - $r_shiny) * 1000") ms without | < 100 ms |"
if [ -f "$work/usage.txt" ]; then
  echo "| usage recording's cost on page views of a static item (Metrics.Instrumentation on ÷ off) | $(sed -n 's/^| cost of recording | \([^|]*\) (target.*/\1/p' "$work/usage.txt") | < 2 % |"
fi
if [ "$sessions" -gt 0 ]; then
  echo "| open Shiny sessions one node holds, each answering within 1 s | ${answered:-0} answered of $sessions, ${late:-?} late or lost | ≥ 2,000 |"
fi
