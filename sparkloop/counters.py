"""Maintained team counters: add in the writer's transaction, read by summing the shards.

A service that moves several counters opens `counters_deferred()`: its additions are summed
in memory and written at the end of the block in one statement, rows in sorted order. The
subscriber services do, so that their counter rows are the last locks they take, always in
the same order (see `counters_deferred`).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.models import Sum

from sparkloop.models import Team, TeamCounter
from sparkloop.prepared import prepared_cursor

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
    """Add `delta` to a team counter inside the caller's transaction (at the end of the
    enclosing `counters_deferred()` block, if one is open)."""
    if not delta:
        return
    pending: dict[tuple[int, str], int] | None = getattr(connection, "_sparkloop_counters", None)
    if pending is not None:
        pending[team_id, name] = pending.get((team_id, name), 0) + delta
        return
    _write({(team_id, name): delta})


def _write(deltas: dict[tuple[int, str], int]) -> None:
    rows = [(key, delta) for key, delta in sorted(deltas.items()) if delta]
    if not rows:
        return
    table = connection.ops.quote_name(TeamCounter._meta.db_table)
    shard = _connection_shard()
    params: list[int | str] = []
    for (team_id, name), delta in rows:
        params += [team_id, name, shard, delta]
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    # INSERT … ON CONFLICT DO UPDATE (and `excluded`) alike on PostgreSQL and SQLite >= 3.24.
    with prepared_cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (team_id, name, shard, value) VALUES {values} "  # noqa: S608
            f"ON CONFLICT (team_id, name, shard) DO UPDATE SET value = {table}.value + "
            "excluded.value",
            params,
        )


@contextmanager
def counters_deferred() -> Iterator[None]:
    """Sum the `counter_add`s of the block and write them at its end, in one statement.

    Rows are written in (team, name) order, and last: two transactions that both defer
    take their counter rows in the same order after every other lock they hold, so the
    counters cannot deadlock them (a shard is drawn per connection, and two connections
    may share one). Nested blocks write with the outermost; an exception writes nothing
    (the transaction is rolled back anyway). Call it inside the transaction.
    """
    if getattr(connection, "_sparkloop_counters", None) is not None:
        yield
        return
    pending: dict[tuple[int, str], int] = {}
    connection._sparkloop_counters = pending  # type: ignore[attr-defined]
    try:
        yield
    finally:
        connection._sparkloop_counters = None  # type: ignore[attr-defined]
    _write(pending)


def counter_get(*, team: Team | int, name: str) -> int:
    team_id = team if isinstance(team, int) else team.pk
    total = TeamCounter.objects.filter(team_id=team_id, name=name).aggregate(v=Sum("value"))["v"]
    return int(total or 0)
