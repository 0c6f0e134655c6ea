"""Reads of referral campaigns, scoped to a team."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sparkloop.models import Team
from subscribers.models import Subscriber


def referral_programs_for(
    *, team: Team, subscribers: Iterable[Subscriber]
) -> dict[int, list[dict[str, Any]]]:
    """`expand=campaigns`: each subscriber's campaigns, keyed by subscriber pk."""
    return {s.pk: [] for s in subscribers}
