"""Hostile input never reaches a query: NUL characters and bodies nested too deeply.

One guard for every route (sparkloop/middleware.py for paths, queries, forms and Basic
credentials; sparkloop/api/parsers.py for JSON bodies), tested on each route where a NUL
used to be a 500.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from referrals.models import RewardGrant
from sparkloop.api.parsers import BODY_NUL
from sparkloop.middleware import CREDENTIALS_NUL, QUERY_NUL
from sparkloop.models import Team
from tests.oauth.helpers import (
    REDIRECT_URI,
    authorized_code,
    make_app,
)
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

NUL_NOT_FOUND = {"error": "\x00 not found!"}


@pytest.fixture
def webhook(team: Team) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(team=team, url="https://hooks.example/h")


class TestNulInAPath:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("get", "/v2/webhooks/%00"),
            ("put", "/v2/webhooks/%00"),
            ("delete", "/v2/webhooks/%00"),
            ("post", "/v2/webhooks/%00/test"),
            ("post", "/v2/webhooks/%00/rotate_secret"),
            ("get", "/v2/webhooks/%00/deliveries"),
            ("get", "/v2/webhooks/%00/deliveries/%00"),
            ("post", "/v2/webhooks/%00/deliveries/%00/resend"),
            ("delete", "/v2/oauth/connections/%00"),
            ("get", "/v2/subscribers/%00"),
            ("get", "/v2/campaigns/%00/subscribers/%00"),
            ("get", "/api/v2/webhooks/%00"),
        ],
    )
    def test_it_is_the_contracts_404(self, api_client: APIClient, method: str, path: str) -> None:
        response = getattr(api_client, method)(path)

        assert response.status_code == 404
        assert response.json() == NUL_NOT_FOUND

    def test_it_names_the_identifier_as_given(
        self, api_client: APIClient, webhook: WebhookEndpoint
    ) -> None:
        response = api_client.post(f"/v2/webhooks/{webhook.public_id}/deliveries/ab%00cd/resend")

        assert response.status_code == 404
        assert response.json() == {"error": "ab\x00cd not found!"}

    def test_a_path_matching_no_route_is_the_plain_404(self, api_client: APIClient) -> None:
        response = api_client.get("/v2/web%00hooks")

        assert response.status_code == 404
        assert response.json() == {"error": "Not found"}

    def test_it_is_a_404_outside_the_api(self, admin_client: Client) -> None:
        response = admin_client.get("/admin/sparkloop/team/%00/change/")

        assert response.status_code == 404


class TestNulInAQuery:
    def test_it_is_a_400_on_the_api(self, api_client: APIClient) -> None:
        response = api_client.get("/v2/subscribers", {"type": "all\x00"})

        assert response.status_code == 400
        assert response.json() == {"error": QUERY_NUL}

    def test_it_is_a_400_in_the_admin_search(self, admin_client: Client) -> None:
        response = admin_client.get("/admin/sparkloop/team/", {"q": "a\x00b"})

        assert response.status_code == 400
        assert response.json() == {"error": QUERY_NUL}

    def test_a_percent_sign_before_two_zeros_is_not_a_nul(self, api_client: APIClient) -> None:
        response = api_client.get("/v2/subscribers/100%2500@example.com")

        assert response.status_code == 404
        assert response.json() == {"error": "Subscriber 100%00@example.com not found!"}


class TestNulInABody:
    def test_a_json_string_with_a_nul_is_a_400(self, api_client: APIClient) -> None:
        response = api_client.post(
            "/v2/subscribers", {"email": "ann@example.com", "name": "A\x00"}, format="json"
        )

        assert response.status_code == 400
        assert response.json() == {"error": "Name: Null characters are not allowed."}

    def test_a_json_key_with_a_nul_is_a_400(self, api_client: APIClient) -> None:
        response = api_client.post(
            "/v2/subscribers", {"email": "ann@example.com", "n\x00": 1}, format="json"
        )

        assert response.status_code == 400
        assert response.json() == {"error": BODY_NUL}

    def test_a_form_body_with_a_nul_is_a_400(self, api_client: APIClient) -> None:
        response = api_client.post("/v2/subscribers", {"email": "ann\x00@example.com"})

        assert response.status_code == 400
        assert response.json() == {"error": "Email: Null characters are not allowed."}

    def test_a_put_form_body_with_a_nul_is_a_400(
        self, api_client: APIClient, webhook: WebhookEndpoint
    ) -> None:
        response = api_client.put(
            f"/v2/webhooks/{webhook.public_id}",
            "url=https%3A%2F%2Fhooks.example%2F%00",
            content_type="application/x-www-form-urlencoded",
        )

        assert response.status_code == 400
        assert response.json() == {"error": "Url: Null characters are not allowed."}

    def test_shipping_details_with_a_nul_are_a_400_on_redeem(
        self, api_client: APIClient, team: Team
    ) -> None:
        campaign = api_client.post(
            "/v2/campaigns", {"name": "C", "rewards": [{"name": "Mug", "referrals": 1}]}, "json"
        ).json()["campaign"]
        ref = api_client.post("/v2/subscribers", {"email": "ref@example.com"}, "json").json()
        ref = ref["subscriber"]
        api_client.post(
            f"/v2/campaigns/{campaign['uuid']}/campaign_memberships",
            {"subscriber_uuid": ref["uuid"]},
            "json",
        )
        api_client.post(
            "/v2/subscribers",
            {"email": "one@example.com", "referrer_code": ref["ref_code"], "status": "confirmed"},
            "json",
        )
        grant = RewardGrant.objects.get()
        path = (
            f"/v2/campaigns/{campaign['uuid']}/subscribers/{ref['uuid']}"
            f"/rewards/{grant.public_id}/redeem"
        )

        response = api_client.post(path, {"shipping_details": {"name": "A\x00n"}}, format="json")

        assert response.status_code == 400
        assert response.json() == {"error": "Shipping details: Null characters are not allowed."}
        grant.refresh_from_db()
        assert grant.status == RewardGrant.Status.UNLOCKED


class TestDeepJson:
    @staticmethod
    def nested(depth: int) -> str:
        return '{"email": "ann@example.com", "name": ' + "[" * depth + "]" * depth + "}"

    def test_a_body_nested_5000_deep_is_a_400(self, api_client: APIClient) -> None:
        response = api_client.post(
            "/v2/subscribers", self.nested(5000), content_type="application/json"
        )

        assert response.status_code == 400
        assert response.json() == {"error": "The JSON body is nested more than 32 levels deep"}

    def test_a_body_nested_just_past_the_limit_is_a_400(self, api_client: APIClient) -> None:
        response = api_client.post(
            "/v2/subscribers", self.nested(32), content_type="application/json"
        )

        assert response.status_code == 400
        assert response.json() == {"error": "The JSON body is nested more than 32 levels deep"}

    def test_a_body_within_the_limit_is_parsed(self, api_client: APIClient) -> None:
        response = api_client.post(
            "/v2/subscribers", self.nested(31), content_type="application/json"
        )

        # Parsed, then refused by the serializer for what it is (a list is not a name).
        assert response.status_code == 400
        assert "nested" not in response.json()["error"]


def oauth_error(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()  # type: ignore[no-any-return]


class TestNulAtTheOAuthEndpoints:
    @pytest.mark.parametrize("field", ["client_id", "code", "redirect_uri", "code_verifier"])
    def test_the_token_endpoint_answers_invalid_request(self, team: Team, field: str) -> None:
        app, secret = make_app()
        data = {
            "grant_type": "authorization_code",
            "code": "abc",
            "redirect_uri": REDIRECT_URI,
            "code_verifier": "v" * 50,
            "client_id": app.client_id,
            "client_secret": secret,
        }
        data[field] += "\x00"

        body = oauth_error(Client().post("/oauth/token/", data))

        assert body == {
            "error": "invalid_request",
            "error_description": f"{field} must not contain NUL characters",
        }

    def test_a_valid_code_survives_a_request_refused_for_a_nul(self, team: Team) -> None:
        app, secret, code, verifier = authorized_code(team)
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": app.client_id,
            "client_secret": secret,
        }
        oauth_error(Client().post("/oauth/token/", {**data, "client_secret": secret + "\x00"}))

        assert Client().post("/oauth/token/", data).status_code == 200

    @pytest.mark.parametrize("field", ["client_id", "token"])
    def test_the_revocation_endpoint_answers_invalid_request(self, team: Team, field: str) -> None:
        app, secret = make_app()
        data = {"token": "t", "client_id": app.client_id, "client_secret": secret}
        data[field] += "\x00"

        body = oauth_error(Client().post("/oauth/revoke_token/", data))

        assert body == {
            "error": "invalid_request",
            "error_description": f"{field} must not contain NUL characters",
        }

    def test_a_nul_in_basic_credentials_is_invalid_request(self, team: Team) -> None:
        credentials = base64.b64encode(b"client\x00id:secret").decode()

        response = Client().post(
            "/oauth/token/",
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=f"Basic {credentials}",
        )

        assert oauth_error(response) == {
            "error": "invalid_request",
            "error_description": CREDENTIALS_NUL,
        }

    def test_a_nul_in_the_authorize_query_is_invalid_request(self, team: Team) -> None:
        response = Client().get("/oauth/authorize/", {"client_id": "x\x00"})

        assert oauth_error(response) == {"error": "invalid_request", "error_description": QUERY_NUL}
