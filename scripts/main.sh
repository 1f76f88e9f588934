#!/usr/bin/env bash
# The main job: set up, ingest the bundled sample listings into the default catalog, print a
# summary, build the search indexes, and serve the web UI on http://127.0.0.1:8000/ (Ctrl-C stops).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh all
.venv/bin/paperatlas demo
.venv/bin/paperatlas index   # keyword index, then embeddings (once: cached by text hash)
exec .venv/bin/paperatlas serve "$@"
