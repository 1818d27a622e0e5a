from django.conf import settings


def cross_origin_resource_policy(get_response):
    """Send Cross-Origin-Resource-Policy on every response; SecurityMiddleware has no setting for it."""

    def middleware(request):
        response = get_response(request)
        response.setdefault("Cross-Origin-Resource-Policy", settings.SECURE_CROSS_ORIGIN_RESOURCE_POLICY)
        return response

    return middleware
