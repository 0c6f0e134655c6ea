"""The webhooks world: a receiver on 127.0.0.1 and an endpoint of `team` pointing at it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_httpserver import HTTPServer

from sparkloop.models import Team
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_create, event_record


def verify_signature(*, secret: str, headers: Any, body: bytes) -> bool:
    """Standard Webhooks verification written from the spec, sharing no code with ours."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        version == "v1" and hmac.compare_digest(signature, expected)
        for version, _, signature in (
            part.partition(",") for part in headers["webhook-signature"].split(" ")
        )
    )


@pytest.fixture
def allow_private(settings: SettingsWrapper) -> SettingsWrapper:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    return settings


@pytest.fixture
def receiver_url(httpserver: HTTPServer) -> str:
    return f"http://127.0.0.1:{httpserver.port}/hook"


@pytest.fixture
def endpoint(team: Team, allow_private: SettingsWrapper, receiver_url: str) -> WebhookEndpoint:
    return endpoint_create(team=team, url=receiver_url, events={"new_referral": True})


def record_sync(team: Team, email: str = "reader@example.com") -> WebhookDelivery:
    """A sync_subscriber event for `team`; returns the (only) delivery it made."""
    event = event_record(
        team=team, type="sync_subscriber", payload={"subscriber": {"email": email}}
    )
    return WebhookDelivery.objects.get(event=event)
