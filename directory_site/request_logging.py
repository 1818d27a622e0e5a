"""One log line per request, and a request id (the load balancer's well-formed ``X-Request-ID``, else a new
one, sent back in the response) on every log line of the request, its error's traceback included."""

import logging
import re
import time
import uuid
from contextvars import ContextVar

from django.utils.functional import empty

REQUEST_ID_HEADER = "X-Request-ID"
# Anything else from the client (spaces, quotes, newlines, a megabyte) is replaced by a fresh id.
WELL_FORMED_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# The formatter of settings.LOGGING and gunicorn.conf.py: one JSON object per line, a traceback in a field.
JSON_FORMATTER = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "format": "%(levelname)s %(name)s %(message)s",
    "timestamp": "time",
    "rename_fields": {"levelname": "level", "name": "logger", "exc_info": "traceback"},
}

request_id_var = ContextVar("request_id", default=None)
logger = logging.getLogger("directory_site.requests")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record: the current request's id, or null outside a request."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


def user_id(request):
    """The signed-in user's id if the request looked it up: /healthz must answer without the database."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request.id = incoming if WELL_FORMED_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request.id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request.id
            status = response.status_code
            fields = {
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user_id(request),
            }
            level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
            logger.log(level, "%(method)s %(path)s %(status)s", fields, extra=fields)
            # This line reports the status; without the flag Django's handler would log a 4xx or 5xx response
            # once more, after this middleware, when the request id is no longer known.
            response._has_been_logged = True
            return response
        finally:
            request_id_var.reset(token)
