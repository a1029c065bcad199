#!/usr/bin/env bash
# Takes the README's screenshots of the dashboard (docs/screenshots/*.png), run on demand.
# They come from the end-to-end console test against two real nodes on a throw-away PostgreSQL,
# so they show what the tests check: a Shiny worker on node B, its charts, the content pages; a publisher's item, panel by panel.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
. scripts/lib/postgres.sh
work=$(mktemp -d /tmp/connect-screenshots.XXXXXX)
start_postgres "$work"
export CONNECT_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
export CONNECT_TEST_POSTGRES_PASSWORD="$PG_PASSWORD"
export CONNECT_SCREENSHOTS="$PWD/docs/screenshots"
mkdir -p "$CONNECT_SCREENSHOTS"
dotnet build Connect.sln -c Release -nologo -clp:ErrorsOnly
dotnet test e2e/Connect.E2E -c Release --no-build -nologo --filter "FullyQualifiedName~The_console_follows_a_two_node_cluster_live|FullyQualifiedName~DashboardTests"
ls -l "$CONNECT_SCREENSHOTS"
