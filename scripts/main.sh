#!/usr/bin/env bash
# The main job: set up, ingest the bundled sample listings into the default catalog, summarise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh all
exec .venv/bin/paperatlas demo "$@"
