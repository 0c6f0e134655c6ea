"""Maintained team counters: add in the writer's transaction, read by summing the shards."""

from __future__ import annotations

import random

from django.db import connection
from django.db.models import Sum

from sparkloop.models import Team, TeamCounter

# A team's subscribers, kept by the subscribers app and shown on the team's admin page (the
# name lives here so that the plumbing's admin need not import the app above it).
TEAM_SUBSCRIBERS = "subscribers"


def _connection_shard() -> int:
    """The shard this database connection writes to, drawn once per connection.

    One shard per connection spreads concurrent writers (each server process or thread has
    its own connection) while a transaction takes its counter rows in code order: a random
    shard per call let one transaction lock two shards of a counter in the opposite order
    of another's, a deadlock (seen in bench/load.py's P4).
    """
    shard = getattr(connection, "_sparkloop_counter_shard", None)
    if shard is None:
        shard = random.randrange(TeamCounter.SHARDS)  # noqa: S311 - load spreading only
        connection._sparkloop_counter_shard = shard  # type: ignore[attr-defined]
    return shard


def counter_add(*, team_id: int, name: str, delta: int) -> None:
    """Add `delta` to a team counter inside the caller's transaction."""
    if not delta:
        return
    table = connection.ops.quote_name(TeamCounter._meta.db_table)
    shard = _connection_shard()
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
