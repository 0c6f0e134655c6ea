"""Partner earnings: the webhook payloads of the partner referral events (partners.md), and
their outbox rows, written for one referral or for a settled batch at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Value
from django.utils import timezone

from referrals.partners.models import (
    PartnerCampaign,
    PartnerProfile,
    PartnerReferral,
    Payout,
    Publication,
)
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint, new_event_id
from webhooks.services import event_payload, event_record
from webhooks.services.publish import deliveries_publish_on_commit

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


def partner_referral_payload(referral: PartnerReferral) -> dict[str, Any]:
    """The body of `new_partner_pending_referral`, `new_partner_referral` and
    `partner_referral_rejected` (the envelope's `type` and `id` are added by the outbox).

    `referral.campaign` must come with its `publication`, `recommending_publication` and
    `partner_profile` (select_related), and `subscriber` when there is one."""
    campaign: PartnerCampaign = referral.campaign
    paid = campaign.campaign_type == PartnerCampaign.Type.PARTNER_PROGRAM
    subscriber = referral.subscriber
    return {
        "type": str(EVENT_OF_STATUS[PartnerReferral.Status(referral.status)]),
        "campaign": {
            "id": campaign.public_id,
            "referral_code": campaign.ref_code,
            "type": "paid" if paid else "free",
            "name": campaign.publication.name,
            "publication_id": campaign.publication.public_id,
            "publication_name": campaign.publication.name,
        },
        "subscriber": {
            "id": subscriber.public_id if subscriber is not None else None,
            "email": referral.email,
            "name": referral.name,
            "country_code": referral.country_code,
            "referral_status": _REFERRAL_STATUS[PartnerReferral.Status(referral.status)],
            "rejection_reason": referral.rejection_reason,
            "created_at": int(referral.created_at.timestamp()),
        },
        "partner": _partner(campaign.partner_profile),
        "publication": _publication(campaign.recommending_publication),
        "cpa": referral.cpa_cents / 100,
        "payable": referral.payable,
    }


def partner_referral_event_record(referral: PartnerReferral) -> None:
    """The referral's event of its current status, to both teams (the recommended team and
    the partner), in the caller's transaction."""
    payload = partner_referral_payload(referral)
    kind = EVENT_OF_STATUS[PartnerReferral.Status(referral.status)]
    event_record(team=referral.team, type=kind, payload=payload)
    event_record(team=referral.campaign.team, type=kind, payload=payload)


def partner_referral_events_record_many(referrals: Iterable[PartnerReferral]) -> int:
    """As partner_referral_event_record for a settled batch, in a fixed number of queries:
    the events in one INSERT, the endpoints of all the teams in one SELECT, the deliveries
    in one INSERT (their send tasks published on commit). Returns how many events."""
    events: list[Event] = []
    bodies: list[dict[str, Any]] = []
    for referral in referrals:
        payload = partner_referral_payload(referral)
        kind = str(payload["type"])
        for team_id in (referral.team_id, referral.campaign.team_id):
            public_id = new_event_id()
            body = event_payload(public_id=public_id, type=kind, payload=payload)
            bodies.append(body)
            # An expression among the values makes Django insert with VALUES rows rather
            # than UNNEST arrays, whose client-side quoting of each JSON text costs ~2 ms a
            # row; the payloads go as JSON parameters.
            events.append(
                Event(team_id=team_id, public_id=Value(public_id), type=kind, payload=body)
            )
    if not events:
        return 0
    Event.objects.bulk_create(events, batch_size=500)
    for event, body in zip(events, bodies, strict=True):
        event.payload = body
    endpoints: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in WebhookEndpoint.objects.filter(
        team_id__in={e.team_id for e in events}, is_enabled=True
    ).only("id", "team_id", "events", "campaign_uuid"):
        endpoints[endpoint.team_id].append(endpoint)
    now = timezone.now()
    deliveries = [
        WebhookDelivery(
            team_id=event.team_id,
            event=event,
            endpoint=endpoint,
            next_attempt_at=now,
            enqueued_at=now,
        )
        for event in events
        for endpoint in endpoints.get(event.team_id, [])
        if endpoint.subscribes_to(event.type) and endpoint.covers(event.payload)
    ]
    if deliveries:
        WebhookDelivery.objects.bulk_create(deliveries)
        deliveries_publish_on_commit(d.pk for d in deliveries)
    return len(events)


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
