"""Partner earnings: the webhook payloads of the partner referral events (partners.md), and
their outbox rows, written for one referral or for a settled batch at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from referrals.partners.models import (
    PartnerCampaign,
    PartnerProfile,
    PartnerReferral,
    Payout,
    Publication,
)
from sparkloop.models import Team
from webhooks.models import Event
from webhooks.services import event_record
from webhooks.services.events_batch import events_record_many

# The recommended team's subscriber's `referral_status` as a referral's status shows it.
_REFERRAL_STATUS = {
    PartnerReferral.Status.PENDING: "pending",
    PartnerReferral.Status.CONFIRMED: "verified",
    PartnerReferral.Status.REJECTED: "rejected",
}
EVENT_OF_STATUS = {
    PartnerReferral.Status.PENDING: Event.Type.NEW_PARTNER_PENDING_REFERRAL,
    PartnerReferral.Status.CONFIRMED: Event.Type.NEW_PARTNER_REFERRAL,
    PartnerReferral.Status.REJECTED: Event.Type.PARTNER_REFERRAL_REJECTED,
}


def publication_logo(publication: Publication | None) -> str | None:
    if publication is None:
        return None
    if publication.logo:
        return str(publication.logo.url)
    return publication.logo_url or None


def _publication(publication: Publication | None) -> dict[str, Any]:
    if publication is None:
        return {"id": None, "name": None, "logo": None}
    return {
        "id": publication.public_id,
        "name": publication.name,
        "logo": publication_logo(publication),
    }


def _partner(profile: PartnerProfile) -> dict[str, Any]:
    return {"id": profile.public_id, "name": profile.name, "logo": profile.logo_url or None}


def campaign_parts(campaign: PartnerCampaign) -> dict[str, Any]:
    """What every referral payload of `campaign` shares (`campaign`, `partner`,
    `publication`): built once per campaign for a settled batch. `campaign` must come with its
    `publication`, `recommending_publication` and `partner_profile` (select_related)."""
    paid = campaign.campaign_type == PartnerCampaign.Type.PARTNER_PROGRAM
    return {
        "campaign": {
            "id": campaign.public_id,
            "referral_code": campaign.ref_code,
            "type": "paid" if paid else "free",
            "name": campaign.publication.name,
            "publication_id": campaign.publication.public_id,
            "publication_name": campaign.publication.name,
        },
        "partner": _partner(campaign.partner_profile),
        "publication": _publication(campaign.recommending_publication),
    }


def referral_payload(
    *,
    parts: dict[str, Any],
    status: str,
    subscriber_public_id: str | None,
    email: str,
    name: str | None,
    country_code: str | None,
    rejection_reason: str | None,
    created_at: datetime,
    cpa_cents: int,
    payable: bool,
) -> dict[str, Any]:
    """A referral's event body from its columns and its campaign's `campaign_parts`."""
    return {
        "type": str(EVENT_OF_STATUS[PartnerReferral.Status(status)]),
        "campaign": parts["campaign"],
        "subscriber": {
            "id": subscriber_public_id,
            "email": email,
            "name": name,
            "country_code": country_code,
            "referral_status": _REFERRAL_STATUS[PartnerReferral.Status(status)],
            "rejection_reason": rejection_reason,
            "created_at": int(created_at.timestamp()),
        },
        "partner": parts["partner"],
        "publication": parts["publication"],
        "cpa": cpa_cents / 100,
        "payable": bool(payable),
    }


def partner_referral_payload(referral: PartnerReferral) -> dict[str, Any]:
    """The body of `new_partner_pending_referral`, `new_partner_referral` and
    `partner_referral_rejected` (the envelope's `type` and `id` are added by the outbox).

    `referral.campaign` must come as for `campaign_parts`, and `subscriber` when there is one."""
    subscriber = referral.subscriber
    return referral_payload(
        parts=campaign_parts(referral.campaign),
        status=referral.status,
        subscriber_public_id=subscriber.public_id if subscriber is not None else None,
        email=referral.email,
        name=referral.name,
        country_code=referral.country_code,
        rejection_reason=referral.rejection_reason,
        created_at=referral.created_at,
        cpa_cents=referral.cpa_cents,
        payable=referral.payable,
    )


def partner_referral_event_record(referral: PartnerReferral) -> None:
    """The referral's event of its current status, to both teams (the recommended team and
    the partner), in the caller's transaction."""
    payload = partner_referral_payload(referral)
    kind = EVENT_OF_STATUS[PartnerReferral.Status(referral.status)]
    event_record(team=referral.team, type=kind, payload=payload)
    event_record(team=referral.campaign.team, type=kind, payload=payload)


def partner_referral_events_record_groups(
    groups: dict[tuple[int, str], list[dict[str, Any]]],
) -> int:
    """Publish a settled batch's payloads grouped by (team id, event type): one
    `events_record_many` call per team and type (the outbox's batch form: a bounded number
    of statements each), teams in id order. Returns how many events."""
    teams = Team.objects.only("id").in_bulk({team_id for team_id, _ in groups})
    total = 0
    for (team_id, kind), payloads in sorted(groups.items()):
        total += len(events_record_many(team=teams[team_id], type=kind, payloads=payloads))
    return total


def payout_payload(payout: Payout) -> dict[str, Any]:
    """The body of `payout_created` (our extension), to the partner's team."""
    return {
        "type": str(Event.Type.PAYOUT_CREATED),
        "payout": {
            "id": payout.public_id,
            "amount": payout.amount_cents,
            "amount_dollars": payout.amount_cents / 100,
            "currency": payout.currency,
            "period_start": payout.period_start.isoformat(),
            "period_end": payout.period_end.isoformat(),
            "referrals": payout.referrals_count,
            "status": payout.status,
            "created_at": int(payout.created_at.timestamp()),
        },
        "partner": _partner(payout.partner_profile),
    }
