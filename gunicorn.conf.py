"""Gunicorn settings, read from the environment so one image serves every deployment."""

import os

from directory_site.request_logging import JSON_FORMATTER

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# gthread workers: a slow client ties up one thread, not a whole worker.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "0"))
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
errorlog = "-"
access_log = os.environ.get("GUNICORN_ACCESS_LOG", "false").lower() in {"1", "true", "yes"}
accesslog = "-" if access_log else None
if os.environ.get("LOG_FORMAT", "json") == "json":
    # Gunicorn's own lines (start, worker boot and exit) as JSON on stdout, like the app's. The app logs
    # every request itself, with more fields, so gunicorn's access log stays off unless asked for.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": JSON_FORMATTER},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}
        },
        "root": {"handlers": ["console"], "level": loglevel.upper()},
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False},
            "gunicorn.access": {"handlers": ["console"] if access_log else [], "propagate": False},
        },
    }
# The control socket needs a writable home directory, which the image's user has not; signals do its work.
control_socket_disable = True
wsgi_app = "directory_site.wsgi:application"
# Each worker listens on a TCP socket of its own (SO_REUSEPORT), and the kernel spreads new connections over
# them. On one shared socket, whichever worker is awake when a burst of connections arrives accepts them all,
# and keeps them while they are kept alive, leaving the other workers idle. Not for a Unix socket: its path is
# bound once, and each worker would remove the one before it.
tcp_bind = not bind.startswith(("unix:", "fd://"))
reuse_port = tcp_bind and os.environ.get("GUNICORN_REUSE_PORT", "true").lower() in {"1", "true", "yes"}
# Load the app once in the master and fork the workers from it: they start at once and share its memory.
# A new release is a new container (or a restart), never a HUP reload of the code.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() in {"1", "true", "yes"}
