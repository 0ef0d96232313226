"""Settings shared by every environment; everything comes from the environment (README §Configuration)."""

import copy
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from pharmex import embedded_pg

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")  # the real environment wins

SECRET_KEY = env("DJANGO_SECRET_KEY")  # no default: production must set it
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "pharmex",
    "accounts",
    "webhooks",
    "catalog",
    "firstbusiness",
    "orders",
    "settlements",
    "records",
    "procurement",
    "desk",
    "api_docs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "pharmex.middleware.RequestContextMiddleware",
    "pharmex.middleware.DatabaseOutageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "pharmex.urls"
WSGI_APPLICATION = "pharmex.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# Registration and new members are checked against these (accounts.services.passwords.password_check);
# without them Django validates nothing and "password" or "12345678" would be accepted.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["email", "full_name"]},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "api_docs" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
# No DATABASE_URL means the embedded server in .pgdata/ (started by manage.py, pytest and `make run`).
DATABASES = {"default": env.db("DATABASE_URL", default=embedded_pg.url())}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# JIT off: PostgreSQL compiles a query whose estimated cost passes jit_above_cost, 100–400 ms of LLVM work for
# reads that run in a few milliseconds (a page of ledger balances: 2 ms to run, 420 ms to compile; BENCHMARKS.md).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
    f"-c statement_timeout={env.int('DB_STATEMENT_TIMEOUT_MS', default=15000)}"
    f" -c jit={'on' if env.bool('DB_JIT', default=False) else 'off'}"
)
# A database that is down or frozen must answer within seconds (503, RELIABILITY §10): bounded connection
# attempts, and a connection whose peer stops acknowledging is dropped by the kernel after tcp_user_timeout.
DATABASES["default"]["OPTIONS"]["connect_timeout"] = env.int("DB_CONNECT_TIMEOUT_SECONDS", default=5)
DATABASES["default"]["OPTIONS"]["tcp_user_timeout"] = env.int("DB_TCP_USER_TIMEOUT_MS", default=20000)
DATABASES["default"]["OPTIONS"]["keepalives_idle"] = 30
# Parameters bound by the server, and statements a connection runs five times prepared: PostgreSQL
# then plans the hot statements once per connection instead of on every request.
if env.bool("DB_SERVER_SIDE_BINDING", default=True):
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5
if env.bool("DB_POOL", default=False):  # web processes only; Celery closes pools at task boundaries
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 1,
        "max_size": env.int("DB_POOL_MAX_SIZE", default=4),
        "timeout": 10,
    }


def replica_database(url: str, default: dict) -> dict:
    """The `replica` alias: a streaming replica of `default` (physical replication) for catalogue search, the market
    view, reports and exports (pharmex.replica); read-only, with the primary's timeouts and pooling."""
    options = copy.deepcopy(default["OPTIONS"])
    options["options"] = f"{options.get('options', '')} -c default_transaction_read_only=on".strip()
    return {
        **env.db_url_config(url),
        "CONN_MAX_AGE": default["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
        "TEST": {"MIRROR": "default"},  # tests read the test database through it
    }


if DATABASE_REPLICA_URL := env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = replica_database(DATABASE_REPLICA_URL, DATABASES["default"])
DATABASE_ROUTERS = ["pharmex.replica.ReplicaRouter"]
# How long after an organisation's latest write its replica reads check that the replica has replayed it.
DATABASE_REPLICA_READ_YOUR_WRITES_SECONDS = env.int("DATABASE_REPLICA_READ_YOUR_WRITES_SECONDS", default=300)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, broker --------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
CACHE_URL = env("CACHE_URL", default=REDIS_URL)
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "pharmex.cache.RedisCache", "LOCATION": CACHE_URL}}
else:
    # Throttle counters must be shared by every web process; the database is the one thing they share.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "pharmex_cache"}}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or "filesystem://"
CELERY_BROKER_FOLDER = Path(env("CELERY_BROKER_FOLDER", default=str(BASE_DIR / ".celery" / "broker")))
if CELERY_BROKER_URL == "filesystem://":
    # Local fallback transport for `make run` without a broker: a real worker, not eager mode.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER),
        "data_folder_out": str(CELERY_BROKER_FOLDER),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "store_processed": False,
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3 * 3600}  # > longest task and countdown
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # every task is idempotent
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = 600
CELERY_TASK_TIME_LIMIT = 900
# Webhook deliveries wait on other people's servers: they get their own queue and worker, so imports, audit
# sealing and settlement jobs (the default queue, "celery") never queue behind a slow receiver.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {"webhooks.tasks.webhook_deliver_task": {"queue": "webhooks"}}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
CELERY_TIMEZONE = TIME_ZONE
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    # First-business documents (firstbusiness.storage): local files by default; any S3-compatible store with
    # DOCUMENT_STORAGE_BACKEND=storages.backends.s3.S3Storage and its options (bucket_name, endpoint_url,
    # region_name …) as JSON; boto3 reads the credentials from the environment (AWS_ACCESS_KEY_ID …).
    "documents": {
        "BACKEND": env("DOCUMENT_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env.json("DOCUMENT_STORAGE_OPTIONS", default={"location": str(BASE_DIR / ".run" / "documents")}),
    },
}
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=False)

DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587 (default: print mail to the console).
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="PharmEx <no-reply@pharmex.example>")

# LOG_FORMAT: "plain" text (the default here, so `make run`) or "json", one object per line (production's default;
# pharmex/logs.py lists the fields).
LOG_FORMATS = ("plain", "json")


def log_format(default: str) -> str:
    value = env("LOG_FORMAT", default=default)
    if value not in LOG_FORMATS:
        raise ImproperlyConfigured(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {value!r}.")
    return value


LOG_FORMAT = log_format("plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"},
        "json": {"()": "pharmex.logs.JsonFormatter"},
    },
    "filters": {"request_id": {"()": "pharmex.context.RequestIdLogFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.MemberJWTAuthentication",
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: every view declares a policy per action (pharmex.api.views, pharmex.api.permissions).
    "DEFAULT_PERMISSION_CLASSES": ["pharmex.api.permissions.Deny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # No `?format=` override: a download is negotiated with `Accept` (pharmex/api/renderers.py), and an unknown
    # query parameter is a 400 anyway.
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_PARSER_CLASSES": ["pharmex.api.parsers.StrictJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["pharmex.api.filters.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "pharmex.api.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["pharmex.api.throttling.PrincipalRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "principal": env("THROTTLE_RATE_PRINCIPAL", default="1200/min"),
        "anon": env("THROTTLE_RATE_ANON", default="120/min"),
        "auth": env("THROTTLE_RATE_AUTH", default="30/min"),
    },
    "EXCEPTION_HANDLER": "pharmex.api.exception_handler.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api_docs.schema.PharmexAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_VERSIONING_CLASS": None,
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if env.bool("BROWSABLE_API", default=False):
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "UPDATE_LAST_LOGIN": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "PharmEx API",
    "DESCRIPTION": (
        "海南药品交易平台 — the Hainan drug trading platform. Errors are RFC 9457 problem+json; creating POSTs "
        "accept an Idempotency-Key; lists are paginated; timestamps are UTC (`…Z`). The [API guide](/api/guide/) "
        "explains what every endpoint shares (authentication and roles, errors and every problem type, "
        "idempotency, pagination, concurrency, versioning, webhooks, orders, money), with examples that run "
        "against the demo data of `make run`; [/api/v1/](/api/v1/) lists the resources."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No validator badge: Swagger UI would otherwise send the schema URL to validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # System fonts: ReDoc's default theme would fetch web fonts from another host.
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif",
                "headings": {"fontFamily": "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif"},
                "code": {"fontFamily": "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"},
            }
        }
    },
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "OrganizationStatusEnum": "accounts.choices.OrganizationStatus",
        "OrganizationKindEnum": "accounts.choices.OrganizationKind",
        "LicenseStatusEnum": "accounts.choices.LicenseStatus",
        "LicenseTypeEnum": "accounts.choices.LicenseType",
        "MemberRoleEnum": "accounts.choices.MemberRole",
        "InvitationStatusEnum": "accounts.choices.InvitationStatus",
        "StaffRoleEnum": "pharmex.choices.StaffRole",
        "ScopeTagEnum": "accounts.choices.ScopeTag",
        "ProvinceCodeEnum": "accounts.choices.PROVINCE_CODE_LIST",
        "OrderStatusEnum": "orders.choices.OrderStatus",
        "RejectionReasonEnum": "orders.choices.RejectionReason",
        "RecallLevelEnum": "orders.choices.RecallLevel",
        "DrugTypeEnum": "catalog.choices.DrugType",
        "DrugCategoryEnum": "catalog.choices.DrugCategory",
        "DrugStatusEnum": "catalog.choices.DrugStatus",
        "DosageFormEnum": "catalog.choices.DosageForm",
        "SpecialClassEnum": "catalog.choices.SpecialClass",
        "StorageEnum": "catalog.choices.Storage",
        "NrdlClassEnum": "catalog.choices.NrdlClass",
        "ApprovalFormatEnum": "catalog.choices.ApprovalFormat",
        "OfferStatusEnum": "catalog.choices.OfferStatus",
        "OfferSettableStatusEnum": [("active", "active"), ("paused", "paused")],
        "ImportKindEnum": "catalog.choices.ImportKind",
        "ImportStatusEnum": "catalog.choices.ImportStatus",
        "ImportFormatEnum": "catalog.choices.ImportFormat",
        "WebhookDeliveryStatusEnum": "webhooks.choices.DeliveryStatus",
        "WebhookEventTypeEnum": "webhooks.events.EVENT_TYPE_CHOICES",
        "LedgerAccountKindEnum": "settlements.choices.AccountKind",
        "JournalEntryKindEnum": "settlements.choices.EntryKind",
        "PaymentSourceEnum": "settlements.choices.PaymentSource",
        "StatementStatusEnum": "settlements.choices.StatementStatus",
        "StatementPeriodEnum": "settlements.choices.PeriodKind",
        "BankLineStatusEnum": "settlements.choices.BankLineStatus",
        "BankStatementStatusEnum": "settlements.choices.BankStatementStatus",
        "DocumentTypeEnum": "firstbusiness.choices.DocumentType",
        "DocumentStatusEnum": "firstbusiness.choices.DocumentStatus",
        "DocumentAccessKindEnum": "firstbusiness.choices.AccessKind",
        "DocumentShareStatusEnum": "firstbusiness.choices.ShareStatus",
        "RepresentativeStatusEnum": "firstbusiness.choices.RepresentativeStatus",
        "FirstBusinessReviewStatusEnum": "firstbusiness.choices.ReviewStatus",
        "InvoiceKindEnum": "orders.invoice_choices.InvoiceKind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api_docs.hooks.ascii_titles",
        "api_docs.hooks.blank_as_empty_string",
        "api_docs.hooks.add_organization_header",
        "api_docs.schema.add_problem_responses",
        "api_docs.hooks.add_response_headers",
        "api_docs.hooks.add_links",
        "api_docs.hooks.drop_build_markers",
    ],
}

# --- domain ---------------------------------------------------------------------------------
PROBLEM_TYPE_BASE = env("PROBLEM_TYPE_BASE", default="https://pharmex.example/problems/")
# Addresses (CIDRs) of the reverse proxies in front of the web processes: only their X-Forwarded-For is read.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# Sign-in: an account is locked (429) after this many failures in the window, whatever the address.
LOGIN_FAILURE_RATE = env("LOGIN_FAILURE_RATE", default="10/15min")
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=3600)  # a reset code lives an hour
ACTOR_RESOLVER = "accounts.actor.resolve_actor"  # request → pharmex.actor.Actor
IDEMPOTENCY_SCOPE_FUNCTION = "accounts.actor.idempotency_scope"
IDEMPOTENCY_KEY_TTL = timedelta(hours=env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24))
LICENSE_EXPIRY_WARNING_DAYS = (30, 7)
MIN_SHELF_LIFE_DAYS = env.int("MIN_SHELF_LIFE_DAYS", default=180)
DEFAULT_CREDIT_TERMS_DAYS = env.int("DEFAULT_CREDIT_TERMS_DAYS", default=30)
# Re-verification (SPEC §3): due this many months after the last verification; open this many days past its due
# day, the organisation is suspended until the review passes.
REVERIFICATION_INTERVAL_MONTHS = env.int("REVERIFICATION_INTERVAL_MONTHS", default=6)
REVERIFICATION_GRACE_DAYS = env.int("REVERIFICATION_GRACE_DAYS", default=30)
# 含麻黄碱类复方制剂 (SPEC §4): most sale units of them one pharmacy's order may hold, all lines together.
EPHEDRINE_PHARMACY_MAX_QUANTITY = env.int("EPHEDRINE_PHARMACY_MAX_QUANTITY", default=100)
INVITATION_TTL_DAYS = env.int("INVITATION_TTL_DAYS", default=7)  # a membership invitation's validity
# Where the invitation email's link points (the secret follows as "#token=…", a fragment no server logs).
INVITATION_ACCEPT_URL = env("INVITATION_ACCEPT_URL", default="http://127.0.0.1:8000/api/v1/invitations/accept/")
# Orders (SPEC §5)
MAX_ORDER_LINES = env.int("MAX_ORDER_LINES", default=100)
ORDER_CONFIRM_TIMEOUT = timedelta(hours=env.int("ORDER_CONFIRM_TIMEOUT_HOURS", default=24))
ORDER_SHIP_DEADLINE = timedelta(hours=env.int("ORDER_SHIP_DEADLINE_HOURS", default=72))
AUTO_RECEIVE_AFTER = timedelta(days=env.int("AUTO_RECEIVE_DAYS", default=14))
# GSP records (SPEC §7a): the monthly job deleting orders past their retention period (5 years, and 1 year past the
# goods' latest expiry; the database refuses anything earlier). Off unless a platform decides to purge.
RECORDS_PURGE_ENABLED = env.bool("RECORDS_PURGE_ENABLED", default=False)
# Monthly partitions of custody hops and order events (pharmex/partitions.py, docs/scaling.md "Partitioning"):
# the daily job keeps this many months created ahead of the current one; detaching months whose records are all
# past retention is off unless a platform decides it (as for the purge); DDL gives up after the lock timeout
# rather than queue inserts behind it, and the next run tries again.
PARTITIONS_MONTHS_AHEAD = env.int("PARTITIONS_MONTHS_AHEAD", default=3)
PARTITIONS_DETACH_ENABLED = env.bool("PARTITIONS_DETACH_ENABLED", default=False)
PARTITIONS_LOCK_TIMEOUT = env.str("PARTITIONS_LOCK_TIMEOUT", default="5s")
# A buyer may ask to return received goods within this many days of receipt (recall returns have no window).
RETURN_WINDOW_DAYS = env.int("RETURN_WINDOW_DAYS", default=30)
AUDIT_SEAL_INTERVAL_SECONDS = env.int("AUDIT_SEAL_INTERVAL_SECONDS", default=10)
# Where each sealing run publishes the chain head (keep it where the database server cannot write).
AUDIT_ANCHOR_PATH = Path(env("AUDIT_ANCHOR_PATH", default=str(BASE_DIR / ".run" / "audit-anchor.json")))
CATALOG_IMPORT_MAX_BYTES = env.int("CATALOG_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
CATALOG_IMPORT_MAX_ROWS = env.int("CATALOG_IMPORT_MAX_ROWS", default=200_000)
# An XLSX is a ZIP: refused before openpyxl reads it when it unpacks to more than this, or its shared-strings
# table (every distinct text, held in memory while the sheet is read) has more entries (issue 10).
CATALOG_IMPORT_XLSX_MAX_UNPACKED_BYTES = env.int("CATALOG_IMPORT_XLSX_MAX_UNPACKED_BYTES", default=256 * 1024 * 1024)
CATALOG_IMPORT_XLSX_MAX_SHARED_STRINGS = env.int("CATALOG_IMPORT_XLSX_MAX_SHARED_STRINGS", default=1_000_000)
# Webhooks (SPEC §5): http:// URLs (dev only), CIDRs exempt from the SSRF guard, attempts before giving up.
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_ALLOWED_PRIVATE_NETWORKS = env.list("WEBHOOK_ALLOWED_PRIVATE_NETWORKS", default=[])
WEBHOOK_ALLOWED_PORTS = env.list("WEBHOOK_ALLOWED_PORTS", default=["443", "8443"])  # "*": any (development)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=15)
# Total time of one delivery attempt (lookup, connect, TLS, request, status, headers, body excerpt), in seconds.
WEBHOOK_ATTEMPT_DEADLINE_SECONDS = env.int("WEBHOOK_ATTEMPT_DEADLINE_SECONDS", default=15)
# Settlements (SPEC §6): default commission, statement period ("month" or "week"), bank file size limit.
PLATFORM_COMMISSION_RATE = Decimal(env.str("PLATFORM_COMMISSION_RATE", default="0.0300"))
# Direct settlement (SPEC §5a, §6): days from receipt to the due date of a fund's part, unless the fund sets its own.
FUND_SETTLEMENT_DAYS = env.int("FUND_SETTLEMENT_DAYS", default=60)
SETTLEMENT_PERIOD = env.str("SETTLEMENT_PERIOD", default="month")
BANK_STATEMENT_MAX_BYTES = env.int("BANK_STATEMENT_MAX_BYTES", default=10 * 1024 * 1024)
# A cold-chain logger's CSV export attached to a shipment (a reading a minute for ten weeks is ~4 MB).
TEMPERATURE_RECORD_MAX_BYTES = env.int("TEMPERATURE_RECORD_MAX_BYTES", default=8 * 1024 * 1024)
# A 数电发票 XML/OFD metadata file uploaded for an invoice record (a few kilobytes; an OFD with its images more).
INVOICE_FILE_MAX_BYTES = env.int("INVOICE_FILE_MAX_BYTES", default=2 * 1024 * 1024)
BANK_STATEMENT_MAX_ROWS = env.int("BANK_STATEMENT_MAX_ROWS", default=100_000)  # blank rows count too
# First-business documents (issue 20): largest file, lifetime of a download link, the scanners every upload
# passes (firstbusiness.content: the virus-scan hook), and the expiry warnings (days ahead, as licences).
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
DOCUMENT_LINK_MAX_AGE_SECONDS = env.int("DOCUMENT_LINK_MAX_AGE_SECONDS", default=300)
DOCUMENT_SCANNERS = ["firstbusiness.content.refuse_active_content"]
DOCUMENT_EXPIRY_WARNING_DAYS = (30, 7)
