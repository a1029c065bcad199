#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and runs one node plus the dashboard
# on SQLite (data in ./data). Ctrl+C stops both. Pass --config PATH to use a config file.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Connect.sln -c Release -nologo -clp:ErrorsOnly

# The dashboard copes with a database the node is still creating, so both start at once.
dotnet Connect.Runtime/bin/Release/net10.0/connect.dll run "$@" &
node=$!
trap 'kill -TERM $node 2>/dev/null; wait $node 2>/dev/null' EXIT INT TERM

echo "start: node on http://localhost:3939 (HTTP.Listen), dashboard on http://localhost:3940 (Admin.Listen)"
echo "start: to sign in to the dashboard as the administrator, give admin a password: echo \"\$PASSWORD\" | dotnet Connect.Runtime/bin/Release/net10.0/connect.dll users passwd admin"
dotnet Connect.Admin/bin/Release/net10.0/Connect.Admin.dll "$@"
