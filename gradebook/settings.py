"""One settings module, driven by environment variables with embedded defaults.

With no environment at all the project runs on a laptop: SQLite, Celery's filesystem
transport (no broker server), local media, local-memory cache. The same code runs at scale by
setting DATABASE_URL (PostgreSQL), CELERY_BROKER_URL / CACHE_URL (Redis) and MEDIA_ROOT (a
shared volume). Helpers fail loudly on malformed values instead of silently using a default.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


# --- Core -----------------------------------------------------------------------------------

PRODUCTION = env_bool("PRODUCTION", False)
# Debug pages show settings and source to anyone who can trigger an error: only when asked for
# (``make run`` asks), never by forgetting a variable.
DEBUG = env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG=1 shows settings and source code: not with PRODUCTION=1.")
_DEFAULT_SECRET_KEY = "dev-insecure-secret-key-change-me"  # noqa: S105 - refused in production
SECRET_KEY = env_str("SECRET_KEY", _DEFAULT_SECRET_KEY)
if PRODUCTION and SECRET_KEY == _DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured(
        "PRODUCTION=1 but SECRET_KEY is the embedded development default: set SECRET_KEY."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files: no CDN
    "axes",
    "csp",
    "gradebook.accounts",
    "gradebook.courses",
    "gradebook.quizzes",
    "gradebook.progress",
    "gradebook.grades",
    "gradebook.discussion",
    "gradebook.ui",
    "exercises",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as its docs ask: it turns a lockout flagged during authentication into the reply.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gradebook.urls"
WSGI_APPLICATION = "gradebook.wsgi.application"

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
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, but its per-request health check polls the socket instead of sending
    # SELECT 1 (gradebook/db/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "gradebook.db.postgresql"
    # The answer hot path's hand-written statements are prepared once per connection
    # (gradebook.hotpath.hot_cursor); the ORM keeps Django's client-side binding, which never
    # prepares. Turn this off behind a pooler that cannot carry prepared statements
    # (PgBouncer in transaction mode before 1.21, or without max_prepared_statements).
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = (
        0 if env_bool("DB_PREPARED_STATEMENTS", True) else None
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web process and an embedded worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttling, interpret results) --------------------------------------------------

CACHE_URL = env_str("CACHE_URL", "locmem://")
if CACHE_URL.startswith("redis://") or CACHE_URL.startswith("rediss://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # An unreachable cache must cost an answer a second at most, not a hung worker:
            # the throttle then lets the request through (gradebook/throttling.py).
            "OPTIONS": {
                "socket_connect_timeout": env_float("CACHE_TIMEOUT_S", 1.0),
                "socket_timeout": env_float("CACHE_TIMEOUT_S", 1.0),
            },
        }
    }
elif CACHE_URL.startswith("locmem://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(f"CACHE_URL={CACHE_URL!r}: use redis://host:port/db or locmem://")

# --- Auth, i18n, static, media ----------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # ``student3student3`` passes the similarity check above (0.67 < 0.7): this one catches it.
    {"NAME": "gradebook.accounts.passwords.NotBuiltFromUsernameValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out username+address before the password is even checked.
    "gradebook.accounts.security.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login protection (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username
# from one address, that pair is refused for LOGIN_COOLOFF_MINUTES, on the login page, the
# admin and /api/auth/token/ alike. Counting the pair (not the address alone) keeps a class
# behind one school NAT from locking itself out; a success resets the count.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_float("LOGIN_COOLOFF_MINUTES", 15.0) / 60  # hours, as axes counts
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # its start-up banner would open every manage.py command's output
AXES_LOCKOUT_CALLABLE = "gradebook.accounts.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "gradebook.accounts.security.client_ip"
# Proxies in front of the app that append to X-Forwarded-For (0: use the socket's address).
NUM_PROXIES = env_int("NUM_PROXIES", 0)
# API tokens expire this long after they were issued; logging out or changing the password
# deletes them at once (gradebook/accounts/security.py).
API_TOKEN_TTL_S = env_int("API_TOKEN_TTL_S", 24 * 3600)
# Sessions: a school day, not Django's two weeks.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "한국어")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024

# Without DEBUG, WhiteNoise serves only collected files; on a laptop it finds them in place.
WHITENOISE_USE_FINDERS = not PRODUCTION

SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts and stylesheets only from this site or carrying
# the page's nonce; no plugins, no framing, forms post only here. Inline style *attributes*
# (progress bar widths) are the one allowance: they cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Generated outputs (images, filmstrips, texts) --------------------------------------------

# They are served only through ``exercises.views.output_file``, which applies the attempt's
# access rule. How the bytes leave: "django" streams them (the embedded default), "nginx"
# answers with X-Accel-Redirect to MEDIA_INTERNAL_URL (an ``internal`` location aliased to
# MEDIA_ROOT), "apache" with X-Sendfile (mod_xsendfile). MEDIA_ROOT itself is never public.
MEDIA_SERVE = env_str("MEDIA_SERVE", "django")
if MEDIA_SERVE not in {"django", "nginx", "apache"}:
    raise ImproperlyConfigured(f"MEDIA_SERVE={MEDIA_SERVE!r}: use django, nginx or apache")
MEDIA_INTERNAL_URL = env_str("MEDIA_INTERNAL_URL", "/protected-media/")

# --- DRF ----------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "gradebook.accounts.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "submit": env_str("THROTTLE_SUBMIT", "60/min"),
        "interpret": env_str("THROTTLE_INTERPRET", "240/min"),
    },
    "EXCEPTION_HANDLER": "gradebook.api_errors.exception_handler",
    "NUM_PROXIES": NUM_PROXIES or None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Gradebook API",
    "DESCRIPTION": (
        "Quizzes, exercises and grading for courses on how AI generates text and images."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/ must work offline: Swagger UI's files come from drf-spectacular-sidecar.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # /api/schema/ and /api/docs/ need a login, and each reader sees only the operations
    # their role may call (gradebook/api_schema.py).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# --- Celery -----------------------------------------------------------------------------------

BROKER_DIR = Path(env_str("BROKER_DIR", str(VAR_DIR / "broker")))
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("queue", "processed", "control"):
        (BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # kombu keeps its exchange tables in ./control unless told: keep them with the queue.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # kombu polls the folder (default every 1 s): 0.1 s keeps the queue's share of a
        # short generation job small at the cost of a cheap listdir ten times a second.
        "polling_interval": env_float("BROKER_POLLING_INTERVAL", 0.1),
    }
else:
    # The visibility timeout must exceed the hard time limit, or long jobs run twice
    # (celery#5935): docs/deploy.md, "Upgrading without losing queued jobs".
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "exercises.tasks.run_generation_job": {"queue": "gpu"},
    "exercises.tasks.run_rerun": {"queue": "gpu"},
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Generation workers load their models in worker_process_init (seconds, more on a busy host);
# billiard's default of 4 s kills such a child before it reports up, in a loop.
CELERY_WORKER_PROC_ALIVE_TIMEOUT = env_float("CELERY_WORKER_PROC_ALIVE_TIMEOUT", 180.0)

# --- Benchmarks ----------------------------------------------------------------------------------

# The benchmark app (gradebook/bench/: the bare one-row endpoint scripts/load_submit.py
# compares submit with, and its table) is installed only when asked for, never in production.
BENCH = env_bool("BENCH", False)
if PRODUCTION and BENCH:
    raise ImproperlyConfigured("BENCH=1 is for load tests only, not PRODUCTION=1.")
if BENCH:
    INSTALLED_APPS += ["gradebook.bench"]

# --- Grading and generation ---------------------------------------------------------------------

# graders/ reads these from the environment itself (it never imports Django); reading them
# here too makes a malformed value stop the process at start-up, not fail the first answer.
GRADER_TIME_BUDGET_S = env_float("GRADER_TIME_BUDGET_S", 1.0)
GRADER_POOL_SIZE = env_int("GRADER_POOL_SIZE", 2)
GRADER_MEMORY_MB = env_int("GRADER_MEMORY_MB", 1024)
for _name, _value in (
    ("GRADER_TIME_BUDGET_S", GRADER_TIME_BUDGET_S),
    ("GRADER_POOL_SIZE", GRADER_POOL_SIZE),
    ("GRADER_MEMORY_MB", GRADER_MEMORY_MB),
):
    if not math.isfinite(_value) or _value <= 0:
        raise ImproperlyConfigured(f"{_name}={_value!r} must be a finite number greater than 0")
# The grader processes would quietly raise a smaller limit to this (graders.pool): say so.
if GRADER_MEMORY_MB < 256:
    raise ImproperlyConfigured(
        f"GRADER_MEMORY_MB={GRADER_MEMORY_MB} is too small: a grader process needs at least 256"
    )
MODELS_DIR = Path(env_str("MODELS_DIR", str(VAR_DIR / "models")))
TEXT_MODEL = env_str("TEXT_MODEL", str(MODELS_DIR / "smollm2-135m-instruct"))
IMAGE_MODEL = env_str("IMAGE_MODEL", str(MODELS_DIR / "drawn-world-sd"))
# Jobs queued or running: per student, per course and on the whole server. A submit over a cap
# is refused (429 for the student's own, 503 for the course's or server's) with Retry-After.
GENERATION_MAX_WAITING_JOBS = env_int("GENERATION_MAX_WAITING_JOBS", 4)
GENERATION_MAX_QUEUED_PER_COURSE = env_int("GENERATION_MAX_QUEUED_PER_COURSE", 60)
GENERATION_MAX_QUEUED_JOBS = env_int("GENERATION_MAX_QUEUED_JOBS", 200)
GENERATION_BATCH_SIZE = env_int("GENERATION_BATCH_SIZE", 8)
# "auto": CUDA fp16, else CPU bf16 where the CPU has it, else fp32 (exercises/runners/device.py).
GENERATION_DEVICE = env_str("GENERATION_DEVICE", "auto")
GENERATION_DTYPE = env_str("GENERATION_DTYPE", "auto")
# Threads per worker child for torch on CPU; 0 keeps torch's default (all cores). On a shared
# or oversubscribed host fewer threads are faster (measured 5x: docs/benchmarks.md).
GENERATION_TORCH_THREADS = env_int("GENERATION_TORCH_THREADS", 0)
GENERATION_MAX_ATTEMPTS = env_int("GENERATION_MAX_ATTEMPTS", 3)
# A running job writes a heartbeat this often; the sweeper re-queues one whose heartbeat is
# older than GENERATION_STALE_AFTER_S (its worker died) and republishes queued jobs nobody
# picked up for GENERATION_REQUEUE_AFTER_S (the publish failed or the broker lost it).
GENERATION_HEARTBEAT_S = env_float("GENERATION_HEARTBEAT_S", 5.0)
GENERATION_STALE_AFTER_S = env_float("GENERATION_STALE_AFTER_S", 60.0)
GENERATION_REQUEUE_AFTER_S = env_float("GENERATION_REQUEUE_AFTER_S", 120.0)
GENERATION_SWEEP_INTERVAL_S = env_float("GENERATION_SWEEP_INTERVAL_S", 15.0)
GENERATION_SOFT_TIME_LIMIT_S = env_int("GENERATION_SOFT_TIME_LIMIT_S", 600)
GENERATION_TIME_LIMIT_S = env_int("GENERATION_TIME_LIMIT_S", 660)
if not GENERATION_SOFT_TIME_LIMIT_S < GENERATION_TIME_LIMIT_S:
    raise ImproperlyConfigured("GENERATION_SOFT_TIME_LIMIT_S must be below GENERATION_TIME_LIMIT_S")
if (
    "visibility_timeout" in CELERY_BROKER_TRANSPORT_OPTIONS
    and int(
        CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]  # type: ignore[call-overload]
    )
    <= GENERATION_TIME_LIMIT_S
):
    # Otherwise Redis redelivers a job that is still running (celery#5935).
    raise ImproperlyConfigured("GENERATION_TIME_LIMIT_S must be below CELERY_VISIBILITY_TIMEOUT")
CELERY_TASK_ANNOTATIONS = {
    "exercises.tasks.run_generation_job": {
        "soft_time_limit": GENERATION_SOFT_TIME_LIMIT_S,
        "time_limit": GENERATION_TIME_LIMIT_S,
    }
}
# Where the periodic sweeper runs when a beat process is used (``celery -A gradebook beat``);
# ``manage.py runall`` runs the same sweep in a loop instead.
CELERY_BEAT_SCHEDULE = {
    "sweep-generation-jobs": {
        "task": "exercises.tasks.sweep_generation_jobs",
        "schedule": GENERATION_SWEEP_INTERVAL_S,
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}


# --- Behind a TLS proxy (docs/deploy.md) --------------------------------------------------------
# nginx terminates TLS and says so in X-Forwarded-Proto (deploy/nginx.conf sets it on every
# request); only then may Django believe the header. LTI needs it: its launch URL must be
# https:// and its cookies Secure.
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- LTI 1.3 (gradebook.lti, docs/lti.md) -------------------------------------------------------
# Everything the LTI tool adds to the settings is in this block. django-lti's ``lti_tool`` app
# holds registrations, deployments and keys; ``gradebook.lti`` is ours.
INSTALLED_APPS += ["lti_tool", "gradebook.lti"]
# First, so it sees the response last: during an LTI session it replaces X-Frame-Options and
# CSP frame-ancestors with the launching platform's origins (gradebook/lti/middleware.py).
MIDDLEWARE.insert(0, "gradebook.lti.middleware.LtiFrameMiddleware")
# Pages inside an LMS's iframe are a cross-site context: browsers send the session and CSRF
# cookies there only when they are SameSite=None, and accept SameSite=None only with Secure.
# On by default under HTTPS (secure cookies); LTI_IFRAME_COOKIES=0 keeps SameSite=Lax (the tool
# then works only when the LMS opens it in a new window).
LTI_IFRAME_COOKIES = env_bool("LTI_IFRAME_COOKIES", SESSION_COOKIE_SECURE)
if LTI_IFRAME_COOKIES:
    if not (SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE):
        raise ImproperlyConfigured(
            "LTI_IFRAME_COOKIES=1 needs secure cookies (HTTPS and PRODUCTION=1): browsers "
            "refuse SameSite=None cookies without Secure."
        )
    SESSION_COOKIE_SAMESITE = "None"
    CSRF_COOKIE_SAMESITE = "None"
# Every request to a platform (key sets, tokens, scores, rosters) gives up after this long.
LTI_HTTP_TIMEOUT_S = env_float("LTI_HTTP_TIMEOUT_S", 10.0)
# A platform's public keys are cached this long (fetched again at once for an unknown key id).
LTI_KEYSET_CACHE_S = env_int("LTI_KEYSET_CACHE_S", 300)
# Each process keeps the set of placed items this long (a new placement reaches other processes
# within it; the sweeper sends anything missed meanwhile).
LTI_PLACEMENT_CACHE_S = env_float("LTI_PLACEMENT_CACHE_S", 30.0)
# Score sends: the sweeper resends a score still unsent this long after it changed, waiting at
# most LTI_RETRY_MAX_S between tries of one score.
LTI_RESEND_AFTER_S = env_int("LTI_RESEND_AFTER_S", 300)
LTI_RETRY_MAX_S = env_int("LTI_RETRY_MAX_S", 3600)
LTI_SWEEP_INTERVAL_S = env_float("LTI_SWEEP_INTERVAL_S", 60.0)
# The sweeper looks again at this much of what it saw last time (transactions that committed
# late), and this far back on its first run.
LTI_SWEEP_OVERLAP_S = env_int("LTI_SWEEP_OVERLAP_S", 120)
LTI_SWEEP_FIRST_LOOKBACK_S = env_int("LTI_SWEEP_FIRST_LOOKBACK_S", 86400)
CELERY_BEAT_SCHEDULE["lti-sweep"] = {"task": "lti.sweep", "schedule": LTI_SWEEP_INTERVAL_S}
