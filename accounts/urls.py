from django.urls import path

from .views import CallbackView, SignInView

# The library's URL names: its views find the callback's address by this name.
urlpatterns = [
    path("callback/", CallbackView.as_view(), name="oidc_authentication_callback"),
    path("authenticate/", SignInView.as_view(), name="oidc_authentication_init"),
]
