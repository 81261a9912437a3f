"""Minimal Django settings for running djangorestframework-simplejwt as a
conformance target.

Environment:
  SIMPLEJWT_BLACKLIST=1 (default)  token_blacklist app installed,
                                   BLACKLIST_AFTER_ROTATION=True
  SIMPLEJWT_BLACKLIST=0            blacklist app off, BLACKLIST_AFTER_ROTATION=False
                                   (the /api/token/blacklist/ route is not mounted)
  SIMPLEJWT_DB=path                sqlite file (default: db.sqlite3 beside this file,
                                   or db-noblacklist.sqlite3 when the blacklist is off)
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BASE_DIR.parent / "django"))

from common_settings import *  # noqa: E402,F401,F403
from common_settings import flag  # noqa: E402

BLACKLIST = flag("SIMPLEJWT_BLACKLIST", "1")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "rest_framework_simplejwt",
]
if BLACKLIST:
    INSTALLED_APPS.append("rest_framework_simplejwt.token_blacklist")

_default_db = "db.sqlite3" if BLACKLIST else "db-noblacklist.sqlite3"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SIMPLEJWT_DB", str(BASE_DIR / _default_db)),
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
    ],
}

SIMPLE_JWT = {
    # simplejwt's defaults, spelled out so the spec's policy block can cite them.
    "ACCESS_TOKEN_LIFETIME": timedelta(
        seconds=int(os.environ.get("SIMPLEJWT_ACCESS_TTL", "300"))
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        seconds=int(os.environ.get("SIMPLEJWT_REFRESH_TTL", "86400"))
    ),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": BLACKLIST,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
}
