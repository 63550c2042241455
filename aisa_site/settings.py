"""Settings, read from environment variables only (see .env.example).

Safe by default: DEBUG is off unless asked for, and without DEBUG a real SECRET_KEY is
required. The development scripts turn DEBUG on and point the API at the local sandbox.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string in production "
            "(or set DEBUG=1 for local development)."
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is not set; list the host names this site serves.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_q",
    "csp",
    "axes",
    "monitoring",
]
# The API sandbox and its demo seeding are development tools: installed only with DEBUG.
if DEBUG:
    INSTALLED_APPS.append("sandbox")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "aisa_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "monitoring.context_processors.workspace",
            ],
        },
    },
]

WSGI_APPLICATION = "aisa_site.wsgi.application"
ASGI_APPLICATION = "aisa_site.asgi.application"

# --- Database ----------------------------------------------------------------------------
# SQLite by default; DATABASE_URL=postgres://user@host:5432/name for PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE takes the write lock
    # at BEGIN so two writers queue on the busy timeout instead of failing with
    # "database is locked" when a read transaction tries to upgrade.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        ),
    }
    (BASE_DIR / "var").mkdir(exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background jobs (django-q2) ---------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
Q_CLUSTER = {
    "name": "aisa",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    # A tick's live calls start within 45 s and may each take 120 s (pipeline.runner).
    "timeout": 300,
    "retry": 360,  # must exceed timeout, or a slow job is started twice
    "max_attempts": 1,  # the pipeline retries on its own terms; never blindly
    "catch_up": False,
    "save_limit": 500,
    "label": "Background jobs",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 1

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }

# --- The external API --------------------------------------------------------------------
# In development the product talks to the local sandbox (python manage.py aisa_sandbox).
SANDBOX_PORT = int(os.environ.get("SANDBOX_PORT", "8765"))
AISA_BASE_URL = os.environ.get(
    "AISA_BASE_URL",
    f"http://127.0.0.1:{SANDBOX_PORT}/apis/v1/dataforseo"
    if DEBUG
    else "https://api.aisa.one/apis/v1/dataforseo",
).rstrip("/")
AISA_API_KEY = os.environ.get("AISA_API_KEY", "sk-aisa-sandbox" if DEBUG else "")
# "bearer" for the AIsa gateway; "basic" for DataForSEO direct (AISA_API_KEY=login:password).
AISA_AUTH_SCHEME = os.environ.get(
    "AISA_AUTH_SCHEME", "basic" if AISA_BASE_URL.endswith("/v3") else "bearer"
).lower()
AISA_LLM_FAMILY = os.environ.get("AISA_LLM_FAMILY", "claude")
AISA_CONNECT_TIMEOUT = float(os.environ.get("AISA_CONNECT_TIMEOUT", "5"))
AISA_READ_TIMEOUT = float(os.environ.get("AISA_READ_TIMEOUT", "60"))

# --- The task pipeline -------------------------------------------------------------------
# API calls per minute, every call counted (task_post, task_get, tasks_ready, id_list, models,
# live), shared by every worker on every host; AIsa tiers allow 60/600/3000, DataForSEO 2000.
AISA_CALLS_PER_MINUTE = int(os.environ.get("AISA_CALLS_PER_MINUTE", "30"))
# The "minute" of that limit, in seconds; only tests shorten it.
AISA_RATE_WINDOW_SECONDS = float(os.environ.get("AISA_RATE_WINDOW_SECONDS", "60"))
# Hard cap on what all workspaces together may commit per UTC day (USD); empty = no cap.
AISA_DAILY_CAP_USD = os.environ.get("AISA_DAILY_CAP_USD", "5.00")
# How results come back: any of poll, tasks_ready, pingback, postback (poll is the safe default).
AISA_COLLECT_MODES = env_list("AISA_COLLECT_MODES", "poll")
# Standard engines (claude, chat_gpt, gemini) whose tasks are asked with live calls instead
# of task_post, e.g. while that engine's task_post is down; comma-separated, empty = none.
# Perplexity is always asked live (it has no task_post).
AISA_LIVE_FAMILIES = env_list("AISA_LIVE_FAMILIES", "")
# Public base URL of this installation and the secret its webhook URLs carry (pingback/postback).
AISA_WEBHOOK_BASE_URL = os.environ.get("AISA_WEBHOOK_BASE_URL", "").rstrip("/")
AISA_WEBHOOK_SECRET = os.environ.get("AISA_WEBHOOK_SECRET", "")

# --- Auth, i18n, static ------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes), on the login page and the admin's alike. A username is
# locked after AXES_FAILURE_LIMIT wrong passwords from anywhere, and an address after as
# many for any usernames; the lock lifts after the cool-off, or at once when an admin deletes
# the attempts (Admin → Axes → Access attempts) or runs ``manage.py axes_reset``. Behind a
# proxy, set AXES_CLIENT_IP_HEADER to the header it sets (e.g. HTTP_X_FORWARDED_FOR):
# trusting that header without a proxy would let a guesser pick a new address each time.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = [
    *filter(None, [os.environ.get("AXES_CLIENT_IP_HEADER", "")]),
    "REMOTE_ADDR",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))

# --- Security (production) ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured("SECRET_KEY is too short: use at least 50 random characters.")

# --- Content-Security-Policy (django-csp) ------------------------------------------------
# Pages run and style only this site's own files: no inline script, style attribute or
# element, event-handler attribute or eval (htmx is told so in base.html), so markup that
# slips into a page runs nothing. data: images are Pico's inline SVG icons. The pages can
# be framed nowhere (as X_FRAME_OPTIONS says to older browsers) and post only to this site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
