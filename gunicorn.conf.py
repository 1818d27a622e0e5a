"""Gunicorn settings, read from the environment so one image serves every deployment."""

import os

from directory_site.request_logging import JSON_FORMATTER

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# gthread workers: a slow client ties up one thread, not a whole worker. Threads are cheap, and with enough of
# them a short request (a page, /healthz) finds one free while slow ones run, instead of queueing behind them:
# with 10 photo uploads and 16 stalled export readers at once, /healthz waited 1.2 s with 8 threads a worker,
# 0.16 s with 16 (tools/fault_drills.py, drill 3). Each thread keeps a database connection (CONN_MAX_AGE).
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# No database statement of a request outlives the request's worker (directory_site/settings.py).
os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT", str(timeout))
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
# One listening socket, shared by the workers: when a worker dies, the connections queued for it wait for
# another instead of being reset with its socket, and a second gunicorn cannot take the same port unnoticed.
# GUNICORN_REUSE_PORT=true gives each worker a TCP socket of its own (SO_REUSEPORT), which spreads bursts of
# new connections more evenly, at that cost. Never for a Unix socket: each worker would remove the one before.
tcp_bind = not bind.startswith(("unix:", "fd://"))
reuse_port = tcp_bind and os.environ.get("GUNICORN_REUSE_PORT", "false").lower() in {"1", "true", "yes"}
# Load the app once in the master and fork the workers from it: they start at once and share its memory.
# A new release is a new container (or a restart), never a HUP reload of the code.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() in {"1", "true", "yes"}
