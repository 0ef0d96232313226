"""Production: base plus the transport-security settings `manage.py check --deploy` asks for."""

from .base import *  # noqa: F403
from .base import LOGGING, env, log_format

# Log lines as JSON objects, one per line (pharmex/logs.py); LOG_FORMAT=plain for text.
LOG_FORMAT = log_format("json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
