"""factory_boy factories of the partner side's models (bare rows: tests of behaviour create
through the services). A team's partner profile is made with the team."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from referrals.partners.models import (
    PartnerCampaign,
    PartnerProgram,
    PartnerReferral,
    Publication,
)
from tests.factories import TeamFactory


class PublicationFactory(factory.django.DjangoModelFactory[Publication]):
    class Meta:
        model = Publication

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Publication {n}")
    categories = factory.LazyFunction(lambda: ["tech"])
    status = Publication.Status.ACTIVE


class PartnerProgramFactory(factory.django.DjangoModelFactory[PartnerProgram]):
    class Meta:
        model = PartnerProgram

    publication = factory.SubFactory(PublicationFactory)
    team = factory.SelfAttribute("publication.team")
    cpa_cents = 250
    max_payout_cents = 50_000
    total_budget_cents = 100_000
    redirect_url = "https://example.com/"


class PartnerCampaignFactory(factory.django.DjangoModelFactory[PartnerCampaign]):
    """A paid campaign of another team's partner profile in a program."""

    class Meta:
        model = PartnerCampaign

    program = factory.SubFactory(PartnerProgramFactory)
    publication = factory.SelfAttribute("program.publication")
    team = factory.SubFactory(TeamFactory)
    partner_profile = factory.SelfAttribute("team.partner_profile")
    campaign_type = PartnerCampaign.Type.PARTNER_PROGRAM


class PartnerReferralFactory(factory.django.DjangoModelFactory[PartnerReferral]):
    class Meta:
        model = PartnerReferral

    campaign = factory.SubFactory(PartnerCampaignFactory)
    program = factory.SelfAttribute("campaign.program")
    partner_profile = factory.SelfAttribute("campaign.partner_profile")
    team = factory.SelfAttribute("campaign.publication.team")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    cpa_cents = 250
    payable = True
    pending_until = factory.LazyFunction(timezone.now)


def settled_referrals(
    campaign: PartnerCampaign, *, outcomes: dict[str | None, int], days: int = 1
) -> None:
    """Referrals of `campaign` (a paid one) settled `days` ago, bare rows: `outcomes` maps a
    rejection reason (None: confirmed) to how many."""
    program = campaign.program
    assert program is not None
    at = timezone.now() - timedelta(days=days)
    PartnerReferral.objects.bulk_create(
        PartnerReferral(
            campaign=campaign,
            program=program,
            partner_profile=campaign.partner_profile,
            team=program.team,
            email=f"{reason or 'confirmed'}-{n}-{days}-{campaign.pk}@example.com",
            status="confirmed" if reason is None else "rejected",
            rejection_reason=reason,
            cpa_cents=program.cpa_cents,
            payable=reason is None,
            pending_until=at,
            settled_at=at,
        )
        for reason, count in outcomes.items()
        for n in range(count)
    )
