"""factory_boy factories of the partner side's models (bare rows: tests of behaviour create
through the services). A team's partner profile is made with the team."""

from __future__ import annotations

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
