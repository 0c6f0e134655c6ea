"""Subscriber objects as webhook payloads carry them (reference §12.2)."""

from __future__ import annotations

from typing import Any

from subscribers.models import Subscriber


def subscriber_webhook_object(
    subscriber: Subscriber,
    *,
    referral_link: str | None = None,
    next_reward: int | None = None,
    tot_referrals: int | None = None,
) -> dict[str, Any]:
    """`tot_referrals` defaults to the team-wide count; campaigns pass their own."""
    name = subscriber.name or ""
    return {
        "id": subscriber.public_id,
        "first_name": name.split(" ", 1)[0] if name else None,
        "name": subscriber.name,
        "email": subscriber.email,
        "referral_code": subscriber.ref_code,
        "referral_link": referral_link,
        "referred": subscriber.referred,
        "referral_status": subscriber.referral_status,
        "status": subscriber.status,
        "tot_referrals": (
            subscriber.verified_referrals_count if tot_referrals is None else tot_referrals
        ),
        "next_reward": next_reward,
        "created_at": int(subscriber.created_at.timestamp()),
    }
