"""Maintained team counters."""

from __future__ import annotations

import pytest
from django.db import transaction

from sparkloop.counters import counter_add, counter_get
from sparkloop.models import Team, TeamCounter

pytestmark = pytest.mark.django_db


def test_counter_get_sums_every_shard(team: Team) -> None:
    TeamCounter.objects.bulk_create(
        TeamCounter(team=team, name="things", shard=shard, value=shard) for shard in range(3)
    )
    counter_add(team_id=team.pk, name="things", delta=4)
    assert counter_get(team=team, name="things") == 7


def test_one_transaction_writes_each_counter_to_a_single_row(team: Team) -> None:
    # Two rows of one counter locked by one transaction could be locked in the opposite
    # order by another: a deadlock. A connection keeps to one shard.
    with transaction.atomic():
        for _ in range(10):
            counter_add(team_id=team.pk, name="things", delta=1)
    assert TeamCounter.objects.filter(team=team, name="things").count() == 1
    assert counter_get(team=team, name="things") == 10


def test_a_zero_delta_writes_nothing(team: Team) -> None:
    counter_add(team_id=team.pk, name="things", delta=0)
    assert not TeamCounter.objects.filter(name="things").exists()
