"""Subscribe makes its picks in one set-based transaction: budgets and caps hold under
concurrent visitors, and a failing pick takes none of the others with it (PostgreSQL)."""

from __future__ import annotations

import logging

import pytest
from django.db import DatabaseError, connection
from django.db.models import Count

from referrals.partners.models import (
    CampaignBudgetMonth,
    PartnerCampaign,
    PartnerReferral,
    ProgramBudgetMonth,
)
from referrals.partners.models.upscribe import Upscribe, UpscribePick
from referrals.partners.upscribe.services import upscribe_subscribe
from sparkloop.exceptions import ServiceError
from sparkloop.models import Team
from subscribers.models import Subscriber
from tests.partners.factories import PartnerProgramFactory
from tests.partners.test_earnings_concurrency import run_together
from tests.partners.upscribe.helpers import NEEDS_REFERRALS, paid_recommendation

pytestmark = [pytest.mark.postgres, NEEDS_REFERRALS]

# A real failure of one recommended team's write: its subscribers cannot be inserted.
_FAIL_TEAM = """
CREATE FUNCTION test_refuse_team() RETURNS trigger AS $$
BEGIN
    IF NEW.team_id = %s THEN RAISE EXCEPTION 'refused for the test'; END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER test_refuse_team BEFORE INSERT ON subscribers_subscriber
    FOR EACH ROW EXECUTE FUNCTION test_refuse_team();
"""


@pytest.mark.django_db
def test_a_failing_pick_leaves_the_ones_before_it_made_and_itself_not_at_all(
    team: Team, upscribe: Upscribe, caplog: pytest.LogCaptureFixture
) -> None:
    first, failing, last = (paid_recommendation(team) for _ in range(3))
    with connection.cursor() as cursor:
        cursor.execute(_FAIL_TEAM % int(failing.publication.team_id))
    codes = [first.ref_code, failing.ref_code, last.ref_code]
    with caplog.at_level(logging.WARNING), pytest.raises(DatabaseError):
        upscribe_subscribe(upscribe=upscribe, email="ann@example.com", ref_codes=codes)
    assert "one by one" in caplog.text
    # The batch was rolled back whole; then the first pick was made on its own, the
    # failing one not at all (nor anything of it), and the last not tried (as before).
    assert list(PartnerReferral.objects.values_list("campaign_id", flat=True)) == [first.pk]
    assert list(UpscribePick.objects.values_list("campaign_id", flat=True)) == [first.pk]
    assert Subscriber.objects.filter(email="ann@example.com").count() == 1
    reserved = dict(ProgramBudgetMonth.objects.values_list("program_id", "reserved_cents"))
    assert reserved == {first.program_id: 250}
    assert list(CampaignBudgetMonth.objects.values_list("campaign_id", flat=True)) == [first.pk]
    failing.refresh_from_db()
    assert (failing.pending_count, failing.rejected_count) == (0, 0)


def _recommendation(team: Team, **program: int) -> PartnerCampaign:
    return paid_recommendation(team, program=PartnerProgramFactory.create(cpa_cents=100, **program))


@pytest.mark.django_db(transaction=True)
def test_concurrent_visitors_never_pass_a_budget_or_a_cap(
    team: Team, upscribe: Upscribe, caplog: pytest.LogCaptureFixture
) -> None:
    budget = _recommendation(team, total_budget_cents=1000)  # 10 payable
    cap = _recommendation(team, max_payout_cents=500)  # 5 payable
    plenty = _recommendation(team)
    picks = [budget.ref_code, cap.ref_code, plenty.ref_code]

    def work(i: int) -> list[str]:
        # Each visitor picks in another order: the locks are taken in one order regardless.
        codes = picks[i % 3 :] + picks[: i % 3]
        outcomes = upscribe_subscribe(upscribe=upscribe, email=f"v{i}@example.com", ref_codes=codes)
        return [o.status for o in outcomes]

    with caplog.at_level(logging.WARNING):
        results = run_together(40, work)
    assert "one by one" not in caplog.text  # no deadlock, no retry: the batch held
    assert all(statuses.count("pending") >= 1 for statuses in results)
    payable = dict(
        PartnerReferral.objects.filter(payable=True)
        .values_list("campaign_id")
        .annotate(n=Count("id"))
    )
    assert payable == {budget.pk: 10, cap.pk: 5, plenty.pk: 40}
    rows = dict(ProgramBudgetMonth.objects.values_list("program_id", "reserved_cents"))
    assert rows == {budget.program_id: 1000, cap.program_id: 500, plenty.program_id: 4000}
    caps = dict(CampaignBudgetMonth.objects.values_list("campaign_id", "reserved_cents"))
    assert caps == {budget.pk: 1000, cap.pk: 500, plenty.pk: 4000}
    exhausted = PartnerReferral.objects.filter(rejection_reason="budget_exhausted")
    assert exhausted.count() == 30 + 35
    for campaign in (budget, cap, plenty):
        campaign.refresh_from_db()
        assert campaign.pending_count + campaign.rejected_count == 40
    assert Subscriber.objects.filter(origin="partner_network").count() == 120


@pytest.mark.django_db
def test_an_invalid_email_is_refused_once_with_nothing_made(
    team: Team, upscribe: Upscribe, caplog: pytest.LogCaptureFixture
) -> None:
    codes = [paid_recommendation(team).ref_code for _ in range(2)]
    with caplog.at_level(logging.WARNING), pytest.raises(ServiceError, match="Email is invalid"):
        upscribe_subscribe(upscribe=upscribe, email="not an email", ref_codes=codes)
    assert "one by one" not in caplog.text  # the person's error: not retried pick by pick
    assert not PartnerReferral.objects.exists()
    assert not ProgramBudgetMonth.objects.exists()
