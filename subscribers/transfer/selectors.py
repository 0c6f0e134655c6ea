"""Reads of imports, always scoped to a team."""

from __future__ import annotations

from django.db.models import QuerySet

from sparkloop.exceptions import NotFound
from sparkloop.models import Team
from subscribers.transfer.models import SubscriberImport

IMPORT_NOT_FOUND = "Import {identifier} not found!"


def subscriber_import_list(*, team: Team) -> QuerySet[SubscriberImport]:
    """A team's imports, newest first."""
    return SubscriberImport.objects.filter(team=team).order_by("-created_at", "-id")


def subscriber_import_get(*, team: Team, identifier: str) -> SubscriberImport:
    """The team's import `import_…`; the contract's 404 for another team's or none."""
    found = SubscriberImport.objects.filter(team=team, public_id=identifier.strip()).first()
    if found is None:
        raise NotFound(IMPORT_NOT_FOUND.format(identifier=identifier))
    return found
