"""Reads of offers, submissions and the hosted pages' objects (team scoping lives here)."""

from __future__ import annotations

from datetime import date

from django.db.models import F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from referrals.partners.models import PartnerCampaign, PartnerProfile
from referrals.partners.models.offers import Offer, OfferBudgetMonth, OfferSubmission
from sparkloop.exceptions import NotFound
from sparkloop.models import Team

OFFER_NOT_FOUND = "Offer {uuid} not found."
# The conversion endpoint's own 404s (reference §10), without the identifier.
CONVERSION_OFFER_NOT_FOUND = "Offer not found"
CONVERSION_SUBMISSION_NOT_FOUND = "Submission not found"


def month_start(day: date | None = None) -> date:
    """The first day of `day`'s month (today's by default): a budget month's key."""
    day = timezone.now().date() if day is None else day
    return day.replace(day=1)


def _with_budget_used(qs: QuerySet[Offer], month: date) -> QuerySet[Offer]:
    used = OfferBudgetMonth.objects.filter(offer=OuterRef("pk"), month=month).values("used_cents")[
        :1
    ]
    return qs.annotate(
        budget_used_cents=Coalesce(Subquery(used, output_field=IntegerField()), Value(0))
    )


def offer_list(*, team: Team) -> QuerySet[Offer]:
    """The team's own offers, newest first, each with this month's spend
    (`budget_used_cents`)."""
    qs = Offer.objects.filter(team=team).order_by("-created_at", "-id")
    return _with_budget_used(qs, month_start())


def offer_get(*, team: Team, uuid: str) -> Offer:
    """The team's offer `uuid`; another team's is as missing as an unknown one."""
    offer = offer_list(team=team).filter(public_id=uuid).first()
    if offer is None:
        raise NotFound(OFFER_NOT_FOUND.format(uuid=uuid))
    return offer


def network_offer_list(*, team: Team) -> QuerySet[Offer]:
    """Other teams' active public offers whose budget this month still holds one more
    conversion, newest first (the partner network's offers)."""
    qs = (
        Offer.objects.filter(status=Offer.Status.ACTIVE, visibility=Offer.Visibility.PUBLIC)
        .exclude(team=team)
        .order_by("-created_at", "-id")
    )
    # A Q object: the typed filter() knows no annotation.
    holds_one_more = Q(budget_used_cents__lte=F("monthly_budget_cents") - F("cpa_cents"))
    return _with_budget_used(qs, month_start()).filter(holds_one_more)


def conversion_submission_get(
    *, team: Team, offer_uuid: str, submission_uuid: str
) -> OfferSubmission:
    """The submission an advertiser confirms: its offer must be the team's."""
    offer = Offer.objects.filter(team=team, public_id=offer_uuid).first()
    if offer is None:
        raise NotFound(CONVERSION_OFFER_NOT_FOUND)
    submission = (
        OfferSubmission.objects.filter(offer=offer, public_id=submission_uuid)
        .select_related("offer")
        .first()
    )
    if submission is None:
        raise NotFound(CONVERSION_SUBMISSION_NOT_FOUND)
    return submission


# --- The hosted pages (public: no team) ---------------------------------------------------


def page_offer_lookup(*, uuid: str) -> Offer | None:
    """An active offer of any team, for `/o/<offer_uuid>`."""
    return Offer.objects.filter(public_id=uuid, status=Offer.Status.ACTIVE).first()


def page_partner_lookup(*, public_id: str) -> PartnerProfile | None:
    return PartnerProfile.objects.filter(public_id=public_id).first() if public_id else None


def page_campaign_lookup(*, ref_code: str) -> PartnerCampaign | None:
    """The active partner campaign of `ref_code`, with what its pages show: the recommended
    publication and, when paid, its program (a paid campaign needs an active program)."""
    campaign = (
        PartnerCampaign.objects.filter(ref_code=ref_code, status=PartnerCampaign.Status.ACTIVE)
        .select_related("publication", "program", "partner_profile")
        .first()
    )
    if campaign is None:
        return None
    program = campaign.program
    if program is not None and program.status != program.Status.ACTIVE:
        return None
    return campaign
