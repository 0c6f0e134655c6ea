"""Maintained team counters: add in the writer's transaction, read by summing the shards."""

from __future__ import annotations

import random

from django.db import connection
from django.db.models import Sum

from sparkloop.models import Team, TeamCounter


def counter_add(*, team_id: int, name: str, delta: int) -> None:
    """Add `delta` to a team counter inside the caller's transaction."""
    if not delta:
        return
    table = connection.ops.quote_name(TeamCounter._meta.db_table)
    shard = random.randrange(TeamCounter.SHARDS)  # noqa: S311 - load spreading, not security
    # INSERT … ON CONFLICT DO UPDATE is supported alike by PostgreSQL and SQLite >= 3.24.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (team_id, name, shard, value) VALUES (%s, %s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (team_id, name, shard) DO UPDATE SET value = {table}.value + %s",
            [team_id, name, shard, delta, delta],
        )


def counter_get(*, team: Team | int, name: str) -> int:
    team_id = team if isinstance(team, int) else team.pk
    total = TeamCounter.objects.filter(team_id=team_id, name=name).aggregate(v=Sum("value"))["v"]
    return int(total or 0)
