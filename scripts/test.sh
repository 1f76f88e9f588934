#!/usr/bin/env bash
# Set up with the test extras, check lint (ruff) and types (mypy --strict on the package), then
# run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check paperatlas tests bench
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
