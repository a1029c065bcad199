#!/usr/bin/env bash
# Graphite outage benchmark (run on demand, not in CI): a node sending its samples every second to a real
# carbon-cache, loaded with wrk on a static file, while Carbon is (1) up, (2) stopped (connections refused),
# (3) hung (accepts, never reads, so the node's writes block). The node's request latency should not move.
# Usage: bench/graphite.sh [seconds-per-phase] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
conns=${2:-8}
scripts/install-deps.sh
dotnet build Connect.Runtime -c Release -nologo -clp:ErrorsOnly >/dev/null

work=$(mktemp -d /tmp/connect-graphite-bench.XXXXXX)
node_port=5959
carbon_port=5960
cleanup() {
  [ -n "${carbon_pid:-}" ] && kill "$carbon_pid" 2>/dev/null || true
  [ -n "${hung_pid:-}" ] && kill "$hung_pid" 2>/dev/null || true
  [ -n "${node_pid:-}" ] && kill -TERM "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/carbon"
cat > "$work/carbon/carbon.conf" <<CFG
[cache]
STORAGE_DIR = $work/carbon
LOCAL_DATA_DIR = $work/carbon/whisper
WHITELISTS_DIR = $work/carbon/lists
CONF_DIR = $work/carbon
LOG_DIR = $work/carbon/log
PID_DIR = $work/carbon
ENABLE_LOGROTATION = False
ENABLE_TAGS = False
USER =
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = $carbon_port
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = 5961
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = 5962
CFG
printf '[all]\npattern = .*\nretentions = 1s:1h\n' > "$work/carbon/storage-schemas.conf"
start_carbon() {
  carbon-cache --config="$work/carbon/carbon.conf" --nodaemon start > "$work/carbon.log" 2>&1 &
  carbon_pid=$!
  for _ in $(seq 1 100); do grep -q "starting on $carbon_port" "$work/carbon.log" && return; sleep 0.1; done
  echo "carbon-cache did not start" >&2; exit 1
}
start_carbon

. bench/lib/node.sh
start_node "$node_port" "[Metrics]
Interval = 1s
Graphite = true
GraphiteHost = 127.0.0.1
GraphitePort = $carbon_port"
mkdir -p "$work/site"
head -c 2048 /dev/urandom | base64 > "$work/site/index.html"
printf '{"version":1,"metadata":{"appmode":"static","primary_html":"index.html"},"packages":null}' > "$work/site/manifest.json"
guid=$(deploy site "$work/site")
url="http://127.0.0.1:$node_port/content/$guid/"

measure() { # label
  local out rps p50 p99
  out=$(wrk -t1 -c"$conns" -d"${duration}s" --latency "$url")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  printf '| %s | %s | %s | %s |\n' "$1" "$rps" "$p50" "$p99"
}

# Let carbon receive for a few seconds first, so the node is connected and sending.
for _ in $(seq 1 100); do [ -n "$(find "$work/carbon/whisper" -name '*.wsp' 2>/dev/null | head -n 1)" ] && break; sleep 0.2; done
wrk -t1 -c"$conns" -d5s "$url" >/dev/null # warm-up (JIT), not reported
echo "| Carbon | req/s | p50 | p99 |"
echo "|---|---|---|---|"
measure "up, receiving"
kill "$carbon_pid"; wait "$carbon_pid" 2>/dev/null || true; carbon_pid=""
measure "stopped (refused)"
python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $carbon_port)); s.listen(1)
c, _ = s.accept()
time.sleep(100000)" &
hung_pid=$!
# The node reconnects after its back-off (up to 30 s) and its writes then block on the unread socket.
for _ in $(seq 1 200); do grep -q "Sending metrics to Graphite" <(tail -n 5 "$work/node.log") && break; sleep 0.2; done
measure "hung (accepts, never reads)"
kill "$hung_pid"; wait "$hung_pid" 2>/dev/null || true; hung_pid=""
start_carbon
for _ in $(seq 1 200); do grep -q "Sending metrics to Graphite" <(tail -n 3 "$work/node.log") && break; sleep 0.2; done
measure "up again"
echo
echo "node log lines about Graphite:"
grep -c "Graphite" "$work/node.log"
