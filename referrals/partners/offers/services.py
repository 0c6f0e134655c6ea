"""Offers, submissions and conversions, and the hosted pages' writes: one transaction each.

A submission converts at most once: the conversion claims it with a conditional UPDATE
(`... WHERE converted_at IS NULL`), so two conversions of one submission at the same time
convert it once and the second is told `Offer submission must be unique`. Its CPA is paid
from the offer's monthly budget by another conditional UPDATE (`used + cpa <= budget`), so
concurrent conversions never overspend a month.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from referrals.partners.earnings.services import partner_referral_create
from referrals.partners.models import PartnerCampaign, PartnerProfile, PartnerReferral
from referrals.partners.models.offers import Offer, OfferBudgetMonth, OfferSubmission
from referrals.partners.offers.payloads import offer_lead_payload
from referrals.partners.offers.selectors import month_start
from sparkloop.exceptions import ServiceError
from sparkloop.models import Team
from sparkloop.updates import model_update
from webhooks.models import Event
from webhooks.services import event_record

NOT_AN_ACTION = "Offer submission must be an action"
NOT_UNIQUE = "Offer submission must be unique"
EXPIRED = "Offer submission has expired"
GEO_REQUIRED = "Allowed countries or blocked countries can't be blank"
# Action conversions expire if unconfirmed after this long (reference §10).
ACTION_CONVERSION_WINDOW = timedelta(days=45)

OFFER_FIELDS = (
    "name",
    "headline",
    "description",
    "callout",
    "redirect_url",
    "conversion_type",
    "visibility",
    "status",
    "landscape_image_url",
    "portrait_image_url",
    "allow_worldwide_referrals",
    "allowed_countries",
    "blocked_countries",
    "monthly_budget_cents",
    "cpa_cents",
    "conversion_event",
    "terms",
)


class Unprocessable(ServiceError):
    """A conversion the offer cannot take (SparkLoop answers these with 422)."""

    status_code = 422


def _geo_check(offer: Offer) -> None:
    if not offer.allow_worldwide_referrals and not (
        offer.allowed_countries or offer.blocked_countries
    ):
        raise ServiceError(GEO_REQUIRED)


@transaction.atomic
def offer_create(*, team: Team, **fields: Any) -> Offer:
    """Create the team's offer from `OFFER_FIELDS` (money in cents). Raises ServiceError
    when it is not worldwide and names no country."""
    offer = Offer(team=team, **{k: v for k, v in fields.items() if k in OFFER_FIELDS})
    _geo_check(offer)
    offer.save()
    return offer


@transaction.atomic
def offer_update(*, offer: Offer, **fields: Any) -> Offer:
    """Change any of `OFFER_FIELDS` (UNSET or absent: kept). The geo rule as on create."""
    offer, _ = model_update(instance=offer, fields=OFFER_FIELDS, data=fields, save=False)
    _geo_check(offer)
    offer.save()
    return offer


def _budget_spend(offer: Offer, cents: int, now: datetime) -> bool:
    """Spend `cents` of the offer's budget this month if it holds them (race-safe)."""
    month = month_start(now.date())
    OfferBudgetMonth.objects.bulk_create(
        [OfferBudgetMonth(offer=offer, month=month)], ignore_conflicts=True
    )
    room = offer.monthly_budget_cents - cents
    if room < 0:
        return False
    return (
        OfferBudgetMonth.objects.filter(offer=offer, month=month, used_cents__lte=room).update(
            used_cents=F("used_cents") + cents
        )
        == 1
    )


def _convert(submission: OfferSubmission, now: datetime) -> bool:
    """Claim and convert `submission` once; False if it was converted already."""
    claimed = OfferSubmission.objects.filter(pk=submission.pk, converted_at__isnull=True).update(
        converted_at=now
    )
    if not claimed:
        return False
    offer = submission.offer
    paid = offer.cpa_cents > 0 and _budget_spend(offer, offer.cpa_cents, now)
    if paid:
        OfferSubmission.objects.filter(pk=submission.pk).update(
            cpa_cents=offer.cpa_cents, payable=True
        )
    Offer.objects.filter(pk=offer.pk).update(conversions_count=F("conversions_count") + 1)
    submission.converted_at = now
    submission.cpa_cents, submission.payable = (offer.cpa_cents, True) if paid else (0, False)
    return True


def _publish_lead(submission: OfferSubmission) -> None:
    payload = offer_lead_payload(submission)
    teams = {submission.offer.team_id: submission.offer.team}
    if submission.partner_profile is not None:
        partner_team = submission.partner_profile.team
        teams.setdefault(partner_team.pk, partner_team)
    for team in teams.values():
        event_record(team=team, type=Event.Type.NEW_OFFER_LEAD, payload=payload)


@transaction.atomic
def offer_submission_create(
    *,
    offer: Offer,
    email: str | None = None,
    partner_profile: PartnerProfile | None = None,
    ip_address: str | None = None,
) -> OfferSubmission:
    """A visit to `offer` (`/o/<offer_uuid>`, or a recommendation's click): one submission.

    A click offer converts at once; a lead offer converts when `email` is given and
    publishes `new_offer_lead` to the advertiser's webhooks (and the sending partner's); an
    action offer waits for `offer_conversion_track`. Counts the offer's click.
    """
    now = timezone.now()
    submission = OfferSubmission.objects.create(
        offer=offer,
        partner_profile=partner_profile,
        email=(email or "").strip(),
        ip_address=ip_address or None,
    )
    Offer.objects.filter(pk=offer.pk).update(clicks_count=F("clicks_count") + 1)
    if offer.conversion_type == Offer.ConversionType.CLICK:
        _convert(submission, now)
    elif offer.conversion_type == Offer.ConversionType.LEAD and submission.email:
        _convert(submission, now)
        _publish_lead(submission)
    return submission


@transaction.atomic
def offer_conversion_track(*, submission: OfferSubmission) -> OfferSubmission:
    """The advertiser confirms an action offer's submission (`POST .../conversions`).

    Raises Unprocessable (422): `Offer submission must be an action` (a click or lead
    offer), `Offer submission must be unique` (converted already, also when another
    conversion wins a race), `Offer submission has expired` (older than 45 days).
    """
    now = timezone.now()
    if submission.offer.conversion_type != Offer.ConversionType.ACTION:
        raise Unprocessable(NOT_AN_ACTION)
    if submission.converted_at is not None:
        raise Unprocessable(NOT_UNIQUE)
    if submission.created_at < now - ACTION_CONVERSION_WINDOW:
        raise Unprocessable(EXPIRED)
    if not _convert(submission, now):
        raise Unprocessable(NOT_UNIQUE)
    return submission


# --- The hosted pages -----------------------------------------------------------------------


def partner_campaign_click_record(*, campaign: PartnerCampaign) -> None:
    """Count one partner-link click (`/p/<ref_code>`): one set-based UPDATE, no read."""
    PartnerCampaign.objects.filter(pk=campaign.pk).update(clicks_count=F("clicks_count") + 1)


def hosted_signup(
    *,
    campaign: PartnerCampaign,
    email: str,
    ip_address: str | None = None,
    utm_source: str | None = None,
    utm_campaign: str | None = None,
) -> PartnerReferral:
    """A signup on the recommendation's page (`/r/<ref_code>`): the partner referral, made
    exactly as upscribe's subscribe makes it (earnings' `partner_referral_create`, origin
    `magic_link`), in its transaction."""
    return partner_referral_create(
        campaign=campaign,
        email=email,
        origin=PartnerReferral.Origin.MAGIC_LINK,
        ip_address=ip_address,
        utm_source=utm_source or None,
        utm_campaign=utm_campaign or None,
    )
