#!/usr/bin/env bash
# Start django-oauth-toolkit on 127.0.0.1:PORT in the foreground.
#   scripts/dot/run.sh PORT
# Env: DOT_REUSE_PROTECTION=0|1 (default 0), DOT_GRACE_SECONDS (default 0),
#      DOT_ROTATE=0|1 (default 1), DOT_ACCESS_TTL / DOT_REFRESH_TTL,
#      DOT_DB (sqlite file), DOT_PYTHON (default python3),
#      DOT_VENV (default scripts/dot/.venv).
# Users demo/demo and alice/alice-secret; confidential password-grant
# clients web-app/web-app-secret and mobile-app/mobile-app-secret.
set -euo pipefail

PORT="${1:?usage: run.sh PORT}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$HERE/install.sh"
echo "dot: starting on http://127.0.0.1:$PORT (reuse protection=${DOT_REUSE_PROTECTION:-0}, grace=${DOT_GRACE_SECONDS:-0}s)" >&2
exec "$HERE/../django/serve.sh" "$HERE" "${DOT_VENV:-$HERE/.venv}" "$PORT" seed.py
