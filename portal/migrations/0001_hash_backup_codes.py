"""Replace backup codes stored as plain text with their keyed hashes."""

from django.db import migrations

from portal.second_factor import BACKUP_HASH_LENGTH, hash_backup_code


def hash_plain_codes(apps, schema_editor):
    StaticToken = apps.get_model("otp_static", "StaticToken")
    # A stored hash has the full column width; a plain code is shorter.
    plain = StaticToken.objects.exclude(
        token__regex=rf"^[0-9a-f]{{{BACKUP_HASH_LENGTH}}}$"
    )
    for token in plain.iterator():
        token.token = hash_backup_code(token.token)
        token.save(update_fields=["token"])


class Migration(migrations.Migration):
    dependencies = [("otp_static", "0003_add_timestamps")]

    operations = [migrations.RunPython(hash_plain_codes, migrations.RunPython.noop)]
