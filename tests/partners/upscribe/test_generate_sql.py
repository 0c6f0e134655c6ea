"""Generate's one ranking statement (upscribe/ranking.py): a fixed number of statements
whatever the number of recommendations, the confirmation rate in the ranking, the same
objects as the list, and (PostgreSQL, real threads) concurrent generates on auto pilot."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from referrals.partners.earnings.selectors import month_of
from referrals.partners.earnings.tasks import partner_referrals_settle_task
from referrals.partners.models import (
    CampaignBudgetMonth,
    PartnerCampaign,
    PartnerProgram,
    ProgramBudgetMonth,
)
from referrals.partners.models.upscribe import Upscribe, UpscribeImpressionDay
from referrals.partners.upscribe.services import recommendation_setting_update
from sparkloop.models import Team
from tests.partners.factories import PartnerProgramFactory, settled_referrals
from tests.partners.upscribe.helpers import free_recommendation, paid, paid_recommendation

pytestmark = pytest.mark.django_db

PATH = "/v2/upscribes/{}/recommendations"


def _generate(client: APIClient, upscribe: Upscribe, **body: Any) -> list[dict[str, Any]]:
    response = client.post(PATH.format(upscribe.public_id), body, format="json")
    assert response.status_code == 200, response.content
    recs: list[dict[str, Any]] = response.json()["recommendations"]
    return recs


def _settled(
    campaign: PartnerCampaign, *, confirmed: int, rejected: int, days: int = 1, refresh: bool = True
) -> None:
    """Referrals of `campaign` settled `days` ago (then, with `refresh`, a settlement run)."""
    settled_referrals(campaign, days=days, outcomes={None: confirmed, "unsubscribed": rejected})
    if refresh:  # the hourly job refreshes the programs' 90-day rates the ranking reads
        partner_referrals_settle_task()


def _world(team: Team, upscribe: Upscribe, size: int) -> None:
    """`size` free and `size` paid recommendations, one pinned, one paused, budget rows."""
    month = month_of(timezone.now().date())
    for _ in range(size):
        free_recommendation(team)
        campaign = paid_recommendation(team)
        assert campaign.program is not None
        ProgramBudgetMonth.objects.create(program=campaign.program, month=month, used_cents=10)
        CampaignBudgetMonth.objects.create(campaign=campaign, month=month, reserved_cents=10)
    first, second = PartnerCampaign.objects.filter(team=team).order_by("id")[:2]
    recommendation_setting_update(upscribe=upscribe, campaign=first, pinned=True)
    recommendation_setting_update(upscribe=upscribe, campaign=second, paused=True)


@paid
def test_generate_makes_the_same_statements_for_4_or_40_recommendations(
    api_client: APIClient, team: Team, upscribe: Upscribe
) -> None:
    counts = []
    for size in (2, 20):
        _world(team, upscribe, size)
        _generate(api_client, upscribe, limit=3, country_code="US")  # warm: key cache
        with CaptureQueriesContext(connection) as queries:
            assert len(_generate(api_client, upscribe, limit=3, country_code="US")) == 3
        counts.append([q["sql"].split()[0] for q in queries.captured_queries])
    assert counts[0] == counts[1]
    # The upscribe, the ranking with the rows it renders, the impressions (and what
    # authentication reads or touches, the same for any request).
    ours = [q for q in counts[0] if q in ("WITH", "INSERT")]
    assert ours == ["WITH", "INSERT"]
    assert len(counts[0]) <= 5


@paid
def test_it_ranks_by_cpa_times_the_programs_confirmation_rate(
    api_client: APIClient, team: Team, upscribe: Upscribe
) -> None:
    # 400 x 25 % = 100; 300 x the unknown rate (50 %) = 150; 250 x 100 % = 250.
    poor = paid_recommendation(team, program=PartnerProgramFactory.create(cpa_cents=400))
    unknown = paid_recommendation(team, program=PartnerProgramFactory.create(cpa_cents=300))
    sure = paid_recommendation(team, program=PartnerProgramFactory.create(cpa_cents=250))
    _settled(poor, confirmed=5, rejected=15)
    _settled(sure, confirmed=20, rejected=0)
    _settled(unknown, confirmed=0, rejected=19)  # below 20 settled: no rate yet
    recs = _generate(api_client, upscribe, limit=3)
    assert [r["uuid"] for r in recs] == [sure.public_id, unknown.public_id, poor.public_id]
    assert [r["last_30_days_confirmation_rate"] for r in recs] == [100, 0, 25]


@paid
def test_the_ranking_reads_the_rate_of_the_last_settlement_run(
    api_client: APIClient, team: Team, upscribe: Upscribe
) -> None:
    # 400 x 25 % = 100 against 250 x the unknown rate (50 %) = 125, until a settlement
    # run counts the second program's new settlements: 250 x 0 % = 0.
    poor = paid_recommendation(team, program=PartnerProgramFactory.create(cpa_cents=400))
    later = paid_recommendation(team, program=PartnerProgramFactory.create(cpa_cents=250))
    _settled(poor, confirmed=5, rejected=15)
    assert [r["uuid"] for r in _generate(api_client, upscribe, limit=2)] == [
        later.public_id,
        poor.public_id,
    ]

    _settled(later, confirmed=0, rejected=20, refresh=False)
    assert [r["uuid"] for r in _generate(api_client, upscribe, limit=2)] == [
        later.public_id,
        poor.public_id,
    ]

    partner_referrals_settle_task()
    assert [r["uuid"] for r in _generate(api_client, upscribe, limit=2)] == [
        poor.public_id,
        later.public_id,
    ]


@paid
def test_old_settlements_count_in_the_90_day_rate_but_not_in_the_30_day_one(
    api_client: APIClient, team: Team, upscribe: Upscribe
) -> None:
    campaign = paid_recommendation(team)
    _settled(campaign, confirmed=20, rejected=0, days=60)
    (rec,) = _generate(api_client, upscribe, limit=1)
    assert rec["last_30_days_confirmation_rate"] is None


@paid
def test_generated_objects_are_the_lists_objects(
    api_client: APIClient, team: Team, upscribe: Upscribe
) -> None:
    _world(team, upscribe, 3)
    _settled(paid_recommendation(team), confirmed=3, rejected=1)
    last = PartnerCampaign.objects.filter(team=team).latest("id")
    recommendation_setting_update(upscribe=upscribe, campaign=last, reason="Hi")
    listed = api_client.get(PATH.format(upscribe.public_id), {"per_page": 200}).json()
    by_uuid = {r["uuid"]: r for r in listed["recommendations"]}
    generated = _generate(api_client, upscribe, limit=20, country_code="US")
    assert len(generated) == 6  # 3 free + 4 paid, less the paused one
    for rec in generated:
        assert rec == by_uuid[rec["uuid"]]
    assert generated[0]["pinned"] is True


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@paid
def test_concurrent_generates_on_auto_pilot_join_once_and_count_every_impression(
    team: Team, upscribe: Upscribe
) -> None:
    from tests.conftest import _client_for

    upscribe.auto_pilot = True
    upscribe.save()
    programs = [PartnerProgramFactory.create(cpa_cents=100 * (n + 1)) for n in range(3)]
    threads, rounds = 6, 4
    barrier, failures, lock = threading.Barrier(threads), [], threading.Lock()

    clients = [_client_for(team) for _ in range(threads)]

    def visitor(client: APIClient) -> None:
        try:
            barrier.wait()
            for _ in range(rounds):
                recs = _generate(client, upscribe, limit=2, country_code="US")
                assert [r["cpa"] for r in recs] == [300, 200]
        except Exception as error:
            with lock:
                failures.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=visitor, args=(client,)) for client in clients]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    joined = PartnerCampaign.objects.filter(partner_profile=team.partner_profile)
    assert sorted(c.program_id or 0 for c in joined) == sorted(p.pk for p in programs[1:])
    shown = dict(
        UpscribeImpressionDay.objects.filter(upscribe=upscribe).values_list(
            "campaign__program_id", "impressions"
        )
    )
    assert shown == {programs[2].pk: threads * rounds, programs[1].pk: threads * rounds}
    assert not PartnerProgram.objects.filter(pk=programs[0].pk, partner_campaigns__isnull=False)
