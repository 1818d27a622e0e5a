"""Who may sign in, and how: with the OpenID Connect provider (mozilla-django-oidc, with the checks it leaves
out), and with a password, for everyone or for superusers only (``LOCAL_LOGIN``)."""

import logging
from contextlib import contextmanager

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from employees import services
from employees.models import Employee

from .models import ProviderLink
from .provider import ProviderUnavailable, configuration

logger = logging.getLogger(__name__)

EDITORS = "Editors"
# Seconds of clock difference forgiven between the provider and this site when reading exp and iat.
CLOCK_SKEW = 60


class SignInFailed(Exception):
    """A sign-in with the provider refused, with the reason in words for the person signing in."""


class SuperuserPasswordBackend(ModelBackend):
    """``LOCAL_LOGIN=superusers``: a password signs in superusers only, the administrators' way in when the
    provider is down; anyone else gets the form's usual error, whether or not the account exists."""

    def user_can_authenticate(self, user):
        return user.is_superuser and super().user_can_authenticate(user)


def provider_name():
    return settings.OIDC_PROVIDER_NAME


@contextmanager
def provider_errors():
    """Turn whatever the provider does wrong (no answer, an error, garbage, a token that does not verify) into
    a ``SignInFailed`` saying so, and log the details for the administrators."""
    try:
        yield
    except (ProviderUnavailable, requests.ConnectionError, requests.Timeout) as error:
        logger.warning("The identity provider could not be reached: %s", error)
        raise SignInFailed(
            _("%(provider)s could not be reached. Try again in a few minutes.")
            % {"provider": provider_name()}
        ) from error
    except (
        requests.RequestException,
        SuspiciousOperation,
        jwt.PyJWTError,
        ValueError,
        KeyError,
        TypeError,
    ) as error:
        logger.warning("Sign-in with the identity provider refused: %s", error)
        raise SignInFailed(
            _("The answer of %(provider)s could not be verified, so you are not signed in. Please try again.")
            % {"provider": provider_name()}
        ) from error


class ProviderBackend(OIDCAuthenticationBackend):
    """The library's authorization code flow, with the provider's endpoints from its discovery document, the
    ID token's audience, issuer, expiry and issue time checked too, and the account made, linked to its
    employee and put in or out of the Editors group as the next docstrings say."""

    def __init__(self, *args, **kwargs):
        # Not the library's: it reads the endpoints, which are discovered only at a sign-in, and a backend is
        # made for every request of a signed-in person.
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    @property
    def provider(self):
        return configuration(settings.OIDC_ISSUER_URL)

    # The library's names, for the endpoints it reads.
    @property
    def OIDC_OP_TOKEN_ENDPOINT(self):
        return self.provider["token_endpoint"]

    @property
    def OIDC_OP_JWKS_ENDPOINT(self):
        return self.provider["jwks_uri"]

    @property
    def OIDC_OP_USER_ENDPOINT(self):
        return self.provider.get("userinfo_endpoint")

    def authenticate(self, request, **kwargs):
        # Only the callback view's call, never a password form's (whose address might carry a code and state).
        if "nonce" not in kwargs or "password" in kwargs:
            return None
        return super().authenticate(request, **kwargs)

    # The library's get_user finds an account whether or not it is active: a leaver's session would go on.
    get_user = ModelBackend.get_user

    def get_token(self, payload):
        with provider_errors():
            return dict(super().get_token(payload))

    def verify_token(self, token, **kwargs):
        with provider_errors():
            if not isinstance(token, str):
                raise SuspiciousOperation("The token response has no ID token.")
            return super().verify_token(token, **kwargs)

    def _verify_jws(self, payload, key):
        """The signature with the provider's key, as the library does, and what it leaves unchecked: the
        audience (this site), the issuer, the expiry and the issue time, all required."""
        algorithm = jwt.get_unverified_header(payload).get("alg")
        if algorithm != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(
                f"The ID token is signed with {algorithm!r}, not {self.OIDC_RP_SIGN_ALGO}."
            )
        claims = jwt.decode(
            payload,
            key,
            algorithms=[self.OIDC_RP_SIGN_ALGO],
            audience=self.OIDC_RP_CLIENT_ID,
            issuer=self.provider["issuer"],
            leeway=CLOCK_SKEW,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
        # OpenID Connect Core 1.0, 3.1.3.7: a token for several audiences names this site as its party.
        if (
            isinstance(claims["aud"], list)
            and len(claims["aud"]) > 1
            and claims.get("azp") != self.OIDC_RP_CLIENT_ID
        ):
            raise SuspiciousOperation("The ID token was issued to another party (azp).")
        return claims

    def get_userinfo(self, access_token, id_token, payload):
        """The userinfo endpoint's claims, when the provider has one, under the verified ID token's."""
        userinfo = {}
        if self.OIDC_OP_USER_ENDPOINT and access_token:
            with provider_errors():
                userinfo = super().get_userinfo(access_token, id_token, payload)
                # OpenID Connect Core 1.0, 5.3.2: answers about someone else are not used.
                if not isinstance(userinfo, dict) or userinfo.get("sub") != payload["sub"]:
                    raise SuspiciousOperation("The userinfo answer is about another subject.")
        return {**userinfo, **payload}

    def get_or_create_user(self, access_token, id_token, payload):
        """The account of the person the provider vouches for: made at their first sign-in, linked to their
        employee record when they have one. Never for someone who has left, never a disabled account."""
        claims = self.get_userinfo(access_token, id_token, payload)
        email = claims.get("email") if isinstance(claims.get("email"), str) else ""
        with transaction.atomic():
            link = ProviderLink.objects.select_related("user").filter(
                issuer=self.provider["issuer"], subject=claims["sub"]
            )
            user = link[0].user if link else None
            if user is not None and not user.is_active:
                raise SignInFailed(_("Your account is disabled. Ask an administrator if this is a mistake."))
            employee = getattr(user, "employee", None) if user else None
            if employee is None and email:
                employee = Employee.objects.with_work_email(email).first()
            if employee is not None and employee.has_left:
                raise SignInFailed(_("Your account is disabled. Ask an administrator if this is a mistake."))
            if user is None:
                user = self.create_user(claims)
            if (
                employee is not None
                and employee.user_id is None
                and claims.get("email_verified") in (True, "true")
            ):
                employee.user = user
                services.save_employee(employee, user=user)
            self.update_user(user, claims)
        return user

    def create_user(self, claims):
        username = free_username(claims.get("email") or claims["sub"])
        user = self.UserModel.objects.create_user(username)
        ProviderLink.objects.create(user=user, issuer=self.provider["issuer"], subject=claims["sub"])
        logger.info("Account %s made at its first sign-in with the identity provider.", username)
        return user

    def update_user(self, user, claims):
        """The name and email as the provider knows them, and, when ``OIDC_EDITOR_GROUPS`` is set, the
        Editors group as its groups claim says: joined with one of those groups, left without."""
        for field, claim in [("email", "email"), ("first_name", "given_name"), ("last_name", "family_name")]:
            if isinstance(claims.get(claim), str):
                setattr(user, field, claims[claim][: user._meta.get_field(field).max_length])
        user.save(update_fields=["email", "first_name", "last_name"])
        if settings.OIDC_EDITOR_GROUPS:
            editors = Group.objects.get(name=EDITORS)
            if set(settings.OIDC_EDITOR_GROUPS) & groups_in(claims):
                user.groups.add(editors)
            else:
                user.groups.remove(editors)
        return user


def groups_in(claims):
    """The names in the groups claim: a list, or a single group as a string."""
    groups = claims.get(settings.OIDC_GROUPS_CLAIM)
    groups = [groups] if isinstance(groups, str) else groups if isinstance(groups, list) else []
    return {group for group in groups if isinstance(group, str)}


def free_username(wanted):
    """``wanted``, or ``wanted-2``, ``wanted-3``… if an account already has that user name."""
    User = get_user_model()
    wanted = wanted[:140]
    username, number = wanted, 1
    while User.objects.filter(username__iexact=username).exists():
        number += 1
        username = f"{wanted}-{number}"
    return username
