#!/usr/bin/env bash
# R package restore (run on demand, not in CI): a CRAN-like repository of generated packages (a chain of imports,
# every third with C code) served by nginx; one node on SQLite restores them cold, then again from its cache; and
# the same packages installed by hand with install.packages into an empty library, for comparison.
# Usage: bench/packages.sh [packages]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-12}
scripts/install-deps.sh
dotnet build Connect.Runtime -c Release -nologo -clp:ErrorsOnly >/dev/null

work=$(mktemp -d /tmp/connect-packages.XXXXXX)
cleanup() {
  [ -n "${node_pid:-}" ] && kill -TERM "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  cp "$work/node.log" /tmp/packages-node.log 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The repository: bench01 ... benchNN, each importing the one before it.
mkdir -p "$work/repo/src/contrib" "$work/sources"
names=()
for i in $(seq -w 1 "$count"); do
  name="bench$i"; names+=("$name")
  dir="$work/sources/$name"; mkdir -p "$dir/R"
  imports=""; [ "$i" != "$(printf '%0*d' ${#count} 1)" ] && imports="Imports: $previous"
  printf 'Package: %s\nVersion: 1.0.%s\nTitle: Bench\nDescription: Bench.\nLicense: MIT\nAuthor: b\nMaintainer: b <b@example.com>\nRepository: CRAN\n%s\n' \
    "$name" "$((10#$i))" "$imports" > "$dir/DESCRIPTION"
  printf 'f%s <- function(x) x + %s\n' "$i" "$((10#$i))" > "$dir/R/code.R"
  if (( 10#$i % 3 == 0 )); then
    mkdir -p "$dir/src"
    printf '#include <R.h>\n#include <Rinternals.h>\nSEXP c%s(SEXP x) { return ScalarInteger(asInteger(x) + %s); }\n' "$i" "$((10#$i))" > "$dir/src/code.c"
    printf 'useDynLib(%s)\nexport(f%s)\n' "$name" "$i" > "$dir/NAMESPACE"
  else
    printf 'export(f%s)\n' "$i" > "$dir/NAMESPACE"
  fi
  (cd "$work/repo/src/contrib" && R CMD build --no-build-vignettes --no-manual "$dir" >/dev/null)
  previous=$name
done
(cd "$work/repo/src/contrib" && Rscript -e 'tools::write_PACKAGES(".", type = "source")' >/dev/null)

chmod -R a+rX "$work" # nginx's workers read the repository as an unprivileged user
repo_port=5961
cat > "$work/nginx.conf" <<CONF
daemon on; pid $work/nginx.pid; error_log $work/nginx-error.log;
events {}
http { access_log off; server { listen 127.0.0.1:$repo_port; root $work/repo; } }
CONF
nginx -c "$work/nginx.conf"
repo="http://127.0.0.1:$repo_port"

. bench/lib/node.sh
start_node 5960 "[RPackageRepository \"CRAN\"]
URL = $repo"

# A bundle whose manifest lists every package, as rsconnect writes them.
mkdir -p "$work/app"
echo '<h1>bench</h1>' > "$work/app/index.html"
{
  printf '{"version":1,"metadata":{"appmode":"static","primary_html":"index.html"},"packages":{'
  sep=""
  for i in $(seq -w 1 "$count"); do
    printf '%s"bench%s":{"Source":"CRAN","Repository":null,"description":{"Package":"bench%s","Version":"1.0.%s"%s}}' \
      "$sep" "$i" "$i" "$((10#$i))" "$([ "$i" != "$(printf '%0*d' ${#count} 1)" ] && printf ',"Imports":"bench%0*d"' ${#count} $((10#$i - 1)))"
    sep=","
  done
  printf '},"files":{}}'
} > "$work/app/manifest.json"

# Deploys the bundle as new content NAME; sets $seconds (upload to finished task) and $ready (the task's restore line).
deploy_timed() {
  local guid bundle task start
  start=$(date +%s.%N)
  guid=$(api -X POST -d "{\"name\":\"$1\"}" "$base/content" | field guid)
  tar -czf "$work/$1.tar.gz" -C "$work/app" .
  bundle=$(curl -fs -H "Authorization: Key $key" --data-binary "@$work/$1.tar.gz" "$base/content/$guid/bundles" | field id)
  task=$(api -X POST -d "{\"bundle_id\":\"$bundle\"}" "$base/content/$guid/deploy" | field task_id)
  until api "$base/tasks/$task" | grep -q '"finished":true'; do sleep 0.05; done
  seconds=$(echo "$(date +%s.%N) - $start" | bc)
  ready=$(api "$base/tasks/$task" | grep -o 'R packages ready in [^"]*' || echo "no restore line: $(api "$base/tasks/$task" | field error)")
}

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $count packages, every third with C code"
for run in cold cached; do
  deploy_timed "$run"
  printf '%-7s the deploy took %.2f s in all; %s\n' "$run" "$seconds" "$ready"
done

start=$(date +%s.%N)
mkdir -p "$work/by-hand"
Rscript -e "install.packages(c($(printf '"%s",' "${names[@]}" | sed 's/,$//')), lib = \"$work/by-hand\", repos = c(CRAN = \"$repo\"), quiet = TRUE)" >/dev/null 2>&1
end=$(date +%s.%N)
installed=$(find "$work/by-hand" -maxdepth 2 -name DESCRIPTION | wc -l)
[ "$installed" -eq "$count" ] || echo "by hand: only $installed of $count packages were installed"
printf 'by hand: install.packages of the same %s packages into an empty library took %.2f s\n' "$count" "$(echo "$end - $start" | bc)"
