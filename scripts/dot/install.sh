#!/usr/bin/env bash
# Create (or refresh) the django-oauth-toolkit venv: pinned requirements.txt.
#   scripts/dot/install.sh
# Env: DOT_PYTHON (default python3), DOT_VENV (default scripts/dot/.venv).
# A no-op when the venv exists and requirements.txt has not changed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${DOT_PYTHON:-python3}" "$HERE/../django/venv.sh" dot "${DOT_VENV:-$HERE/.venv}" "$HERE/requirements.txt"
