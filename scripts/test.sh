#!/usr/bin/env bash
# The whole test suite: the linter and the layout contract, then pytest on SQLite and a throwaway
# PostgreSQL cluster, plus the Agents Playground.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

# The code's own checks first: they take seconds and say exactly what is wrong.
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache

scripts/playground.sh install

if [[ -z "${TEST_POSTGRES_URL:-}" ]]; then
  read -r pg_dir pg_port < <(scripts/pg_throwaway.sh start)
  trap 'scripts/pg_throwaway.sh stop "$pg_dir"' EXIT
  export TEST_POSTGRES_URL="postgresql+asyncpg://postgres@127.0.0.1:${pg_port}/postgres"
fi
export DIGIMENTOR_REQUIRE_POSTGRES=1

set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [[ $status -eq 5 ]]; then
  echo "no tests were collected: that counts as a failure" >&2
  exit 1
fi
exit $status
