"""Minimal Django settings for running django-oauth-toolkit (DOT) as a
conformance target.

Environment:
  DOT_REUSE_PROTECTION=1   REFRESH_TOKEN_REUSE_PROTECTION=True (default 0)
  DOT_GRACE_SECONDS=N      REFRESH_TOKEN_GRACE_PERIOD_SECONDS (default 0)
  DOT_ROTATE=0             ROTATE_REFRESH_TOKEN=False (default 1, DOT's default)
  DOT_ACCESS_TTL / DOT_REFRESH_TTL  seconds (defaults 3600 / 1209600)
  DOT_DB=path              sqlite file (default: db.sqlite3 beside this file)
"""

import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BASE_DIR.parent / "django"))

from common_settings import *  # noqa: E402,F401,F403
from common_settings import flag  # noqa: E402

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "oauth2_provider",
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DOT_DB", str(BASE_DIR / "db.sqlite3")),
        # SQLite has no row locks: DOT's select_for_update is a no-op, and
        # a deferred transaction that upgrades to a write fails at once with
        # "database is locked" under concurrent refreshes (a 500). Immediate
        # transactions and a wait serialise writers, as row locks would.
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "oauth2_provider.contrib.rest_framework.OAuth2Authentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("DOT_ACCESS_TTL", "3600")),
    "REFRESH_TOKEN_EXPIRE_SECONDS": int(os.environ.get("DOT_REFRESH_TTL", "1209600")),
    "ROTATE_REFRESH_TOKEN": flag("DOT_ROTATE", "1"),
    "REFRESH_TOKEN_REUSE_PROTECTION": flag("DOT_REUSE_PROTECTION", "0"),
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": int(os.environ.get("DOT_GRACE_SECONDS", "0")),
    "SCOPES": {"read": "Read", "write": "Write", "introspection": "Introspect tokens"},
    "DEFAULT_SCOPES": ["read", "write"],
}
