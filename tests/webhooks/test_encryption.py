"""Secrets at rest: Fernet with FIELD_ENCRYPTION_KEY (or a key derived from SECRET_KEY), key
rotation with `manage.py reencrypt_secrets`, and clear errors for a bad configuration."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_httpserver import HTTPServer

from sparkloop.encryption import (
    KEY_INVALID,
    KEY_MISSING,
    UNDECRYPTABLE,
    crypter,
    decrypt_str,
    derive_key,
    encrypt_str,
)
from sparkloop.models import Team
from tests.webhooks.conftest import record_sync, verify_signature
from webhooks.models import WebhookEndpoint
from webhooks.services import endpoint_create
from webhooks.tasks import webhook_delivery_send_task

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _stored_secret(endpoint: WebhookEndpoint) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_webhookendpoint WHERE id = %s", [endpoint.pk])
        return str(cursor.fetchone()[0])


def test_a_value_encrypts_differently_each_time_and_reads_back() -> None:
    first, second = encrypt_str("whsec_abc"), encrypt_str("whsec_abc")

    assert first != second
    assert "whsec_abc" not in first
    assert decrypt_str(first) == decrypt_str(second) == "whsec_abc"


def test_without_a_key_one_is_derived_from_the_secret_key(settings: SettingsWrapper) -> None:
    settings.FIELD_ENCRYPTION_KEY = []

    token = encrypt_str("secret")

    assert Fernet(derive_key(settings.SECRET_KEY)).decrypt(token.encode()) == b"secret"


def test_a_value_stays_readable_when_the_secret_key_rotates_the_django_way(
    settings: SettingsWrapper,
) -> None:
    settings.FIELD_ENCRYPTION_KEY = []
    token = encrypt_str("secret")

    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-long-random-secret-key-of-more-than-32-characters"

    assert decrypt_str(token) == "secret"


def test_the_first_configured_key_encrypts_and_every_one_decrypts(
    settings: SettingsWrapper,
) -> None:
    settings.FIELD_ENCRYPTION_KEY = [OLD]
    old_token = encrypt_str("secret")

    settings.FIELD_ENCRYPTION_KEY = f"{NEW}, {OLD}"  # as the environment gives it
    new_token = encrypt_str("secret")

    assert decrypt_str(old_token) == decrypt_str(new_token) == "secret"
    assert Fernet(NEW.encode()).decrypt(new_token.encode()) == b"secret"


def test_a_malformed_key_is_a_clear_error(settings: SettingsWrapper) -> None:
    settings.FIELD_ENCRYPTION_KEY = ["not-a-fernet-key"]

    with pytest.raises(ImproperlyConfigured) as exc:
        crypter()
    assert str(exc.value) == KEY_INVALID


@pytest.mark.parametrize("secret_key", ["short", "a" * 64])
def test_no_key_and_a_weak_secret_key_refuse_to_start_in_production(
    settings: SettingsWrapper, secret_key: str
) -> None:
    settings.FIELD_ENCRYPTION_KEY = []
    settings.SECRET_KEY = secret_key
    settings.DEBUG = False

    with pytest.raises(ImproperlyConfigured) as exc:
        crypter()
    assert str(exc.value) == KEY_MISSING

    settings.DEBUG = True  # local development: derived anyway
    assert decrypt_str(encrypt_str("x")) == "x"


def test_the_webhooks_app_checks_the_keys_at_startup(settings: SettingsWrapper) -> None:
    from django.apps import apps

    settings.FIELD_ENCRYPTION_KEY = ["not-a-fernet-key"]

    with pytest.raises(ImproperlyConfigured):
        apps.get_app_config("webhooks").ready()


@pytest.mark.django_db
class TestKeyRotation:
    def test_reencrypt_secrets_moves_every_secret_to_the_newest_key(
        self, settings: SettingsWrapper, team: Team
    ) -> None:
        settings.FIELD_ENCRYPTION_KEY = [OLD]
        endpoint = endpoint_create(team=team, url="https://a.example.com/h")
        team.save()  # its token too, with OLD
        secret = endpoint.secret
        settings.FIELD_ENCRYPTION_KEY = [NEW, OLD]

        out = StringIO()
        call_command("reencrypt_secrets", "--batch-size", "1", stdout=out)

        assert "webhooks.WebhookEndpoint: 1 row(s) re-encrypted" in out.getvalue()
        assert "sparkloop.Team: 1 row(s) re-encrypted" in out.getvalue()
        assert Fernet(NEW.encode()).decrypt(_stored_secret(endpoint).encode()).decode() == secret
        with connection.cursor() as cursor:
            cursor.execute("SELECT webhook_token FROM sparkloop_team WHERE id = %s", [team.pk])
            stored_token = cursor.fetchone()[0]
        assert Fernet(NEW.encode()).decrypt(stored_token.encode()).decode() == team.webhook_token
        settings.FIELD_ENCRYPTION_KEY = [NEW]  # OLD removed: everything still reads
        assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret
        assert Team.objects.get(pk=team.pk).webhook_token == team.webhook_token

    def test_a_key_removed_before_reencrypting_is_a_clear_error(
        self, settings: SettingsWrapper, team: Team
    ) -> None:
        settings.FIELD_ENCRYPTION_KEY = [OLD]
        endpoint = endpoint_create(team=team, url="https://a.example.com/h")
        settings.FIELD_ENCRYPTION_KEY = [NEW]

        with pytest.raises(ImproperlyConfigured) as exc:
            WebhookEndpoint.objects.get(pk=endpoint.pk)
        assert str(exc.value) == UNDECRYPTABLE

    def test_deliveries_are_signed_with_the_secret_whatever_key_encrypted_it(
        self,
        settings: SettingsWrapper,
        team: Team,
        endpoint: WebhookEndpoint,
        httpserver: HTTPServer,
    ) -> None:
        httpserver.expect_request("/hook").respond_with_data("")
        settings.FIELD_ENCRYPTION_KEY = [NEW]
        delivery = record_sync(team)

        webhook_delivery_send_task(delivery.pk)

        [(request, _)] = httpserver.log
        assert verify_signature(secret=endpoint.secret, headers=request.headers, body=request.data)
        assert request.headers["SparkLoop-Token"] == team.webhook_token
