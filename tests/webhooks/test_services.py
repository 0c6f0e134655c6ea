"""Services of the webhooks app: the outbox fan-out, endpoints, test sends and resends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from sparkloop.encryption import decrypt_str
from sparkloop.exceptions import InvalidState, ServiceError
from sparkloop.models import Team
from subscribers.services import subscriber_create, subscriber_update
from tests.conftest import expand_events
from tests.webhooks.conftest import Broker
from webhooks.addresses import URL_NOT_HTTPS, URL_PRIVATE
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    delivery_resend,
    endpoint_create,
    endpoint_delete,
    endpoint_disable,
    endpoint_secret_rotate,
    endpoint_send_test,
    endpoint_update,
    event_record,
    team_webhook_token_rotate,
)

pytestmark = pytest.mark.django_db

SYNC, NEW_REFERRAL = Event.Type.SYNC_SUBSCRIBER, Event.Type.NEW_REFERRAL


class TestEventRecord:
    def test_it_fans_out_to_each_subscribed_enabled_endpoint(
        self, team: Team, broker: Broker, django_capture_on_commit_callbacks: Any
    ) -> None:
        wants = endpoint_create(
            team=team, url="https://a.example.com/h", events={NEW_REFERRAL: True}
        )
        endpoint_create(team=team, url="https://b.example.com/h", events={NEW_REFERRAL: False})
        endpoint_create(team=team, url="https://c.example.com/h")  # documented flag: null = off
        disabled = endpoint_create(
            team=team, url="https://d.example.com/h", events={NEW_REFERRAL: True}
        )
        WebhookEndpoint.objects.filter(pk=disabled.pk).update(is_enabled=False)

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            event = event_record(team=team, type=NEW_REFERRAL, payload={"referrer": {}})
        # The request writes the event alone; its expansion is published on commit.
        assert not event.deliveries.exists()
        assert len(callbacks) == 1
        assert broker.expansions() == [[event.pk]]

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assert expand_events() == 1  # the worker's part

        delivery = WebhookDelivery.objects.get(event=event)
        assert delivery.endpoint_id == wants.pk
        assert (delivery.status, delivery.team_id) == (WebhookDelivery.Status.PENDING, team.pk)
        assert len(callbacks) == 1
        assert broker.batches() == [[delivery.pk]]
        assert Event.objects.get(pk=event.pk).expanded_at is not None

    def test_it_sends_extension_events_unless_turned_off(self, team: Team) -> None:
        on = endpoint_create(team=team, url="https://a.example.com/h")
        endpoint_create(team=team, url="https://b.example.com/h", events={SYNC: False})

        event = event_record(team=team, type=SYNC, payload={})
        expand_events()

        assert list(event.deliveries.values_list("endpoint_id", flat=True)) == [on.pk]

    def test_it_never_reaches_another_teams_endpoints(self, team: Team, other_team: Team) -> None:
        endpoint_create(team=other_team, url="https://a.example.com/h")

        event = event_record(team=team, type=SYNC, payload={})
        expand_events()

        assert not event.deliveries.exists()

    def test_it_stores_type_and_its_id_first_and_drops_an_event_key(self, team: Team) -> None:
        event = event_record(team=team, type=SYNC, payload={"event": "x", "id": "forged", "a": 1})

        assert event.payload == {"type": "sync_subscriber", "id": event.public_id, "a": 1}
        assert list(event.payload) == ["type", "id", "a"]

    def test_it_publishes_nothing_when_the_cause_rolls_back(
        self, team: Team, broker: Broker, django_capture_on_commit_callbacks: Any
    ) -> None:
        endpoint_create(team=team, url="https://a.example.com/h")

        def cause_that_fails() -> None:
            with transaction.atomic():
                event_record(team=team, type=SYNC, payload={})
                raise RuntimeError("the cause failed")

        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
        ):
            cause_that_fails()

        assert callbacks == []
        assert broker.ids() == []
        assert not Event.objects.filter(team=team).exists()

    def test_subscriber_services_emit_sync_and_new_referral(self, team: Team) -> None:
        endpoint_create(team=team, url="https://a.example.com/h", events={NEW_REFERRAL: True})
        referrer = subscriber_create(team=team, email="ref@example.com", status="confirmed")
        friend = subscriber_create(
            team=team, email="f@example.com", referrer_code=referrer.ref_code
        )

        subscriber_update(subscriber=friend, status="confirmed")
        expand_events()

        types = list(Event.objects.filter(team=team).order_by("id").values_list("type", flat=True))
        assert types == [SYNC, SYNC, NEW_REFERRAL, SYNC]
        new_referral = Event.objects.get(team=team, type=NEW_REFERRAL)
        assert new_referral.payload["referrer"]["tot_referrals"] == 1
        assert WebhookDelivery.objects.filter(team=team).count() == 4


class TestEndpointCreate:
    def test_it_creates_with_a_secret_and_default_flags(self, team: Team) -> None:
        endpoint = endpoint_create(
            team=team, url=" https://example.com/h ", events={NEW_REFERRAL: True}
        )

        assert endpoint.url == "https://example.com/h"
        assert endpoint.public_id.startswith("webhook_")
        assert endpoint.secret.startswith("whsec_")
        assert endpoint.events[NEW_REFERRAL] is True
        assert endpoint.events[Event.Type.REWARD_UNLOCKED] is None
        assert endpoint.events[SYNC] is True

    @pytest.mark.parametrize(
        ("url", "error"),
        [
            ("http://example.com/h", URL_NOT_HTTPS),
            ("ftp://example.com/h", URL_NOT_HTTPS),
            ("https://127.0.0.1/h", URL_PRIVATE),
            ("https://localhost/h", URL_PRIVATE),
            ("https://10.1.2.3/h", URL_PRIVATE),
            ("https://169.254.169.254/latest", URL_PRIVATE),
            ("https://[::1]/h", URL_PRIVATE),
        ],
    )
    def test_it_refuses_unsafe_urls(self, team: Team, url: str, error: str) -> None:
        with pytest.raises(ServiceError) as exc:
            endpoint_create(team=team, url=url)
        assert exc.value.message == error

    def test_it_allows_http_loopback_when_the_setting_allows(
        self, team: Team, allow_private: Any
    ) -> None:
        endpoint = endpoint_create(team=team, url="http://127.0.0.1:8000/h")
        assert endpoint.url == "http://127.0.0.1:8000/h"


class TestEndpointUpdate:
    def test_it_changes_only_the_given_fields(self, team: Team) -> None:
        endpoint = endpoint_create(
            team=team, url="https://a.example.com/h", events={NEW_REFERRAL: True}
        )

        endpoint = endpoint_update(endpoint=endpoint, events={Event.Type.REWARD_UNLOCKED: True})

        assert endpoint.url == "https://a.example.com/h"
        assert endpoint.events[NEW_REFERRAL] is True
        assert endpoint.events[Event.Type.REWARD_UNLOCKED] is True

    def test_it_revalidates_the_url(self, team: Team) -> None:
        endpoint = endpoint_create(team=team, url="https://a.example.com/h")
        with pytest.raises(ServiceError, match="https://"):
            endpoint_update(endpoint=endpoint, url="http://a.example.com/h")

    def test_it_reenables_and_forgets_the_failures(self, team: Team) -> None:
        endpoint = endpoint_create(team=team, url="https://a.example.com/h")
        endpoint_disable(endpoint_id=endpoint.pk, reason="test")
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=9)

        endpoint = endpoint_update(endpoint=endpoint, enabled=True)

        assert endpoint.is_enabled
        assert (endpoint.disabled_reason, endpoint.consecutive_failures) == ("", 0)


class TestEndpointOthers:
    def test_delete_removes_its_deliveries(self, team: Team) -> None:
        endpoint = endpoint_create(team=team, url="https://a.example.com/h")
        event_record(team=team, type=SYNC, payload={})

        endpoint_delete(endpoint=endpoint)

        assert not WebhookDelivery.objects.filter(team=team).exists()

    def test_rotate_keeps_the_old_secret_for_the_grace(self, team: Team) -> None:
        endpoint = endpoint_create(team=team, url="https://a.example.com/h")
        old = endpoint.secret

        endpoint = endpoint_secret_rotate(endpoint=endpoint, grace=timedelta(hours=2))

        assert endpoint.secret != old
        assert endpoint.previous_secret == old
        assert endpoint.previous_secret_expires_at is not None
        assert endpoint.previous_secret_expires_at > timezone.now() + timedelta(minutes=119)

    def test_disable_is_told_once(self, team: Team) -> None:
        endpoint = endpoint_create(team=team, url="https://a.example.com/h")

        assert endpoint_disable(endpoint_id=endpoint.pk, reason="r") is True
        assert endpoint_disable(endpoint_id=endpoint.pk, reason="r") is False
        assert Event.objects.filter(team=team, type=Event.Type.WEBHOOK_DISABLED).count() == 1

    def test_send_test_delivers_to_that_endpoint_only(
        self, team: Team, broker: Broker, django_capture_on_commit_callbacks: Any
    ) -> None:
        endpoint = endpoint_create(team=team, url="https://a.example.com/h")
        endpoint_create(team=team, url="https://b.example.com/h")

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            delivery = endpoint_send_test(endpoint=endpoint)

        assert delivery.endpoint_id == endpoint.pk
        assert delivery.event.type == Event.Type.WEBHOOK_TEST
        assert delivery.event.payload["webhook"]["uuid"] == endpoint.public_id
        assert len(callbacks) == 1
        assert broker.ids() == [delivery.pk]

    def test_send_test_refuses_a_disabled_endpoint(self, team: Team) -> None:
        endpoint = endpoint_create(team=team, url="https://a.example.com/h")
        endpoint_disable(endpoint_id=endpoint.pk, reason="r")
        endpoint.refresh_from_db()

        with pytest.raises(InvalidState, match="is disabled"):
            endpoint_send_test(endpoint=endpoint)


class TestDeliveryResend:
    def test_it_refuses_while_the_delivery_is_being_sent(self, team: Team) -> None:
        endpoint_create(team=team, url="https://a.example.com/h")
        event = event_record(team=team, type=SYNC, payload={})
        expand_events()
        delivery = event.deliveries.get()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.SENDING)

        with pytest.raises(InvalidState, match="is being sent"):
            delivery_resend(delivery=delivery)

    def test_it_refuses_when_the_endpoint_is_disabled(self, team: Team) -> None:
        endpoint = endpoint_create(team=team, url="https://a.example.com/h")
        event = event_record(team=team, type=SYNC, payload={})
        expand_events()
        delivery = event.deliveries.get()
        endpoint_disable(endpoint_id=endpoint.pk, reason="r")

        with pytest.raises(InvalidState, match="is disabled"):
            delivery_resend(delivery=delivery)

    def test_it_publishes_on_commit(
        self, team: Team, broker: Broker, django_capture_on_commit_callbacks: Any
    ) -> None:
        endpoint_create(team=team, url="https://a.example.com/h")
        event = event_record(team=team, type=SYNC, payload={})
        expand_events()
        delivery = event.deliveries.get()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED)

        broker.purge()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            delivery_resend(delivery=delivery)

        assert len(callbacks) == 1
        assert broker.ids() == [delivery.pk]


class TestPartnerReferralFlags:
    """`new_partner_referral` (SparkLoop's flag) turns all three partner-referral events on
    or off; the extension flags of the other two can only mute one of them."""

    PARTNER_EVENTS = (
        Event.Type.NEW_PARTNER_PENDING_REFERRAL,
        Event.Type.NEW_PARTNER_REFERRAL,
        Event.Type.PARTNER_REFERRAL_REJECTED,
    )

    def _delivered(self, team: Team, endpoint: WebhookEndpoint) -> list[str]:
        for type in self.PARTNER_EVENTS:
            event_record(team=team, type=type, payload={})
        expand_events()
        return list(
            WebhookDelivery.objects.filter(endpoint=endpoint)
            .order_by("pk")
            .values_list("event__type", flat=True)
        )

    def test_the_flag_on_sends_all_three(self, team: Team) -> None:
        endpoint = endpoint_create(
            team=team, url="https://a.example.com/h", events={Event.Type.NEW_PARTNER_REFERRAL: True}
        )

        assert self._delivered(team, endpoint) == list(self.PARTNER_EVENTS)

    @pytest.mark.parametrize("flag", [None, False])
    def test_the_flag_off_or_null_sends_none_whatever_the_extension_flags_say(
        self, team: Team, flag: bool | None
    ) -> None:
        endpoint = endpoint_create(
            team=team,
            url="https://a.example.com/h",
            events={
                Event.Type.NEW_PARTNER_REFERRAL: flag,
                Event.Type.NEW_PARTNER_PENDING_REFERRAL: True,
                Event.Type.PARTNER_REFERRAL_REJECTED: True,
            },
        )

        assert self._delivered(team, endpoint) == []

    def test_an_extension_flag_set_to_false_mutes_its_event_only(self, team: Team) -> None:
        endpoint = endpoint_create(
            team=team,
            url="https://a.example.com/h",
            events={
                Event.Type.NEW_PARTNER_REFERRAL: True,
                Event.Type.PARTNER_REFERRAL_REJECTED: False,
            },
        )

        assert self._delivered(team, endpoint) == [
            Event.Type.NEW_PARTNER_PENDING_REFERRAL,
            Event.Type.NEW_PARTNER_REFERRAL,
        ]

    def test_the_flag_does_not_govern_other_events(self, team: Team) -> None:
        endpoint = endpoint_create(
            team=team,
            url="https://a.example.com/h",
            events={Event.Type.NEW_PARTNER_REFERRAL: False},
        )

        event_record(team=team, type=Event.Type.PAYOUT_CREATED, payload={})
        event_record(team=team, type=SYNC, payload={})
        expand_events()

        assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2


class TestTeamWebhookToken:
    def test_rotate_gives_a_new_token_and_keeps_the_old_one_for_the_grace(self, team: Team) -> None:
        old = team.webhook_token

        team = team_webhook_token_rotate(team=team, grace=timedelta(hours=2))

        team.refresh_from_db()
        assert team.webhook_token != old
        assert len(team.webhook_token) == 32
        assert team.previous_webhook_token == old
        assert team.previous_webhook_token_expires_at is not None
        assert team.previous_webhook_token_expires_at > timezone.now() + timedelta(minutes=119)

    def test_rotate_without_grace_forgets_the_old_token(self, team: Team) -> None:
        team = team_webhook_token_rotate(team=team, grace=timedelta(0))

        team.refresh_from_db()
        assert (team.previous_webhook_token, team.previous_webhook_token_expires_at) == ("", None)

    def test_tokens_and_secrets_are_encrypted_in_the_database(self, team: Team) -> None:
        endpoint = endpoint_create(team=team, url="https://a.example.com/h")
        endpoint = endpoint_secret_rotate(endpoint=endpoint, grace=timedelta(hours=1))
        team = team_webhook_token_rotate(team=team, grace=timedelta(hours=1))

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT webhook_token, previous_webhook_token FROM sparkloop_team WHERE id = %s",
                [team.pk],
            )
            stored_tokens = cursor.fetchone()
            cursor.execute(
                "SELECT secret, previous_secret FROM webhooks_webhookendpoint WHERE id = %s",
                [endpoint.pk],
            )
            stored_secrets = cursor.fetchone()

        plain = (
            team.webhook_token,
            team.previous_webhook_token,
            endpoint.secret,
            endpoint.previous_secret,
        )
        stored = (*stored_tokens, *stored_secrets)
        for value, ciphertext in zip(plain, stored, strict=True):
            assert value
            assert value not in ciphertext
            assert decrypt_str(ciphertext) == value
