"""The test suite: real PostgreSQL (DATABASE_URL or the embedded server), fast hashing."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-key-0123456789-abcdefghijklmnopqrstuvwxyz")

from .base import *  # noqa: F403
from .base import DATABASES, REDIS_URL, REST_FRAMEWORK, env

WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Each concurrent test run (another checkout, a helper) can pick its own test database name.
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default="test_pharmex")}
DATABASES["default"]["CONN_MAX_AGE"] = 0
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"principal": "100000/min", "anon": "100000/min", "auth": "100000/min"}

# Celery in tests: a real broker (Redis when REDIS_URL is set, else the filesystem transport), isolated per
# test database and xdist worker so concurrent runs never consume each other's messages. Workers started by
# the `celery_worker_process` fixture load these same settings.
CELERY_TEST_NAMESPACE = f"{DATABASES['default']['TEST']['NAME']}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{CELERY_TEST_NAMESPACE}:", "visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    _folder = f"{tempfile.gettempdir()}/pharmex-celery/{CELERY_TEST_NAMESPACE}"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _folder,
        "data_folder_out": _folder,
        "processed_folder": f"{_folder}/processed",
        "store_processed": False,
        "control_folder": f"{_folder}/control",
    }
