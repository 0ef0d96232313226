"""Production settings plus the floor endpoint, served over plain HTTP on loopback for the benchmark."""

import os

os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")

from pharmex.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.floor_orders"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
