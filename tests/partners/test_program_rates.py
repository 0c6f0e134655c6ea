"""The programs' maintained 90-day confirmation rates (PartnerProgram `rate_*`,
`confirmation_rate`): refreshed by the hourly settlement job right after it settles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from referrals.partners.earnings.rates import program_rates_refresh
from referrals.partners.earnings.services import partner_referral_create
from referrals.partners.earnings.tasks import partner_referrals_settle_task
from referrals.partners.models import PartnerProgram, PartnerReferral
from sparkloop.models import Team
from subscribers.models import Subscriber
from tests.clients import KeyedClient
from tests.partners.catalog.conftest import make_program
from tests.partners.factories import PartnerCampaignFactory, settled_referrals

pytestmark = pytest.mark.django_db


def _rates(program: PartnerProgram) -> tuple[int, int, float | None]:
    program.refresh_from_db()
    return program.rate_settled_count, program.rate_confirmed_count, program.confirmation_rate


def test_a_settlement_run_leaves_each_programs_rate_of_the_last_90_days() -> None:
    campaign = PartnerCampaignFactory.create(program__cpa_cents=100)
    other = PartnerCampaignFactory.create(program__cpa_cents=100)
    program, quiet = campaign.program, other.program
    assert program is not None
    assert quiet is not None
    for i in range(24):
        partner_referral_create(campaign=campaign, email=f"p{i}@ex.com")
    # Six leave before the end of their pending period: rejected `unsubscribed`, counted.
    Subscriber.objects.filter(email__in=[f"p{i}@ex.com" for i in range(6)]).update(
        status="unsubscribed"
    )
    # A rejection at the door is no outcome of the pending period: not counted.
    rejected = partner_referral_create(campaign=campaign, email="p0@ex.com")
    assert rejected.rejection_reason == "already_subscribed"
    PartnerReferral.objects.update(pending_until=timezone.now() - timedelta(minutes=1))
    assert _rates(program) == (0, 0, None)

    assert partner_referrals_settle_task() == 24

    assert _rates(program) == (24, 18, 0.75)
    assert program.rates_computed_at is not None
    assert _rates(quiet) == (0, 0, None)


def test_below_twenty_settled_a_program_has_counts_but_no_rate() -> None:
    campaign = PartnerCampaignFactory.create()
    assert campaign.program is not None
    for i in range(19):
        partner_referral_create(campaign=campaign, email=f"p{i}@ex.com")
    PartnerReferral.objects.update(pending_until=timezone.now() - timedelta(minutes=1))
    partner_referrals_settle_task()
    assert _rates(campaign.program) == (19, 19, None)


def test_a_program_whose_settlements_leave_the_window_is_reset() -> None:
    campaign = PartnerCampaignFactory.create()
    program = campaign.program
    assert program is not None
    for i in range(20):
        partner_referral_create(campaign=campaign, email=f"p{i}@ex.com")
    PartnerReferral.objects.update(pending_until=timezone.now() - timedelta(minutes=1))
    partner_referrals_settle_task()
    assert _rates(program) == (20, 20, 1.0)

    # 89 days later: still in the window; 91 days later: out of it.
    assert program_rates_refresh(now=timezone.now() + timedelta(days=89)) == 1
    assert _rates(program) == (20, 20, 1.0)
    assert program_rates_refresh(now=timezone.now() + timedelta(days=91)) == 1
    assert _rates(program) == (0, 0, None)
    # Nothing to write any more once reset.
    assert program_rates_refresh(now=timezone.now() + timedelta(days=92)) == 0


def test_the_program_object_shows_the_rate_of_the_last_settlement_run(
    api_client: KeyedClient, team: Team
) -> None:
    shown = make_program(api_client, cpa=2.0)
    program = PartnerProgram.objects.get(public_id=shown["uuid"])
    campaign = PartnerCampaignFactory.create(program=program, publication=program.publication)
    for i in range(20):
        partner_referral_create(campaign=campaign, email=f"p{i}@ex.com")
    Subscriber.objects.filter(email__in=[f"p{i}@ex.com" for i in range(4)]).update(
        status="unsubscribed"
    )
    PartnerReferral.objects.update(pending_until=timezone.now() - timedelta(minutes=1))

    def got() -> dict[str, Any]:
        body = api_client.get(f"/v2/partner_programs/{shown['uuid']}").json()
        program: dict[str, Any] = body["partner_program"]
        return program

    before = got()
    assert before["expected_referral_confirmation_rate"] is None
    assert before["screening_strictness"] == "not_enough_data"
    partner_referrals_settle_task()
    after = got()
    assert after["expected_referral_confirmation_rate"] == 80
    assert after["screening_strictness"] == "fair"
    assert after["expected_earning_per_referral"] == "$1.6"


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_rates_of_the_referrals_already_settled() -> None:
    campaign = PartnerCampaignFactory.create()
    program = campaign.program
    assert program is not None
    # The last one at the door: not counted.
    outcomes = {None: 15, "unsubscribed": 5, "already_subscribed": 7}
    settled_referrals(campaign, days=3, outcomes=outcomes)
    executor = MigrationExecutor(connection)
    executor.migrate([("partners", "0008_merge_earnings_upscribe")])
    executor = MigrationExecutor(connection)  # forward again: 0009 fills the columns
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert _rates(program) == (20, 15, 0.75)
    # 0013 fills the last 30 days' counts: every settled referral, the door's too.
    assert _recent(program) == (27, 15)


def _recent(program: PartnerProgram) -> tuple[int, int]:
    program.refresh_from_db()
    return program.recent_settled_count, program.recent_confirmed_count


def test_the_last_30_days_count_every_settled_referral_of_the_window() -> None:
    campaign = PartnerCampaignFactory.create()
    program = campaign.program
    assert program is not None
    # In the last 30 days: 6 confirmed, 2 unsubscribed, 2 rejected at the door (shown
    # as settled by `last_30_days_confirmation_rate`, not counted in the 90-day rate).
    settled_referrals(
        campaign, days=3, outcomes={None: 6, "unsubscribed": 2, "budget_exhausted": 2}
    )
    settled_referrals(campaign, days=45, outcomes={None: 12})  # in the 90 days only
    assert _recent(program) == (0, 0)

    program_rates_refresh()

    assert _recent(program) == (10, 6)
    assert _rates(program) == (20, 18, 0.9)
    # 28 days later the first ones have left the 30 days; 91 days later everything.
    program_rates_refresh(now=timezone.now() + timedelta(days=28))
    assert _recent(program) == (0, 0)
    assert program_rates_refresh(now=timezone.now() + timedelta(days=91)) == 1
    assert _recent(program) == (0, 0)
    assert _rates(program) == (0, 0, None)
