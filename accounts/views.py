"""Sign-in with the OpenID Connect provider: mozilla-django-oidc's two views, with the provider's endpoints
discovered at the first use and every failure a message on the sign-in page instead of an error page."""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
    get_next_url,
)

from .backends import SignInFailed
from .provider import ProviderUnavailable, configuration

logger = logging.getLogger(__name__)


def sign_in_page(request, message, next_url=None):
    messages.error(request, message)
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    return redirect(reverse("login") + query)


class SignInView(OIDCAuthenticationRequestView):
    """Sends the person to the provider with a new state, nonce and PKCE challenge kept in their session."""

    def __init__(self, **kwargs):
        # Not the library's: it reads the authorization endpoint, known only once the provider answered.
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request):
        if not settings.OIDC_ISSUER_URL:
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = configuration(settings.OIDC_ISSUER_URL)["authorization_endpoint"]
        except ProviderUnavailable as error:
            logger.warning("The identity provider could not be reached: %s", error)
            message = _("%(provider)s could not be reached. Try again in a few minutes.")
            return sign_in_page(
                request, message % {"provider": settings.OIDC_PROVIDER_NAME}, get_next_url(request, "next")
            )
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the person back: signed in, or on the sign-in page with the reason."""

    def get(self, request):
        if not settings.OIDC_ISSUER_URL:
            raise Http404
        if request.GET.get("error"):
            # Logged, not shown: the address is anyone's to write.
            logger.info("The identity provider answered %s", request.GET.get("error"))
            return super().get(request)
        state = request.GET.get("state")
        if "code" not in request.GET or state not in request.session.get("oidc_states", {}):
            logger.warning("A sign-in came back with a state this browser's session did not start.")
            return sign_in_page(
                request,
                _("This sign-in was not started here, or has expired. Please sign in again."),
            )
        try:
            return super().get(request)
        except SignInFailed as error:
            return sign_in_page(request, str(error))

    def login_failure(self):
        return sign_in_page(
            self.request,
            _("%(provider)s did not sign you in. Please try again.")
            % {"provider": settings.OIDC_PROVIDER_NAME},
        )
