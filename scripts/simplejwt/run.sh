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

# (Re)create the venv when it is missing or its requirements changed.
STAMP="$VENV/.requirements.sha256"
WANT="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
    echo "simplejwt: creating venv in $VENV" >&2
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
    echo "$WANT" > "$STAMP"
fi

cd "$HERE"
export DJANGO_SETTINGS_MODULE=settings
export PYTHONDONTWRITEBYTECODE=1
"$VENV/bin/python" manage.py migrate --noinput -v 0
"$VENV/bin/python" manage.py shell -v 0 -c "exec(open('seed_users.py').read())" >&2

echo "simplejwt: starting on http://127.0.0.1:$PORT (blacklist=${SIMPLEJWT_BLACKLIST:-1})" >&2
exec "$VENV/bin/python" manage.py runserver --noreload "127.0.0.1:$PORT"
