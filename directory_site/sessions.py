"""Django's cached_db sessions, which look up only a session key Django could have made."""

import re

from django.contrib.sessions.backends import cached_db

# Django makes a session key of 32 lower-case letters and digits (SessionBase._get_new_session_key).
SESSION_KEY = re.compile(r"[a-z0-9]{32}")


class SessionStore(cached_db.SessionStore):
    def _validate_session_key(self, key):
        # Any other cookie is no session, never a cache key: memcached refuses spaces, control characters and
        # keys of over 250 characters, and Django's cache warns of them whatever the backend.
        return key is not None and SESSION_KEY.fullmatch(key) is not None
