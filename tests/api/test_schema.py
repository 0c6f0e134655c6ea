"""The OpenAPI schema (/v2/schema) and its docs: valid, public, complete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}
SCOPES = {
    f"{verb}:{resource}"
    for verb in ("read", "write")
    for resource in ("subscribers", "campaigns", "webhooks", "partners")
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    # Generated once for the module (it takes seconds); serving it needs no database.
    response = APIClient().get("/v2/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200, response.content
    return response.json()  # type: ignore[no-any-return]


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_the_schema_validates_without_a_warning(tmp_path: Path) -> None:
    # The same check as `manage.py spectacular --validate --fail-on-warn` in CI.
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")


def test_the_schema_is_public_under_both_prefixes(anon_client: APIClient) -> None:
    for prefix in ("/v2", "/api/v2"):
        response = anon_client.get(f"{prefix}/schema")

        assert response.status_code == 200
        assert yaml.safe_load(response.content)["info"]["version"] == "2"


@pytest.mark.parametrize(("path", "marker"), [("/v2/docs", b"swagger-ui"), ("/v2/redoc", b"redoc")])
def test_the_docs_pages_are_served(anon_client: APIClient, path: str, marker: bytes) -> None:
    response = anon_client.get(path)

    assert response.status_code == 200
    assert marker in response.content.lower()


def test_it_describes_each_subscriber_endpoint(schema: dict[str, Any]) -> None:
    described = {(path, method) for path, method, _ in operations(schema)}

    assert {
        ("/v2/subscribers/", "get"),
        ("/v2/subscribers/", "post"),
        ("/v2/subscribers/{id}/", "get"),
        ("/v2/subscribers/{id}/", "put"),
        ("/v2/subscribers/{id}/", "delete"),
        ("/v2/subscribers/{id}/unsubscribe/", "put"),
        ("/v2/subscribers/{id}/reject/", "put"),
        ("/v2/subscribers/{id}/events/", "post"),
    } <= described
    assert not any(path.startswith("/api/v2/") for path, _ in described)  # an alias, once


def test_it_describes_bodies_and_parameters(schema: dict[str, Any]) -> None:
    create = schema["paths"]["/v2/subscribers/"]["post"]
    listing = schema["paths"]["/v2/subscribers/"]["get"]
    body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    request = schema["components"]["schemas"][body.rsplit("/", 1)[1]]

    assert request["required"] == ["email"]
    assert {"name", "referrer_code", "utm_source", "created_at"} <= set(request["properties"])
    assert {p["name"] for p in listing["parameters"]} == {"type", "expand", "page", "per_page"}
    assert "201" in create["responses"]


def test_every_operation_documents_its_errors_and_rate_limit_headers(
    schema: dict[str, Any],
) -> None:
    error = schema["components"]["schemas"]["Error"]

    assert error["required"] == ["error"]
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        assert {"400", "401", "404", "429"} <= set(responses), (path, method)
        assert responses["401"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
        for status, response in responses.items():
            assert "X-RateLimit-Remaining" in response["headers"], (path, method, status)
        assert "Retry-After" in responses["429"]["headers"]


def test_both_security_schemes_with_every_scope(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]

    assert schemes["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
        "description": schemes["ApiKey"]["description"],
    }
    flows = schemes["OAuth2"]["flows"]
    assert set(flows) == {"authorizationCode", "clientCredentials"}
    assert set(flows["authorizationCode"]["scopes"]) == SCOPES


def test_each_operation_names_the_scope_its_method_needs(schema: dict[str, Any]) -> None:
    subscribers = schema["paths"]["/v2/subscribers/"]

    assert subscribers["get"]["security"] == [{"ApiKey": []}, {"OAuth2": ["read:subscribers"]}]
    assert subscribers["post"]["security"] == [{"ApiKey": []}, {"OAuth2": ["write:subscribers"]}]
    for path, method, operation in operations(schema):
        assert {"ApiKey": []} in operation["security"], (path, method)
