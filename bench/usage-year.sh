#!/usr/bin/env bash
# Usage records after a year (run on demand, not in CI): one node on SQLite whose content_visits table holds a year of
# page views of ITEMS items (VISITS per item per day, spread over the day), written straight into the database as the
# recorder would have; then the instrumentation API asked for one item's day (and one item's whole year, paged) as a
# dashboard would, timed over several runs; and the table's size on disk.
# Usage: bench/usage-year.sh [items, default 20] [visits per item per day, default 500]
set -euo pipefail
cd "$(dirname "$0")/.."
items=${1:-20}
per_day=${2:-500}
scripts/install-deps.sh
dotnet build Connect.Runtime -c Release -nologo -clp:ErrorsOnly >/dev/null

work=$(mktemp -d /tmp/connect-usage-year.XXXXXX)
cleanup() {
  [ -n "${node_pid:-}" ] && kill -TERM "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

. bench/lib/node.sh
start_node 5980
for i in $(seq 1 "$items"); do api -X POST -d "{\"name\":\"item-$i\"}" "$base/content" >/dev/null; done
kill -TERM "$node_pid"; wait "$node_pid" 2>/dev/null || true; node_pid=""

# A year ending now, one row per visit, every tenth anonymous (the items were made one after another: consecutive ids).
db="$work/data/db/connect.db"
start_ms=$(( ($(date +%s) - 365 * 86400) * 1000 ))
sqlite3 "$db" <<SQL
WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < $((items * per_day * 365)) - 1)
INSERT INTO content_visits (content_id, user_id, bundle_id, path, visited_at)
SELECT (SELECT MIN(id) FROM content) + (k % $items), CASE WHEN k % 10 = 0 THEN NULL ELSE 1 END, NULL, '/',
       $start_ms + (k / $items) * (86400000 / $per_day)
FROM n;
SQL
rows=$(sqlite3 "$db" "SELECT COUNT(*) FROM content_visits")
size=$(sqlite3 "$db" "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'content_visits%'" 2>/dev/null || echo "?")

start_node 5980
guid=$(api "$base/content" | grep -o '"guid":"[^"]*"' | head -1 | cut -d'"' -f4)
day=$(date -u -d "@$(( start_ms / 1000 + 200 * 86400 ))" +%Y-%m-%d)
time_of() { # url -> seconds (best of 5, after one warm-up)
  curl -fs -o /dev/null -H "Authorization: Key $key" "$1"
  for _ in 1 2 3 4 5; do curl -fs -o /dev/null -w '%{time_total}\n' -H "Authorization: Key $key" "$1"; done | sort -n | head -1
}
one_day=$(time_of "$base/instrumentation/content/visits?content_guid=$guid&from=${day}T00:00:00Z&to=${day}T23:59:59Z&limit=500")
day_count=$(api "$base/instrumentation/content/visits?content_guid=$guid&from=${day}T00:00:00Z&to=${day}T23:59:59Z&limit=500" | grep -o '"path"' | wc -l)
first_page=$(time_of "$base/instrumentation/content/visits?content_guid=$guid&limit=500")
everything=$(time_of "$base/instrumentation/content/visits?limit=500")
echo "usage after a year: $rows visits of $items items ($per_day per item per day); content_visits with its indexes: $size bytes"
echo "one item's day ($day_count visits): ${one_day}s; one item's first page of 500: ${first_page}s; all items' first page of 500: ${everything}s"
