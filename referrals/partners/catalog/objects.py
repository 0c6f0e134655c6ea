"""The partner catalogue's wire objects (output serializers): publications, programs (the
owner's and the network's), partner campaigns, recommendations and the partner profile.

Money is dollars (floats) on programs and partner campaigns, cents (integers) on
recommendations. A program's budget facts come in the serializer context (`facts`, from
`selectors.program_facts`), never from a query per row.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from referrals.partners.catalog.selectors import ProgramFacts
from referrals.partners.earnings.selectors import BudgetUse
from referrals.partners.models import PartnerCampaign, PartnerProfile, PartnerProgram, Publication
from sparkloop.api.fields import TimestampField, cents_to_dollars, iso_z


def logo_of(publication: Publication) -> str | None:
    """The uploaded file's URL (absolute: SITE_URL + MEDIA_URL for local storage), else
    `logo_url`, else null."""
    if publication.logo:
        location = publication.logo.url
        return location if "://" in location else f"{settings.SITE_URL}{location}"
    return publication.logo_url or None


REFERRAL_COUNTS = {
    "type": "object",
    "description": "All-time referrals by status (maintained counters).",
    "properties": {k: {"type": "integer"} for k in ("pending", "rejected", "confirmed")},
}


def referral_counts(campaign: PartnerCampaign) -> dict[str, int]:
    return {
        "pending": campaign.pending_count,
        "rejected": campaign.rejected_count,
        "confirmed": campaign.confirmed_count,
    }


def referral_link(campaign: PartnerCampaign) -> str:
    return f"{settings.SITE_URL}/p/{campaign.ref_code}"


def signup_url(campaign: PartnerCampaign) -> str:
    return f"{settings.SITE_URL}/r/{campaign.ref_code}"


def money_text(cents: int) -> str:
    """`$3`, `$2.5`, `$0.75`: dollars without trailing zeros (the reference's example)."""
    value = (Decimal(cents) / 100).quantize(Decimal("0.01")).normalize()
    return f"${value:f}"


STRICTNESS = ((0.9, "very_fair"), (0.75, "fair"), (0.5, "strict"), (0.0, "exceptionally_strict"))


def strictness(rate: float | None) -> str:
    if rate is None:
        return "not_enough_data"
    return next(name for floor, name in STRICTNESS if rate >= floor)


def geo(program: PartnerProgram, *, regions: bool = True) -> dict[str, Any]:
    rules: dict[str, Any] = {
        "allow_worldwide_referrals": program.allow_worldwide_referrals,
        "allowed_countries": list(program.allowed_countries),
        "blocked_countries": list(program.blocked_countries),
    }
    if regions:
        rules["allowed_regions"] = list(program.allowed_regions)
    return rules


class PublicationOutputSerializer(serializers.Serializer[Any]):
    """A team's own publication (reference §11.4 and partners.md)."""

    uuid = serializers.CharField(source="public_id")
    name = serializers.CharField()
    publication_url = serializers.CharField(allow_null=True)
    description = serializers.CharField()
    auto_pilot = serializers.BooleanField()
    partner_categories = serializers.ListField(child=serializers.CharField(), source="categories")
    status = serializers.CharField()
    logo_url = serializers.SerializerMethodField()
    list_id = serializers.CharField()
    language = serializers.CharField()
    send_frequency = serializers.CharField()
    audience_gender = serializers.CharField(allow_null=True)
    income_levels = serializers.ListField(child=serializers.CharField())
    age_ranges = serializers.ListField(child=serializers.CharField())
    enabled_partner_program = serializers.SerializerMethodField()
    created_at = TimestampField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_logo_url(self, publication: Publication) -> str | None:
        return logo_of(publication)

    def get_enabled_partner_program(self, publication: Publication) -> bool:
        program = getattr(publication, "partner_program", None)
        return program is not None and program.status == PartnerProgram.Status.ACTIVE


class NetworkPublicationOutputSerializer(serializers.Serializer[Any]):
    """Another team's publication in the network: its public facts only (no list id, no
    auto pilot), and the uuid of the program to join."""

    uuid = serializers.CharField(source="public_id")
    name = serializers.CharField()
    publication_url = serializers.CharField()
    description = serializers.CharField()
    partner_categories = serializers.ListField(child=serializers.CharField(), source="categories")
    status = serializers.CharField()
    logo_url = serializers.SerializerMethodField()
    language = serializers.CharField()
    send_frequency = serializers.CharField()
    audience_gender = serializers.CharField()
    income_levels = serializers.ListField(child=serializers.CharField())
    age_ranges = serializers.ListField(child=serializers.CharField())
    partner_program_uuid = serializers.CharField(source="partner_program.public_id")
    created_at = TimestampField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_logo_url(self, publication: Publication) -> str | None:
        return logo_of(publication)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _texts(values: Any) -> list[str] | None:
    return None if values is None else [str(value) for value in values]


def network_publications_render(publications: Any) -> list[dict[str, Any]]:
    """NetworkPublicationOutputSerializer's objects, without DRF's per-field machinery (the
    network listing renders 50 a page; tests/partners/catalog/test_network_render.py holds
    the two equal)."""
    return [
        {
            "uuid": _text(p.public_id),
            "name": _text(p.name),
            "publication_url": _text(p.publication_url),
            "description": _text(p.description),
            "partner_categories": _texts(p.categories),
            "status": _text(p.status),
            "logo_url": logo_of(p),
            "language": _text(p.language),
            "send_frequency": _text(p.send_frequency),
            "audience_gender": _text(p.audience_gender),
            "income_levels": _texts(p.income_levels),
            "age_ranges": _texts(p.age_ranges),
            "partner_program_uuid": _text(p.partner_program.public_id),
            "created_at": iso_z(p.created_at),
        }
        for p in publications
    ]


class ProgramPublicationSerializer(serializers.Serializer[Any]):
    """The publication nested in a program object (reference §11.3)."""

    uuid = serializers.CharField(source="public_id")
    name = serializers.CharField()
    logo = serializers.SerializerMethodField()
    description = serializers.CharField()
    url = serializers.CharField(source="publication_url")
    send_frequency = serializers.CharField()
    language = serializers.CharField()
    categories = serializers.ListField(child=serializers.CharField())

    @extend_schema_field(OpenApiTypes.URI)
    def get_logo(self, publication: Publication) -> str | None:
        return logo_of(publication)


class _ProgramTerms(serializers.Serializer[Any]):
    """A program's public terms: what the network shows of it."""

    uuid = serializers.CharField(source="public_id")
    publication = ProgramPublicationSerializer()
    status = serializers.CharField()
    terms = serializers.CharField(allow_null=True)
    resources_url = serializers.CharField(allow_null=True)
    redirect_url = serializers.CharField()
    thankyou_page_url = serializers.CharField(allow_null=True)
    cpa = serializers.SerializerMethodField()
    max_payout = serializers.SerializerMethodField()
    referral_pending_duration = serializers.IntegerField()
    geo_restrictions = serializers.SerializerMethodField()
    can_be_recommended_via = serializers.ListField(child=serializers.CharField())
    ideal_subscriber = serializers.CharField(allow_null=True)
    expected_earning_per_referral = serializers.SerializerMethodField()
    screening_strictness = serializers.SerializerMethodField()
    expected_referral_confirmation_rate = serializers.SerializerMethodField()
    requires_approval = serializers.BooleanField()
    pilot_phase = serializers.BooleanField()
    created_at = TimestampField()

    def _facts(self, program: PartnerProgram) -> ProgramFacts:
        facts: dict[int, ProgramFacts] = self.context.get("facts", {})
        return facts.get(program.pk) or ProgramFacts(BudgetUse(0, 0), None)

    def to_representation(self, program: PartnerProgram) -> dict[str, Any]:
        data = super().to_representation(program)
        for key in ("terms", "resources_url", "thankyou_page_url", "ideal_subscriber"):
            data[key] = data[key] or None
        return data

    def get_cpa(self, program: PartnerProgram) -> float | None:
        return cents_to_dollars(program.cpa_cents)

    def get_max_payout(self, program: PartnerProgram) -> float | None:
        return cents_to_dollars(program.max_payout_cents)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_geo_restrictions(self, program: PartnerProgram) -> dict[str, Any]:
        return geo(program)

    @extend_schema_field(OpenApiTypes.STR)
    def get_expected_earning_per_referral(self, program: PartnerProgram) -> str:
        rate = self._facts(program).confirmation_rate
        return money_text(round(program.cpa_cents * (1.0 if rate is None else rate)))

    @extend_schema_field(
        {"type": "string", "enum": [n for _, n in STRICTNESS] + ["not_enough_data"]}
    )
    def get_screening_strictness(self, program: PartnerProgram) -> str:
        return strictness(self._facts(program).confirmation_rate)

    @extend_schema_field({"type": "integer", "nullable": True, "minimum": 0, "maximum": 100})
    def get_expected_referral_confirmation_rate(self, program: PartnerProgram) -> int | None:
        rate = self._facts(program).confirmation_rate
        return None if rate is None else round(rate * 100)


class NetworkProgramOutputSerializer(_ProgramTerms):
    """Another team's listed program: its public terms; no budget, no partner list."""


class ProgramOutputSerializer(_ProgramTerms):
    """A team's own program: the terms plus budget, directory and this month's use."""

    total_budget = serializers.SerializerMethodField()
    slug = serializers.CharField(allow_null=True)
    show_in_directory = serializers.BooleanField()
    referral_pending_duration_enabled = serializers.BooleanField()
    budget_used_this_month = serializers.SerializerMethodField()
    remaining_budget_dollars = serializers.SerializerMethodField()

    def get_total_budget(self, program: PartnerProgram) -> float | None:
        return cents_to_dollars(program.total_budget_cents)

    def get_budget_used_this_month(self, program: PartnerProgram) -> float | None:
        """Dollars: confirmed plus reserved by pending payable referrals."""
        return cents_to_dollars(self._facts(program).budget.total_cents)

    def get_remaining_budget_dollars(self, program: PartnerProgram) -> float | None:
        used = self._facts(program).budget.total_cents
        return cents_to_dollars(max(0, program.total_budget_cents - used))


def _remaining_cents(campaign: PartnerCampaign, context: Mapping[str, Any]) -> int | None:
    """What the partner can still earn this month: the smaller of the program's remaining
    budget and the partner's remaining cap. Null for a free campaign."""
    program = campaign.program
    if program is None:
        return None
    facts: dict[int, ProgramFacts] = context.get("facts", {})
    use: dict[int, BudgetUse] = context.get("campaign_use", {})
    program_use = facts[program.pk].budget if program.pk in facts else BudgetUse(0, 0)
    own_use = use.get(campaign.pk, BudgetUse(0, 0))
    return max(
        0,
        min(
            program.total_budget_cents - program_use.total_cents,
            program.max_payout_cents - own_use.total_cents,
        ),
    )


class PartnerCampaignOutputSerializer(serializers.Serializer[Any]):
    """A partner campaign (reference §5.2 and §11.9, plus `ref_code` and `referrals`)."""

    uuid = serializers.CharField(source="public_id")
    publication_uuid = serializers.CharField(source="publication.public_id")
    partner_profile_uuid = serializers.CharField(source="partner_profile.public_id")
    partner_program_uuid = serializers.CharField(source="program.public_id", allow_null=True)
    status = serializers.CharField()
    ref_code = serializers.CharField()
    referral_link = serializers.SerializerMethodField()
    cpa = serializers.SerializerMethodField()
    max_payout = serializers.SerializerMethodField()
    campaign_type = serializers.CharField()
    thankyou_page_url = serializers.SerializerMethodField()
    accepted_terms_at = TimestampField(allow_null=True)
    name = serializers.CharField(source="publication.name")
    publication_name = serializers.CharField(source="publication.name")
    referral_pending_period = serializers.SerializerMethodField()
    remaining_budget = serializers.SerializerMethodField()
    remaining_budget_dollars = serializers.SerializerMethodField()
    partner_program_geo_restrictions = serializers.SerializerMethodField()
    referrals = serializers.SerializerMethodField()
    created_at = TimestampField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_referral_link(self, campaign: PartnerCampaign) -> str:
        return referral_link(campaign)

    def get_cpa(self, campaign: PartnerCampaign) -> float | None:
        return cents_to_dollars(campaign.program.cpa_cents) if campaign.program else 0.0

    def get_max_payout(self, campaign: PartnerCampaign) -> float | None:
        return cents_to_dollars(campaign.program.max_payout_cents) if campaign.program else 0.0

    @extend_schema_field({"type": "string", "nullable": True, "format": "uri"})
    def get_thankyou_page_url(self, campaign: PartnerCampaign) -> str | None:
        return (campaign.program.thankyou_page_url or None) if campaign.program else None

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_referral_pending_period(self, campaign: PartnerCampaign) -> int | None:
        return campaign.program.referral_pending_duration if campaign.program else None

    @extend_schema_field({"type": "integer", "nullable": True, "description": "Cents."})
    def get_remaining_budget(self, campaign: PartnerCampaign) -> int | None:
        return _remaining_cents(campaign, self.context)

    def get_remaining_budget_dollars(self, campaign: PartnerCampaign) -> float | None:
        return cents_to_dollars(_remaining_cents(campaign, self.context))

    @extend_schema_field({"type": "object", "nullable": True})
    def get_partner_program_geo_restrictions(
        self, campaign: PartnerCampaign
    ) -> dict[str, Any] | None:
        return geo(campaign.program, regions=False) if campaign.program else None

    @extend_schema_field(REFERRAL_COUNTS)
    def get_referrals(self, campaign: PartnerCampaign) -> dict[str, int]:
        return referral_counts(campaign)


class RecommendationOutputSerializer(serializers.Serializer[Any]):
    """A free recommendation as `recommend` answers it (reference §11.6; cents)."""

    uuid = serializers.CharField(source="public_id")
    type = serializers.SerializerMethodField()
    status = serializers.CharField()
    ref_code = serializers.CharField()
    publication_uuid = serializers.CharField(source="publication.public_id")
    publication_name = serializers.CharField(source="publication.name")
    publication_logo = serializers.SerializerMethodField()
    description = serializers.CharField(source="publication.description")
    pinned = serializers.SerializerMethodField()
    position = serializers.SerializerMethodField()
    signup_url = serializers.SerializerMethodField()
    partner_program_uuid = serializers.CharField(source="program.public_id", allow_null=True)
    cpa = serializers.SerializerMethodField()
    max_payout = serializers.SerializerMethodField()
    referrals = serializers.SerializerMethodField()
    earnings = serializers.IntegerField(source="earnings_cents")
    net_earnings = serializers.SerializerMethodField()

    def get_type(self, campaign: PartnerCampaign) -> str:
        return "free" if campaign.campaign_type == PartnerCampaign.Type.FREE else "paid"

    @extend_schema_field({"type": "string", "nullable": True, "format": "uri"})
    def get_publication_logo(self, campaign: PartnerCampaign) -> str | None:
        return logo_of(campaign.publication)

    def get_pinned(self, campaign: PartnerCampaign) -> bool:
        return False

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_position(self, campaign: PartnerCampaign) -> int | None:
        return None

    @extend_schema_field(OpenApiTypes.URI)
    def get_signup_url(self, campaign: PartnerCampaign) -> str:
        return signup_url(campaign)

    def get_cpa(self, campaign: PartnerCampaign) -> int:
        return campaign.program.cpa_cents if campaign.program else 0

    def get_max_payout(self, campaign: PartnerCampaign) -> int:
        return campaign.program.max_payout_cents if campaign.program else 0

    @extend_schema_field(REFERRAL_COUNTS)
    def get_referrals(self, campaign: PartnerCampaign) -> dict[str, int]:
        return referral_counts(campaign)

    def get_net_earnings(self, campaign: PartnerCampaign) -> int:
        fee = Decimal(str(settings.PARTNER_PLATFORM_FEE_PERCENT)) / 100
        return int(campaign.earnings_cents - round(campaign.earnings_cents * fee))


class PartnerProfileOutputSerializer(serializers.Serializer[Any]):
    """The team's partner profile; `earnings` (cents) comes in the context."""

    uuid = serializers.CharField(source="public_id")
    name = serializers.CharField()
    website_url = serializers.CharField(allow_null=True)
    logo_url = serializers.CharField(allow_null=True)
    payout_email = serializers.CharField(allow_null=True)
    created_at = TimestampField()
    earnings = serializers.SerializerMethodField()

    def to_representation(self, profile: PartnerProfile) -> dict[str, Any]:
        data = super().to_representation(profile)
        for key in ("website_url", "logo_url", "payout_email"):
            data[key] = data[key] or None
        return data

    @extend_schema_field(
        {
            "type": "object",
            "description": "Cents.",
            "properties": {k: {"type": "integer"} for k in ("pending", "confirmed", "paid")},
        }
    )
    def get_earnings(self, profile: PartnerProfile) -> dict[str, int]:
        earnings = self.context["earnings"]
        return {"pending": earnings.pending, "confirmed": earnings.confirmed, "paid": earnings.paid}
