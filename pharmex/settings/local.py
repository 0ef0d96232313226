"""`make run`: the platform on one machine, with dev-friendly defaults."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("BROWSABLE_API", "true")

from .base import *  # noqa: F403

WHITENOISE_USE_FINDERS = True
