from django.conf import settings
from django.core import checks

UNSENT = {"django.core.mail.backends.console.EmailBackend", "django.core.mail.backends.dummy.EmailBackend"}


@checks.register(checks.Tags.security, deploy=True)
def check_email_is_sent(app_configs, **kwargs):
    """In production without EMAIL_URL, no email leaves (and a reset link written to the log would be a key
    for whoever reads it). A notice, not a warning: a directory whose people sign in another way, or whose
    administrators set passwords, needs no email."""
    if settings.DEBUG or settings.EMAIL_BACKEND not in UNSENT:
        return []
    return [
        checks.Info(
            "EMAIL_URL is not set: no email is sent, password reset links included.",
            hint="Set EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587, and DEFAULT_FROM_EMAIL.",
            id="employees.I001",
        )
    ]
