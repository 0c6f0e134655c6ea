"""Bugs the schema fuzzing (tests/fuzz) found, pinned by example."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_a_timestamp_before_year_1000_keeps_four_digits(api_client: APIClient) -> None:
    response = api_client.post(
        "/v2/subscribers",
        {"email": "old@example.com", "created_at": "0652-08-06T21:51:26.42-17:00"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["subscriber"]["created_at"] == "0652-08-07T14:51:26.420Z"


def test_a_validation_error_on_a_list_item_has_the_error_shape(api_client: APIClient) -> None:
    response = api_client.post(
        "/v2/campaigns", {"name": "Spring", "rewards": [{"name": "Sticker"}]}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert isinstance(body["error"], str)
    assert isinstance(body["errors"], dict)
