from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from directory_site.views import LoginView, PasswordResetView
from employees.api import router
from employees.views import healthz, media, readyz

urlpatterns = [
    path("", include("employees.urls")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Single sign-on; each view answers 404 while OIDC_ISSUER_URL is empty.
    path("oidc/", include("accounts.urls")),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    path("admin/", admin.site.urls),
    # set_language: the language menu posts here; the choice is kept in a cookie.
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include((router.urls, "api"))),
    # Provisioning from the identity provider (SCIM 2.0), with its own tokens: no session, so no CSRF.
    path("scim/v2/", include("employees.scim")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file, so no inline script is needed.
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]

if settings.SERVE_MEDIA:
    # Photos are small and seen by staff only, so the site serves them itself, behind sign-in. A large
    # deployment serves MEDIA_ROOT from the web server instead, or stores photos in a bucket (see README).
    urlpatterns += [re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", media, name="media")]

handler404 = "directory_site.views.page_not_found"
handler500 = "directory_site.views.server_error"
