#!/usr/bin/env bash
# Run the whole test suite on PostgreSQL (each test makes and drops its own database).
# Usage: scripts/test-postgres.sh [cargo test args…]
set -euo pipefail
cd "$(dirname "$0")/.."
export YISHITING_TEST_POSTGRES_URL=${YISHITING_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
pg_isready -d "$YISHITING_TEST_POSTGRES_URL" >/dev/null || {
  echo "PostgreSQL is not reachable at $YISHITING_TEST_POSTGRES_URL" >&2
  exit 1
}
exec cargo test "$@"
