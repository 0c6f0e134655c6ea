"""The `app.connected` event (OAuth) is an extension flag a team can switch off."""

from __future__ import annotations

import pytest

from sparkloop.models import Team
from tests.conftest import expand_events
from webhooks.models import Event, WebhookDelivery
from webhooks.services import event_record
from webhooks.services.endpoints import endpoint_create

pytestmark = pytest.mark.django_db


def test_app_connected_is_delivered_unless_switched_off(team: Team) -> None:
    default = endpoint_create(team=team, url="https://hooks.example.com/a")
    muted = endpoint_create(
        team=team, url="https://hooks.example.com/b", events={Event.Type.APP_CONNECTED: False}
    )

    event_record(team=team, type=Event.Type.APP_CONNECTED, payload={"application": {"name": "Zap"}})
    expand_events()

    assert default.events[Event.Type.APP_CONNECTED] is True
    endpoints = set(WebhookDelivery.objects.values_list("endpoint_id", flat=True))
    assert endpoints == {default.pk}
    assert muted.pk not in endpoints
