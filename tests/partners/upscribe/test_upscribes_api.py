"""HTTP contract of the upscribes themselves (reference §7, §11.5; extension: create)."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from referrals.partners.models import Publication
from referrals.partners.models.upscribe import Upscribe
from sparkloop.models import Team
from tests.oauth.helpers import bearer, fast_hashers, issue_token
from tests.partners.factories import PublicationFactory

__all__ = ["fast_hashers"]

pytestmark = pytest.mark.django_db

UPSCRIBE_ID = re.compile(r"^upscribe_[0-9a-f]{12}$")


class TestCreate:
    def test_it_creates_an_upscribe_of_an_own_publication(
        self, api_client: APIClient, publication: Publication
    ) -> None:
        response = api_client.post(
            "/v2/upscribes",
            {
                "publication_uuid": publication.public_id,
                "after_submission_behaviour": "redirect",
                "redirect_url": "https://alice.example.com/thanks",
                "visibility_rules": ["https://alice.example.com/*"],
                "after_submission_rules": [
                    {
                        "behaviour": "close_widget",
                        "current_url": "https://alice.example.com/",
                        "redirect_url": None,
                    }
                ],
                "auto_pilot": True,
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        body = response.json()["upscribe"]
        assert UPSCRIBE_ID.match(body["uuid"])
        assert body["active"] is True
        assert body["after_submission_behaviour"] == "redirect"
        assert body["redirect_url"] == "https://alice.example.com/thanks"
        assert body["visibility_rules"] == ["https://alice.example.com/*"]
        assert body["after_submission_rules"][0]["behaviour"] == "close_widget"
        assert body["auto_pilot"] is True
        assert body["publication_uuid"] == publication.public_id
        assert Upscribe.objects.get(public_id=body["uuid"]).auto_pilot is True

    def test_it_defaults_to_an_active_widget_that_hides(
        self, api_client: APIClient, publication: Publication
    ) -> None:
        response = api_client.post(
            "/v2/upscribes/", {"publication_uuid": publication.public_id}, format="json"
        )
        body = response.json()["upscribe"]
        assert (body["active"], body["after_submission_behaviour"]) == (True, "hide_widget")
        assert body["visibility_rules"] == []
        assert body["redirect_url"] is None

    def test_it_needs_a_publication_uuid(self, api_client: APIClient) -> None:
        response = api_client.post("/v2/upscribes", {}, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "Publication uuid can't be blank"

    def test_it_refuses_another_teams_publication(
        self, api_client: APIClient, other_team: Team
    ) -> None:
        theirs = PublicationFactory.create(team=other_team)
        response = api_client.post(
            "/v2/upscribes", {"publication_uuid": theirs.public_id}, format="json"
        )
        assert response.status_code == 404
        assert response.json() == {"error": f"Publication {theirs.public_id} not found."}
        assert not Upscribe.objects.exists()

    def test_it_needs_a_redirect_url_to_redirect(
        self, api_client: APIClient, publication: Publication
    ) -> None:
        response = api_client.post(
            "/v2/upscribes",
            {"publication_uuid": publication.public_id, "after_submission_behaviour": "redirect"},
            format="json",
        )
        assert response.status_code == 400
        assert response.json() == {"error": "Redirect url can't be blank"}

    def test_it_refuses_an_unknown_behaviour(
        self, api_client: APIClient, publication: Publication
    ) -> None:
        response = api_client.post(
            "/v2/upscribes",
            {"publication_uuid": publication.public_id, "after_submission_behaviour": "explode"},
            format="json",
        )
        assert response.status_code == 400
        assert "after_submission_behaviour" in response.json()["errors"]


class TestListAndGet:
    def test_it_lists_the_teams_upscribes_newest_first_without_meta(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, publication: Publication
    ) -> None:
        second = api_client.post(
            "/v2/upscribes", {"publication_uuid": publication.public_id}, format="json"
        ).json()["upscribe"]
        body = api_client.get("/v2/upscribes").json()
        assert set(body) == {"upscribes"}
        assert [u["uuid"] for u in body["upscribes"]] == [second["uuid"], upscribe.public_id]

    def test_it_never_lists_another_teams_upscribes(
        self, other_client: APIClient, upscribe: Upscribe
    ) -> None:
        assert other_client.get("/v2/upscribes").json() == {"upscribes": []}

    def test_it_gets_one(self, api_client: APIClient, upscribe: Upscribe) -> None:
        response = api_client.get(f"/v2/upscribes/{upscribe.public_id}")
        assert response.status_code == 200
        assert response.json()["upscribe"]["uuid"] == upscribe.public_id

    def test_it_answers_404_with_a_full_stop(self, api_client: APIClient) -> None:
        response = api_client.get("/v2/upscribes/upscribe_4bc10562d97a")
        assert response.status_code == 404
        assert response.json() == {"error": "Upscribe upscribe_4bc10562d97a not found."}

    def test_it_answers_404_for_another_teams_upscribe(
        self, other_client: APIClient, upscribe: Upscribe
    ) -> None:
        for method, path in (
            ("get", ""),
            ("put", ""),
            ("get", "/stats"),
            ("post", "/subscribe"),
            ("get", "/recommendations"),
            ("post", "/recommendations"),
        ):
            response = getattr(other_client, method)(
                f"/v2/upscribes/{upscribe.public_id}{path}", {}, format="json"
            )
            assert response.status_code == 404, (method, path)
            assert response.json() == {"error": f"Upscribe {upscribe.public_id} not found."}


class TestUpdate:
    def test_it_turns_auto_pilot_on(self, api_client: APIClient, upscribe: Upscribe) -> None:
        response = api_client.put(
            f"/v2/upscribes/{upscribe.public_id}", {"auto_pilot": True}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["upscribe"]["auto_pilot"] is True
        upscribe.refresh_from_db()
        assert upscribe.auto_pilot is True
        assert upscribe.active is True

    def test_it_changes_the_widgets_settings(
        self, api_client: APIClient, upscribe: Upscribe
    ) -> None:
        body = api_client.put(
            f"/v2/upscribes/{upscribe.public_id}/",
            {
                "active": False,
                "after_submission_behaviour": "redirect",
                "redirect_url": "https://alice.example.com/next",
                "visibility_rules": [],
            },
            format="json",
        ).json()["upscribe"]
        assert body["active"] is False
        assert body["redirect_url"] == "https://alice.example.com/next"

    def test_it_keeps_a_redirect_url_while_redirecting(
        self, api_client: APIClient, upscribe: Upscribe
    ) -> None:
        response = api_client.put(
            f"/v2/upscribes/{upscribe.public_id}",
            {"after_submission_behaviour": "redirect"},
            format="json",
        )
        assert response.status_code == 400
        assert response.json() == {"error": "Redirect url can't be blank"}
        upscribe.refresh_from_db()
        assert upscribe.after_submission_behaviour == "hide_widget"


class TestScopes:
    def test_it_needs_read_partners_to_list(self, team: Team, upscribe: Upscribe) -> None:
        client = bearer(issue_token(team=team, scope="read:subscribers"))
        response = client.get("/v2/upscribes")
        assert response.status_code == 403
        assert response.json() == {"error": "Missing scope: read:partners"}
        client = bearer(issue_token(team=team, scope="read:partners"))
        assert client.get("/v2/upscribes").status_code == 200

    def test_it_needs_write_partners_to_subscribe(self, team: Team, upscribe: Upscribe) -> None:
        client = bearer(issue_token(team=team, scope="read:partners"))
        response = client.post(f"/v2/upscribes/{upscribe.public_id}/subscribe", {}, format="json")
        assert response.status_code == 403
        assert response.json() == {"error": "Missing scope: write:partners"}
