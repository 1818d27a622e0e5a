"""The OpenID Connect provider's configuration, from its discovery document: read at the first sign-in with
it, then kept in memory, so that the site starts, and serves local sign-in, whether the provider answers or
not."""

import functools

import requests
from django.conf import settings

# What a sign-in needs of the document; the userinfo endpoint is optional (the ID token's claims suffice).
REQUIRED = ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"]


class ProviderUnavailable(Exception):
    """The provider did not answer, or answered something that is not its configuration."""


@functools.cache
def configuration(issuer):
    """The discovery document of ``issuer``, once per process; a failure is not kept, the next sign-in asks
    again."""
    url = f"{issuer.rstrip('/')}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"{url}: {error}") from error
    if not isinstance(document, dict) or not all(isinstance(document.get(key), str) for key in REQUIRED):
        raise ProviderUnavailable(f"{url} is not an OpenID Connect discovery document")
    # OpenID Connect Discovery 1.0, section 4.3: the document must be the issuer's own.
    if document["issuer"].rstrip("/") != issuer.rstrip("/"):
        raise ProviderUnavailable(f"{url} is the configuration of another issuer, {document['issuer']}")
    return document
