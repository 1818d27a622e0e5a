from django.conf import settings
from django.core.exceptions import BadRequest


def cross_origin_resource_policy(get_response):
    """Send Cross-Origin-Resource-Policy on every response; SecurityMiddleware has no setting for it."""

    def middleware(request):
        response = get_response(request)
        response.setdefault("Cross-Origin-Resource-Policy", settings.SECURE_CROSS_ORIGIN_RESOURCE_POLICY)
        return response

    return middleware


def reject_nul_in_headers(get_response):
    """Answer 400 to a NUL byte in a request header or cookie (a cookie may carry one escaped): no client
    sends one, and PostgreSQL cannot store it."""

    def middleware(request):
        for name, value in request.META.items():
            if name.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
                raise BadRequest(f"NUL byte in the {name[5:]} header")
        if any("\x00" in value for value in request.COOKIES.values()):
            raise BadRequest("NUL byte in a cookie")
        return get_response(request)

    return middleware
