"""model_update: only the given, changed fields are written."""

from __future__ import annotations

import pytest

from sparkloop.models import Team
from sparkloop.updates import UNSET, model_update

pytestmark = pytest.mark.django_db


def test_model_update_writes_only_the_fields_given_and_changed(team: Team) -> None:
    _, changed = model_update(
        instance=team,
        fields=["name", "rate_limit_tier"],
        data={"name": "renamed", "rate_limit_tier": UNSET},
    )

    assert changed == ["name"]
    assert Team.objects.get(pk=team.pk).name == "renamed"


def test_model_update_changes_nothing_when_values_are_equal(team: Team) -> None:
    _, changed = model_update(instance=team, fields=["name"], data={"name": team.name})

    assert changed == []
