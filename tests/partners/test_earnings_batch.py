"""Partner referrals made several at once (`partner_referrals_create`, the picks of one
subscribe): the same rows, counters, reservations and events as one `partner_referral_create`
per campaign, in a fixed number of statements."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals.models import BlocklistEntry, CampaignMembership
from referrals.partners.earnings.selectors import referral_campaigns
from referrals.partners.earnings.services import (
    partner_referral_create,
    partner_referrals_create,
)
from referrals.partners.models import (
    CampaignBudgetMonth,
    PartnerCampaign,
    PartnerReferral,
    ProgramBudgetMonth,
)
from referrals.selectors import counter_name
from sparkloop.counters import counter_get
from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.services import subscriber_create
from tests.factories import TeamFactory
from tests.partners.factories import PartnerCampaignFactory, PublicationFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db

EMAIL = "Ann.Lee@Mailinator.com"
PERSON: dict[str, Any] = {
    "email": EMAIL,
    "name": "Ann",
    "country_code": "us",
    "region_code": "CA",
    "utm_source": "welcome",
    "utm_campaign": "spring",
    "ip_address": "203.0.113.9",
}


def _world() -> list[tuple[PartnerCampaign, bool]]:
    """One partner's picks, one of each outcome: paid and paid for, over the partner's cap,
    a country the program refuses, free, and a team that has the person already (with a
    blocklist that matches her, so that the screening reads it)."""
    partner = TeamFactory.create()
    paid = PartnerCampaignFactory.create(team=partner, program__cpa_cents=300)
    BlocklistEntry.objects.create(
        team=paid.publication.team, kind="domain", pattern="*mailinator.com"
    )
    capped = PartnerCampaignFactory.create(
        team=partner, program__cpa_cents=200, program__max_payout_cents=100
    )
    abroad = PartnerCampaignFactory.create(
        team=partner, program__allow_worldwide_referrals=False, program__allowed_countries=["DE"]
    )
    free = PartnerCampaign.objects.create(
        team=partner,
        partner_profile=partner.partner_profile,
        publication=PublicationFactory.create(team=TeamFactory.create()),
        campaign_type=PartnerCampaign.Type.FREE,
    )
    known = PartnerCampaignFactory.create(team=partner)
    subscriber_create(team=known.publication.team, email=EMAIL.lower())
    campaigns = referral_campaigns(campaign_ids=[c.pk for c in (paid, capped, abroad, free, known)])
    picks = [campaigns[c.pk] for c in (paid, capped, abroad, free, known)]
    return [(campaign, campaign.pk == known.pk) for campaign in picks]


def _team_state(team: Team) -> dict[str, Any]:
    subscriber = Subscriber.objects.filter(team=team).order_by("-id").first()
    default = team.campaigns.get(is_default=True)
    events = []
    for event in Event.objects.filter(team=team).order_by("id"):
        # Ids differ between the two worlds; everything else must not.
        payload = {k: v for k, v in event.payload.items() if k != "id" and not k.endswith("_id")}
        for part in ("subscriber", "referrer", "campaign", "partner", "publication"):
            if isinstance(payload.get(part), dict):
                payload[part] = {
                    k: v
                    for k, v in payload[part].items()
                    if k not in ("id", "created_at", "ref_code", "referral_code", "name")
                    and not k.endswith(("_id", "_url", "_name"))
                }
        events.append((event.type, payload))
    return {
        "subscriber": None
        if subscriber is None
        else (
            subscriber.email,
            subscriber.name,
            subscriber.origin,
            subscriber.status,
            subscriber.referred,
            subscriber.referral_status,
            subscriber.cpa_cents,
            subscriber.country_code,
            subscriber.ip_address,
            subscriber.utm_source,
            subscriber.utm_campaign,
        ),
        "memberships": list(
            CampaignMembership.objects.filter(campaign=default).values_list(
                "referred", "referrals_count"
            )
        ),
        "counters": [
            counter_get(team=team, name=name)
            for name in ("subscribers", "subscribers.referred", counter_name(default.pk, "all"))
        ],
        "events": events,
    }


def _state(picks: list[tuple[PartnerCampaign, bool]], made: list[PartnerReferral]) -> Any:
    rows = []
    for (campaign, _), referral in zip(picks, made, strict=True):
        stored = PartnerReferral.objects.get(pk=referral.pk)
        campaign.refresh_from_db()
        rows.append(
            {
                "referral": (
                    stored.status,
                    stored.rejection_reason,
                    stored.payable,
                    stored.cpa_cents,
                    stored.budget_month,
                    stored.email,
                    stored.country_code,
                    stored.region_code,
                    stored.origin,
                    [s["code"] for s in stored.signals],
                    stored.subscriber_id is not None,
                ),
                "counts": (campaign.pending_count, campaign.rejected_count),
                "budget": list(
                    ProgramBudgetMonth.objects.filter(program=campaign.program_id).values_list(
                        "reserved_cents", "used_cents"
                    )
                ),
                "cap": list(
                    CampaignBudgetMonth.objects.filter(campaign=campaign).values_list(
                        "reserved_cents", "used_cents"
                    )
                ),
                "recommended": _team_state(campaign.publication.team),
            }
        )
    return rows, _team_state(picks[0][0].team)


def test_it_makes_what_one_create_per_campaign_makes() -> None:
    one_by_one = _world()
    singles = [
        partner_referral_create(campaign=campaign, already_subscribed=already, **PERSON)
        for campaign, already in one_by_one
    ]
    at_once = _world()
    batch = partner_referrals_create(picks=at_once, **PERSON)
    expected = _state(one_by_one, singles)
    assert [r["referral"][:2] for r in expected[0]] == [
        ("pending", None),
        ("rejected", "budget_exhausted"),
        ("rejected", "country_not_allowed"),
        ("pending", None),
        ("rejected", "already_subscribed"),
    ]
    assert expected[0][0]["referral"][9] == ["disposable_email", "blocklisted"]
    assert _state(at_once, batch) == expected


def test_it_takes_a_fixed_number_of_statements() -> None:
    def statements(picks: int) -> int:
        partner = TeamFactory.create()
        made = [PartnerCampaignFactory.create(team=partner) for _ in range(picks)]
        campaigns = referral_campaigns(campaign_ids=[c.pk for c in made])
        with CaptureQueriesContext(connection) as captured:
            partner_referrals_create(
                picks=[(campaigns[c.pk], False) for c in made], email=f"p{picks}@example.com"
            )
        return len(captured)

    # What grows with the picks is the recommended teams' own side (subscribers_created is
    # announced per team) and the events to each of them.
    assert statements(4) - statements(2) == 2 * (statements(3) - statements(2))
    assert statements(3) - statements(2) <= 6


def test_a_second_campaign_into_the_same_team_is_already_subscribed_and_gives_back() -> None:
    one = PartnerCampaignFactory.create(
        program__cpa_cents=100, program__total_budget_cents=200, program__max_payout_cents=500
    )
    two = PartnerCampaignFactory.create(program=one.program)
    campaigns = referral_campaigns(campaign_ids=[one.pk, two.pk])
    made = partner_referrals_create(
        picks=[(campaigns[one.pk], False), (campaigns[two.pk], False)], email="a@example.com"
    )
    assert [(r.payable, r.rejection_reason) for r in made] == [
        (True, None),
        (False, "already_subscribed"),
    ]
    # Both were reserved (one statement each round), the second given back.
    row = ProgramBudgetMonth.objects.get(program=one.program)
    assert (row.reserved_cents, row.used_cents) == (100, 0)
    assert Subscriber.objects.filter(email="a@example.com").count() == 1


def test_the_partners_velocity_flags_past_the_recommended_teams_limit() -> None:
    campaign = PartnerCampaignFactory.create()
    team = campaign.publication.team
    team.campaigns.filter(is_default=True).update(referrer_velocity_limit=2)
    loaded = referral_campaigns(campaign_ids=[campaign.pk])[campaign.pk]
    made = [partner_referral_create(campaign=loaded, email=f"p{i}@example.com") for i in range(2)]
    [third] = partner_referrals_create(picks=[(loaded, False)], email="p2@example.com")
    assert [r.signals for r in made] == [[], []]
    assert [s["code"] for s in third.signals] == ["velocity_referrer"]
    team.campaigns.filter(is_default=True).update(screening_enabled=False)
    [fourth] = partner_referrals_create(picks=[(loaded, False)], email="p3@example.com")
    assert fourth.signals == []
