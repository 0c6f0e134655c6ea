"""Upscribes: every write, one transaction each (keyword-only, typed).

Generate is a read that also counts what it showed (one upsert statement); subscribe makes
one partner referral per picked recommendation, all in one transaction, through earnings'
`partner_referrals_create` (which creates the recommended teams' subscribers, reserves
budget and publishes the events to both teams), or pick by pick if that fails.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max

from referrals.partners.catalog.services import partner_campaign_join
from referrals.partners.earnings.selectors import teams_subscribed
from referrals.partners.earnings.services import (
    partner_referral_create,
    partner_referrals_create,
)
from referrals.partners.models import (
    PartnerCampaign,
    PartnerProfile,
    PartnerReferral,
    Publication,
)
from referrals.partners.models.upscribe import (
    Upscribe,
    UpscribeImpressionDay,
    UpscribePick,
    UpscribeRecommendation,
)
from referrals.partners.offers.selectors import OfferRecommendation
from referrals.partners.offers.services import (
    OFFER_CODE_PREFIX,
    upscribe_offers_rank_in,
    upscribe_offers_subscribe,
)
from referrals.partners.upscribe import selectors
from referrals.partners.upscribe.impressions import impressions_add
from referrals.partners.upscribe.selectors import Recommendation
from sparkloop.exceptions import ServiceError
from sparkloop.inserts import rows_insert
from sparkloop.models import Team
from sparkloop.updates import UNSET, model_update

logger = logging.getLogger(__name__)

REDIRECT_URL_BLANK = "Redirect url can't be blank"
UPSCRIBE_FIELDS = (
    "active",
    "after_submission_behaviour",
    "redirect_url",
    "visibility_rules",
    "after_submission_rules",
    "auto_pilot",
    "show_offers",  # offers
)
SKIPPED = "skipped"
AUTO_PILOT_REASON = "Recommended by auto pilot"


def _check_redirect(upscribe: Upscribe) -> None:
    if upscribe.after_submission_behaviour == Upscribe.Behaviour.REDIRECT and not (
        upscribe.redirect_url
    ):
        raise ServiceError(REDIRECT_URL_BLANK)


@transaction.atomic
def upscribe_create(
    *,
    team: Team,
    publication: Publication,
    active: bool = True,
    after_submission_behaviour: str = Upscribe.Behaviour.HIDE_WIDGET,
    redirect_url: str | None = None,
    visibility_rules: list[str] | None = None,
    after_submission_rules: list[dict[str, Any]] | None = None,
    auto_pilot: bool = False,
    show_offers: bool = False,  # offers
) -> Upscribe:
    """A new upscribe of the team's own `publication`. 400 `Redirect url can't be blank`
    when the behaviour is `redirect` without a URL."""
    upscribe = Upscribe(
        team=team,
        publication=publication,
        active=active,
        after_submission_behaviour=after_submission_behaviour,
        redirect_url=redirect_url,
        visibility_rules=visibility_rules or [],
        after_submission_rules=after_submission_rules or [],
        auto_pilot=auto_pilot,
        show_offers=show_offers,
    )
    _check_redirect(upscribe)
    upscribe.save()
    return upscribe


@transaction.atomic
def upscribe_update(
    *,
    upscribe: Upscribe,
    active: bool = UNSET,
    after_submission_behaviour: str = UNSET,
    redirect_url: str | None = UNSET,
    visibility_rules: list[str] = UNSET,
    after_submission_rules: list[dict[str, Any]] = UNSET,
    auto_pilot: bool = UNSET,
    show_offers: bool = UNSET,  # offers
) -> Upscribe:
    """Change what is given (PUT `/v2/upscribes/:uuid`); the same rule as upscribe_create."""
    data = {
        "active": active,
        "after_submission_behaviour": after_submission_behaviour,
        "redirect_url": redirect_url,
        "visibility_rules": visibility_rules,
        "after_submission_rules": after_submission_rules,
        "auto_pilot": auto_pilot,
        "show_offers": show_offers,
    }
    model_update(instance=upscribe, fields=UPSCRIBE_FIELDS, data=data, save=False)
    _check_redirect(upscribe)
    upscribe.save()
    return upscribe


@transaction.atomic
def recommendation_setting_update(
    *,
    upscribe: Upscribe,
    campaign: PartnerCampaign,
    reason: str | None = UNSET,
    pinned: bool = UNSET,
    paused: bool = UNSET,
) -> UpscribeRecommendation:
    """Set how `upscribe` shows `campaign` (one of its recommendations): its reason, pinned
    (a newly pinned one goes last among the pinned: `position`), paused. Other upscribes of
    the team keep their own settings."""
    # The upscribe's row locks the positions while a pin picks the next one.
    Upscribe.objects.select_for_update().filter(pk=upscribe.pk).first()
    setting, _ = UpscribeRecommendation.objects.get_or_create(upscribe=upscribe, campaign=campaign)
    data: dict[str, object] = {"reason": reason, "paused": paused}
    if pinned is not UNSET and pinned != setting.pinned:
        data["pinned"] = pinned
        if pinned:
            last = UpscribeRecommendation.objects.filter(upscribe=upscribe, pinned=True).aggregate(
                n=Max("position")
            )["n"]
            data["position"] = (last or 0) + 1
        else:
            data["position"] = None
    model_update(instance=setting, fields=("reason", "paused", "pinned", "position"), data=data)
    return setting


def recommendations_generate(
    *,
    upscribe: Upscribe,
    country_code: str | None = None,
    region_code: str | None = None,
    limit: int = 1,
) -> list[Recommendation | OfferRecommendation]:
    """The recommendations to show one visitor now (selectors.recommendations_for_visitor),
    with one impression each counted in one statement.

    With `auto_pilot`, when the team's own recommendations leave room, the team first joins
    (catalog's `partner_campaign_join`) listed network programs it could show this visitor,
    so that they are among the recommendations from now on."""
    visitor = {"country_code": country_code, "region_code": region_code}
    chosen = selectors.recommendations_for_visitor(upscribe=upscribe, limit=limit, **visitor)
    if upscribe.auto_pilot and len(chosen) < min(limit, selectors.GENERATE_MAX):
        chosen = _auto_pilot_fill(upscribe=upscribe, limit=limit, **visitor)
    shown: list[Recommendation | OfferRecommendation] = list(chosen)
    if upscribe.show_offers:  # offers: other teams' offers ranked in (offers/services.py)
        shown = upscribe_offers_rank_in(
            upscribe=upscribe, chosen=chosen, country_code=country_code, limit=limit
        )
    campaign_ids = [r.campaign.pk for r in shown if isinstance(r, Recommendation)]
    impressions_record(upscribe=upscribe, campaign_ids=campaign_ids)
    return shown


@transaction.atomic
def _auto_pilot_fill(
    *, upscribe: Upscribe, limit: int, country_code: str | None, region_code: str | None
) -> list[Recommendation]:
    """Auto pilot, one generate of the team at a time (its partner profile's row locked):
    rank again, join what there is room for, rank with it. Concurrent visitors wait for
    the first one's joins and then see them, so each program is joined once and only as
    many as one visitor had room for."""
    PartnerProfile.objects.select_for_update().filter(team_id=upscribe.team_id).first()
    visitor = {"country_code": country_code, "region_code": region_code}
    chosen = selectors.recommendations_for_visitor(upscribe=upscribe, limit=limit, **visitor)
    room = min(limit, selectors.GENERATE_MAX) - len(chosen)
    if room > 0 and auto_pilot_join(upscribe=upscribe, room=room, **visitor):
        chosen = selectors.recommendations_for_visitor(upscribe=upscribe, limit=limit, **visitor)
    return chosen


def auto_pilot_join(
    *, upscribe: Upscribe, room: int, country_code: str | None, region_code: str | None
) -> int:
    """Join up to `room` network programs for auto pilot; returns how many it found to join.
    Each join is catalog's own transaction; one that a concurrent generate made first is
    refused here, but it is joined all the same: the caller ranks again either way (a
    visitor who came during another's join sees what it joined, not an empty list)."""
    programs = selectors.auto_pilot_programs(
        upscribe=upscribe, country_code=country_code, region_code=region_code, limit=room
    )
    for program in programs:
        try:
            partner_campaign_join(
                profile=upscribe.team.partner_profile,
                program=program,
                reason_for_recommending=AUTO_PILOT_REASON,
            )
        except ServiceError:
            continue  # joined meanwhile by a concurrent generate
    return len(programs)


def impressions_record(
    *, upscribe: Upscribe, campaign_ids: list[int], day: date | None = None
) -> None:
    """Add one impression of each of `campaign_ids` to today's rows (one upsert)."""
    impressions_add(
        model=UpscribeImpressionDay,
        column="campaign_id",
        upscribe_id=upscribe.pk,
        ids=campaign_ids,
        day=day,
    )


@dataclass(frozen=True)
class PickOutcome:
    """What subscribe did with one ref code: the referral's status, or `skipped`."""

    ref_code: str
    status: str
    rejection_reason: str | None = None


def upscribe_subscribe(
    *,
    upscribe: Upscribe,
    email: str,
    ref_codes: list[str],
    name: str | None = None,
    country_code: str | None = None,
    region_code: str | None = None,
    utm_source: str | None = None,
    utm_campaign: str | None = None,
    ip_address: str | None = None,
) -> list[PickOutcome]:
    """Sign `email` up to each picked recommendation (§ Upscribe, subscribe).

    One partner referral per ref code that is one of the upscribe's active recommendations,
    with its pick; other codes are `skipped`. Each referral is `pending`, or `rejected` at
    once with its reason, as earnings' `partner_referral_create` decides; it publishes the
    events. All the picks are made in one transaction, set-based (earnings'
    `partner_referrals_create`); should that fail, they are made again one by one, each in
    a transaction of its own, so that a failure of one leaves the others made.
    Raises 400 `Upscribe <uuid> is not active.` for an inactive upscribe.
    """
    if not upscribe.active:
        raise ServiceError(selectors.UPSCRIBE_NOT_ACTIVE.format(identifier=upscribe.public_id))
    codes = list(dict.fromkeys(code for code in ref_codes if code))
    # Offers: `offer_…` codes go to offers/services.py, their outcomes in the same list.
    offered = upscribe_offers_subscribe(
        upscribe=upscribe,
        email=email,
        codes=[c for c in codes if c.startswith(OFFER_CODE_PREFIX)],
        country_code=country_code,
    )
    # Read once for all the picks: the campaigns with what a referral reads, and which
    # recommended teams have the person already.
    picked = selectors.recommendations_by_ref_code(upscribe=upscribe, ref_codes=codes)
    # Its own query, not a correlated EXISTS in the one above: that one is planned from the
    # recommended teams' statistics, and stale ones sent it down the wrong index (a scan of
    # each team's subscribers); this one is an index lookup whatever the statistics say.
    subscribed = teams_subscribed(
        team_ids=[c.publication.team_id for c in picked.values()], email=email
    )
    picks = [
        (picked[code], picked[code].publication.team_id in subscribed)
        for code in codes
        if code in picked
    ]
    person = {
        "email": email,
        "name": name,
        "country_code": country_code,
        "region_code": region_code,
        "utm_source": utm_source,
        "utm_campaign": utm_campaign,
        "ip_address": ip_address,
    }
    try:
        referrals = _picks(upscribe=upscribe, picks=picks, person=person)
    except ServiceError:  # the person's (an invalid email): every pick's answer alike
        raise
    except Exception:
        # Whatever failed rolled the whole batch back: make the picks one by one, so that
        # only the failing one fails (and raises, as it did before the batch).
        logger.warning("upscribe subscribe: the picks' batch failed, one by one", exc_info=True)
        referrals = [
            _pick(upscribe=upscribe, campaign=campaign, already_subscribed=already, **person)
            for campaign, already in picks
        ]
    made = {referral.campaign_id: referral for referral in referrals}
    outcomes = []
    for code in codes:
        if code in offered:  # offers
            outcomes.append(PickOutcome(code, offered[code].status, offered[code].rejection_reason))
            continue
        referral = made.get(picked[code].pk) if code in picked else None
        if referral is None:
            outcomes.append(PickOutcome(ref_code=code, status=SKIPPED))
            continue
        outcomes.append(
            PickOutcome(
                ref_code=code, status=referral.status, rejection_reason=referral.rejection_reason
            )
        )
    return outcomes


@transaction.atomic
def _picks(
    *, upscribe: Upscribe, picks: list[tuple[PartnerCampaign, bool]], person: dict[str, Any]
) -> list[PartnerReferral]:
    if not picks:
        return []
    referrals = partner_referrals_create(
        picks=picks, origin=PartnerReferral.Origin.UPSCRIBE, **person
    )
    rows_insert(
        [
            UpscribePick(upscribe=upscribe, campaign_id=referral.campaign_id, referral=referral)
            for referral in referrals
        ]
    )
    return referrals


@transaction.atomic
def _pick(*, upscribe: Upscribe, campaign: PartnerCampaign, **person: Any) -> PartnerReferral:
    referral = partner_referral_create(
        campaign=campaign, origin=PartnerReferral.Origin.UPSCRIBE, **person
    )
    UpscribePick.objects.create(upscribe=upscribe, campaign=campaign, referral=referral)
    return referral
