import hashlib
import sys
from datetime import timedelta
from urllib.parse import urlsplit

from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.db.models import Sum
from django.http import HttpResponse, HttpResponseRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import timezone
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

from directory_site.request_logging import request_id_var
from employees.forms import SignInForm


class LoginView(auth_views.LoginView):
    """Django's sign-in page. A signed-in user is sent on, to the page they asked for, or home when that is
    the sign-in page itself (``?next=/accounts/login/``, which Django refuses as a redirect loop)."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_redirect_url(self):
        url = super().get_redirect_url()
        return "" if urlsplit(url).path == self.request.path else url

    def get_context_data(self, **kwargs):
        """With single sign-on, the provider's name for its button, above the password form."""
        provider = settings.OIDC_PROVIDER_NAME if settings.OIDC_ISSUER_URL else None
        return super().get_context_data(**kwargs, sign_in_provider=provider)

    def post(self, request, *args, **kwargs):
        """Besides django-axes' lockout of a user name at an address: a limit of failures at an address,
        whatever the user names, against one password tried on many accounts."""
        if failures_at(get_client_ip_address(request)) >= settings.SIGN_IN_FAILURES_PER_ADDRESS:
            context = {"per_address": True, "cooloff_timedelta": settings.AXES_COOLOFF_TIME}
            return render(request, "registration/locked_out.html", context, status=429)
        return super().post(request, *args, **kwargs)


def failures_at(address):
    """Failed sign-ins from ``address`` in the cool-off period, for any user name, as django-axes counted."""
    recent = AccessAttempt.objects.filter(
        ip_address=address, attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME
    )
    return recent.aggregate(failures=Sum("failures_since_start"))["failures"] or 0


class PasswordResetView(auth_views.PasswordResetView):
    """Django's page to ask for a reset link. It answers the same whether or not the address has an account,
    and Django's form emails no inactive account and none without a usable password. Two hourly limits keep it
    from flooding an inbox or probing many addresses: requests from one client address (then 429), and emails
    to one address (then the usual page, and no email: it must not tell which addresses have an account)."""

    email_template_name = "registration/password_reset_email.txt"

    def post(self, request, *args, **kwargs):
        address = get_client_ip_address(request)
        if over_the_hourly_limit(f"password-reset-from:{address}", settings.PASSWORD_RESETS_PER_ADDRESS):
            return render(request, "registration/password_reset_limited.html", status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        email = hashlib.sha256(form.cleaned_data["email"].casefold().encode()).hexdigest()
        if over_the_hourly_limit(f"password-reset-to:{email}", settings.PASSWORD_RESETS_PER_EMAIL):
            return HttpResponseRedirect(self.get_success_url())
        requested_at = timezone.now()
        self.extra_email_context = {
            "requested_from": get_client_ip_address(self.request),
            "requested_at": requested_at,
            "expires_at": requested_at + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
        }
        return super().form_valid(form)


def over_the_hourly_limit(key, limit):
    """Count one more under ``key`` for an hour from the first; whether that makes more than ``limit``.
    Without a cache that keeps it (dummycache://, a Redis outage), nothing is counted or limited."""
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # not in the cache after all
        return False
    return (count or 0) > limit


def page_not_found(request, exception):
    """An address under /api/ that names nothing answers in JSON, as the API does; any other, with a page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


@requires_csrf_token
def server_error(request):
    """A lost database connection is an outage, not a bug: 503 with Retry-After. Rendered without the request
    context, so the page itself never queries the database."""
    context = {"request_id": request_id_var.get()}
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = HttpResponse(loader.render_to_string("503.html", context), status=503)
        response["Retry-After"] = str(settings.DATABASE_UNAVAILABLE_RETRY_AFTER)
        return response
    return HttpResponseServerError(loader.render_to_string("500.html", context))
