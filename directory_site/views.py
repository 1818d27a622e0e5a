import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

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
