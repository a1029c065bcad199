#!/usr/bin/env bash
# Runs every test: unit, integration (SQLite and a real PostgreSQL) and end-to-end
# (real nodes, R, nginx, Chromium). Installs what is missing, starts a throw-away PostgreSQL
# cluster on loopback for the run, and stops it afterwards whatever happens.
# Extra arguments go to `dotnet test` (for example: --filter "FullyQualifiedName~Config").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh

pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
work=$(mktemp -d /tmp/connect-test.XXXXXX)
chmod 755 "$work"
password="test-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  # PostgreSQL refuses to run as root.
  chown postgres: "$work"
  as_pg=(runuser -u postgres --)
fi

stop_postgres() {
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap stop_postgres EXIT

printf '%s\n' "$password" > "$work/pwfile"
chmod 644 "$work/pwfile"
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -U postgres --auth=scram-sha-256 --pwfile="$work/pwfile" >/dev/null
port=""
for _ in 1 2 3 4 5; do
  candidate=$((20000 + RANDOM % 30000))
  if "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -t 60 start \
      -o "-p $candidate -k $work -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off" >/dev/null; then
    port=$candidate
    break
  fi
done
[ -n "$port" ] || { echo "test: PostgreSQL did not start:"; cat "$work/pg.log"; exit 1; }
echo "test: PostgreSQL $(basename "$(dirname "$pgbin")") on 127.0.0.1:$port"

export CONNECT_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
export CONNECT_TEST_POSTGRES_PASSWORD="$password"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build Connect.sln -c Release -nologo -clp:ErrorsOnly
set +e
dotnet test Connect.sln -c Release --no-build -nologo "$@" 2>&1 | tee "$work/test.log"
status=${PIPESTATUS[0]}
set -e

# One closing line for the whole run, summed over the test assemblies.
awk '/(Passed|Failed)!/ {
       for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     }
     END { gsub(",", "", f); printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$work/test.log"
exit "$status"
