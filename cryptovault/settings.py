"""CryptoVault settings, driven by the environment (SPEC §1).

With no variables set this is the embedded default: SQLite file, local-memory
cache, in-memory channel layer, DEBUG on and the dev outbox for email. Setting
``DATABASE_URL`` and ``REDIS_URL`` (and turning DEBUG off) gives production.
Every variable is documented in ``.env.example``. A malformed value stops
start-up with one line naming the variable (see ``cryptovault.config``).

This module reads every environment variable and binds every setting, so one file
answers "what is configurable, and where is X set". The long values are built by
modules cut by job: ``settings_apps`` (apps, middleware, templates),
``settings_storage`` (database, caches, channel layer), ``settings_security``
(passwords, CSP), ``settings_api`` (DRF, JWT, OpenAPI), ``settings_tasks`` (the task
queue: in process or Celery) and ``settings_logging``.
"""

from __future__ import annotations

import hashlib
import hmac
import sys
from decimal import Decimal
from pathlib import Path

from cryptovault import (
    settings_api,
    settings_apps,
    settings_logging,
    settings_security,
    settings_storage,
    settings_tasks,
)
from cryptovault.config import Config, ConfigError, abort
from cryptovault.settings_tasks import *  # noqa: F403 (the CELERY_* settings, with their reasons)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # local state of the embedded mode; ignored by git

env = Config(env_file=BASE_DIR / ".env")

try:
    # --- Core ---------------------------------------------------------------
    DEBUG = env.flag("DEBUG", default=True)
    HOST = env.text("HOST", default="127.0.0.1")
    PORT = env.integer("PORT", default=8000, minimum=1, maximum=65535)
    SECRET_KEY = env.text("SECRET_KEY", default="")
    ALLOWED_HOSTS = env.csv("ALLOWED_HOSTS", default=[])
    CSRF_TRUSTED_ORIGINS = env.url_list("CSRF_TRUSTED_ORIGINS", default=[])
    JWT_SIGNING_KEY = env.text("JWT_SIGNING_KEY", default="")
    APP_URL = env.url("APP_URL", default=f"http://{HOST}:{PORT}").rstrip("/")
    TRUSTED_PROXY_COUNT = env.integer("TRUSTED_PROXY_COUNT", default=0, minimum=0)
    # Production redirects plain HTTP to HTTPS; /health stays reachable for probes.
    SECURE_SSL_REDIRECT = env.flag("SECURE_SSL_REDIRECT", default=not DEBUG)
    # Session and CSRF cookies only over HTTPS; off only for a plain-HTTP entry on
    # loopback (`make prod` without TLS_CERT), where a browser could not log in otherwise.
    SECURE_COOKIES = env.flag("SECURE_COOKIES", default=not DEBUG)
    LOG_LEVEL = env.choice(
        "LOG_LEVEL", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR")
    )

    # --- Storage ------------------------------------------------------------
    DATABASES = {
        "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
    }
    REDIS_URL = env.redis_url("REDIS_URL", default="")
    # Background jobs in this process, or on Celery (REDIS_URL is its broker).
    TASK_QUEUE = env.choice("TASK_QUEUE", default="inprocess", choices=settings_tasks.MODES)
    if TASK_QUEUE == "celery":
        env.require("REDIS_URL", REDIS_URL, "it is required when TASK_QUEUE is celery")

    # --- Email --------------------------------------------------------------
    EMAIL_SERVICE = env.choice(
        "EMAIL_SERVICE", default="console", choices=("console", "smtp", "sendgrid", "resend", "ses")
    )
    EMAIL_HOST = env.text("EMAIL_HOST", default="localhost")
    EMAIL_PORT = env.integer("EMAIL_PORT", default=25, minimum=1, maximum=65535)
    EMAIL_HOST_USER = env.text("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.text("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.flag("EMAIL_USE_TLS", default=False)
    EMAIL_TIMEOUT = 10
    EMAIL_FROM = env.email("EMAIL_FROM", default="no-reply@cryptovault.local")
    EMAIL_FROM_NAME = env.text("EMAIL_FROM_NAME", default="CryptoVault")
    SENDGRID_API_KEY = env.text("SENDGRID_API_KEY", default="")
    RESEND_API_KEY = env.text("RESEND_API_KEY", default="")
    AWS_ACCESS_KEY_ID = env.text("AWS_ACCESS_KEY_ID", default="")
    AWS_SECRET_ACCESS_KEY = env.text("AWS_SECRET_ACCESS_KEY", default="")
    AWS_REGION = env.text("AWS_REGION", default="us-east-1")

    # --- Markets ------------------------------------------------------------
    PRICE_SOURCE = env.choice(
        "PRICE_SOURCE", default="auto", choices=("auto", "coingecko", "simulated")
    )
    COINGECKO_API_KEY = env.text("COINGECKO_API_KEY", default="")
    COINGECKO_PLAN = env.choice("COINGECKO_PLAN", default="demo", choices=("demo", "pro"))
    COINGECKO_MONTHLY_CREDITS = env.integer(
        "COINGECKO_MONTHLY_CREDITS",
        default=10_000 if COINGECKO_PLAN == "demo" else 500_000,
        minimum=1,
    )
    COINGECKO_BASE_URL = env.url(
        "COINGECKO_BASE_URL",
        default=(
            "https://api.coingecko.com/api/v3"
            if COINGECKO_PLAN == "demo"
            else "https://pro-api.coingecko.com/api/v3"
        ),
    ).rstrip("/")
    PRICE_BROADCAST_SECONDS = env.integer("PRICE_BROADCAST_SECONDS", default=10, minimum=1)
    # The plan's update period: CoinGecko's prices change no faster than this.
    PRICE_REFRESH_SECONDS = env.integer(
        "PRICE_REFRESH_SECONDS", default=60 if COINGECKO_PLAN == "demo" else 20, minimum=1
    )
    PRICE_CACHE_SECONDS = env.integer("PRICE_CACHE_SECONDS", default=60, minimum=1)
    COIN_DETAIL_CACHE_SECONDS = env.integer("COIN_DETAIL_CACHE_SECONDS", default=300, minimum=1)
    # The price feed loop inside the server process (embedded default) or in its own
    # process (`manage.py run_price_feed`, production with Redis).
    PRICE_FEED_EMBEDDED = env.flag("PRICE_FEED_EMBEDDED", default=not REDIS_URL)

    # --- Trading ------------------------------------------------------------
    DEMO_STARTING_BALANCE_USD = env.decimal(
        "DEMO_STARTING_BALANCE_USD", default=Decimal("10000"), minimum=Decimal("0")
    )
    TRADING_FEE_RATE = env.decimal(
        "TRADING_FEE_RATE", default=Decimal("0.001"), minimum=Decimal("0"), maximum=Decimal("1")
    )
    MIN_ORDER_USD = env.decimal("MIN_ORDER_USD", default=Decimal("1.00"), minimum=Decimal("0"))

    # --- Chains: CHAIN_RPC_<chain id> -> JSON-RPC URL -------------------------
    CHAIN_RPC_URLS = env.prefixed_urls("CHAIN_RPC_")
    # Not CHAIN_RPC_*: every variable with that prefix is read as a chain's URL.
    CHAIN_REQUEST_TIMEOUT_SECONDS = env.decimal(
        "CHAIN_REQUEST_TIMEOUT_SECONDS", default=Decimal("8"), minimum=Decimal("0.1")
    )
    CHAIN_GAS_CACHE_SECONDS = env.integer("CHAIN_GAS_CACHE_SECONDS", default=10, minimum=0)

    # --- Production requirements --------------------------------------------
    if not DEBUG:
        env.require("SECRET_KEY", SECRET_KEY, "it is required when DEBUG is off")
        env.require("ALLOWED_HOSTS", ALLOWED_HOSTS, "it is required when DEBUG is off")
        env.require("JWT_SIGNING_KEY", JWT_SIGNING_KEY, "it is required when DEBUG is off")
        # Rate limits, lockouts and the price feed's leader lock must be shared by every
        # process; per-process counters would multiply every limit by the process count.
        env.require(
            "REDIS_URL", REDIS_URL, "it is required when DEBUG is off (limits must be shared)"
        )
except ConfigError as error:
    abort(error)

if not SECRET_KEY:
    # Embedded mode only (DEBUG on): a random key kept in var/, never committed.
    SECRET_KEY = env.local_secret(VAR_DIR / "secret_key")
if not JWT_SIGNING_KEY:
    JWT_SIGNING_KEY = env.local_secret(VAR_DIR / "jwt_signing_key")
# The simulated price walk is seeded from a secret of this deployment, so nobody can
# compute the next simulated tick from the code (markets.simulated._rng).
SIMULATED_FEED_SEED = hmac.new(
    SECRET_KEY.encode(), b"cryptovault.simulated-price-feed", hashlib.sha256
).hexdigest()
if DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]

# --- Money: digits defined once, reused by every DecimalField (STYLE.md 4) ---
MONEY_MAX_DIGITS = 28
MONEY_DECIMAL_PLACES = 8  # USD and coin amounts are stored to 8 places
USD_DISPLAY_PLACES = 2
MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_DECIMAL_PLACES)  # Decimal("0.00000001")
USD_DISPLAY_QUANTUM = Decimal(1).scaleb(-USD_DISPLAY_PLACES)  # Decimal("0.01")
# A unit price (a tick, a limit, stop or fill price) has the places any coin CoinGecko
# lists needs, to 1e-18, below the same 10^20 as amounts: a coin at $0.000000001206 is
# that, never 0. Served with its significant digits, at least MONEY_DECIMAL_PLACES.
PRICE_MAX_DIGITS = 38
PRICE_DECIMAL_PLACES = 18
PRICE_QUANTUM = Decimal(1).scaleb(-PRICE_DECIMAL_PLACES)  # Decimal("1E-18")

API_VERSION = "1"

# --- Applications (built in cryptovault/settings_apps.py) ----------------------
DEV_SERVER = sys.argv[1:2] == ["runserver"]  # only runserver loads daphne's app
INSTALLED_APPS = settings_apps.installed_apps(dev_server=DEV_SERVER)
MIDDLEWARE = settings_apps.MIDDLEWARE
ROOT_URLCONF = "cryptovault.urls"
WSGI_APPLICATION = "cryptovault.wsgi.application"
ASGI_APPLICATION = "cryptovault.asgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = settings_apps.templates(base_dir=BASE_DIR)

# --- Database, cache and channel layer (built in cryptovault/settings_storage.py) --
DATABASES["default"] = settings_storage.database_tuned(DATABASES["default"], var_dir=VAR_DIR)
if REDIS_URL:
    CACHES = settings_storage.redis_caches(REDIS_URL)
    CHANNEL_LAYERS = settings_storage.redis_channel_layers(REDIS_URL)
else:
    CACHES = settings_storage.local_caches()
    CHANNEL_LAYERS = settings_storage.LOCAL_CHANNEL_LAYERS
    # One process in the embedded mode (DEBUG on: production refuses to start without
    # REDIS_URL), so a local-memory cache does hold the rate-limit counters.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
PROCESS_CACHE = settings_storage.PROCESS_CACHE
CACHES["process"] = PROCESS_CACHE

RATELIMIT_USE_CACHE = "ratelimit"
# A counter store that cannot answer refuses (429). With Redis, the fallback client
# always answers, so this only matters if the local counters themselves failed.
RATELIMIT_FAIL_OPEN = False

# --- Auth ---------------------------------------------------------------------
PASSWORD_HASHERS = settings_security.PASSWORD_HASHERS
AUTH_PASSWORD_VALIDATORS = settings_security.AUTH_PASSWORD_VALIDATORS
# A session's sockets re-check it this often and close once it has ended (OWASP's
# websocket cheat sheet: revalidate long-lived sockets; security.md W2).
WS_SESSION_RECHECK_SECONDS = 30
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"  # filled by collectstatic for production
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "cryptovault.static_storage.ManifestModulesStorage"
        )
    },
}

# --- Security headers (Django's middleware + django-csp) ---------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_RESOURCE_POLICY = settings_security.CROSS_ORIGIN_RESOURCE_POLICY
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^health(/|$)"]
SESSION_COOKIE_HTTPONLY = True
# A session lasts 12 hours from login (ASVS L2: 12 h absolute), then log in again.
SESSION_COOKIE_AGE = 12 * 60 * 60
CSRF_COOKIE_HTTPONLY = False  # the browsable API and page scripts read it
if not DEBUG:
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
if SECURE_COOKIES:
    SESSION_COOKIE_SECURE = True
    # "__Host-": the browser keeps it only if Secure, for this host and path "/", so a
    # sibling subdomain cannot plant a session cookie (OWASP session cheat sheet).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_SECURE = True
if TRUSTED_PROXY_COUNT:
    # Behind a TLS-terminating proxy that we trust to set the scheme.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = settings_security.CONTENT_SECURITY_POLICY

# --- Email ----------------------------------------------------------------------
DEFAULT_FROM_EMAIL = f"{EMAIL_FROM_NAME} <{EMAIL_FROM}>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "sendgrid": "anymail.backends.sendgrid.EmailBackend",
    "resend": "anymail.backends.resend.EmailBackend",
    "ses": "anymail.backends.amazon_ses.EmailBackend",
}[EMAIL_SERVICE]
# Console mode keeps every message whole in the dev outbox (/dev/outbox/, DEBUG only).
DEV_OUTBOX = DEBUG and EMAIL_SERVICE == "console"
# Background jobs (emails, forgot-password and resend work: cryptovault.tasks) run on
# a small in-process pool after the response; the tests run them at once instead.
TASKS_EAGER = False
# TASK_QUEUE=celery: the worker's settings (cryptovault/settings_tasks.py says why).
CELERY_BROKER_URL = settings_tasks.broker_url(task_queue=TASK_QUEUE, redis_url=REDIS_URL)
ANYMAIL = {
    "SENDGRID_API_KEY": SENDGRID_API_KEY,
    "RESEND_API_KEY": RESEND_API_KEY,
    "AMAZON_SES_CLIENT_PARAMS": {
        "aws_access_key_id": AWS_ACCESS_KEY_ID,
        "aws_secret_access_key": AWS_SECRET_ACCESS_KEY,
        "region_name": AWS_REGION,
    },
}

# --- API (built in cryptovault/settings_api.py) ---------------------------------
REST_FRAMEWORK = settings_api.REST_FRAMEWORK
SIMPLE_JWT = settings_api.simple_jwt(signing_key=JWT_SIGNING_KEY)
SPECTACULAR_SETTINGS = settings_api.spectacular(version=API_VERSION)

# --- Logging: JSON lines in production, readable text in DEBUG -----------------
LOGGING = settings_logging.logging_config(debug=DEBUG, level=LOG_LEVEL)
