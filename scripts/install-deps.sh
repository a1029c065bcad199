#!/usr/bin/env bash
# Installs the Debian packages Connect needs (R, its compilers for the packages deploys build, its content packages, pandoc, bubblewrap
# for the content sandbox, PostgreSQL, nginx, Chromium for browser tests, rsconnect for
# publishing tests, Prometheus and graphite-carbon for metrics export tests, OpenLDAP's slapd and Node.js for the
# sign-in tests' directory and OpenID provider; their services are not started here) and creates the unprivileged user content runs as (connect-content).
# Idempotent: packages already present are skipped, and apt-get update runs once,
# only when something is missing. Needs root (apt-get, useradd).
set -euo pipefail

packages=(
  r-base-core r-base-dev r-cran-shiny r-cran-rmarkdown r-cran-plumber r-cran-rsconnect pandoc
  bubblewrap slirp4netns iproute2 postgresql nginx chromium wrk procps curl jq time faketime prometheus graphite-carbon
  slapd
)
# Node.js runs the test OpenID provider (e2e/oidc-provider); a machine that has it from elsewhere keeps its own.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# The user every R process runs as (Applications.RunAs): no home, no shell, no password.
ensure_content_user() {
  if ! id -u connect-content >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "install-deps: the user connect-content is missing; run as root to create it" >&2
      return 1
    fi
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin connect-content
    echo "install-deps: created the system user connect-content"
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  ensure_content_user
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
ensure_content_user
