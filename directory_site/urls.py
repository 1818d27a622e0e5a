from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path

from directory_site.views import imported_on_first_request
from employees.api import router
from employees.forms import SignInForm
from employees.views import healthz, media, readyz

# drf-spectacular's schema generator imports django.test and more, about 8 MB per worker that only these two
# pages need: their views are imported on their first request.
schema_view = imported_on_first_request("drf_spectacular.views.SpectacularAPIView")
swagger_view = imported_on_first_request(
    "drf_spectacular.views.SpectacularSwaggerSplitView", url_name="api-schema"
)

urlpatterns = [
    path("", include("employees.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=SignInForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((router.urls, "api"))),
    path("api/schema/", schema_view, name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file, so no inline script is needed.
    path(
        "api/docs/",
        login_required(swagger_view),
        name="api-docs",
    ),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]

if settings.SERVE_MEDIA:
    # Photos are small and seen by staff only, so the site serves them itself, behind sign-in. A large
    # deployment serves MEDIA_ROOT from the web server instead, or stores photos in a bucket (see README).
    urlpatterns += [
        re_path(
            rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$",
            media,
            name="media",
        )
    ]

handler500 = "directory_site.views.server_error"
