"""Encrypt the endpoints' signing secrets in place (batched); the reverse decrypts them."""

from django.db import migrations

from sparkloop.encryption import decrypt_str, encrypt_str

BATCH = 1000


def _convert(apps, convert):
    WebhookEndpoint = apps.get_model("webhooks", "WebhookEndpoint")
    batch = []
    rows = WebhookEndpoint.objects.only("pk", "secret", "previous_secret")
    for endpoint in rows.iterator(chunk_size=BATCH):
        endpoint.secret = convert(endpoint.secret) if endpoint.secret else ""
        if endpoint.previous_secret:
            endpoint.previous_secret = convert(endpoint.previous_secret)
        batch.append(endpoint)
        if len(batch) == BATCH:
            WebhookEndpoint.objects.bulk_update(batch, ["secret", "previous_secret"])
            batch = []
    if batch:
        WebhookEndpoint.objects.bulk_update(batch, ["secret", "previous_secret"])


def encrypt(apps, schema_editor):
    _convert(apps, encrypt_str)


def decrypt(apps, schema_editor):
    _convert(apps, decrypt_str)


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0004_endpoint_secrets_text_app_connected")]

    operations = [migrations.RunPython(encrypt, decrypt)]
