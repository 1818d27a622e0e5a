from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import BadRequest
from django.utils.functional import cached_property


def cross_origin_resource_policy(get_response):
    """Send Cross-Origin-Resource-Policy on every response; SecurityMiddleware has no setting for it."""

    def middleware(request):
        response = get_response(request)
        response.setdefault("Cross-Origin-Resource-Policy", settings.SECURE_CROSS_ORIGIN_RESOURCE_POLICY)
        return response

    return middleware


def reject_nul_in_headers(get_response):
    """Answer 400 to a NUL byte in a request header: no client sends one, and PostgreSQL cannot store it."""

    def middleware(request):
        for name, value in request.META.items():
            if name.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
                raise BadRequest(f"NUL byte in the {name[5:]} header")
        return get_response(request)

    return middleware


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the policies that the settings alone make built once per process.

    django-csp builds the policy and the report-only policy from the settings again for every response, which
    costs about a fifth of a bare view's response. Only a nonce that the page used or a view's
    ``csp.decorators`` make a response's policies differ from the settings' ones: such responses, and all of
    them in development (where django-csp leaves error pages alone), are handled by django-csp itself.
    """

    def process_response(self, request, response):
        plain = PolicyParts()
        if settings.DEBUG or any(
            self.get_policy_parts(request, response, report_only=report_only) != plain
            for report_only in (False, True)
        ):
            return super().process_response(request, response)
        for header, policy, exempt, excluded_prefixes in self.settings_policies:
            if (
                policy
                and not getattr(response, exempt, False)
                and header not in response
                and not request.path_info.startswith(excluded_prefixes)
            ):
                response[header] = policy
        # As django-csp does: a nonce asked for once the header is written could not be in it.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    @cached_property
    def settings_policies(self):
        """(header, policy, response attribute that exempts from it, path prefixes it skips), for both."""
        return [
            (
                header,
                build_policy(report_only=report_only),
                "_csp_exempt_ro" if report_only else "_csp_exempt",
                tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()),
            )
            for header, setting, report_only in [
                (HEADER, "CONTENT_SECURITY_POLICY", False),
                (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", True),
            ]
        ]
