#!/usr/bin/env bash
# Install Debian's PostgreSQL when its server programs (initdb, pg_ctl) are missing, with sudo
# when not root. Exits 0 when PostgreSQL is there (or now installed). Where it cannot be installed
# (no root or sudo, no apt-get), prints the reason on stdout and exits 3, so that callers can skip
# what needs it; apt's own output goes to stderr.
set -euo pipefail

have_postgres() {
    { command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; } \
        || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
        || { command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; }
}

have_postgres && exit 0
if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo"
else
    echo "PostgreSQL is not installed and apt-get needs root or sudo"
    exit 3
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL is not installed and there is no apt-get"
    exit 3
fi
$sudo apt-get update >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2
