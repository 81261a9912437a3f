#!/usr/bin/env bash
# Start djangorestframework-simplejwt on 127.0.0.1:PORT in the foreground.
#   scripts/simplejwt/run.sh PORT
# Env: SIMPLEJWT_BLACKLIST=0|1 (default 1), SIMPLEJWT_PYTHON (default python3),
#      SIMPLEJWT_ACCESS_TTL / SIMPLEJWT_REFRESH_TTL (seconds; defaults 300 / 86400).
set -euo pipefail

PORT="${1:?usage: run.sh PORT}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
PY="${SIMPLEJWT_PYTHON:-python3}"

PYTHON="$PY" "$HERE/../django/venv.sh" simplejwt "$VENV" "$HERE/requirements.txt"

echo "simplejwt: starting on http://127.0.0.1:$PORT (blacklist=${SIMPLEJWT_BLACKLIST:-1})" >&2
exec "$HERE/../django/serve.sh" "$HERE" "$VENV" "$PORT"
