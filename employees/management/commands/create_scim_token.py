"""Make a token for an identity provider's SCIM client, printed once on stdout and stored only as a hash."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from knox.models import AuthToken


class Command(BaseCommand):
    help = (
        "Print a new SCIM token for the provisioning client NAME (made if missing: an account with no usable "
        "password that may provision employees). Revoke it by deleting it in the admin's Auth tokens."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="The client's account name, for example entra-id or okta.")

    def handle(self, *args, name, **options):
        users = get_user_model()
        with transaction.atomic():
            client, created = users.objects.get_or_create(**{users.USERNAME_FIELD: name})
            if created:
                client.set_unusable_password()
                client.save()
            elif client.has_usable_password():
                raise CommandError(
                    f"{name} is a person's account, which signs in with a password: choose another name."
                )
            permission = Permission.objects.get(
                codename="provision_employee",
                content_type__app_label="employees",
                content_type__model="employee",
            )
            client.user_permissions.add(permission)
            _, token = AuthToken.objects.create(user=client, expiry=None)
        self.stdout.write(token)
