"""Encrypt the teams' webhook tokens in place (batched); the reverse decrypts them."""

from django.db import migrations

from sparkloop.encryption import decrypt_str, encrypt_str

BATCH = 1000


def _convert(apps, convert):
    Team = apps.get_model("sparkloop", "Team")
    batch = []
    for team in Team.objects.only("pk", "webhook_token", "previous_webhook_token").iterator(
        chunk_size=BATCH
    ):
        team.webhook_token = convert(team.webhook_token) if team.webhook_token else ""
        if team.previous_webhook_token:
            team.previous_webhook_token = convert(team.previous_webhook_token)
        batch.append(team)
        if len(batch) == BATCH:
            Team.objects.bulk_update(batch, ["webhook_token", "previous_webhook_token"])
            batch = []
    if batch:
        Team.objects.bulk_update(batch, ["webhook_token", "previous_webhook_token"])


def encrypt(apps, schema_editor):
    _convert(apps, encrypt_str)


def decrypt(apps, schema_editor):
    _convert(apps, decrypt_str)


class Migration(migrations.Migration):
    dependencies = [("sparkloop", "0004_team_webhook_token_text_and_previous")]

    operations = [migrations.RunPython(encrypt, decrypt)]
