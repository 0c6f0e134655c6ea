"""API v1's happy paths on real objects, checked by schemathesis against the live schema:
bodies, status codes and headers (Deprecation, Sunset, Link, rate limits) as documented."""

from __future__ import annotations

from typing import Any

import pytest
from schemathesis.schemas import BaseSchema

from referrals.models import Campaign
from referrals.services import campaign_create, membership_create
from sparkloop.models import Team
from subscribers.services import subscriber_create
from tests.fuzz.test_schemathesis import CHECKS, api_schema, fuzz_key
from tests.webhooks.conftest import broker, dns
from webhooks.services import endpoint_create

__all__ = ["api_schema", "broker", "dns", "fuzz_key"]

SUBSCRIBERS = "/v1/campaigns/{campaign_pk}/subscribers/"
SUBSCRIBER = "/v1/campaigns/{campaign_pk}/subscribers/{id}/"
WEBHOOKS = "/v1/campaigns/{campaign_pk}/webhooks/"
WEBHOOK = "/v1/campaigns/{campaign_pk}/webhooks/{id}/"


@pytest.mark.fuzz
def test_v1_answers_on_real_objects_keep_to_the_schema(
    api_schema: BaseSchema, fuzz_key: str, team: Team
) -> None:
    campaign = campaign_create(
        team=team, name="Spring", landing_url="https://news.example.com/", rewards=[]
    )
    advocate = subscriber_create(team=team, email="ann@example.com", name="Ann")
    membership_create(campaign=campaign, subscriber=advocate, identifier=advocate.email)
    subscriber_create(team=team, email="bob@example.com", referrer_code=advocate.ref_code)
    webhook = endpoint_create(
        team=team, url="https://hooks.example.com/h", campaign_uuid=campaign.public_id
    )
    default = Campaign.objects.get(team=team, is_default=True)
    c, s, w = campaign.public_id, advocate.public_id, webhook.public_id
    cases: list[tuple[str, str, dict[str, str], dict[str, Any], Any, int]] = [
        ("/v1/campaigns/", "GET", {}, {}, None, 200),
        ("/v1/campaigns/{id}/", "GET", {"id": default.public_id}, {}, None, 200),
        ("/v1/campaigns/{id}/", "PUT", {"id": c}, {}, {"name": "Summer"}, 200),
        (SUBSCRIBERS, "GET", {"campaign_pk": c}, {"type": "advocates"}, None, 200),
        (SUBSCRIBERS, "POST", {"campaign_pk": c}, {}, {"email": "new@example.com"}, 200),
        (SUBSCRIBER, "GET", {"campaign_pk": c, "id": s}, {}, None, 200),
        (SUBSCRIBER, "PUT", {"campaign_pk": c, "id": s}, {}, {"name": "Anne"}, 200),
        (f"{SUBSCRIBER}referrals/", "GET", {"campaign_pk": c, "id": s}, {}, None, 200),
        (f"{SUBSCRIBER}events/", "POST", {"campaign_pk": c, "id": s}, {}, {"value": 9.5}, 200),
        (WEBHOOKS, "GET", {"campaign_pk": c}, {}, None, 200),
        (WEBHOOKS, "POST", {"campaign_pk": c}, {}, {"url": "https://hooks.example.com/x"}, 201),
        (WEBHOOK, "GET", {"campaign_pk": c, "id": w}, {}, None, 200),
        (WEBHOOK, "PUT", {"campaign_pk": c, "id": w}, {}, {"new_referral": True}, 200),
        (WEBHOOK, "DELETE", {"campaign_pk": c, "id": w}, {}, None, 200),
        # A documented error, headers and all.
        (SUBSCRIBERS, "POST", {"campaign_pk": c}, {}, {"email": "ann@example.com"}, 400),
    ]
    for path, method, path_parameters, query, body, status in cases:
        operation = api_schema[path][method]
        extra = {} if body is None else {"body": body, "media_type": "application/json"}
        case = operation.Case(path_parameters=path_parameters, query=query, **extra)
        response = case.call_and_validate(headers={"X-Api-Key": fuzz_key}, checks=CHECKS)
        assert response.status_code == status, (method, path, response.text)
        headers = {name.lower() for name in response.headers}
        assert {"deprecation", "sunset", "link"} <= headers, (method, path)
