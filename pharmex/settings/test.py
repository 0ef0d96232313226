"""The test suite: real PostgreSQL (DATABASE_URL or the embedded server), fast hashing."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-key-0123456789-abcdefghijklmnopqrstuvwxyz")

from .base import *  # noqa: F403
from .base import DATABASES, REST_FRAMEWORK, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Each concurrent test run (another checkout, a helper) can pick its own test database name.
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default="test_pharmex")}
DATABASES["default"]["CONN_MAX_AGE"] = 0
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"principal": "100000/min", "anon": "100000/min", "auth": "100000/min"}
