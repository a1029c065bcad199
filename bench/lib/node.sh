# Sourced by the benchmarks that run one node on SQLite. Usage:
#   . bench/lib/node.sh
#   start_node PORT [EXTRA_CONFIG]   # a node with its data in $work (which the caller made); waits for /__ping__
#   deploy NAME FOLDER               # publishes FOLDER as content NAME, open to all viewers; prints its GUID
# Afterwards: $node_pid, $key (the admin key), $base (the v1 API), api (curl with the key, JSON).
# The caller stops the node ($node_pid) in its own cleanup.

start_node() { # port [extra config lines]
  node_port=$1
  cat > "$work/connect.gcfg" <<CFG
[Server]
DataDir = $work/data
[HTTP]
Listen = 127.0.0.1:$node_port
${2:-}
CFG
  # CONNECT_DLL: a copy of the build, for a run long enough that the tree may be rebuilt meanwhile.
  dotnet "${CONNECT_DLL:-Connect.Runtime/bin/Release/net10.0/connect.dll}" run --config "$work/connect.gcfg" > "$work/node.log" 2>&1 &
  node_pid=$!
  for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$node_port/__ping__" && break; sleep 0.2; done
  key=$(cat "$work/data/admin-api-key")
  base="http://127.0.0.1:$node_port/__api__/v1"
}

api() { curl -fs -H "Authorization: Key $key" -H 'Content-Type: application/json' "$@"; }
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }

deploy() { # name folder -> guid
  local guid bundle task
  guid=$(api -X POST -d "{\"name\":\"$1\"}" "$base/content" | field guid)
  # Measured as anonymous viewers see it: content is private (acl) unless opened.
  api -X PATCH -d '{"access_type":"all"}' "$base/content/$guid" >/dev/null
  tar -czf "$work/$1.tar.gz" -C "$2" .
  bundle=$(curl -fs -H "Authorization: Key $key" --data-binary "@$work/$1.tar.gz" "$base/content/$guid/bundles" | field id)
  task=$(api -X POST -d "{\"bundle_id\":\"$bundle\"}" "$base/content/$guid/deploy" | field task_id)
  for _ in $(seq 1 100); do api "$base/tasks/$task" | grep -q '"finished":true' && break; sleep 0.2; done
  echo "$guid"
}
