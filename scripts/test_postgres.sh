#!/usr/bin/env bash
# The database-facing tests again, on a throwaway PostgreSQL cluster (called by `make test`).
#
# Installs Debian's PostgreSQL when initdb/pg_ctl are missing (with sudo when not root); where that
# is impossible, says the PostgreSQL run is skipped and exits 0. The cluster is always stopped
# and removed, even when the tests fail; the exit status is pytest's.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

have_postgres() {
    { command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; } \
        || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
        || { command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; }
}

if ! have_postgres; then
    if [ "$(id -u)" = 0 ]; then
        sudo=""
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo="sudo"
    else
        echo "PostgreSQL run skipped: PostgreSQL is not installed and apt-get needs root or sudo"
        exit 0
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "PostgreSQL run skipped: PostgreSQL is not installed and there is no apt-get"
        exit 0
    fi
    $sudo apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/portal-pg.XXXXXX")
trap 'scripts/pg_test_cluster.sh stop "$dir"' EXIT
url=$(scripts/pg_test_cluster.sh start "$dir")
echo "PostgreSQL test cluster: $url"
[ $# -gt 0 ] || set -- tests/unit tests/integration tests/app
PORTAL_TEST_POSTGRES_URL=$url "$PY" -m pytest "$@"
