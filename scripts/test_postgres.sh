#!/usr/bin/env bash
# The database-facing tests again, on a throwaway PostgreSQL cluster (called by `make test`).
#
# Installs Debian's PostgreSQL when initdb/pg_ctl are missing (with sudo when not root); where that
# is impossible, says the PostgreSQL run is skipped and exits 0. The cluster is always stopped
# and removed, even when the tests fail; the exit status is pytest's.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

status=0
reason=$(scripts/install_postgres.sh) || status=$?
if [ $status = 3 ]; then
    echo "PostgreSQL run skipped: $reason"
    exit 0
elif [ $status != 0 ]; then
    exit $status
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/portal-pg.XXXXXX")
trap 'scripts/pg_test_cluster.sh stop "$dir"' EXIT
url=$(scripts/pg_test_cluster.sh start "$dir")
echo "PostgreSQL test cluster: $url"
[ $# -gt 0 ] || set -- tests/unit tests/integration tests/app
PORTAL_TEST_POSTGRES_URL=$url "$PY" -m pytest "$@"
