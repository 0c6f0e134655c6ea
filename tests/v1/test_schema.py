"""API v1 in the OpenAPI document: every operation there, deprecated, with examples."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

METHODS = {"get", "post", "put", "patch", "delete"}
V1_OPERATIONS = {
    ("/v1/campaigns/", "get"),
    ("/v1/campaigns/{id}/", "get"),
    ("/v1/campaigns/{id}/", "put"),
    ("/v1/campaigns/{campaign_pk}/subscribers/", "get"),
    ("/v1/campaigns/{campaign_pk}/subscribers/", "post"),
    ("/v1/campaigns/{campaign_pk}/subscribers/{id}/", "get"),
    ("/v1/campaigns/{campaign_pk}/subscribers/{id}/", "put"),
    ("/v1/campaigns/{campaign_pk}/subscribers/{id}/referrals/", "get"),
    ("/v1/campaigns/{campaign_pk}/subscribers/{id}/events/", "post"),
    ("/v1/campaigns/{campaign_pk}/webhooks/", "get"),
    ("/v1/campaigns/{campaign_pk}/webhooks/", "post"),
    ("/v1/campaigns/{campaign_pk}/webhooks/{id}/", "get"),
    ("/v1/campaigns/{campaign_pk}/webhooks/{id}/", "put"),
    ("/v1/campaigns/{campaign_pk}/webhooks/{id}/", "delete"),
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    response = APIClient().get("/v2/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200, response.content
    return response.json()  # type: ignore[no-any-return]


def v1_operations(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method): operation
        for path, item in schema["paths"].items()
        if path.startswith(("/v1/", "/api/v1/"))
        for method, operation in item.items()
        if method in METHODS
    }


def component(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]  # type: ignore[no-any-return]


def test_it_describes_every_v1_operation_once(schema: dict[str, Any]) -> None:
    assert set(v1_operations(schema)) == V1_OPERATIONS  # /api/v1/ is an alias, described once


def test_every_v1_operation_is_deprecated_and_names_its_successor(schema: dict[str, Any]) -> None:
    for key, operation in v1_operations(schema).items():
        assert operation["deprecated"] is True, key
        assert "use API v2 (`" in operation["description"], key
        assert operation["operationId"].startswith("v1_"), key
        assert operation["tags"][0].startswith("v1 "), key


def test_operation_ids_stay_unique(schema: dict[str, Any]) -> None:
    ids = [
        operation["operationId"]
        for item in schema["paths"].values()
        for method, operation in item.items()
        if method in METHODS
    ]

    assert len(ids) == len(set(ids))


def test_every_v1_response_declares_the_deprecation_headers(schema: dict[str, Any]) -> None:
    for key, operation in v1_operations(schema).items():
        for status, response in operation["responses"].items():
            assert {"Deprecation", "Sunset", "Link"} <= set(response["headers"]), (key, status)


def test_every_v1_operation_has_a_success_example_and_each_body_one(
    schema: dict[str, Any],
) -> None:
    for key, operation in v1_operations(schema).items():
        success = next(r for status, r in operation["responses"].items() if status < "300")
        assert success["content"]["application/json"]["examples"], key
        if "requestBody" in operation:
            assert operation["requestBody"]["content"]["application/json"]["examples"], key


def test_the_v1_subscriber_has_referrals_count_and_not_v2s_fields(schema: dict[str, Any]) -> None:
    listing = v1_operations(schema)[("/v1/campaigns/{campaign_pk}/subscribers/", "get")]
    envelope = component(
        schema, listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    )
    subscriber = component(schema, envelope["properties"]["subscribers"]["items"]["$ref"])

    assert "meta" not in envelope["properties"]
    assert "referrals_count" in subscriber["required"]
    assert not {"referred", "referral_status", "country_code", "cpa"} & set(
        subscriber["properties"]
    )


def test_creates_answer_as_v1_does(schema: dict[str, Any]) -> None:
    operations = v1_operations(schema)
    create = operations[("/v1/campaigns/{campaign_pk}/subscribers/", "post")]
    events = operations[("/v1/campaigns/{campaign_pk}/subscribers/{id}/events/", "post")]
    body = component(schema, create["requestBody"]["content"]["application/json"]["schema"]["$ref"])

    assert "200" in create["responses"]
    assert "201" not in create["responses"]
    assert "200" in events["responses"]
    assert "201" not in events["responses"]
    assert "country_code" not in body["properties"]
    errors = create["responses"]["400"]["content"]["application/json"]["examples"]
    assert {example["value"]["error"] for example in errors.values()} == {
        "You have to provide at least an email",
        "Email is invalid",
        "Email has already been taken",
    }


def test_v1_webhook_bodies_know_two_flags(schema: dict[str, Any]) -> None:
    create = v1_operations(schema)[("/v1/campaigns/{campaign_pk}/webhooks/", "post")]
    body = component(schema, create["requestBody"]["content"]["application/json"]["schema"]["$ref"])

    assert set(body["properties"]) == {"url", "new_referral", "reward_unlocked"}


def test_the_v1_operations_need_the_scopes_v2_asks_for(schema: dict[str, Any]) -> None:
    operations = v1_operations(schema)

    assert operations[("/v1/campaigns/", "get")]["security"] == [
        {"ApiKey": []},
        {"OAuth2": ["read:campaigns"]},
    ]
    assert operations[("/v1/campaigns/{campaign_pk}/subscribers/", "post")]["security"][1] == {
        "OAuth2": ["write:subscribers"]
    }
    assert operations[("/v1/campaigns/{campaign_pk}/webhooks/{id}/", "delete")]["security"][1] == {
        "OAuth2": ["write:webhooks"]
    }
