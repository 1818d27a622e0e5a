"""Settings for every environment, read from environment variables (see .env.example); DEBUG=true for
development."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from directory_site.request_logging import JSON_FORMATTER

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=true for local development."
        )
    SECRET_KEY = "insecure-development-key-never-used-with-debug-off"  # noqa: S105 (DEBUG only)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap4",
    "django_filters",
    "axes",
    "csp",
    "simple_history",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "phonenumber_field",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "employees",
    # Last, as its documentation asks: deletes a photo's files once replaced or their employee deleted.
    "django_cleanup.apps.CleanupConfig",
]

MIDDLEWARE = [
    # First, so its request line covers everything below it, static files and security redirects included.
    "directory_site.request_logging.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "directory_site.middleware.cross_origin_resource_policy",
    "directory_site.middleware.reject_nul_in_headers",
    "directory_site.replicas.read_your_writes",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of the cookie set_language leaves, else the browser's Accept-Language, else LANGUAGE_CODE.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "directory_site.urls"
# Form widgets' templates from templates/ too (templates/employees/widgets/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "directory_site.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"] |= {
        "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
        "CONN_HEALTH_CHECKS": env.bool("CONN_HEALTH_CHECKS", default=True),
        # Behind PgBouncer in transaction mode an export's server-side cursor would lose its connection.
        "DISABLE_SERVER_SIDE_CURSORS": env.bool("DISABLE_SERVER_SIDE_CURSORS", default=False),
    }
    # Seconds to wait for a connection and for a statement (0: no limit; gunicorn.conf.py sets gunicorn's own
    # timeout for the web requests). Parallel workers would cost the pages' small queries more than they save.
    DATABASE_STATEMENT_TIMEOUT = env.int("DATABASE_STATEMENT_TIMEOUT", default=0)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        connect_timeout=env.int("DATABASE_CONNECT_TIMEOUT", default=5),
        options=f"-c max_parallel_workers_per_gather=0 -c statement_timeout={DATABASE_STATEMENT_TIMEOUT}s",
    )
# Read replicas (PostgreSQL streaming replicas, comma-separated URLs), with the primary's settings: reads go
# to them, writes and a person's reads for REPLICA_PIN_SECONDS after their own write to the primary; one that
# does not answer is left out for REPLICA_RETRY_SECONDS (directory_site/replicas.py). Tests read the primary.
DATABASE_REPLICAS = []
for number, url in enumerate(env.list("DATABASE_REPLICA_URLS", default=[]), start=1):
    replica = env.db_url_config(url)
    options = DATABASES["default"].get("OPTIONS", {}) | replica.pop("OPTIONS", {})
    DATABASES[f"replica{number}"] = DATABASES["default"] | replica | {"OPTIONS": options}
    DATABASES[f"replica{number}"]["TEST"] = {"MIRROR": "default"}
    DATABASE_REPLICAS.append(f"replica{number}")
DATABASE_ROUTERS = ["directory_site.replicas.ReplicaRouter"]
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=15)
REPLICA_RETRY_SECONDS = env.int("REPLICA_RETRY_SECONDS", default=10)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The one cache. The default file cache is in the project folder, not a world-writable one: it holds pickles.
CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{BASE_DIR / 'var' / 'cache'}")}
# Sessions live in the database, read through the cache only when it is Redis, which every instance shares: a
# cache of one machine, such as the default file cache, would keep a session another instance signed out.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
if CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache":
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    # A Redis that is down or frozen is a cache miss within CACHE_SOCKET_TIMEOUT seconds, never a 500, and
    # /readyz says the cache is degraded.
    CACHE_SOCKET_TIMEOUT = env.float("CACHE_SOCKET_TIMEOUT", default=0.5)
    CACHES["default"].setdefault("OPTIONS", {}).update(
        IGNORE_EXCEPTIONS=True,
        SOCKET_CONNECT_TIMEOUT=CACHE_SOCKET_TIMEOUT,
        SOCKET_TIMEOUT=CACHE_SOCKET_TIMEOUT,
    )
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
# A broad search costs what a narrow one does: the list page reads at most this many people.
SEARCH_MATCH_LIMIT = env.int("SEARCH_MATCH_LIMIT", default=1000)

# Background jobs (exports, imports; docs/DEPLOYMENT.md#background-jobs): queued in a table of this database,
# run by `manage.py db_worker`. With TASKS_EAGER (default: DEBUG) a job runs at once, in the request.
TASKS_EAGER = env.bool("TASKS_EAGER", default=DEBUG)
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if TASKS_EAGER
        else "django_tasks_db.DatabaseBackend"
    }
}
# Jobs a user may have queued or running at once; hours a finished job and its file are kept; seconds without
# progress after which a running job counts as stalled (its worker stopped) and may be retried.
JOBS_PER_USER = env.int("JOBS_PER_USER", default=3)
JOBS_KEPT_HOURS = env.int("JOBS_KEPT_HOURS", default=24)
JOBS_STALLED_AFTER = env.int("JOBS_STALLED_AFTER", default=300)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Who signs in with a password: "everyone", or "superusers" only, the way in when the provider is down.
LOCAL_LOGIN = env.str("LOCAL_LOGIN", default="everyone")
PASSWORD_BACKENDS = {
    "everyone": "django.contrib.auth.backends.ModelBackend",
    "superusers": "accounts.backends.SuperuserPasswordBackend",
}
if LOCAL_LOGIN not in PASSWORD_BACKENDS:
    raise ImproperlyConfigured(f"LOCAL_LOGIN is {LOCAL_LOGIN!r}: it must be everyone or superusers.")
# django-axes checks for a lockout before Django's own backend signs anyone in.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", PASSWORD_BACKENDS[LOCAL_LOGIN]]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "employees:list"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on with an OpenID Connect provider (docs/IDENTITY.md), through mozilla-django-oidc: off while
# OIDC_ISSUER_URL is empty. The provider's discovery document is read at the first sign-in with it.
OIDC_ISSUER_URL = env.str("OIDC_ISSUER_URL", default="")
OIDC_RP_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_RP_SCOPES = env.str("OIDC_SCOPES", default="openid email profile")
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="your company account")
OIDC_EDITOR_GROUPS = env.list("OIDC_EDITOR_GROUPS", default=[])
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups")
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_USE_PKCE = True
# Seconds to wait for each answer of the provider.
OIDC_TIMEOUT = 5
if OIDC_ISSUER_URL:
    if not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
        raise ImproperlyConfigured("OIDC_ISSUER_URL is set: set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET too.")
    AUTHENTICATION_BACKENDS.append("accounts.backends.ProviderBackend")

# Every page, form, message and email in these languages (catalogues in locale/, refreshed by `make
# messages`), dates and numbers in the reader's; the URLs are the same in all of them.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish"),
    ("fr", "French"),
    ("de", "German"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
# The region (e.g. "GB") of a phone number typed without + and its country code; unset, none is accepted.
PHONENUMBER_DEFAULT_REGION = env.str("PHONE_REGION", default=None)

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default="") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Photos: a local folder the site serves to signed-in users, or an S3 bucket (needs `pip install boto3`).
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default="") or BASE_DIR / "media")
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
    AWS_S3_CUSTOM_DOMAIN = env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None
    AWS_QUERYSTRING_AUTH = env.bool("AWS_QUERYSTRING_AUTH", default=True)
    AWS_S3_FILE_OVERWRITE = False
    AWS_S3_OBJECT_PARAMETERS = {"CacheControl": "private, max-age=86400"}
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=not AWS_STORAGE_BUCKET_NAME)

# Token first, so that an anonymous request gets 401 with a WWW-Authenticate header.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.DjangoModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=25),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # The API reads JSON only: a form post cannot say null, nor a list of one.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # A write that would repeat what must be unique is 409 Conflict, not 400 (employees/api.py).
    "EXCEPTION_HANDLER": "employees.api.exception_handler",
}
# An API token lasts until the expiry chosen when it is created in the admin, or until it is deleted.
REST_KNOX = {"TOKEN_TTL": None}
SPECTACULAR_SETTINGS = {
    "TITLE": "Employee Directory API",
    "DESCRIPTION": "Employees and their badges. Sign in, or send `Authorization: Token <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from the drf-spectacular-sidecar package's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # The two privacy settings share one set of choices: one enum in the schema.
    "ENUM_NAME_OVERRIDES": {"VisibilityEnum": "employees.models.Visibility"},
    # What a client sends apart from what it reads (no read-only fields, no blank names), and every error
    # answer each operation can give (employees/api.py).
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "employees.api.document_errors",
    ],
}
CRISPY_TEMPLATE_PACK = "bootstrap4"

# Security. The defaults are the production values; development relaxes only what plain HTTP needs.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_SSL_HOST = env.str("SECURE_SSL_HOST", default=None)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_HTTPONLY = True
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CROSS_ORIGIN_RESOURCE_POLICY = env.str("SECURE_CROSS_ORIGIN_RESOURCE_POLICY", default="same-origin")

# Everything from this site only: no CDN, no inline script or style but one given the request's nonce.
# Bootstrap's CSS draws select arrows and the navbar toggler as data: SVG images, hence data: in img-src.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF, NONCE, *env.list("CSP_EXTRA_SCRIPT_SRC", default=[])],
        "style-src": [SELF, NONCE, *env.list("CSP_EXTRA_STYLE_SRC", default=[])],
        "img-src": [SELF, "data:", *env.list("CSP_EXTRA_IMG_SRC", default=[])],
        "font-src": [SELF],
        "connect-src": [SELF, *env.list("CSP_EXTRA_CONNECT_SRC", default=[])],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# And per address, whatever the user names (directory_site.views.LoginView): one password on many accounts.
SIGN_IN_FAILURES_PER_ADDRESS = env.int("SIGN_IN_FAILURES_PER_ADDRESS", default=30)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# No "AXES: BEGIN" line at every start of every process; failures and lockouts are still logged.
AXES_VERBOSE = False
# X-Forwarded-For only with a proxy count: without proxies in front, any client could claim any address.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=None)
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT is None else ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
)
# Addresses a client put in front of the load balancer's own are skipped, not a reason to distrust the header.
IPWARE_STRICT = False

# Email, for password reset links. Unset, EMAIL_URL is the console backend in development (messages on stdout)
# and none in production, where a reset link in the log would open the account to whoever reads the log: a
# system check (employees/checks.py) says that no email is sent. Reset links expire after
# PASSWORD_RESET_TIMEOUT seconds; sending waits at most EMAIL_TIMEOUT seconds, then fails and is logged.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "dummymail://")
vars().update(EMAIL_CONFIG)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="webmaster@localhost")
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
# Reset requests per hour from one client address (then 429), and reset emails per hour to one email address
# (then the same "sent" page, and no email): no flooding an inbox, no probing many addresses.
PASSWORD_RESETS_PER_ADDRESS = env.int("PASSWORD_RESETS_PER_ADDRESS", default=20)
PASSWORD_RESETS_PER_EMAIL = env.int("PASSWORD_RESETS_PER_EMAIL", default=3)

DATABASE_UNAVAILABLE_RETRY_AFTER = env.int("DATABASE_UNAVAILABLE_RETRY_AFTER", default=5)

LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "directory_site.request_logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": JSON_FORMATTER,
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
