"""Offers, submissions and conversions, and the hosted pages' writes: one transaction each.

A submission converts at most once: the conversion claims it with a conditional UPDATE
(`... WHERE converted_at IS NULL`), so two conversions of one submission at the same time
convert it once and the second is told `Offer submission must be unique`. Its CPA is paid
from the offer's monthly budget by another conditional UPDATE (`used + cpa <= budget`), so
concurrent conversions never overspend a month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from referrals.partners.earnings.selectors import program_confirmation_rates
from referrals.partners.earnings.services import partner_referral_create
from referrals.partners.models import (
    EarningsEntry,
    PartnerCampaign,
    PartnerProfile,
    PartnerReferral,
)
from referrals.partners.models.offers import Offer, OfferBudgetMonth, OfferSubmission
from referrals.partners.models.upscribe import Upscribe, UpscribeOfferImpressionDay
from referrals.partners.offers.payloads import offer_lead_payload
from referrals.partners.offers.selectors import (
    OfferRecommendation,
    month_start,
    offer_accepts_country,
    upscribe_offer_candidates,
    upscribe_offer_picks,
)
from referrals.partners.upscribe.impressions import impressions_add
from referrals.partners.upscribe.ranking import UNKNOWN_RATE
from referrals.partners.upscribe.selectors import GENERATE_MAX, Recommendation
from sparkloop.exceptions import ServiceError
from sparkloop.models import Team
from sparkloop.updates import model_update
from subscribers.services import EMAIL_INVALID
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
    """Claim and convert `submission` once; False if it was converted already. A payable
    conversion that another team's partner sent appends its `earned` ledger line (once:
    the claim, and the ledger's unique rule per submission)."""
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
        partner = submission.partner_profile
        if partner is not None and partner.team_id != offer.team_id:
            EarningsEntry.objects.create(
                partner_profile=partner,
                kind=EarningsEntry.Kind.EARNED,
                amount_cents=offer.cpa_cents,
                offer_submission=submission,
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
    upscribe: Upscribe | None = None,
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
        upscribe=upscribe,
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


# --- Offers in an upscribe (docs/upscribe.md, offers) -------------------------------------
# Called from upscribe's generate and subscribe when the upscribe's `show_offers` is on.

OFFER_CODE_PREFIX = "offer_"
PICK_CONFIRMED = "confirmed"
PICK_REJECTED = "rejected"
PICK_SKIPPED = "skipped"


def _recommending_profile(upscribe: Upscribe) -> PartnerProfile:
    """The upscribe's team's partner profile (with its team): the partner its offers
    credit."""
    return PartnerProfile.objects.select_related("team").get(team_id=upscribe.team_id)


def _publication_expected(chosen: list[Recommendation]) -> dict[int, float]:
    """Each paid publication's expected earnings as generate ranked it: CPA x its program's
    90-day confirmation rate (ranking.UNKNOWN_RATE without one); one query."""
    programs = {r.campaign.program_id: r.campaign.program for r in chosen if r.campaign.program}
    rates = program_confirmation_rates(sorted(p for p in programs if p is not None))
    return {
        pid: program.cpa_cents * (UNKNOWN_RATE if rates.get(pid) is None else rates[pid] or 0.0)
        for pid, program in programs.items()
        if pid is not None and program is not None
    }


def upscribe_offers_rank_in(
    *,
    upscribe: Upscribe,
    chosen: list[Recommendation],
    country_code: str | None,
    limit: int,
) -> list[Recommendation | OfferRecommendation]:
    """Generate with offers: other teams' active public offers open to the visitor's
    country with this month's budget for one more CPA (selectors.upscribe_offer_candidates)
    ranked in among `chosen` (generate's publications, already in order): pinned
    publications first, then everything by expected earnings (a publication before an offer
    when equal), cut at `limit`. The offers shown get one impression each, in one upsert."""
    limit = max(1, min(limit, GENERATE_MAX))
    offers = list(
        upscribe_offer_candidates(team_id=upscribe.team_id, country_code=country_code, limit=limit)
    )
    if not offers:
        return list(chosen)
    expected = _publication_expected(chosen)
    pinned = [r for r in chosen if r.pinned]
    ranked: list[tuple[float, int, int, Recommendation | OfferRecommendation]] = [
        (expected.get(r.campaign.program_id or 0, 0.0), 0, n, r)
        for n, r in enumerate(r for r in chosen if not r.pinned)
    ]
    for n, offer in enumerate(offers):
        # selectors' annotations: the expected earnings and the team's partner profile
        value = float(getattr(offer, "expected", 0.0))
        partner = (str(getattr(offer, "partner_id", "")), int(getattr(offer, "partner_pk", 0)))
        ranked.append((value, 1, n, OfferRecommendation(offer, *partner, value)))
    ranked.sort(key=lambda row: (-row[0], row[1], row[2]))
    merged = [*pinned, *(row[3] for row in ranked)][:limit]
    offer_impressions_record(
        upscribe=upscribe,
        offer_ids=[r.offer.pk for r in merged if isinstance(r, OfferRecommendation)],
    )
    return merged


def offer_impressions_record(
    *, upscribe: Upscribe, offer_ids: list[int], day: date | None = None
) -> None:
    """Add one impression of each of `offer_ids` to today's rows (one upsert)."""
    impressions_add(
        model=UpscribeOfferImpressionDay,
        column="offer_id",
        upscribe_id=upscribe.pk,
        ids=offer_ids,
        day=day,
    )


@dataclass(frozen=True)
class OfferPickOutcome:
    """What subscribe did with one offer code: `confirmed` (a lead converted, payable),
    `rejected` (with its reason) or `skipped`."""

    status: str
    rejection_reason: str | None = None


def upscribe_offers_subscribe(
    *, upscribe: Upscribe, email: str, codes: list[str], country_code: str | None
) -> dict[str, OfferPickOutcome]:
    """Subscribe's offer codes (`offer_…`): each lead offer that generate could show this
    visitor (an upscribe with `show_offers`, another team's active public offer, open to
    the visitor's country, this month's budget holding one more CPA) converts on `email`
    (a submission credited to the upscribe's team as its partner, `new_offer_lead`, the
    ledger's `earned` line), each in a transaction of its own. Click and action offers
    cannot convert from an email, and any other code is `skipped`; an email that already
    converted on the offer is `rejected` (`already_subscribed`), a conversion the budget
    could no longer hold `rejected` (`budget_exhausted`). Raises ServiceError
    `Email is invalid` before anything is made."""
    skipped = OfferPickOutcome(PICK_SKIPPED)
    if not upscribe.show_offers or not codes:
        return dict.fromkeys(codes, skipped)
    try:
        validate_email(email.strip())
    except ValidationError:
        raise ServiceError(EMAIL_INVALID) from None  # as a publication's pick refuses it
    profile = _recommending_profile(upscribe)
    offers = upscribe_offer_picks(team=profile.team, codes=codes)
    outcomes = {}
    for code in codes:
        offer = offers.get(code)
        if (
            offer is None
            or offer.conversion_type != Offer.ConversionType.LEAD
            or not offer_accepts_country(offer, country_code=country_code)
        ):
            outcomes[code] = skipped
            continue
        outcomes[code] = _offer_pick(upscribe=upscribe, offer=offer, profile=profile, email=email)
    return outcomes


@transaction.atomic
def _offer_pick(
    *, upscribe: Upscribe, offer: Offer, profile: PartnerProfile, email: str
) -> OfferPickOutcome:
    # The offer's row serialises the picks of one offer: one person converts on it once.
    Offer.objects.select_for_update().filter(pk=offer.pk).first()
    email = email.strip()
    converted = OfferSubmission.objects.filter(
        offer=offer, email__iexact=email, converted_at__isnull=False
    )
    if converted.exists():
        return OfferPickOutcome(PICK_REJECTED, PartnerReferral.RejectionReason.ALREADY_SUBSCRIBED)
    submission = offer_submission_create(
        offer=offer, email=email, partner_profile=profile, upscribe=upscribe
    )
    if submission.payable or not offer.cpa_cents:  # a free offer converts unpaid
        return OfferPickOutcome(PICK_CONFIRMED)
    return OfferPickOutcome(PICK_REJECTED, PartnerReferral.RejectionReason.BUDGET_EXHAUSTED)
