#!/usr/bin/env bash
# The metrics store's size after a simulated year (run on demand; the figure is in the README).
# Usage: bench/metrics-year.sh [interval seconds = 5] [content items = 10]
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/connect-metrics-year.XXXXXX)
trap 'rm -rf "$work"' EXIT
dotnet run --project bench/MetricsYear -c Release -- "$work" "${1:-5}" "${2:-10}"
