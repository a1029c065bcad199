#!/usr/bin/env bash
# Runs every test: unit, integration (SQLite and a real PostgreSQL) and end-to-end
# (real nodes, R, nginx, Chromium). Installs what is missing, starts a throw-away PostgreSQL
# cluster on loopback for the run, and stops it afterwards whatever happens.
# Extra arguments go to `dotnet test` (for example: --filter "FullyQualifiedName~Config").
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

. scripts/lib/postgres.sh
work=$(mktemp -d /tmp/connect-test.XXXXXX)
start_postgres "$work"
echo "test: PostgreSQL on 127.0.0.1:$PG_PORT"

export CONNECT_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
export CONNECT_TEST_POSTGRES_PASSWORD="$PG_PASSWORD"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# The OpenID provider the sign-in tests run (oidc-provider, from the npm registry, pinned by its lock file).
[ -d e2e/oidc-provider/node_modules ] || (cd e2e/oidc-provider && npm ci --no-audit --no-fund --loglevel=error)

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
