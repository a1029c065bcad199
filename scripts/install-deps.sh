#!/usr/bin/env bash
# Installs the Debian packages Connect needs (R and its content packages, pandoc,
# PostgreSQL, nginx, Chromium for browser tests, rsconnect for publishing tests).
# Idempotent: packages already present are skipped, and apt-get update runs once,
# only when something is missing. Needs root (apt-get).
set -euo pipefail

packages=(
  r-base-core r-cran-shiny r-cran-rmarkdown r-cran-plumber r-cran-rsconnect pandoc
  postgresql nginx chromium wrk procps curl jq time
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root (apt-get) to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
