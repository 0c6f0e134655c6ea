"""The data migrations that encrypt secrets stored in plain text before, and back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from sparkloop.encryption import decrypt_str

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("sparkloop", "0004_team_webhook_token_text_and_previous"),
          ("webhooks", "0004_endpoint_secrets_text_app_connected")]  # fmt: skip
AFTER = [("sparkloop", "0006_team_webhook_tokens_encrypted"),
         ("webhooks", "0006_endpoint_secrets_encrypted")]  # fmt: skip


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.fixture
def plain_rows() -> Iterator[dict[str, int]]:
    """A team and an endpoint written by the code before encryption (plain text)."""
    apps = _migrate(BEFORE).loader.project_state(BEFORE).apps
    team = apps.get_model("sparkloop", "Team").objects.create(
        name="legacy", public_id="team_legacy", webhook_token="a" * 32
    )
    endpoint = apps.get_model("webhooks", "WebhookEndpoint").objects.create(
        team_id=team.pk,
        public_id="webhook_legacy",
        url="https://a.example.com/h",
        events={},
        secret="whsec_plain",
        previous_secret="",
    )
    yield {"team": team.pk, "endpoint": endpoint.pk}
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _raw(sql: str, pk: int) -> tuple[str, ...]:
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        return tuple(cursor.fetchone())


def test_the_migrations_encrypt_existing_tokens_and_secrets(plain_rows: dict[str, int]) -> None:
    _migrate(AFTER)

    token, previous = _raw(
        "SELECT webhook_token, previous_webhook_token FROM sparkloop_team WHERE id = %s",
        plain_rows["team"],
    )
    secret, previous_secret = _raw(
        "SELECT secret, previous_secret FROM webhooks_webhookendpoint WHERE id = %s",
        plain_rows["endpoint"],
    )
    assert (decrypt_str(token), previous) == ("a" * 32, "")
    assert (decrypt_str(secret), previous_secret) == ("whsec_plain", "")


def test_the_migrations_decrypt_them_when_reversed(plain_rows: dict[str, int]) -> None:
    _migrate(AFTER)
    _migrate(BEFORE)

    assert _raw("SELECT webhook_token FROM sparkloop_team WHERE id = %s", plain_rows["team"]) == (
        "a" * 32,
    )
    assert _raw(
        "SELECT secret FROM webhooks_webhookendpoint WHERE id = %s", plain_rows["endpoint"]
    ) == ("whsec_plain",)
