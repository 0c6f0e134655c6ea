"""The admin of OAuth apps, tokens, memberships and connections."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from sparkloop.models import Team
from sparkloop.oauth.models import AccessToken, Connection
from sparkloop.oauth.services import connection_record
from tests.oauth.helpers import bearer, issue_token, make_app


@pytest.mark.django_db
class TestOAuthAdmin:
    @pytest.mark.parametrize(
        "model",
        [
            "oauth_application",
            "oauth_accesstoken",
            "oauth_refreshtoken",
            "oauth_grant",
            "sparkloop_teammembership",
        ],
    )
    def test_it_shows_each_changelist_and_add_page(self, admin_client: Client, model: str) -> None:
        make_app(name="Listed app")

        assert admin_client.get(reverse(f"admin:{model}_changelist")).status_code == 200
        if model in ("oauth_application", "sparkloop_teammembership"):
            assert admin_client.get(reverse(f"admin:{model}_add")).status_code == 200

    def test_it_lists_applications_with_their_team(self, admin_client: Client, team: Team) -> None:
        make_app(team=team, name="Team app")

        page = admin_client.get(reverse("admin:oauth_application_changelist")).content.decode()

        assert "Team app" in page
        assert team.name in page

    def test_it_disconnects_an_app_from_a_team_with_the_action(
        self, admin_client: Client, team: Team
    ) -> None:
        app, _ = make_app()
        connection = connection_record(
            team=team, application=app, scope="read:subscribers", consented=True
        )
        token = issue_token(team=team, scope="read:subscribers", app=app)

        response = admin_client.post(
            reverse("admin:oauth_connection_changelist"),
            {"action": "revoke", "_selected_action": [connection.pk]},
        )

        assert response.status_code == 302
        assert not Connection.objects.exists()
        assert not AccessToken.objects.exists()
        assert bearer(token).get("/v2/subscribers").status_code == 401


@pytest.mark.django_db
class TestDisconnectPermission:
    def staff(self, *codenames: str) -> Client:
        user = User.objects.create_user(username="viewer", password="x", is_staff=True)
        user.user_permissions.set(
            Permission.objects.filter(content_type__app_label="oauth", codename__in=codenames)
        )
        browser = Client()
        browser.force_login(user)
        return browser

    def test_a_view_only_user_cannot_disconnect(self, team: Team) -> None:
        app, _ = make_app()
        connection = connection_record(team=team, application=app, scope="", consented=True)
        browser = self.staff("view_connection")

        browser.post(
            reverse("admin:oauth_connection_changelist"),
            {"action": "revoke", "_selected_action": [connection.pk]},
        )

        assert Connection.objects.filter(pk=connection.pk).exists()

    def test_a_user_who_may_change_connections_disconnects_and_is_told_so(self, team: Team) -> None:
        app, _ = make_app()
        connection = connection_record(team=team, application=app, scope="", consented=True)
        browser = self.staff("view_connection", "change_connection")

        response = browser.post(
            reverse("admin:oauth_connection_changelist"),
            {"action": "revoke", "_selected_action": [connection.pk]},
            follow=True,
        )

        assert not Connection.objects.exists()
        assert [str(m) for m in response.context["messages"]] == ["Disconnected 1 app(s)."]
