"""API tokens move from Django REST framework's table, which keeps them in plain text, to django-rest-knox's,
which keeps a hash: every token in use goes on working, and the plain-text table is dropped."""

from django.db import migrations
from knox.crypto import hash_token
from knox.settings import CONSTANTS

OLD_TABLE = "authtoken_token"


def hash_old_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    AuthToken = apps.get_model("knox", "AuthToken")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id FROM authtoken_token")
        tokens = cursor.fetchall()
    AuthToken.objects.bulk_create(
        AuthToken(
            digest=hash_token(key), token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH], user_id=user, expiry=None
        )
        for key, user in tokens
    )
    schema_editor.execute("DROP TABLE authtoken_token")


class Migration(migrations.Migration):
    dependencies = [
        ("employees", "0011_lean_search"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    # Going back keeps the hashed tokens: the old table's tokens themselves are no longer known.
    operations = [migrations.RunPython(hash_old_tokens, migrations.RunPython.noop, elidable=True)]
