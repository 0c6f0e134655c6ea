"""`expand=` of the subscriber endpoints: what the apps above add to subscriber objects.

The subscribers app renders the subscriber object but cannot import the apps above it
(`expand=campaigns` adds the referrals app's `referral_programs`). An app registers an
expansion in its `AppConfig.ready()`: the name clients ask for, the key it adds to each
object, and a function that renders it for a whole page of subscribers at once (so a page
costs a fixed number of queries, not one per subscriber). Unknown names are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sparkloop.models import Team
from subscribers.models import Subscriber

# Renders one expansion for a page: {subscriber pk: value}; a subscriber left out gets [].
Render = Callable[[Team, Sequence[Subscriber]], Mapping[int, Any]]


@dataclass(frozen=True)
class Expansion:
    key: str
    render: Render


_EXPANSIONS: dict[str, Expansion] = {}


def expansion_register(*, name: str, key: str, render: Render) -> None:
    """Offer `expand=<name>`: each subscriber object gets `key`, as `render` gives it."""
    _EXPANSIONS[name] = Expansion(key=key, render=render)


def expansion_names(value: str | None) -> frozenset[str]:
    """The registered expansions a comma-separated `expand` parameter asks for."""
    asked = {name.strip() for name in (value or "").split(",")}
    return frozenset(asked & _EXPANSIONS.keys())


def expansions_apply(
    items: list[dict[str, Any]],
    subscribers: Sequence[Subscriber],
    *,
    team: Team,
    names: Iterable[str],
) -> list[dict[str, Any]]:
    """Add each asked expansion to the rendered objects of `subscribers` (same order)."""
    for name in sorted(names):
        expansion = _EXPANSIONS[name]
        values = expansion.render(team, subscribers)
        for item, subscriber in zip(items, subscribers, strict=True):
            item[expansion.key] = values.get(subscriber.pk, [])
    return items
