#!/usr/bin/env bash
# (Re)create a Python venv from a pinned requirements file, when the venv is
# missing or the file changed since (a sha256 stamp in the venv).
#   scripts/django/venv.sh NAME VENV REQUIREMENTS
# Env: PYTHON (default python3).
set -euo pipefail

NAME="${1:?usage: venv.sh NAME VENV REQUIREMENTS}"
VENV="${2:?usage: venv.sh NAME VENV REQUIREMENTS}"
REQUIREMENTS="${3:?usage: venv.sh NAME VENV REQUIREMENTS}"
PY="${PYTHON:-python3}"

STAMP="$VENV/.requirements.sha256"
WANT="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
    echo "$NAME: creating venv in $VENV" >&2
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    echo "$WANT" > "$STAMP"
fi
