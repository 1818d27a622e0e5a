from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProviderLink(models.Model):
    """The account a person gets when they sign in with the identity provider, which names them by ``subject``
    (the ID token's ``sub``): unique and stable within its ``issuer``, unlike an email address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="provider_link",
        verbose_name=_("user account"),
    )
    issuer = models.CharField(_("issuer"), max_length=255)
    subject = models.CharField(
        _("subject"), max_length=255, help_text=_("The provider's id for this person.")
    )
    created_at = models.DateTimeField(_("first sign-in"), auto_now_add=True)

    class Meta:
        ordering = ["issuer", "subject"]
        verbose_name = _("identity provider link")
        verbose_name_plural = _("identity provider links")
        constraints = [
            models.UniqueConstraint("issuer", "subject", name="%(app_label)s_%(class)s_issuer_subject_unique")
        ]

    def __str__(self):
        return f"{self.subject} at {self.issuer}"
