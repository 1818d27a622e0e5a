"""Reads from PostgreSQL streaming replicas (DATABASE_REPLICA_URLS), writes to the primary.

A person who has just written reads from the primary for REPLICA_PIN_SECONDS, so they see their change at
once whatever the replicas' lag; so does every read inside a transaction. A replica that does not answer is
left out for REPLICA_RETRY_SECONDS, and reads go to the others or to the primary meanwhile.
"""

import random
import time
from contextvars import ContextVar

from django.conf import settings
from django.db import DatabaseError, connections

PIN_COOKIE = "read_primary"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}

pinned_to_primary = ContextVar("pinned_to_primary", default=False)
down_until = {}  # replica alias: time.monotonic() until which it is left out


def answers(alias):
    """Whether the replica ``alias`` takes this thread's queries: its connection is checked (or opened) once
    per request, as CONN_HEALTH_CHECKS does for the primary."""
    if down_until.get(alias, 0) > time.monotonic():
        return False
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError:
        down_until[alias] = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        return False
    return True


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if pinned_to_primary.get() or connections["default"].in_atomic_block:
            return "default"
        replicas = [alias for alias in settings.DATABASE_REPLICAS if answers(alias)]
        return random.choice(replicas) if replicas else "default"  # noqa: S311 (spreading load, not a secret)

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every database holds the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"  # the replicas follow the primary's schema by themselves


def read_your_writes(get_response):
    """A request that may write (POST, PUT, PATCH, DELETE) reads from the primary, and so do the same
    browser's requests for REPLICA_PIN_SECONDS after it (a cookie says so)."""

    def middleware(request):
        writes = request.method not in SAFE_METHODS
        token = pinned_to_primary.set(writes or PIN_COOKIE in request.COOKIES)
        try:
            response = get_response(request)
        finally:
            pinned_to_primary.reset(token)
        if writes and settings.DATABASE_REPLICAS:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    return middleware
