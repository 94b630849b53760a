"""One settings module for every environment, driven by environment variables only.

With no environment set this is the embedded demo: SQLite under ``var/``, Celery tasks run
eagerly in-process, DEBUG on. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and
Redis; production additionally sets ``DJANGO_DEBUG=0`` and ``DJANGO_SECRET_KEY``.
See docs/deploy.md for every variable.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DATABASE_URL = env.str("DATABASE_URL", default="")
REDIS_URL = env.str("REDIS_URL", default="")

# CORE
DEBUG = env.bool("DJANGO_DEBUG", default=not DATABASE_URL)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (see docs/deploy.md)."
        )
    SECRET_KEY = "django-insecure-embedded-demo-key-never-use-in-production"

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# The demo loads demo users; production never does (trial.management.commands.demo_setup).
EDC_DEMO = env.bool("EDC_DEMO", default=DEBUG and not DATABASE_URL)

# The instance's default trial: where a user without a choice of trial starts, and what a
# management command uses without --protocol. Every discovered protocol runs; read only
# through trial.context (the active trial).
EDC_PROTOCOL = env.str("EDC_PROTOCOL", default="snrb_peld")
# The dashboard reads a summary that a beat job refreshes every EDC_DASHBOARD_REFRESH_SECONDS;
# a request that finds it older than EDC_DASHBOARD_MAX_AGE_SECONDS recomputes it itself.
EDC_DASHBOARD_REFRESH_SECONDS = env.int("EDC_DASHBOARD_REFRESH_SECONDS", default=60)
EDC_DASHBOARD_MAX_AGE_SECONDS = env.int(
    "EDC_DASHBOARD_MAX_AGE_SECONDS", default=2 * EDC_DASHBOARD_REFRESH_SECONDS
)

# The REDCap-compatible API (api/): calls per token per minute, participants per page.
EDC_API_RATE_LIMIT = env.int("EDC_API_RATE_LIMIT", default=600)
EDC_API_PAGE_SIZE = env.int("EDC_API_PAGE_SIZE", default=500)

# ePRO (docs/epro.md): failed token or identity attempts per client address and window.
EPRO_FAILURE_LIMIT = env.int("EPRO_FAILURE_LIMIT", default=10)
EPRO_FAILURE_WINDOW_SECONDS = env.int("EPRO_FAILURE_WINDOW_SECONDS", default=15 * 60)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "template_partials",
    "axes",
    "accounts",
    "trial",
    "analysis",
    "api",
    "imports",
    "validation",
    "epro",
    "rehab_ldh",  # the second trial (its protocol, forms, plan and demo)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.NoStoreMiddleware",  # after WhiteNoise: static files stay cacheable
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",  # the saved language beats the cookie
    "accounts.middleware.SiteTimeZoneMiddleware",  # times in the user's site's zone
    "trial.context.ActiveTrialMiddleware",  # request.protocol: the active trial
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.RejectNulMiddleware",  # before any view reads a parameter
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# DATABASE
DATABASES = {
    "default": env.db_url_config(DATABASE_URL)
    if DATABASE_URL
    else {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "db.sqlite3"}
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's runserver answers each request in its own thread with its own connection.
    # Writers take the lock when their transaction starts (IMMEDIATE) and wait up to
    # ``timeout`` seconds for it, so two nurses saving at once are serialised instead of one
    # getting "database is locked" (a deferred transaction cannot wait to upgrade to a write).
    # WAL lets pages read while a save writes; synchronous=NORMAL syncs at checkpoints, not
    # at every commit (a crash loses no committed data, a power cut at most the last ones).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        **DATABASES["default"].get("OPTIONS", {}),
    }
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# CACHE
if REDIS_URL:
    # The cache is an optimisation: if Redis is down it misses instead of failing the page.
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# CELERY
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=15 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=20 * 60)
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# An unacknowledged job of a worker that died whole (host lost, SIGKILL) is redelivered after
# the visibility timeout; keep it above the hard time limit so a live job is never doubled.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 3,
    "socket_timeout": 5,
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 10 * 60,
}
CELERY_TIMEZONE = env.str("EDC_TIME_ZONE", default="UTC")
CELERY_BEAT_SCHEDULE = {
    "edit-checks-nightly": {
        "task": "trial.tasks.edit_checks_run_all_task",
        "schedule": crontab(hour=env.int("EDC_EDIT_CHECK_HOUR", default=2), minute=0),
    },
    "dashboard-summary": {
        "task": "trial.tasks.dashboard_summary_refresh_task",
        "schedule": float(EDC_DASHBOARD_REFRESH_SECONDS),
    },
    "jobs-fail-stale": {
        "task": "analysis.tasks.jobs_fail_stale_task",
        "schedule": timedelta(minutes=5),
    },
}
# E-MAIL (ePRO invitations and reminders, epro/): SMTP when EMAIL_HOST is set, else every
# mail is printed on the console (the demo). EDC_EPRO_REMINDER_HOURS before an invitation
# expires, its participant gets one reminder (beat job every EDC_EPRO_REMINDER_EVERY_MINUTES).
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="trial-edc@localhost")
EDC_EPRO_REMINDER_HOURS = env.int("EDC_EPRO_REMINDER_HOURS", default=48)
EDC_EPRO_REMINDER_EVERY_MINUTES = env.int("EDC_EPRO_REMINDER_EVERY_MINUTES", default=15)
CELERY_BEAT_SCHEDULE["epro-reminders"] = {
    "task": "epro.tasks.invitation_reminders_task",
    "schedule": timedelta(minutes=EDC_EPRO_REMINDER_EVERY_MINUTES),
}
# JOBS (report runs, dataset releases): see docs/resilience.md.
# A job killed with its worker process is retried this many times in all, then failed.
EDC_JOB_MAX_ATTEMPTS = env.int("EDC_JOB_MAX_ATTEMPTS", default=2)
# No healthy job runs past the hard time limit: one "running" longer than this is dead.
EDC_JOB_STALE_MINUTES = env.int("EDC_JOB_STALE_MINUTES", default=CELERY_TASK_TIME_LIMIT // 60 + 5)
# A job no worker has started after this long is failed (its message was lost).
EDC_JOB_QUEUED_STALE_MINUTES = env.int("EDC_JOB_QUEUED_STALE_MINUTES", default=60)
# Test hook, off unless set: jobs pause at named checkpoints (analysis.jobs.job_checkpoint).
EDC_JOB_CHECKPOINT_DIR = env.str("EDC_JOB_CHECKPOINT_DIR", default="")

# AUTHENTICATION
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Lockout after repeated failed logins (django-axes), per username AND address together
# (docs/security.md): failures from one address lock that username out from that address
# only, so nobody can lock ``admin`` out from afar, and a ward behind one NAT address is
# not locked out as a whole by one person's typos. E-signature passwords count too
# (accounts.lockout.password_reconfirm).
AXES_FAILURE_LIMIT = env.int("EDC_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("EDC_LOGIN_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The client's address: REMOTE_ADDR, or X-Forwarded-For behind EDC_PROXY_HOPS trusted proxies.
EDC_PROXY_HOPS = env.int("EDC_PROXY_HOPS", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False

# CONTENT SECURITY POLICY (django-csp; docs/security.md): only this origin's files run or
# style the pages. Inline <script> needs the per-request nonce (request.csp_nonce); inline
# event handlers and style attributes are refused. Bootstrap draws its icons as data: SVG.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# SESSIONS AND SECURITY
# Idle sessions expire: every request renews the cookie, silence ends it.
SESSION_COOKIE_AGE = env.int("EDC_SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Served over HTTPS behind a proxy unless told otherwise (EDC_HTTPS=0 for a plain-HTTP test server).
EDC_HTTPS = env.bool("EDC_HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = EDC_HTTPS
CSRF_COOKIE_SECURE = EDC_HTTPS
SECURE_SSL_REDIRECT = EDC_HTTPS and env.bool("EDC_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("EDC_HSTS_SECONDS", default=31_536_000) if EDC_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = EDC_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# INTERNATIONALIZATION
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Date and time formats per language (config/formats/<lang>/formats.py): ISO 8601 dates in
# both languages, entered as text (not the browser's date picker, whose format follows the
# browser's locale rather than the user's language).
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.str("EDC_TIME_ZONE", default="UTC")

# STATIC AND MEDIA FILES
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("EDC_MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# FORMS
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("EDC_LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
