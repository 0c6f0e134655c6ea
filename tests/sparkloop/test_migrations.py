"""Migrations of the plumbing that move things without losing them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from sparkloop.models import TeamMembership

BEFORE = [("sparkloop", "0001_initial"), ("oauth", "0001_initial")]
AFTER = [("sparkloop", "0003_teammembership_content_type")]


def migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture
def migrated_back(transactional_db: None) -> Iterator[None]:
    migrate(BEFORE)
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_moving_team_membership_to_sparkloop_keeps_its_rows_and_content_type(
    migrated_back: None,
) -> None:
    # The team as it was then (later migrations add columns the current model has).
    old_team = (
        MigrationExecutor(connection)
        .loader.project_state(BEFORE)
        .apps.get_model("sparkloop", "Team")
    )
    team = old_team.objects.create(name="kept-news")
    user = User.objects.create_user(username="kept")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO oauth_teammembership (user_id, team_id, created_at)"
            " VALUES (%s, %s, CURRENT_TIMESTAMP)",
            [user.pk, team.pk],
        )
    ContentType.objects.get_or_create(app_label="oauth", model="teammembership")
    ContentType.objects.filter(app_label="sparkloop", model="teammembership").delete()
    old_type = ContentType.objects.get(app_label="oauth", model="teammembership")

    migrate(AFTER)

    membership = TeamMembership.objects.get()
    assert (membership.user_id, membership.team_id) == (user.pk, team.pk)
    ContentType.objects.clear_cache()
    assert ContentType.objects.get_for_model(TeamMembership).pk == old_type.pk
