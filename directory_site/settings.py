"""Settings for the Employee Directory.

One module for every environment: everything that differs between a laptop and production is read from
environment variables (documented in .env.example). Production is the default; development is opted into
with DEBUG=true.
"""

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
    "crispy_forms",
    "crispy_bootstrap4",
    "django_filters",
    "axes",
    "csp",
    "simple_history",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "phonenumber_field",
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
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
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
                "employees.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite in the project folder unless DATABASE_URL says otherwise.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache, sessions and counts: the list page reads its session and its facet counts from the cache, so a page
# costs few SQL queries. The default file cache, in the project folder (not a world-writable temporary folder:
# the cache holds pickles), is shared by every process of one machine, so a logout is seen by all gunicorn
# workers; use redis:// or memcached when several machines serve the site.
CACHES = {
    "default": env.cache("CACHE_URL", default=f"filecache://{BASE_DIR / 'var' / 'cache'}"),
    # Parts of base.html (links, navigation), in each process's memory: their keys name all they show, so
    # they are never stale and need not be shared, and a release, which restarts the processes, empties it.
    # Not kept in development, where base.html is edited without a restart.
    "fragments": {
        "BACKEND": "django.core.cache.backends.dummy.DummyCache"
        if DEBUG
        else "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments",
    },
    # Whole list pages as each reader saw them (employees.views.KeptPageMixin), kept like the fragments and
    # for the same reasons. About 50 kB each, so at most 5 MB per process: MAX_ENTRIES pages (the least
    # recently read go first), each for at most TIMEOUT seconds.
    "pages": {
        "BACKEND": "django.core.cache.backends.dummy.DummyCache"
        if DEBUG
        else "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "TIMEOUT": 300,
        "OPTIONS": {"MAX_ENTRIES": 100},
    },
}
SESSION_ENGINE = "directory_site.sessions"
# Seconds the per-location, per-title and per-badge counts of a search are kept. Any change to an employee
# or a badge makes them stale at once, so this only bounds how long unused entries stay.
FACETS_CACHE_SECONDS = env.int("FACETS_CACHE_SECONDS", default=300)
# The list page ranks and counts at most this many matches of a search and its filters, the first the
# database finds, and says so when more match: a broad search ("ana") costs what a narrow one does.
SEARCH_MATCH_LIMIT = env.int("SEARCH_MATCH_LIMIT", default=1000)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes checks for a lockout before any other backend runs; then Django's permission checks, reading a
# user's own and group permissions in one query instead of two.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "employees.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "employees:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
# Phone numbers typed without a country code are read as numbers of this region (ISO 3166 code, e.g. "GB");
# unset, a number must start with + and its country code. All are stored in E.164 form.
PHONENUMBER_DEFAULT_REGION = env.str("PHONE_REGION", default=None)
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Uploaded files (employee photos). A local folder, served by the site itself to signed-in users only; or an
# S3-compatible bucket through django-storages when AWS_STORAGE_BUCKET_NAME is set (needs `pip install boto3`;
# credentials come from the standard AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY variables).
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

# REST API (employees/api.py): the same rules as the pages. Signed-in users read; writes need the model
# permission. Integrations send "Authorization: Token <key>" (tokens are managed in the admin); the browser
# uses its session. Token comes first so that an anonymous request gets 401 with a WWW-Authenticate header.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.DjangoModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=25),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
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
}
# Import in the admin (employees/resources.py): a dry run first, then every row in one transaction.
IMPORT_EXPORT_USE_TRANSACTIONS = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap4"
CRISPY_TEMPLATE_PACK = "bootstrap4"

# Security. The defaults are the production values; development relaxes only what plain HTTP needs.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Where the HTTPS redirect points when HTTPS is on another host or port than HTTP; default: the same host.
SECURE_SSL_HOST = env.str("SECURE_SSL_HOST", default=None)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    # Only behind a load balancer that sets X-Forwarded-Proto itself and strips it from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Cross-Origin-Resource-Policy, set by directory_site.middleware on every response, static files included.
SECURE_CROSS_ORIGIN_RESOURCE_POLICY = env.str("SECURE_CROSS_ORIGIN_RESOURCE_POLICY", default="same-origin")

# Content-Security-Policy (django-csp). Scripts, styles, fonts and images load only from this site: no CDN,
# no inline <script> or style="" attributes, no eval. New JavaScript and CSS go in static/ files, which 'self'
# already allows. A page that cannot avoid an inline script gives it the per-request nonce:
# <script nonce="{{ request.csp_nonce }}">; the header carries the nonce only on responses that use it.
# A page that truly needs another origin adds it with CSP_EXTRA_SCRIPT_SRC / CSP_EXTRA_STYLE_SRC /
# CSP_EXTRA_IMG_SRC / CSP_EXTRA_CONNECT_SRC (comma-separated), or with csp.decorators.csp_update on the view.
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

# Login protection (django-axes): after AXES_FAILURE_LIMIT failed sign-ins for one user name from one address,
# that pair is locked out for AXES_COOLOFF_MINUTES and gets the 429 page registration/locked_out.html.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# No "AXES: BEGIN" line at every start of every process; failures and lockouts are still logged.
AXES_VERBOSE = False
# The client address (directory_site.proxies.client_ip). Directly on the internet: REMOTE_ADDR, the default.
# Behind N proxies that each append to X-Forwarded-For, set TRUSTED_PROXY_COUNT=N: the N-th address from the
# right is the client's. Never set it without proxies in front, or any client could claim any address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "directory_site.proxies.client_ip"

# Seconds a client is asked to wait (Retry-After) when the database is unreachable and a page answers 503.
DATABASE_UNAVAILABLE_RETRY_AFTER = env.int("DATABASE_UNAVAILABLE_RETRY_AFTER", default=5)

# Logging: everything to stdout. LOG_FORMAT=json (the default with DEBUG off) writes one JSON object per
# line, with the request id on every line and the traceback of an error in its own field.
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
