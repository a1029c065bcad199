# Sourced by the benchmarks that need two nodes on one PostgreSQL database and data directory, with
# nginx.conf.sample in front. Usage:
#   . bench/lib/cluster.sh
#   start_cluster NAME PORT_A PORT_B [EXTRA_CONFIG]   # builds, starts PostgreSQL and nodes a and b
#   start_nginx PORT                                   # nginx.conf.sample listening on PORT
# Afterwards: $work, ${port[a|b]}, ${pid[a|b]}, $key (the admin key), api (curl with the key, JSON),
# $base (node a's v1 API), now_ms, start_node NAME (to restart a node); all stopped at exit.
. scripts/lib/postgres.sh

declare -A port=() pid=()

start_cluster() { # name port-a port-b [extra config lines]
  scripts/install-deps.sh
  dotnet build Connect.Runtime -c Release -nologo -clp:ErrorsOnly >/dev/null
  work=$(mktemp -d "/tmp/connect-$1-bench.XXXXXX")
  chmod 755 "$work"
  port=([a]=$2 [b]=$3)
  node_extra=${4:-}
  start_postgres "$work/pg-root"
  trap cleanup_cluster EXIT
  psql_admin -c "CREATE DATABASE connect" >/dev/null
  start_node a
  start_node b
  key=$(cat "$work/data/admin-api-key")
  base="http://127.0.0.1:${port[a]}/__api__/v1"
}

psql_admin() { PGPASSWORD=$PG_PASSWORD psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qAt "$@"; }
api() { curl -fs -H "Authorization: Key $key" -H 'Content-Type: application/json' "$@"; }
now_ms() { date +%s%3N; }

start_node() { # name
  cat > "$work/$1.gcfg" <<CFG
[Server]
DataDir = $work/data
[HTTP]
Listen = 127.0.0.1:${port[$1]}
[Node]
Name = node-$1
[Database]
Provider = postgres
[Postgres]
URL = postgres://postgres@127.0.0.1:$PG_PORT/connect
Password = $PG_PASSWORD
$node_extra
CFG
  dotnet Connect.Runtime/bin/Release/net10.0/connect.dll run --config "$work/$1.gcfg" >> "$work/$1.log" 2>&1 &
  pid[$1]=$!
  for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:${port[$1]}/__ping__" && return; sleep 0.2; done
  echo "node $1 did not start" >&2; exit 1
}

start_nginx() { # listen port
  sed -e "s/listen 8080;/listen 127.0.0.1:$1;/" -e "s/127.0.0.1:3939/127.0.0.1:${port[a]}/g" -e "s/127.0.0.1:3941/127.0.0.1:${port[b]}/g" \
    -e "s|^http {|pid $work/nginx.pid;\nerror_log $work/nginx-error.log;\nhttp {\n    access_log off; client_body_temp_path $work/body; proxy_temp_path $work/proxy;|" \
    nginx.conf.sample > "$work/nginx.conf"
  nginx -c "$work/nginx.conf" -g "user root;"
}

cleanup_cluster() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  for n in "${!pid[@]}"; do kill -9 "${pid[$n]}" 2>/dev/null || true; done
  pkill -f "$work" 2>/dev/null || true
  stop_postgres
  rm -rf "$work"
}
