"""`make run`: the platform on one machine, with dev-friendly defaults."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("BROWSABLE_API", "true")

from .base import *  # noqa: F403

# Static files straight from the apps (no collectstatic step on a developer machine).
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None
