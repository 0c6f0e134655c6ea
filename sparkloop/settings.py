"""Settings, all from the environment (twelve-factor) with safe local defaults.

With nothing set the service runs on SQLite and an on-disk Celery broker, so that
`make run` works on a bare machine. Every variable is listed in README.md.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import django_stubs_ext
import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from sparkloop.logs import logging_config

# Lets the classes django-stubs declares generic be subscripted at run time (ModelAdmin[Team]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
# The built-in key is for local use only: with DEBUG off, a service answering to any host name
# but local ones refuses to start with it (and `check --deploy` reports it, sparkloop/checks.py).
DEV_SECRET_KEY = "insecure-local-development-key-change-me-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=LOCAL_HOSTS)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
if SECRET_KEY == DEV_SECRET_KEY and not DEBUG and not set(ALLOWED_HOSTS) <= set(LOCAL_HOSTS):
    raise ImproperlyConfigured(
        "SECRET_KEY is not set: the built-in development key serves only local host names. "
        "Set SECRET_KEY to a long random value (README, Production)."
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    "oauth2_provider",
    "axes",
    "csp",
    "sparkloop",
    "sparkloop.oauth",
    "sparkloop.idempotency",
    "subscribers",
    "subscribers.transfer",
    "referrals",
    "referrals.partners",
    "webhooks",
]

MIDDLEWARE = [
    # Outermost: every response carries X-Request-Id, every log line the id (docs/operations.md).
    "sparkloop.requestid.RequestIdMiddleware",
    # One log line and the Prometheus figures per request, whatever answered it.
    "sparkloop.logs.AccessLogMiddleware",
    "sparkloop.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every page (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # Serves the admin's static files under gunicorn too (no separate web server needed).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # API v1's Deprecation, Sunset and Link headers on every /v1/ response (docs/api-v1.md).
    "referrals.v1.middleware.DeprecationHeadersMiddleware",
    # Outermost of the API's: sees every final response under /v2/ to add rate-limit headers.
    "sparkloop.api.throttling.RateLimitHeadersMiddleware",
    # Refuses NUL characters in paths, queries and form bodies (sparkloop/middleware.py).
    "sparkloop.middleware.HostileInputMiddleware",
    # Idempotency-Key on every POST of the API and the batch PUT (docs/bulk.md).
    "sparkloop.idempotency.middleware.IdempotencyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a lock-out into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sparkloop.urls"
WSGI_APPLICATION = "sparkloop.wsgi.application"
ASGI_APPLICATION = "sparkloop.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "sparkloop" / "templates"],
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

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services own their transactions
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# Off behind a pooler that cannot keep prepared statements (sparkloop/prepared.py).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web server, worker and beat share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = env.str("CACHE_URL", default=env.str("REDIS_URL", default=""))
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "sparkloop.cache.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL:
    CACHES = {"default": env.cache_url_config(CACHE_URL)}
else:
    # A shared cache on disk keeps rate limits right across local processes.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# django-axes first: it refuses a locked-out address or account before a password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Messages live server-side: the admin shows a new API key once through one.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Without `collectstatic` (make run) whitenoise finds the files in the apps (STATIC_ROOT made).
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Uploads (publication logos) go through Django's storage API (STORAGES["default"]: any
# backend; on disk under MEDIA_ROOT), served by the web process unless SERVE_MEDIA is off.
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)

# Plain text, or one JSON object a line (LOG_FORMAT=json), with the request id on every record;
# Celery's processes use the same configuration (sparkloop/celery.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="text").strip().lower()
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").strip().upper()
try:
    LOGGING = logging_config(fmt=LOG_FORMAT, level=LOG_LEVEL)
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from error

# --- Operations (docs/operations.md) ----------------------------------------------------------
# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, it is a 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# /readyz waits this long, at most, for the database, the cache and the broker together.
READINESS_TIMEOUT_SECONDS = env.float("READINESS_TIMEOUT_SECONDS", default=2.0)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "sparkloop.api.authentication.ApiKeyAuthentication",
        "sparkloop.oauth.authentication.OAuthTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["sparkloop.api.permissions.IsTeamAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "sparkloop.api.parsers.LenientJSONParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["sparkloop.api.renderers.JSONUTF8Renderer"],
    "EXCEPTION_HANDLER": "sparkloop.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["sparkloop.api.throttling.TeamRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "sparkloop.api.schema.ApiAutoSchema",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_PAGINATION_CLASS": None,
    "URL_FORMAT_OVERRIDE": None,
}
# The default tier's limit, "requests/seconds" (tiers: sparkloop/api/throttling.py).
RATE_LIMIT_DEFAULT = env.str("RATE_LIMIT_DEFAULT", default="120/60")
# API v1 (deprecated, docs/api-v1.md): its own limit per key, counted on top of the tier's,
# and the date announced in its Sunset header (ISO 8601; the service does not switch it off).
RATE_LIMIT_V1 = env.str("RATE_LIMIT_V1", default="60/60")
API_V1_SUNSET = env.str("API_V1_SUNSET", default="2027-12-31T23:59:59Z")
# OpenAPI at /v2/schema, Swagger UI at /v2/docs, Redoc at /v2/redoc (sparkloop/api/schema.py).
SPECTACULAR_SETTINGS = {
    "TITLE": "Newsletter referrals API (SparkLoop API v2 compatible)",
    "DESCRIPTION": (
        "Served under `/v2/` and, identically, `/api/v2/`. Authenticate with `X-Api-Key` or "
        "an OAuth 2.0 `Authorization: Bearer` token (limited to its scopes). Errors are "
        '`{"error": "<one sentence>"}`. Every response carries rate-limit headers.'
    ),
    "VERSION": "2",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/v2",
    "PREPROCESSING_HOOKS": ["sparkloop.api.schema.v2_paths_only"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "sparkloop.api.schema.add_header_components",
        # Realistic values for every field, each app its own, then an example of every body.
        "subscribers.batch.openapi.schema_examples",
        "subscribers.transfer.openapi.schema_examples",
        "referrals.partners.catalog.openapi_examples.schema_examples",
        "referrals.partners.earnings.openapi.schema_examples",
        "referrals.partners.upscribe.openapi.schema_examples",
        "referrals.partners.offers.openapi.schema_examples",
        "sparkloop.oauth.openapi.schema_examples",
        "webhooks.openapi.schema_examples",
        "webhooks.openapi.payload_components",
        "referrals.openapi.schema_examples",
        "subscribers.openapi.schema_examples",
        "sparkloop.api.examples.common_examples",
        "sparkloop.api.examples.operation_examples",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "TAGS": [
        {
            "name": "subscribers",
            "description": "A team's subscribers: create, list, read, change, unsubscribe, "
            "reject a pending referral, erase, and record value events.",
        },
        {
            "name": "campaigns",
            "description": "Referral campaigns: their members, referrals, rewards and grants, "
            "and the leaderboard. Creating a campaign and rewards are extensions.",
        },
        {
            "name": "webhooks",
            "description": "Signed webhooks: endpoints, their secrets, the team's token, and "
            "every delivery with its attempts (resend, test). Payloads: the `Webhook…` "
            "components.",
        },
        {
            "name": "oauth",
            "description": "OAuth 2.0 apps a team registers and the connections other teams "
            "granted them (API keys only).",
        },
        {"name": "v1 campaigns", "description": "API v1 (deprecated): campaigns."},
        {"name": "v1 subscribers", "description": "API v1 (deprecated): a campaign's members."},
        {"name": "v1 webhooks", "description": "API v1 (deprecated): a campaign's webhooks."},
    ],
    # Swagger UI and Redoc served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `status`: each choice set gets its own name.
    "ENUM_NAME_OVERRIDES": {
        "SubscriberStatusEnum": "subscribers.models.Subscriber.Status",
        "DeliveryStatusEnum": "webhooks.models.WebhookDelivery.Status",
        "PublicationStatusEnum": [("active", "active"), ("archived", "archived")],
        # active/paused/archived: partner programs, offers (any object with that life cycle).
        "ActivityStatusEnum": "referrals.partners.models.offers.Offer.Status",
    },
}

# --- Celery ---------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("out", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "out"),
        "data_folder_out": str(BROKER_DIR / "out"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # Fanout exchanges (kombu's default is a "control" folder in the working directory).
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
CELERY_TIMEZONE = "UTC"

# --- OAuth 2.0 (django-oauth-toolkit) -------------------------------------------------------
# The toolkit's models are swapped for ones that carry the team a token acts for.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth.Application"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth.Grant"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth.AccessToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth.RefreshToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth.IDToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER = {
    "SCOPES": {
        "read:subscribers": "See your subscribers and their referrals",
        "write:subscribers": "Add, change, unsubscribe and delete your subscribers",
        "read:campaigns": "See your referral campaigns, rewards and partner programs",
        "write:campaigns": "Create and change your referral campaigns and rewards",
        "read:webhooks": "See your webhooks and their deliveries",
        "write:webhooks": "Create, change and delete your webhooks",
        "read:partners": "See your partner network, recommendations and payouts",
        "write:partners": "Manage your partner network, recommendations and payouts",
    },
    "DEFAULT_SCOPES": ["read:subscribers"],
    "OAUTH2_VALIDATOR_CLASS": "sparkloop.oauth.validators.TeamOAuth2Validator",
    "PKCE_REQUIRED": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"] if DEBUG else ["https"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 60 * 60 * 24 * 60,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "REQUEST_APPROVAL_PROMPT": "force",
    "CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL": 0,
    # RFC 9700 (OAuth security best practice): S256 PKCE only, no implicit or password grant,
    # no token in a query string, tokens stored as hashes only, `iss` on the redirect.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
}
# How many OAuth apps a team may register itself through the API (staff are not capped).
OAUTH_APPLICATIONS_PER_TEAM = env.int("OAUTH_APPLICATIONS_PER_TEAM", default=10)
CELERY_BEAT_SCHEDULE["oauth-clear-expired-tokens"] = {
    "task": "sparkloop.oauth.tasks.oauth_tokens_clear_expired_task",
    "schedule": 60 * 60,
}

# --- Service --------------------------------------------------------------------------------
# Loopback and plain http:// webhook targets, for local development and tests only.
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=False)

# --- Webhooks -------------------------------------------------------------------------------
# The send tasks' queue ("celery": every worker; production: "webhooks", README, Webhooks).
WEBHOOK_QUEUE = env.str("WEBHOOK_QUEUE", default="celery")
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=15.0)
# An endpoint whose every delivery failed for this long is disabled and the team told.
WEBHOOK_DISABLE_AFTER_DAYS = env.int("WEBHOOK_DISABLE_AFTER_DAYS", default=5)
# The sweeper: its interval; when a claimed delivery, or a due one's message, counts as lost.
WEBHOOK_SWEEP_INTERVAL_SECONDS = env.float("WEBHOOK_SWEEP_INTERVAL_SECONDS", default=5.0)
WEBHOOK_STUCK_AFTER_SECONDS = env.int(
    "WEBHOOK_STUCK_AFTER_SECONDS", default=CELERY_TASK_TIME_LIMIT + 30
)
WEBHOOK_REQUEUE_AFTER_SECONDS = env.int("WEBHOOK_REQUEUE_AFTER_SECONDS", default=300)
# The sweeper publishes nothing while this many send tasks already wait in the queue.
WEBHOOK_SWEEP_MAX_QUEUE_DEPTH = env.int("WEBHOOK_SWEEP_MAX_QUEUE_DEPTH", default=2000)
# Events are expanded into deliveries by a worker (a task published on commit); the sweeper
# expands those left unexpanded for longer than this (a lost message, a broker outage).
WEBHOOK_EXPAND_AFTER_SECONDS = env.int("WEBHOOK_EXPAND_AFTER_SECONDS", default=10)
WEBHOOK_EXPAND_QUEUE = env.str("WEBHOOK_EXPAND_QUEUE", default="celery")
# Deliveries per send task: claimed in one statement, sent concurrently (a thread each).
WEBHOOK_BATCH_SIZE = env.int("WEBHOOK_BATCH_SIZE", default=50)
CELERY_BEAT_SCHEDULE["webhooks-sweep"] = {
    "task": "webhooks.tasks.webhook_delivery_sweep_task",
    "schedule": WEBHOOK_SWEEP_INTERVAL_SECONDS,
    "options": {"expires": WEBHOOK_SWEEP_INTERVAL_SECONDS},
}
# Receivers' TLS CA bundle (file or directory; empty: certifi's). REQUESTS_CA_BUNDLE ignored.
WEBHOOK_CA_BUNDLE = env.str("WEBHOOK_CA_BUNDLE", default="")
# Secrets encrypted at rest (signing secrets, webhook tokens): Fernet keys, comma-separated,
# the first encrypts and all decrypt; empty: derived from SECRET_KEY (sparkloop/encryption.py).
FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY", default=[])

# --- Referral campaigns ---------------------------------------------------------------------
# Holding-period campaigns: due referrals are verified (or rejected) by this beat job.
REFERRAL_HOLDING_SWEEP_INTERVAL_SECONDS = env.int(
    "REFERRAL_HOLDING_SWEEP_INTERVAL_SECONDS", default=15 * 60
)
CELERY_BEAT_SCHEDULE["referrals-holding-sweep"] = {
    "task": "referrals.tasks.referral_holding_sweep_task",
    "schedule": REFERRAL_HOLDING_SWEEP_INTERVAL_SECONDS,
    "options": {"expires": REFERRAL_HOLDING_SWEEP_INTERVAL_SECONDS},
}

# --- The partner side (docs/partners.md) -----------------------------------------------------
# The deployment's public base URL: the hosted pages' absolute links start with it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Recommendations show net_earnings = earnings less this fee; payouts are made for balances
# of at least PARTNER_PAYOUT_MINIMUM_DOLLARS.
PARTNER_PLATFORM_FEE_PERCENT = env.float("PARTNER_PLATFORM_FEE_PERCENT", default=0.0)
PARTNER_PAYOUT_MINIMUM_DOLLARS = env.float("PARTNER_PAYOUT_MINIMUM_DOLLARS", default=50.0)
# Settlers of the hourly job at once (threads with connections of their own; PostgreSQL).
PARTNER_SETTLE_PARALLEL = env.int("PARTNER_SETTLE_PARALLEL", default=2)
# The public hosted pages (/p/, /r/, /o/): requests per address ("requests/seconds").
RATE_LIMIT_PAGES = env.str("RATE_LIMIT_PAGES", default="60/60")
# Settlement of partner referrals whose pending period is over (hourly), and the payouts
# (the 15th; a crontab row of django-celery-beat, editable in the admin).
CELERY_BEAT_SCHEDULE["partners-referrals-settle"] = {
    "task": "referrals.partners.earnings.tasks.partner_referrals_settle_task",
    "schedule": 60 * 60,
    "options": {"expires": 60 * 60},
}
CELERY_BEAT_SCHEDULE["partners-payouts-create"] = {
    "task": "referrals.partners.earnings.tasks.payouts_create_task",
    "schedule": crontab(minute="0", hour="6", day_of_month="15"),
}

# --- Bulk work (docs/bulk.md) ----------------------------------------------------------------
# Idempotency keys are kept this long; a claim whose request never finished (its process
# died) is taken over after IDEMPOTENCY_LOCK_SECONDS. A beat job deletes expired keys.
IDEMPOTENCY_KEY_TTL_SECONDS = env.int("IDEMPOTENCY_KEY_TTL_SECONDS", default=24 * 3600)
IDEMPOTENCY_LOCK_SECONDS = env.int("IDEMPOTENCY_LOCK_SECONDS", default=300)
CELERY_BEAT_SCHEDULE["idempotency-keys-expire"] = {
    "task": "sparkloop.idempotency.tasks.idempotency_keys_expire_task",
    "schedule": 60 * 60,
}
# Imports: the largest upload, rows per chunk (one transaction each), how long one task runs
# before handing over to the next, and when a run without a heartbeat counts as dead (the
# sweep then resumes it from its checkpoint).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=1024**3)
IMPORT_CHUNK_ROWS = env.int("IMPORT_CHUNK_ROWS", default=1000)
# PostgreSQL: write the plain new rows of each chunk set-based (COPY, then SQL); false: all
# rows through the batch write path, as on SQLite.
IMPORT_SET_BASED = env.bool("IMPORT_SET_BASED", default=True)
IMPORT_TASK_SECONDS = env.int("IMPORT_TASK_SECONDS", default=40)
IMPORT_STALE_SECONDS = env.int("IMPORT_STALE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 30)
CELERY_BEAT_SCHEDULE["imports-sweep"] = {
    "task": "subscribers.transfer.tasks.subscriber_import_sweep_task",
    "schedule": 60,
    "options": {"expires": 60},
}

# --- Credential throttling (docs/security.md) ------------------------------------------------
# Logins (/admin/login/, /oauth/login/) and OAuth client authentication (/oauth/token/,
# /oauth/revoke_token/, /oauth/introspect/): AUTH_FAILURE_LIMIT failures per address, or per
# account (a username, or an OAuth client_id), lock it out for AUTH_FAILURE_COOLOFF_SECONDS.
AUTH_FAILURE_LIMIT = env.int("AUTH_FAILURE_LIMIT", default=10)
AUTH_FAILURE_COOLOFF_SECONDS = env.int("AUTH_FAILURE_COOLOFF_SECONDS", default=15 * 60)
AXES_FAILURE_LIMIT = AUTH_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=AUTH_FAILURE_COOLOFF_SECONDS)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "sparkloop.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "sparkloop.api.throttling.client_ip"
# Requests to /v2 refused for their credentials (401), per address: over this, the address
# gets 429 until the window ends, before any key is looked up ("requests/seconds").
RATE_LIMIT_AUTH_FAILURES = env.str("RATE_LIMIT_AUTH_FAILURES", default="30/60")

# --- Deployment security (docs/security.md) ---------------------------------------------------
# With DEBUG off, session and CSRF cookies travel over HTTPS only (browsers still keep them
# for http://localhost and http://127.0.0.1, so `make run` works) and HTTPS responses tell
# browsers to use nothing else (HSTS; Django sends it on HTTPS responses only).
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Production answers plain http:// with a redirect to https:// (behind a TLS proxy, gunicorn
# learns the scheme from X-Forwarded-Proto sent by FORWARDED_ALLOW_IPS).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Every page may load scripts, styles, images and fonts from this origin only: the admin,
# the OAuth login and consent pages, Swagger UI and Redoc (served from our own static files).
# Inline styles are allowed (the admin and the docs renderers set them); inline scripts never.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    }
}
