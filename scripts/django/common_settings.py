"""Django settings shared by the conformance targets (scripts/simplejwt,
scripts/dot): each target's settings.py puts this folder on sys.path and
starts with `from common_settings import *`."""

import os

SECRET_KEY = "tokenmock-conformance-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ROOT_URLCONF = "urls"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
]

# A fast hasher: these servers exist to be tested, and Django's default
# PBKDF2 (a million iterations) makes every login take ~0.4 s (and, in DOT 3,
# which hashes client secrets with the same hashers, every client
# authentication). PBKDF2 stays second so that older databases still verify
# (and are rehashed).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["console"], "level": "WARNING"}},
}


def flag(name, default):
    """An on/off environment variable: 0, false, no or empty is off."""
    return os.environ.get(name, default) not in ("0", "false", "no", "")
