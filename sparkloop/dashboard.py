"""The admin index's "teams at a glance": each team's numbers in one table.

The subscriber count comes from the maintained counters (the largest teams first); the other
columns are registered by the apps that own them (`register_column`, in their
`AppConfig.ready()`), so this module imports no app. A column is one grouped query over the
listed teams, on an index: the page costs a fixed handful of queries however many rows exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Sum

from sparkloop.counters import TEAM_SUBSCRIBERS
from sparkloop.models import Team, TeamCounter

# team ids -> {team id: figure}; teams missing from the answer show 0.
ColumnQuery = Callable[[list[int]], dict[int, int]]
TEAMS_SHOWN = 20


@dataclass(frozen=True)
class Column:
    label: str
    query: ColumnQuery
    # The admin change list a figure links to, filtered by team (`{team}`: the team's id).
    link: str = ""


COLUMNS: list[Column] = []


def register_column(label: str, query: ColumnQuery, link: str = "") -> None:
    if all(column.label != label for column in COLUMNS):
        COLUMNS.append(Column(label, query, link))


@dataclass(frozen=True)
class TeamRow:
    team: Team
    subscribers: int
    figures: list[tuple[str, int, str]]  # label, figure, link


def team_rows(limit: int = TEAMS_SHOWN) -> tuple[list[str], list[TeamRow]]:
    """The column labels and a row per team, the teams with the most subscribers first."""
    counts = (
        TeamCounter.objects.filter(name=TEAM_SUBSCRIBERS)
        .values("team_id")
        .annotate(total=Sum("value"))
        .order_by("-total", "team_id")[:limit]
    )
    subscribers = {row["team_id"]: int(row["total"] or 0) for row in counts}
    teams = list(Team.objects.filter(pk__in=subscribers).order_by())
    if len(teams) < limit:  # teams with no subscriber yet
        teams += list(
            Team.objects.exclude(pk__in=subscribers).order_by("-id")[: limit - len(teams)]
        )
    teams.sort(key=lambda team: (-subscribers.get(team.pk, 0), team.name))
    ids = [team.pk for team in teams]
    results = [(column, column.query(ids)) for column in COLUMNS]
    rows = [
        TeamRow(
            team=team,
            subscribers=subscribers.get(team.pk, 0),
            figures=[
                (
                    column.label,
                    found.get(team.pk, 0),
                    column.link.format(team=team.pk) if column.link else "",
                )
                for column, found in results
            ],
        )
        for team in teams
    ]
    return [column.label for column in COLUMNS], rows
