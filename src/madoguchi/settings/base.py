"""Madoguchi settings, driven by the environment.

MADOGUCHI_ENV=development (default) or production. Production refuses to start without SECRET_KEY and
ALLOWED_HOSTS and turns on every transport-security setting; development generates and keeps its own secret
key under var/ so that a fresh clone runs with no configuration at all.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MADOGUCHI_VAR_DIR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

ENVIRONMENT = os.environ.get("MADOGUCHI_ENV", "development").strip().lower()
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("MADOGUCHI_ENV must be 'development' or 'production'.")
IS_PRODUCTION = ENVIRONMENT == "production"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _development_secret_key() -> str:
    """Generate a key once and keep it under var/, so sessions survive restarts of `make run`."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if IS_PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production.")
    SECRET_KEY = _development_secret_key()

# Rotating SECRET_KEY: put the old key in SECRET_KEY_FALLBACKS (comma-separated) until sessions and
# signed links made with it have expired.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
# Encrypts stored second-factor and identity-provider secrets. Set it separately from SECRET_KEY in
# production, so rotating SECRET_KEY never invalidates every staff authenticator.
MFA_ENCRYPTION_KEY = os.environ.get("MFA_ENCRYPTION_KEY", "")

DEBUG = env_bool("DEBUG", default=not IS_PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if IS_PRODUCTION else "127.0.0.1,localhost,[::1],testserver")
if IS_PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "madoguchi.core.admin_site.MadoguchiAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # Swagger UI assets for /api/v1/docs, served from the package (no CDN)
    "django_tasks",
    "django_tasks_db",
    "madoguchi.core",
    "madoguchi.accounts",
    "madoguchi.identity",
    "madoguchi.audit",
    "madoguchi.staff",
    "madoguchi.notices",
    "madoguchi.procedures",
    "madoguchi.payments",
    "madoguchi.faq",
    "madoguchi.facilities",
    "madoguchi.opendata",
    "madoguchi.lottery",
    "madoguchi.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "madoguchi.core.middleware.RequestIdMiddleware",
    "madoguchi.core.middleware.ApiErrorShapeMiddleware",
    "madoguchi.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "madoguchi.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "madoguchi.core.middleware.MunicipalityMiddleware",
]

ROOT_URLCONF = "madoguchi.urls"
WSGI_APPLICATION = "madoguchi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "madoguchi.core.context_processors.platform",
            ],
            "builtins": ["madoguchi.core.templatetags.madoguchi_ui"],
        },
    }
]

# --- Database -----------------------------------------------------------------------------------------
# SQLite is the embedded default: WAL so readers never block the writer, IMMEDIATE transactions so two
# writers queue on the lock instead of failing half-way with "database is locked", and a busy timeout.
SQLITE_PATH = VAR_DIR / "madoguchi.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(SQLITE_PATH)}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions, tasks -----------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    # Database cache: shared by every web process and the worker, unlike local memory, so login
    # throttling holds across processes without Redis.
    # 5,000 entries rather than Django's 300: rendered catalogue results and calendar tables live here too, and
    # a small table would keep culling them (and the sign-in throttling counters) under ordinary traffic.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "madoguchi_cache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

TASK_BACKEND = os.environ.get("TASK_BACKEND", "database").strip().lower()
if TASK_BACKEND == "rq":
    # Redis queue for scale (pip install 'madoguchi[scale]'); worker:
    #   python -m madoguchi rqworker --job-class django_tasks_rq.Job default
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0"}}
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
elif TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
elif TASK_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
else:
    raise ImproperlyConfigured("TASK_BACKEND must be 'database', 'rq' or 'immediate'.")

# --- Accounts and security ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["madoguchi.accounts.backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
EMAIL_VERIFICATION_MAX_AGE = 60 * 60 * 24 * 3

# Login throttling: after LOGIN_MAX_FAILURES failures for one e-mail address (whether or not the account
# exists) or LOGIN_MAX_FAILURES_PER_IP from one address, sign-in is refused for LOGIN_LOCKOUT_SECONDS.
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
LOGIN_MAX_FAILURES_PER_IP = int(os.environ.get("LOGIN_MAX_FAILURES_PER_IP", "50"))
LOGIN_LOCKOUT_SECONDS = int(os.environ.get("LOGIN_LOCKOUT_SECONDS", "900"))
MFA_ISSUER = os.environ.get("MFA_ISSUER", "Madoguchi")
# Public write endpoints: at most COUNT requests per client address per SECONDS (core.ratelimit).
# Online payments still pending after this many hours are expired by the daily maintenance (the resident left the
# provider's page); 窓口払い never expires.
PAYMENTS_PENDING_EXPIRY_HOURS = max(1, int(os.environ.get("PAYMENTS_PENDING_EXPIRY_HOURS", "24")))

# The address residents use, without a trailing slash (e.g. https://madoguchi.city.example.jp), for links that
# leave the site: open data rows, e-mails. Empty in production unless set.
PUBLIC_BASE_URL = os.environ.get("MADOGUCHI_PUBLIC_URL", "" if IS_PRODUCTION else "http://127.0.0.1:8000").rstrip("/")

# Drafts of online applications nobody came back to are deleted after this many days (the applicant is told
# PROCEDURE_DRAFT_EXPIRY_NOTICE_DAYS before, by e-mail). Personal data is not kept longer than needed.
PROCEDURE_DRAFT_RETENTION_DAYS = max(14, int(os.environ.get("PROCEDURE_DRAFT_RETENTION_DAYS", "30")))
PROCEDURE_DRAFT_EXPIRY_NOTICE_DAYS = 7


def _rate(name: str, default: str) -> tuple[int, int]:
    count, _sep, seconds = os.environ.get(name, default).partition("/")
    try:
        parsed = int(count), int(seconds)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must look like 120/60 (requests per seconds).") from exc
    if parsed[0] < 1 or parsed[1] < 1:
        raise ImproperlyConfigured(f"{name} must be at least 1/1.")
    return parsed


RATE_LIMITS = {
    "signup": (10, 60 * 60),
    "password_reset": (10, 60 * 60),
    "verification_email": (10, 60 * 60),
    "identity_start": (30, 10 * 60),
    "application": (60, 10 * 60),
    "api_application": (120, 10 * 60),
    "faq_ask": (120, 10 * 60),
    # 公共施設予約: per user and per client address (both counted). "count/seconds" from the environment.
    "facility_availability": _rate("FACILITIES_AVAILABILITY_RATE", "120/60"),
    "facility_booking": _rate("FACILITIES_BOOKING_RATE", "20/600"),
}
# A deployment may tune any limit: MADOGUCHI_RATE_LIMITS='{"api_application": [600, 600]}' (count, seconds).
for _bucket, (_count, _seconds) in json.loads(os.environ.get("MADOGUCHI_RATE_LIMITS") or "{}").items():
    if _bucket not in RATE_LIMITS or int(_count) < 1 or int(_seconds) < 1:
        raise ImproperlyConfigured(f"MADOGUCHI_RATE_LIMITS: unknown bucket or bad limit for {_bucket!r}")
    RATE_LIMITS[_bucket] = (int(_count), int(_seconds))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 8
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "madoguchi.core.views.csrf_failure"
# Number of reverse proxies in front of the app that append to X-Forwarded-For (0: use REMOTE_ADDR).
# The client address for throttling and the audit log is taken that many hops from the right.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SILENCED_SYSTEM_CHECKS: list[str] = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# --- E-mail ---------------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if IS_PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Madoguchi <no-reply@madoguchi.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation ---------------------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "madoguchi_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Leaflet 1.9 (BSD-2-Clause) as shipped inside the django-leaflet package (LGPL-3.0, used unmodified and
# only for these files): served from our own origin as /static/leaflet/…, never from a CDN. The app itself
# is not installed (it would pull in GeoDjango).
_LEAFLET_SPEC = importlib.util.find_spec("leaflet")
STATICFILES_DIRS = (
    [("leaflet", str(Path(next(iter(_LEAFLET_SPEC.submodule_search_locations))) / "static" / "leaflet"))]
    if _LEAFLET_SPEC and _LEAFLET_SPEC.submodule_search_locations
    else []
)

# 公共施設予約 maps: 地理院タイル (the tile URL is configuration; the CSP allows images from its host only).
FACILITIES_MAP_TILE_URL = os.environ.get(
    "FACILITIES_MAP_TILE_URL", "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"
)
FACILITIES_MAP_ATTRIBUTION = os.environ.get("FACILITIES_MAP_ATTRIBUTION", "出典：国土地理院")
# Facility photos: what staff may upload, and the longest edge they are scaled down to for the web.
FACILITIES_PHOTO_MAX_BYTES = int(os.environ.get("FACILITIES_PHOTO_MAX_BYTES", str(10 * 1024 * 1024)))
FACILITIES_PHOTO_MAX_EDGE = int(os.environ.get("FACILITIES_PHOTO_MAX_EDGE", "1600"))
FACILITIES_PHOTOS_PER_FACILITY = int(os.environ.get("FACILITIES_PHOTOS_PER_FACILITY", "8"))
# In development WhiteNoise serves straight from the apps' static folders; production serves the
# collected, hashed and compressed copies under STATIC_ROOT (`collectstatic`).
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
if not IS_PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": VAR_DIR / "media"}},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    # Files residents attach to applications and results staff issue: private, never under STATIC/MEDIA,
    # served only by the permission-checked download views. PROCEDURE_FILES_BACKEND (a dotted storage class,
    # e.g. storages.backends.s3.S3Storage) and PROCEDURE_FILES_OPTIONS (JSON) replace it with object storage.
    "procedure_files": {
        "BACKEND": os.environ.get("PROCEDURE_FILES_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": json.loads(os.environ["PROCEDURE_FILES_OPTIONS"])
        if os.environ.get("PROCEDURE_FILES_OPTIONS")
        else {
            "location": VAR_DIR / "private" / "procedure_files",
            "base_url": None,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
}

# --- Uploads ------------------------------------------------------------------------------------------------
# Per application: at most this many files and this many MB in total (attachments; results count apart).
PROCEDURE_UPLOAD_MAX_FILES = int(os.environ.get("PROCEDURE_UPLOAD_MAX_FILES", "20"))
PROCEDURE_UPLOAD_MAX_TOTAL_MB = int(os.environ.get("PROCEDURE_UPLOAD_MAX_TOTAL_MB", "50"))
# The largest single file any form field may allow (docs/form-definition.md: max_size_mb ≤ 50).
PROCEDURE_UPLOAD_MAX_FILE_MB = 50
# Results staff issue (PDF or image).
PROCEDURE_RESULT_MAX_MB = int(os.environ.get("PROCEDURE_RESULT_MAX_MB", "20"))
# Decompression bombs: images with more pixels than this are refused before they are decoded.
PROCEDURE_UPLOAD_MAX_IMAGE_PIXELS = int(os.environ.get("PROCEDURE_UPLOAD_MAX_IMAGE_PIXELS", str(50_000_000)))
# The size guard runs first and stops keeping a file past the limits; files over 2.5 MB go to temporary
# files (FILE_UPLOAD_MAX_MEMORY_SIZE) rather than memory. Non-file fields stay capped by
# DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB, a 400 beyond it).
FILE_UPLOAD_HANDLERS = [
    "madoguchi.procedures.uploads.UploadSizeGuard",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Madoguchi ------------------------------------------------------------------------------------------------
# Audit events are kept at least this long; a municipality may set a longer period, never a shorter one.
AUDIT_MIN_RETENTION_DAYS = 365
# Platform-level events (sign-ins, sign-ups, profile changes) belong to no municipality.
AUDIT_PLATFORM_RETENTION_DAYS = max(
    AUDIT_MIN_RETENTION_DAYS, int(os.environ.get("AUDIT_PLATFORM_RETENTION_DAYS", str(365 * 5)))
)
# Idempotency records answer replays for this long; older keys may be reused.
IDEMPOTENCY_KEY_TTL_HOURS = 48
# Finished task results (which may hold rendered e-mails with one-time links) are removed after this.
TASK_RESULT_RETENTION_DAYS = 7
API_PAGE_SIZE_MAX = 100
DEMO_DATA_ALLOWED = not IS_PRODUCTION
# The built-in test payment gateway (/payments/test-gateway/): on in development and tests, off in production
# unless forced (and then `check --deploy` warns).
PAYMENTS_TEST_GATEWAY_ENABLED = env_bool("PAYMENTS_TEST_GATEWAY", not IS_PRODUCTION)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
