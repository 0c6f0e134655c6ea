"""The webhook payloads the OpenAPI document shows are the ones the services write."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper
from rest_framework.test import APIClient

from sparkloop.models import Team
from webhooks.models import Event
from webhooks.openapi import PAYLOAD_EXAMPLES, payload_component_name
from webhooks.services import endpoint_create, endpoint_disable, endpoint_send_test

pytestmark = pytest.mark.django_db


def shape(value: Any) -> Any:
    """The keys of a payload, nested, with the JSON type of each leaf (null: any type)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None if value is None else type(value).__name__


def same_shape(documented: Any, real: Any) -> bool:
    if isinstance(documented, dict) and isinstance(real, dict):
        return documented.keys() == real.keys() and all(
            same_shape(documented[key], real[key]) for key in documented
        )
    if isinstance(documented, list) and isinstance(real, list):
        return all(same_shape(a, b) for a, b in zip(documented, real, strict=False))
    return documented is None or real is None or documented == real


@pytest.fixture
def fresh_payloads(team: Team, api_client: APIClient, settings: SettingsWrapper) -> dict[str, Any]:
    """One real payload of each type, made through the API as a publisher would."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    endpoint = endpoint_create(team=team, url="https://hooks.example.com/sparkloop")
    other = endpoint_create(team=team, url="https://hooks.example.com/other")
    campaign = api_client.post(
        "/v2/campaigns",
        {
            "name": "Spring referral program",
            "landing_url": "https://news.example.com",
            "rewards": [{"name": "Sticker pack", "referrals": 1, "coupon_codes": ["C1"]}],
        },
        format="json",
    ).json()["campaign"]["uuid"]
    ann = api_client.post(
        "/v2/subscribers", {"email": "ann@example.com", "status": "confirmed"}, format="json"
    ).json()["subscriber"]
    api_client.post(
        f"/v2/campaigns/{campaign}/campaign_memberships",
        {"subscriber_uuid": ann["uuid"]},
        format="json",
    )
    bob = api_client.post(
        "/v2/subscribers",
        {"email": "bob@example.org", "name": "Bob Stone", "referrer_code": ann["ref_code"]},
        format="json",
    ).json()["subscriber"]
    api_client.put(f"/v2/subscribers/{bob['uuid']}", {"status": "confirmed"}, format="json")
    base = f"/v2/campaigns/{campaign}/subscribers/{ann['uuid']}/rewards"
    grant = api_client.get(base).json()["rewards"][0]["uuid"]
    redeemed = api_client.post(
        f"{base}/{grant}/redeem",
        {
            "reward_variant_name": "Mug",
            "reward_variant_sku": "MUG",
            "shipping_details": {"name": "Ann", "address": "1 High Street", "city": "London"},
        },
        format="json",
    )
    assert redeemed.status_code == 200, redeemed.content
    endpoint_send_test(endpoint=endpoint)
    endpoint_disable(endpoint_id=other.pk, reason="Every delivery failed for 5 days")
    return {event.type: event.payload for event in Event.objects.filter(team=team)}


def test_each_documented_payload_has_the_shape_of_a_real_one(
    fresh_payloads: dict[str, Any],
) -> None:
    compared = set(PAYLOAD_EXAMPLES) & set(fresh_payloads)

    assert compared >= {
        "sync_subscriber",
        "new_referral",
        "reward_unlocked",
        "reward_redeemed",
        "webhook_test",
        "webhook_disabled",
    }
    for event_type in compared:
        documented, real = shape(PAYLOAD_EXAMPLES[event_type]), shape(fresh_payloads[event_type])
        assert same_shape(documented, real), (event_type, documented, real)


def test_the_schema_has_a_component_for_every_event_type(api_client: APIClient) -> None:
    schema = APIClient().get("/v2/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]

    for event_type in Event.Type.values:
        component = components[payload_component_name(event_type)]
        assert component["properties"]["type"]["enum"] == [event_type]
    assert components["WebhookNewReferral"]["example"]["referrer"]["email"] == "ann@example.com"
