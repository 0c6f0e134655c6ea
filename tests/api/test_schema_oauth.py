"""The OAuth operations in the schema: described once (sparkloop/oauth/openapi.py), exactly."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    response = APIClient().get("/v2/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def body_of(schema: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    ref = schema["paths"][path][method]["responses"][status]["content"]["application/json"]
    name = ref["schema"]["$ref"].rsplit("/", 1)[-1]
    return schema["components"]["schemas"][name]  # type: ignore[no-any-return]


def component(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    return schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[-1]]  # type: ignore[no-any-return]


def test_registering_an_app_answers_the_application_with_its_secret(
    schema: dict[str, Any],
) -> None:
    envelope = body_of(schema, "/v2/oauth/applications/", "post", "201")
    application = component(schema, envelope["properties"]["application"])

    assert "client_secret" in application["required"]
    assert application["properties"]["grant_type"]["$ref"].endswith("/GrantTypeEnum")
    assert (
        "The client secret is in this answer only."
        in (schema["paths"]["/v2/oauth/applications/"]["post"]["description"])
    )


def test_the_app_list_requires_every_key_of_an_application(schema: dict[str, Any]) -> None:
    envelope = body_of(schema, "/v2/oauth/applications/", "get", "200")
    application = component(schema, envelope["properties"]["applications"]["items"])

    assert set(application["required"]) == {
        "name",
        "client_id",
        "client_type",
        "grant_type",
        "redirect_uris",
        "created_at",
    }


def test_connections_carry_their_scopes_as_a_list(schema: dict[str, Any]) -> None:
    envelope = body_of(schema, "/v2/oauth/connections/", "get", "200")
    connection = component(schema, envelope["properties"]["connections"]["items"])

    assert connection["properties"]["scopes"]["type"] == "array"
    summary = schema["paths"]["/v2/oauth/connections/{id}/"]["delete"]["summary"]
    assert summary == "Disconnect an app: revoke every token it holds for the team"


def test_oauth_operations_take_api_keys_only(schema: dict[str, Any]) -> None:
    for path in ("/v2/oauth/applications/", "/v2/oauth/connections/"):
        assert schema["paths"][path]["get"]["security"] == [{"ApiKey": []}]
