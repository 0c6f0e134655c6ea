"""The OpenAPI document reads as documentation: a real example for every body, no `"string"`
placeholder, no bound that is only a column's size, and a description for every tag."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from sparkloop.api.examples import BY_FORMAT

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}
# Anything this large is a database column's size (2**31 - 1, 2**63 - 1), not a rule.
LARGEST_SANE_BOUND = 10**12


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    response = APIClient().get("/v2/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(path, key, value) for every key of every object in the document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}/{index}")


def values(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        for value in node.values():
            yield from values(value)
    elif isinstance(node, list):
        for value in node:
            yield from values(value)
    else:
        yield node


def bodies(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                yield f"{method} {path} request {media}", content
            for status, response in operation["responses"].items():
                if status.startswith("2"):
                    for media, content in response.get("content", {}).items():
                        yield f"{method} {path} {status} {media}", content


def test_every_request_and_response_body_has_an_example(schema: dict[str, Any]) -> None:
    missing = [
        name
        for name, content in bodies(schema)
        if not (content.get("example") or content.get("examples"))
    ]

    assert missing == []
    assert len(list(bodies(schema))) > 50


def test_no_example_is_a_placeholder(schema: dict[str, Any]) -> None:
    placeholders = [
        path
        for path, key, value in walk(schema)
        if key in ("example", "examples")
        and any(leaf in ("string", "user@example.com") for leaf in values({key: value}))
    ]

    assert placeholders == []


def test_every_plain_string_field_has_an_example(schema: dict[str, Any]) -> None:
    bare = [
        f"{name}.{prop}"
        for name, component in schema["components"]["schemas"].items()
        for prop, field in component.get("properties", {}).items()
        if field.get("type") == "string"
        and "example" not in field
        and "enum" not in field
        and field.get("format") not in BY_FORMAT
    ]

    assert bare == []


def test_no_integer_bound_is_a_column_size(schema: dict[str, Any]) -> None:
    huge = [
        f"{path}/{key}={value}"
        for path, key, value in walk(schema)
        if key in ("maximum", "minimum")
        and isinstance(value, int)
        and abs(value) > LARGEST_SANE_BOUND
    ]

    assert huge == []


def test_the_campaign_holding_days_read_as_the_api_takes_them(schema: dict[str, Any]) -> None:
    holding = schema["components"]["schemas"]["CampaignOutput"]["properties"]["holding_days"]

    assert (holding["minimum"], holding["maximum"]) == (0, 365)


def test_a_subscriber_create_example_is_a_body_the_api_accepts(
    schema: dict[str, Any], api_client: APIClient
) -> None:
    operation = schema["paths"]["/v2/subscribers/"]["post"]
    example = operation["requestBody"]["content"]["application/json"]["example"]
    example.pop("referrer_code", None)  # refers to nobody in this team

    response = api_client.post("/v2/subscribers", example, format="json")

    assert response.status_code == 201, response.content
    answer = operation["responses"]["201"]["content"]["application/json"]["example"]
    assert set(answer["subscriber"]) <= set(response.json()["subscriber"]) | {"referral_programs"}


def test_every_tag_is_described(schema: dict[str, Any]) -> None:
    used = {
        tag
        for item in schema["paths"].values()
        for method, operation in item.items()
        if method in METHODS
        for tag in operation.get("tags", [])
    }
    described = {tag["name"]: tag.get("description", "") for tag in schema.get("tags", [])}

    assert used <= set(described)
    assert all(described[tag] for tag in used)
