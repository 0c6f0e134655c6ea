"""Admin of teams and API keys: keys are created through the service and shown once."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sparkloop.models import ApiKey, Team, hash_api_key
from sparkloop.services import api_key_create, api_key_revoke
from subscribers.services import subscriber_create
from tests.admin.helpers import count_queries_on, messages_of
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

RAW_KEY = re.compile(r"is: ([0-9a-f]{32}) —")


def key_url(name: str, *args: object) -> str:
    return reverse(f"admin:sparkloop_apikey_{name}", args=args)


def team_url(name: str, *args: object) -> str:
    return reverse(f"admin:sparkloop_team_{name}", args=args)


class TestTeamAdmin:
    def test_it_lists_teams_on_an_empty_database(self, admin_client: Client) -> None:
        response = admin_client.get(team_url("changelist"))
        assert response.status_code == 200

    def test_it_shows_subscriber_counts_from_the_counter_not_count(
        self, admin_client: Client, team: Team, other_team: Team
    ) -> None:
        for i in range(3):
            subscriber_create(team=team, email=f"r{i}@example.com")
        subscriber_create(team=other_team, email="x@example.com")

        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(team_url("changelist"))

        assert response.status_code == 200
        counts = {t.name: t.subscriber_total for t in response.context["cl"].result_list}
        assert counts == {"alice-news": 3, "charlie-news": 1}
        sql = [q["sql"] for q in queries.captured_queries]
        assert count_queries_on(sql, "subscribers_subscriber") == []

    def test_it_searches_teams_by_name_and_public_id(
        self, admin_client: Client, team: Team, other_team: Team
    ) -> None:
        for term in ("alice", team.public_id):
            response = admin_client.get(team_url("changelist"), {"q": term})
            assert list(response.context["cl"].result_list) == [team]

    def test_it_shows_a_teams_page_with_its_keys_but_no_hash_or_raw_key(
        self, admin_client: Client, team: Team
    ) -> None:
        key, raw = api_key_create(team=team, name="zapier")
        subscriber_create(team=team, email="a@example.com")

        response = admin_client.get(team_url("change", team.pk))

        assert response.status_code == 200
        content = response.content.decode()
        assert key.prefix in content
        assert "zapier" in content
        assert raw not in content
        assert key.key_hash not in content
        assert team.webhook_token not in content  # encrypted at rest: a prefix only
        assert f"{team.webhook_token[:6]}…" in content
        assert 'name="webhook_token"' not in content
        assert 'name="public_id"' not in content
        assert f"?team={team.pk}" in content  # the link to the team's subscribers

    def test_it_creates_a_team_through_the_service(self, admin_client: Client) -> None:
        response = admin_client.post(
            team_url("add"),
            {
                "name": "bob-news",
                "rate_limit_tier": "custom",
                "custom_rate_limit": "50",
                "custom_rate_period": "10",
                "api_keys-TOTAL_FORMS": "0",
                "api_keys-INITIAL_FORMS": "0",
            },
        )

        assert response.status_code == 302, response.content
        team = Team.objects.get(name="bob-news")
        assert team.public_id.startswith("team_")
        assert (team.rate_limit_tier, team.custom_rate_limit, team.custom_rate_period) == (
            "custom",
            50,
            10,
        )

    def test_it_edits_a_teams_rate_limits(self, admin_client: Client, team: Team) -> None:
        token = team.webhook_token
        response = admin_client.post(
            team_url("change", team.pk),
            {
                "name": "alice-news",
                "rate_limit_tier": "partner",
                "custom_rate_limit": "",
                "custom_rate_period": "",
                "webhook_token": "forged",
                "api_keys-TOTAL_FORMS": "0",
                "api_keys-INITIAL_FORMS": "0",
            },
        )

        assert response.status_code == 302, response.content
        team.refresh_from_db()
        assert team.rate_limit_tier == "partner"
        assert team.webhook_token == token

    def test_it_does_not_offer_deleting_a_team(self, admin_client: Client, team: Team) -> None:
        response = admin_client.get(team_url("delete", team.pk))
        assert response.status_code == 403


class TestApiKeyAdmin:
    def test_it_shows_a_new_key_once_and_stores_only_its_hash(
        self, admin_client: Client, team: Team
    ) -> None:
        response = admin_client.post(key_url("add"), {"team": team.pk, "name": "zapier"})
        assert response.status_code == 302

        page = admin_client.get(response["Location"])
        match = RAW_KEY.search(page.content.decode())
        assert match, page.content
        raw = match.group(1)
        key = ApiKey.objects.get(team=team, name="zapier")
        assert key.key_hash == hash_api_key(raw)
        assert key.prefix == raw[:8]
        assert not ApiKey.objects.filter(key_hash=raw).exists()
        assert raw not in str(ApiKey.objects.filter(pk=key.pk).values().get())

        again = admin_client.get(response["Location"])
        assert raw not in again.content.decode()
        assert key.key_hash not in again.content.decode()

        api = Client().get("/v2/subscribers", HTTP_X_API_KEY=raw)
        assert api.status_code == 200

    def test_it_prefills_the_team_from_the_teams_page_link(
        self, admin_client: Client, team: Team
    ) -> None:
        response = admin_client.get(key_url("add"), {"team": team.pk})
        assert response.status_code == 200
        assert response.context["adminform"].form.initial["team"] == str(team.pk)

    def test_it_lists_keys_with_their_prefix_and_state(
        self, admin_client: Client, team: Team, other_team: Team
    ) -> None:
        live, _ = api_key_create(team=team, name="live")
        dead, _ = api_key_create(team=other_team, name="dead")
        api_key_revoke(key=dead)

        response = admin_client.get(key_url("changelist"))
        assert response.status_code == 200
        content = response.content.decode()
        assert live.prefix in content
        assert dead.prefix in content
        assert live.key_hash not in content

        revoked = admin_client.get(key_url("changelist"), {"revoked_at__isempty": "0"})
        assert list(revoked.context["cl"].result_list) == [dead]
        by_prefix = admin_client.get(key_url("changelist"), {"q": live.prefix})
        assert list(by_prefix.context["cl"].result_list) == [live]

    def test_it_lets_staff_rename_a_key_but_nothing_else(
        self, admin_client: Client, team: Team, other_team: Team
    ) -> None:
        key, _ = api_key_create(team=team, name="old")
        page = admin_client.get(key_url("change", key.pk))
        assert page.status_code == 200
        assert key.key_hash not in page.content.decode()

        response = admin_client.post(
            key_url("change", key.pk),
            {"name": "new", "team": other_team.pk, "prefix": "xxxx", "key_hash": "0" * 64},
        )

        assert response.status_code == 302, response.content
        fresh = ApiKey.objects.get(pk=key.pk)
        assert (fresh.name, fresh.team_id, fresh.prefix, fresh.key_hash) == (
            "new",
            team.pk,
            key.prefix,
            key.key_hash,
        )

    def test_it_revokes_selected_keys_through_the_service(
        self, admin_client: Client, team: Team
    ) -> None:
        first, raw = api_key_create(team=team, name="first")
        second, _ = api_key_create(team=team, name="second")
        api_key_revoke(key=second)
        kept, kept_raw = api_key_create(team=team, name="kept")

        response = admin_client.post(
            key_url("changelist"),
            {"action": "revoke_keys", "_selected_action": [first.pk, second.pk]},
            follow=True,
        )

        assert response.status_code == 200
        assert messages_of(response) == [
            "Revoked 1 API key(s).",
            "1 selected key(s) were already revoked.",
        ]
        first.refresh_from_db()
        kept.refresh_from_db()
        assert first.revoked_at is not None
        assert kept.revoked_at is None
        assert Client().get("/v2/subscribers", HTTP_X_API_KEY=raw).status_code == 401
        assert Client().get("/v2/subscribers", HTTP_X_API_KEY=kept_raw).status_code == 200


def test_staff_without_login_are_sent_to_the_login_page(client: Client, db: None) -> None:
    TeamFactory()
    response = client.get(team_url("changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_admin_index_and_the_team_picker_popup_load(admin_client: Client, team: Team) -> None:
    assert admin_client.get(reverse("admin:index")).status_code == 200
    popup = admin_client.get(team_url("changelist"), {"_to_field": "id", "_popup": "1"})
    assert popup.status_code == 200
    assert list(popup.context["cl"].result_list) == [team]
