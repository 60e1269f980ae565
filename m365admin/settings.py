"""Settings for m365admin, read from environment variables.

Defaults give the embedded setup (SQLite under var/, in-process channel layer and cache);
DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis. Every reader in m365admin.lib.env
names the variable it failed on, so a bad value stops start-up with a clear message.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
import django_stubs_ext
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from m365admin.lib import mailers, syslogconfig
from m365admin.lib.clientip import parse_networks
from m365admin.lib.crypto import parse_keys
from m365admin.lib.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_secret,
    env_str,
    secret_in_var,
)

# ModelAdmin[LicenceProduct], ModelForm[Any]: the generics the type checker reads, subscriptable
# at run time too (django-tasks-db, a dependency, does the same on import).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("M365ADMIN_VAR_DIR", str(BASE_DIR / "var")))

# Core
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = secret_in_var("SECRET_KEY", VAR_DIR, "secret_key", get_random_secret_key)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    # The OpenAPI schema, and Swagger UI and Redoc served from our own static files.
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_ratelimit",
    # Third-party apps under translated names (m365admin/thirdparty.py).
    "m365admin.thirdparty.AxesConfig",
    "rest_framework_simplejwt.token_blacklist",
    # Two-factor sign-in: TOTP apps, and static devices holding the recovery codes.
    "django_otp",
    "m365admin.thirdparty.TOTPDeviceConfig",
    "m365admin.thirdparty.RecoveryCodesConfig",
    # Django's task framework's queue in the database (its worker: manage.py worker).
    "m365admin.thirdparty.TasksConfig",
    "m365admin",
    "collectors",
    "monitoring",
    "security",
]

MIDDLEWARE = [
    # Outermost, so the latency it records includes every other middleware.
    "monitoring.requeststats.RequestStatsMiddleware",
    # X-Forwarded-Proto only from TRUSTED_PROXIES, before anything asks request.is_secure().
    "security.middleware.ForwardedProtoMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "security.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # JSON and CSV over 1 KB gzip-compressed; never HTML (BREACH). Outside everything that
    # writes the body.
    "m365admin.compression.DataGZipMiddleware",
    # /healthz and /readyz answered here: probes never touch the session or the pool's queue.
    "monitoring.views.probes.ProbesMiddleware",
    # While the database is unreachable, a 503 at once instead of the pool's 10 s wait.
    "m365admin.outages.DatabaseOutageMiddleware",
    # Before sessions and sign-in: nothing else runs for an address the IP rules refuse.
    "security.middleware.IPRulesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Times in the reader's zone (their preference, else TIME_ZONE_DEFAULT).
    "security.timezones.TimeZoneMiddleware",
    # Cache-Control: no-store on the API and on signed-in pages (private data).
    "security.headers.PrivateNoStoreMiddleware",
    # request.user.is_verified(): whether a second factor verified this session.
    "django_otp.middleware.OTPMiddleware",
    "security.middleware.CallerMiddleware",
    # Page GETs from clients not signed in, per address (RATELIMIT_ANONYMOUS).
    "security.middleware.AnonymousPageRateMiddleware",
    # SQL injection and cross-site scripting recorded (and refused in block mode).
    "security.middleware.InspectionMiddleware",
    # A session that owes a second factor gives it before anything else (after Caller: its
    # 403s are audited).
    "security.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a lockout found during sign-in into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "m365admin.urls"
WSGI_APPLICATION = "m365admin.wsgi.application"
ASGI_APPLICATION = "m365admin.asgi.application"

# Feature folders inside an app keep their templates (and static files) beside their code;
# Django's loaders only look in an app's own templates/ and static/ folders, so they are named here.
_FEATURE_FOLDERS = [
    BASE_DIR / "m365admin" / "licences",
    BASE_DIR / "monitoring" / "alerts",
    BASE_DIR / "monitoring" / "dbconsole",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates", *(folder / "templates" for folder in _FEATURE_FOLDERS)],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database
# Django's psycopg pool needs CONN_MAX_AGE = 0; the pool is per process, so the real
# connection cap is processes x DB_POOL_MAX.
_database_url = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'm365admin.sqlite3'}")
try:
    _database = dj_database_url.parse(_database_url, conn_max_age=0)
except ValueError as exc:
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a database URL we can use ({exc}); examples: "
        "postgres://user:password@127.0.0.1:5432/m365admin or sqlite:///var/m365admin.sqlite3"
    ) from None
# Options given in the URL (?sslmode=require …) are kept; ours are added beside them.
_database.setdefault("OPTIONS", {})
# Each process names its connections, so the database console can show every process's share.
DATABASE_APPLICATION_NAME = f"m365admin {socket.gethostname()}:{os.getpid()}"[:63]
if _database["ENGINE"] == "django.db.backends.postgresql":
    _database["OPTIONS"].setdefault("application_name", DATABASE_APPLICATION_NAME)
    _database["OPTIONS"] |= {
        "pool": {
            "min_size": env_int("DB_POOL_MIN", 2, minimum=0),
            "max_size": env_int("DB_POOL_MAX", 20, minimum=1),
            "timeout": env_float("DB_POOL_TIMEOUT", 10.0, minimum=0.1),
        },
    }
elif _database["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions let the web threads read while a sync writes.
    _database["OPTIONS"] |= {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests on a file too: an in-memory shared-cache database answers a concurrent writer
    # with "database table is locked" at once, where a file waits out the timeout.
    _database["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    if _database["NAME"] != ":memory:":
        try:
            Path(_database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImproperlyConfigured(
                f"DATABASE_URL: cannot create the folder for the SQLite file "
                f"{_database['NAME']} ({exc.strerror})."
            ) from None
else:
    raise ImproperlyConfigured(
        f"DATABASE_URL must point at PostgreSQL or SQLite, not {_database['ENGINE']}."
    )
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channel layer and cache: in-process by default, Redis when REDIS_URL is set.
REDIS_URL = env_str("REDIS_URL")
# Installations sharing one Redis keep their caches, rate-limit counts and channel groups
# apart: without it, one installation's dashboards would receive another's ticks.
CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "m365admin")
# Redis answers a connect and a key lookup in well under a millisecond on a LAN; redis-py would
# wait 5 s for each (the layer 30 s for a read, below), so a Redis that is down or unreachable
# held every request touching the cache for seconds. 2 s still covers a loaded Redis host.
REDIS_CONNECT_TIMEOUT = 2.0
REDIS_CACHE_TIMEOUT = 2.0
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py raises past its pool's cap instead of waiting: when hundreds of
            # dashboards connect or leave at once (a restart), each group_add/discard needs
            # a connection, and the default cap of 100 would drop some of them.
            # redis-py 8 reads with a 5 s socket timeout by default, the same as channels_redis's
            # 5 s blocking pop: a loaded process that reads the pop's answer a moment late got
            # a TimeoutError, which closed every websocket of the process (1011).
            "CONFIG": {
                "hosts": [{
                    "address": REDIS_URL,
                    "max_connections": env_int("REDIS_MAX_CONNECTIONS", 2000, minimum=10),
                    "socket_timeout": 30,
                    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                }],
                "prefix": CACHE_KEY_PREFIX,
            },
        }
    }
    CACHES = {
        "default": {
            # Django's, failing fast for a few seconds after Redis failed (docs/monitoring.md).
            "BACKEND": "m365admin.lib.rediscache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                "socket_timeout": REDIS_CACHE_TIMEOUT,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work: Django's task framework, its queue in the database (DESIGN.md, "Tasks").
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Background work runs as tasks on the database queue (docs/tasks.md). A running task's worker
# renews its lease every third of TASK_LEASE_SECONDS; a lease silent that long is a dead worker,
# and the task is queued again. A task fails for good after TASK_MAX_ATTEMPTS attempts, waiting
# TASK_RETRY_SECONDS, then twice that, and so on between them.
TASK_LEASE_SECONDS = env_float("TASK_LEASE_SECONDS", 60.0, minimum=1.0)
TASK_MAX_ATTEMPTS = env_int("TASK_MAX_ATTEMPTS", 3, minimum=1)
TASK_RETRY_SECONDS = env_float("TASK_RETRY_SECONDS", 30.0, minimum=0.0)
# Collector runs of one tenant at once across all workers: its Graph throttling budget.
TASK_TENANT_CONCURRENCY = env_int("TASK_TENANT_CONCURRENCY", 1, minimum=1)
# A task whose tenant has no free slot waits this long before a worker tries it again.
TASK_TENANT_BUSY_SECONDS = env_float("TASK_TENANT_BUSY_SECONDS", 2.0, minimum=0.1)

# Secrets at rest (tenant client secrets): the first key encrypts, all keys decrypt.
_fernet_keys = secret_in_var(
    "FERNET_KEYS", VAR_DIR, "fernet.keys", lambda: Fernet.generate_key().decode()
)
FERNET_KEYS = [key.strip() for key in _fernet_keys.split(",") if key.strip()]
parse_keys(FERNET_KEYS, "FERNET_KEYS")

# Reverse proxies (CIDR) whose X-Forwarded-For is believed; from anyone else it is ignored.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
parse_networks(TRUSTED_PROXIES, "TRUSTED_PROXIES")

# Request inspection (docs/security.md): SQL injection and cross-site scripting in query
# strings, form and JSON bodies, User-Agent and Referer become security events; block mode
# also refuses the request (403). Each source is inspected up to the byte limit.
ATTACK_BLOCK_MODE = env_bool("ATTACK_BLOCK_MODE", False)
INSPECTION_MAX_BODY_BYTES = env_int("INSPECTION_MAX_BODY_BYTES", 64 * 1024, minimum=1024)
# Events one client address may record per window; past it, one counted event per address,
# kind and window stands for the rest (a flood wrote ~500 rows a second).
INSPECTION_EVENTS_PER_ADDRESS = env_rate("INSPECTION_EVENTS_PER_ADDRESS", "20/m")

# Abuse controls (docs/security.md): requests per signed-in user and per client address on
# the API, per username posted and per address on the sign-in form. IP allow and deny rules
# are edited in the admin. Counts live in the cache: in Redis, shared by every process.
RATELIMIT_USER = env_rate("RATELIMIT_USER", "100/m")
RATELIMIT_IP = env_rate("RATELIMIT_IP", "100/m")
# Page GETs per address from clients not signed in (a sign-in page, redirects to it, floods).
RATELIMIT_ANONYMOUS = env_rate("RATELIMIT_ANONYMOUS", "120/m")
# django-ratelimit refuses LocMemCache (E003) because each process counts alone: without
# REDIS_URL there is one process (`serve`), so that is right. Its W001 warns about every cache
# not on its list, Django's own RedisCache included, whose counting (INCR) is atomic.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
if not REDIS_URL:
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

# Authentication. Argon2 hashes new passwords; PBKDF2 hashes still verify, and are upgraded
# to Argon2 at the user's next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
# django-axes first: it refuses a locked-out username+IP before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading a user's permissions in one query (every request asks).
    "security.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "m365admin.lib.clientip.client_ip"  # trusted-proxy aware, like the rest
AXES_LOCKOUT_CALLABLE = "security.lockout.lockout_response"  # 429 with Retry-After
AXES_USERNAME_CALLABLE = "security.lockout.username"  # cut to the length axes stores
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # our own log lines and security events say it, without the password
# JWT for integrations (/api/v1/auth/token): HS256 under a key of its own, 1 h access tokens,
# refresh tokens rotated on use and blacklisted, so a stolen one works once at most.
SIMPLE_JWT = {
    "ALGORITHM": "HS256",
    "SIGNING_KEY": secret_in_var("JWT_SIGNING_KEY", VAR_DIR, "jwt_signing_key",
                                 get_random_secret_key),
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 60, minimum=1)),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=env_int("JWT_REFRESH_HOURS", 24, minimum=1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# Two-factor sign-in (docs/security.md): whoever set up an authenticator app gives its code
# after the password; Administrators must set one up. Failures are throttled per device, the
# wait doubling from OTP_*_THROTTLE_FACTOR seconds. The admin never shows keys or codes.
OTP_REQUIRED_FOR_ADMINISTRATORS = env_bool("OTP_REQUIRED_FOR_ADMINISTRATORS", True)
OTP_TOTP_ISSUER = "m365admin"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# The dashboard answers "is anything wrong?" first.
LOGIN_REDIRECT_URL = "monitoring:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Languages: English and Japanese, chosen from the browser or the switcher.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# 1275605 reads 1,275,605 wherever a template shows a number (identifiers such as error codes
# and process ids are shown |unlocalize'd).
USE_THOUSAND_SEPARATOR = True


def _env_zone(name: str) -> str:
    zone = env_str(name, "UTC")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        # Django would stop later with a bare ValueError and a traceback.
        raise ImproperlyConfigured(
            f"{name} must be an IANA time zone such as UTC or Asia/Tokyo, not {zone!r}."
        ) from None
    return zone


TIME_ZONE = _env_zone("TIME_ZONE")
USE_TZ = True
# The zone pages show times in for people who have not chosen one (security/timezones.py).
TIME_ZONE_DEFAULT = _env_zone("TIME_ZONE_DEFAULT")

# Static files, served by WhiteNoise (compressed, cache-busted) from daphne or a WSGI server.
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    *(folder / "static" for folder in _FEATURE_FOLDERS if (folder / "static").is_dir()),
]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "m365admin.lib.staticfinders.PlotlyFinder",  # vendor/plotly.min.js
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "m365admin.lib.staticstorage.StaticFilesStorage"},
}

# Security headers. CSP is nonce-based: no inline script or style anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
# Browser features no page here uses, switched off for every origin.
PERMISSIONS_POLICY_DENY = [
    "accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer",
    "microphone", "midi", "payment", "usb", "interest-cohort",
]
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind TLS (production) these are switched on together with HTTPS=True.
_https = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _https
SECURE_SSL_REDIRECT = _https and env_bool("SECURE_SSL_REDIRECT", True)
# Load balancers probe over plain HTTP: redirected, every backend would look down.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if _https else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", _https)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", _https)
# The proxy's X-Forwarded-Proto says whether the client used HTTPS; it is believed only from
# TRUSTED_PROXIES (security.middleware.ForwardedProtoMiddleware drops anyone else's).
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    if not TRUSTED_PROXIES:
        raise ImproperlyConfigured(
            "TRUST_X_FORWARDED_PROTO=True needs TRUSTED_PROXIES: the addresses of the proxies "
            "whose X-Forwarded-Proto is believed."
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# REST API
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["m365admin.api.permissions.ModelViewPermission"],
    # Our JSONParser answers 400 to JSON nested too deeply to parse, instead of a 500.
    "DEFAULT_PARSER_CLASSES": [
        "m365admin.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # RATELIMIT_USER and RATELIMIT_IP on every API view (429 with Retry-After).
    "DEFAULT_THROTTLE_CLASSES": ["security.ratelimits.APIRateThrottle"],
    "DEFAULT_FILTER_BACKENDS": [
        # django-filter's, building no filter set for a request that filters on nothing.
        "m365admin.api.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "m365admin.api.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "m365admin.api.schema.AutoSchema",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )
# The OpenAPI 3 schema at /api/schema/, with Swagger UI and Redoc from the sidecar package
# (no CDN). Signed-in users and token holders only: it maps every route of the installation.
SPECTACULAR_SETTINGS = {
    "TITLE": "m365admin API",
    "DESCRIPTION": (
        "Microsoft 365 monitoring data for integrations. Authenticate with a JWT: POST "
        "`/api/v1/auth/token` with `username`, `password` (and `otp` when the account has "
        "two-factor sign-in), then send `Authorization: Bearer <access>`; refresh with "
        "`/api/v1/auth/token/refresh` (the refresh token rotates) and sign out with "
        "`/api/v1/auth/token/revoke`. Every error body has a `detail`; 429 carries `Retry-After`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Request and response bodies as separate components, so read-only fields are not asked for.
    "COMPONENT_SPLIT_REQUEST": True,
    # An alert's status appears in the list's and the detail's serializers: one enum, named.
    "ENUM_NAME_OVERRIDES": {"AlertStatusEnum": "monitoring.choices.AlertStatus"},
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["m365admin.api.schema.drop_slashed_twins"],
    # Integrations send JSON; the form parsers serve the browsable API (and daphne answers a
    # malformed multipart body itself, with an empty 400, before Django sees it).
    "PARSER_WHITELIST": ["m365admin.api.parsers.JSONParser"],
}

# Microsoft Graph
GRAPH_MAX_IN_FLIGHT = env_int("GRAPH_MAX_IN_FLIGHT", 10, minimum=1)
GRAPH_TIMEOUT = env_float("GRAPH_TIMEOUT", 30.0, minimum=1.0)
# A PEM bundle to trust for Graph and the identity platform, deliberately, per request
# (requests ignores a session's verify when REQUESTS_CA_BUNDLE is set).
GRAPH_CA_BUNDLE = env_str("GRAPH_CA_BUNDLE")
# Sign-ins: how far back the first sync reaches, and the overlap that catches late arrivals.
SIGNIN_INITIAL_DAYS = env_int("SIGNIN_INITIAL_DAYS", 30, minimum=1)
SIGNIN_OVERLAP_MINUTES = env_int("SIGNIN_OVERLAP_MINUTES", 15, minimum=0)
# A backfill is read in windows of this many hours, so a resumed run repeats at most one.
SIGNIN_WINDOW_HOURS = env_int("SIGNIN_WINDOW_HOURS", 24, minimum=1)
# A running collector run of another host with no progress for this long is abandoned.
SYNC_RUN_LEASE_MINUTES = env_int("SYNC_RUN_LEASE_MINUTES", 15, minimum=1)
SIGNIN_PARTITIONS_AHEAD = env_int("SIGNIN_PARTITIONS_AHEAD", 3, minimum=1)
SIGNIN_RETENTION_DAYS = env_int("SIGNIN_RETENTION_DAYS", 365, minimum=30)
# The longest time range the sign-in explorer reads at once, so queries touch few partitions.
EXPLORER_MAX_RANGE_DAYS = env_int("EXPLORER_MAX_RANGE_DAYS", 31, minimum=1)
# The beta signIns endpoint adds authenticationRequirement (MFA gaps); Microsoft does not
# support beta in production, so it is opt-in.
GRAPH_SIGNINS_BETA = env_bool("GRAPH_SIGNINS_BETA", False)

# The built-in Graph simulator (demo tenant and tests).
SIMULATOR_DIR = VAR_DIR / "simulator"
DEMO_USERS = env_int("DEMO_USERS", 50, minimum=1)
DEMO_SIGNINS = env_int("DEMO_SIGNINS", 5000, minimum=0)

# Database console (PostgreSQL). Reads give up after DB_CONSOLE_TIMEOUT_SECONDS; actions wait
# DB_ACTION_LOCK_TIMEOUT_SECONDS for a lock and run at most DB_ACTION_TIMEOUT_SECONDS.
DB_CONSOLE_TIMEOUT_SECONDS = env_int("DB_CONSOLE_TIMEOUT_SECONDS", 10, minimum=1)
DB_CONSOLE_SEQ_SCAN_MIN_ROWS = env_int("DB_CONSOLE_SEQ_SCAN_MIN_ROWS", 10_000, minimum=1)
DB_CONSOLE_SEQ_SCAN_MIN_SCANS = env_int("DB_CONSOLE_SEQ_SCAN_MIN_SCANS", 50, minimum=1)
DB_CONSOLE_LONG_QUERY_SECONDS = env_int("DB_CONSOLE_LONG_QUERY_SECONDS", 60, minimum=1)
DB_ACTION_LOCK_TIMEOUT_SECONDS = env_int("DB_ACTION_LOCK_TIMEOUT_SECONDS", 10, minimum=1)
DB_ACTION_TIMEOUT_SECONDS = env_int("DB_ACTION_TIMEOUT_SECONDS", 6 * 3600, minimum=1)
# Table sizes are snapshotted daily and kept DB_SNAPSHOT_RETENTION_DAYS; query statistics every
# 5 minutes, kept DB_QUERY_STATS_RETENTION_DAYS (100 statements x 288 a day).
DB_SNAPSHOT_RETENTION_DAYS = env_int("DB_SNAPSHOT_RETENTION_DAYS", 400, minimum=1)
DB_QUERY_STATS_RETENTION_DAYS = env_int("DB_QUERY_STATS_RETENTION_DAYS", 14, minimum=1)
# The database server's memory, for the settings advice: 0 reads this machine's when the database
# is on it (PostgreSQL itself does not report it), and otherwise leaves memory out of the advice.
DB_CONSOLE_SERVER_MEMORY_MB = env_int("DB_CONSOLE_SERVER_MEMORY_MB", 0, minimum=0)

# Prometheus exposition at /metrics: allowed to a bearer token (METRICS_TOKEN, or
# METRICS_TOKEN_FILE) or to source addresses (METRICS_ALLOWED_NETWORKS, CIDR); either
# suffices, and without both /metrics does not exist (404).
METRICS_TOKEN = env_secret("METRICS_TOKEN")
METRICS_ALLOWED_NETWORKS = parse_networks(env_list("METRICS_ALLOWED_NETWORKS", []),
                                          "METRICS_ALLOWED_NETWORKS")

# Monitoring: the scheduler's tick samples metrics, checks every component and pushes one
# message to every open dashboard.
MONITORING_INTERVAL = env_float("MONITORING_INTERVAL", 30.0, minimum=0.1)
METRICS_RETENTION_HOURS = env_int("METRICS_RETENTION_HOURS", 24, minimum=1)
# Each health check gets this long; a hung dependency never delays the others or the tick.
HEALTH_CHECK_TIMEOUT = env_float("HEALTH_CHECK_TIMEOUT", 5.0, minimum=0.1)
# The API check requests this URL; the embedded server sets it to its own address.
HEALTH_API_URL = env_str("HEALTH_API_URL", "http://127.0.0.1:8000/healthz")
# Slower than this (ms) is degraded, for the API, database and cache round trips.
HEALTH_SLOW_MS = env_float("HEALTH_SLOW_MS", 1000.0, minimum=1.0)
# A collector whose last success is older than this many of its intervals makes Graph degraded.
HEALTH_STALE_SYNC_INTERVALS = env_int("HEALTH_STALE_SYNC_INTERVALS", 3, minimum=1)
# How often the scheduler runs each collector per tenant (minutes). Usage reports refresh daily.
SYNC_SIGNINS_MINUTES = env_int("SYNC_SIGNINS_MINUTES", 5, minimum=1)
SYNC_SERVICE_HEALTH_MINUTES = env_int("SYNC_SERVICE_HEALTH_MINUTES", 5, minimum=1)
SYNC_DIRECTORY_MINUTES = env_int("SYNC_DIRECTORY_MINUTES", 60, minimum=1)
SYNC_REPORTS_MINUTES = env_int("SYNC_REPORTS_MINUTES", 720, minimum=1)
# Mailboxes and OneDrive accounts at or above this share of their quota are "near quota".
QUOTA_WARNING_PERCENT = env_float("QUOTA_WARNING_PERCENT", 90.0, minimum=1.0)

# Alert notifications: alerts firing within this window go out as one message per channel;
# failed deliveries are retried with exponential backoff, then the channel is marked failing.
NOTIFY_GROUP_SECONDS = env_int("NOTIFY_GROUP_SECONDS", 30, minimum=0)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 5, minimum=1)
NOTIFY_RETRY_SECONDS = env_float("NOTIFY_RETRY_SECONDS", 30.0, minimum=0.0)
# Security-event alerts count each kind's events per IP (or user) over this many minutes
# (an incident: it stays open until a person resolves it, whatever the window).
SECURITY_ALERT_WINDOW_MINUTES = env_int("SECURITY_ALERT_WINDOW_MINUTES", 15, minimum=1)
# After a tenant's initial sign-in backfill (whose findings are all historical), a detection
# finding whose evidence is older than this when first found is historical and opens no alert.
ALERT_MAX_EVENT_AGE_HOURS = env_int("ALERT_MAX_EVENT_AGE_HOURS", 24, minimum=1)
# Where people open m365admin (https://m365admin.example.com), for the links in Teams and
# Slack notifications; without it the messages carry no links.
PUBLIC_URL = env_str("PUBLIC_URL", "")
if PUBLIC_URL and not PUBLIC_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        f"PUBLIC_URL must start with https:// (or http://), not {PUBLIC_URL!r}.")
# Webhooks to loopback, link-local (cloud metadata) and private addresses are refused (SSRF).
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
# Email: SMTP in production (HTTPS=True; EMAIL_HOST …), printed to the console otherwise; any
# other backend gets its own options (m365admin.lib.mailers).
_email_backend = env_str(
    "EMAIL_BACKEND",
    mailers.SMTP if _https else "django.core.mail.backends.console.EmailBackend",
)
MAILERS = {
    "default": {"BACKEND": _email_backend, "OPTIONS": mailers.mailer_options(_email_backend)},
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "m365admin@localhost")

# SIEM forwarding (docs/security.md): the security feed as RFC 5424 syslog over TLS or TCP,
# off unless SYSLOG_HOST is set; SYSLOG_TRANSPORT, SYSLOG_PORT, SYSLOG_FORMAT (json or cef),
# SYSLOG_CA_FILE … are checked here, so a bad value stops start-up.
SYSLOG = syslogconfig.from_env()
# The feed (/api/v1/feed/security) gives at most this many records a page.
FEED_PAGE_MAX = 1000

# Logging: one line per event on stderr; secrets never reach a log record.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    # logging.config would stop start-up with a traceback instead.
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        # msal logs request details at DEBUG; keep it quiet unless asked for.
        "msal": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        # One INFO line per sign-in; lockouts are security events and audit entries instead.
        "axes": {"level": "WARNING"},
    },
}
