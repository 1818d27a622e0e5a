"""WSGI entry point, used by gunicorn (see gunicorn.conf.py)."""

import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "directory_site.settings")

# Python's recipe for a server that forks its workers from a loaded app (see gc.freeze): no garbage collection
# while the app loads, as what it loads lives as long as the process; then all of it is frozen, so the
# workers' collections neither scan it nor write to the memory pages they share with the master.
gc.disable()
application = get_wsgi_application()
# The URLconf and the views too, which Django would import on each worker's first request: gunicorn loads this
# module once before it forks the workers (preload_app), so they share that memory and answer at once.
import_module(settings.ROOT_URLCONF)
gc.freeze()
gc.enable()
