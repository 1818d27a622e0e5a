from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from employees.forms import SignInForm
from employees.views import healthz, readyz

urlpatterns = [
    path("", include("employees.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=SignInForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]

handler500 = "directory_site.views.server_error"
