#!/usr/bin/env bash
# Migrate, seed (the conformance users, then SEED if given) and serve a
# Django conformance target on 127.0.0.1:PORT in the foreground.
#   scripts/django/serve.sh DIR VENV PORT [SEED]
# DIR holds manage.py and settings.py; SEED is a script of DIR run by
# `manage.py shell` after scripts/django/seed_users.py.
set -euo pipefail

DIR="${1:?usage: serve.sh DIR VENV PORT [SEED]}"
VENV="${2:?usage: serve.sh DIR VENV PORT [SEED]}"
PORT="${3:?usage: serve.sh DIR VENV PORT [SEED]}"
SEED="${4:-}"
SHARED="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

cd "$DIR"
export DJANGO_SETTINGS_MODULE=settings
export PYTHONDONTWRITEBYTECODE=1
CODE="exec(open('$SHARED/seed_users.py').read())"
if [ -n "$SEED" ]; then
    CODE="$CODE; exec(open('$SEED').read())"
fi
"$VENV/bin/python" manage.py migrate --noinput -v 0
"$VENV/bin/python" manage.py shell -v 0 -c "$CODE" >&2
exec "$VENV/bin/python" manage.py runserver --noreload "127.0.0.1:$PORT"
