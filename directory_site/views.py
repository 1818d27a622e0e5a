import sys
from functools import cache

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt, requires_csrf_token

from directory_site.request_logging import request_id_var


@requires_csrf_token
def server_error(request):
    """The 500 handler. A lost database connection is an outage, not a bug: answer 503 with Retry-After.

    Rendered without the request context, so the page itself never queries the database.
    """
    context = {"request_id": request_id_var.get()}
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = HttpResponse(loader.render_to_string("503.html", context), status=503)
        response["Retry-After"] = str(settings.DATABASE_UNAVAILABLE_RETRY_AFTER)
        return response
    return HttpResponseServerError(loader.render_to_string("500.html", context))


def imported_on_first_request(view_class, **initkwargs):
    """The view ``view_class.as_view(**initkwargs)``, its module imported when it first serves a request.

    For views whose libraries are heavy and rarely used. Exempt from CSRF like the REST framework views it is
    meant for, which check it themselves.
    """

    @cache
    def view():
        return import_string(view_class).as_view(**initkwargs)

    @csrf_exempt
    def dispatch(request, *args, **kwargs):
        return view()(request, *args, **kwargs)

    return dispatch
