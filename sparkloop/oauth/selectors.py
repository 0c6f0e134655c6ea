"""Reads of the OAuth app, scoped to a team."""

from __future__ import annotations

import hashlib

from django.db.models import QuerySet

from sparkloop.exceptions import NotFound
from sparkloop.models import Team, TeamMembership
from sparkloop.oauth.models import AccessToken, Application, Connection

CONNECTION_NOT_FOUND = "Connection {id} not found!"


def connection_list(*, team: Team) -> QuerySet[Connection]:
    """The apps connected to a team, most recently connected first."""
    return (
        Connection.objects.filter(team=team)
        .select_related("application")
        .order_by("-connected_at", "-id")
    )


def connection_get(*, team: Team, public_id: str) -> Connection:
    connection = connection_list(team=team).filter(public_id=public_id).first()
    if connection is None:
        raise NotFound(CONNECTION_NOT_FOUND.format(id=public_id))
    return connection


def application_list(*, team: Team) -> QuerySet[Application]:
    """The apps a team registered itself."""
    return Application.objects.filter(team=team).order_by("-created", "-id")


def membership_teams(*, user_id: int) -> QuerySet[Team]:
    """The teams a person may act for, by name."""
    return Team.objects.filter(
        pk__in=TeamMembership.objects.filter(user_id=user_id).values("team_id")
    ).order_by("name")


def access_token_held_by(*, token: str, client_id: str | None) -> bool:
    """Whether `token` is an access token issued to the app `client_id` (live or not)."""
    if not client_id:
        return False
    checksum = hashlib.sha256(token.encode()).hexdigest()
    return AccessToken.objects.filter(
        token_checksum=checksum, application__client_id=client_id
    ).exists()
