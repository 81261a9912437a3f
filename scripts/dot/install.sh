#!/usr/bin/env bash
# Create (or refresh) the django-oauth-toolkit venv: pinned requirements.txt.
#   scripts/dot/install.sh
# Env: DOT_PYTHON (default python3), DOT_VENV (default scripts/dot/.venv).
# A no-op when the venv exists and requirements.txt has not changed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${DOT_VENV:-$HERE/.venv}"
PY="${DOT_PYTHON:-python3}"

STAMP="$VENV/.requirements.sha256"
WANT="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
    echo "dot: creating venv in $VENV" >&2
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
    echo "$WANT" > "$STAMP"
fi
