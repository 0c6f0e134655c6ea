"""Example objects of API v1's OpenAPI descriptions: the shapes its tests check."""

from __future__ import annotations

from typing import Any

CAMPAIGN_EXAMPLE: dict[str, Any] = {
    "uuid": "MF9a78983d1c",
    "name": "My cool newsletter",
    "landing_url": "https://news.example.com/",
    "default": True,
    "verification": "on_confirmation",
    "holding_days": 7,
    "rewards": [
        {
            "uuid": "reward_cdebf4f0130a",
            "name": "Sticker pack",
            "referrals": 3,
            "recurring": False,
            "requires_approval": False,
            "created_at": "2021-03-01T09:00:00.000Z",
        }
    ],
    "created_at": "2021-03-01T09:00:00.000Z",
}
SUBSCRIBER_EXAMPLE: dict[str, Any] = {
    "uuid": "sub_37775e51c5ab",
    "email": "drago@example.com",
    "name": "Drago Vrago",
    "ref_code": "d785f0a1",
    "referrer_code": "c784ef4f",
    "referrals_count": 2,
    "status": "confirmed",
    "ip_address": "213.19.137.18",
    "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)",
    "origin": "api",
    "utm_source": "twitter",
    "utm_campaign": "spring",
    "created_at": "2021-03-14T10:34:56.000Z",
    "referral_link": "https://news.example.com/?rh_ref=d785f0a1",
    "tot_referrals": 1,
    "next_reward": 2,
}
EVENT_EXAMPLE: dict[str, Any] = {
    "uuid": "event_3138d33419ab",
    "value": 14.9,
    "description": "Bought the annual plan",
    "campaign_uuid": "MF9a78983d1c",
    "subscriber_uuid": "sub_37775e51c5ab",
    "created_at": "2021-11-29T10:14:20.955Z",
}
WEBHOOK_EXAMPLE: dict[str, Any] = {
    "uuid": "webhook_ac06a45cb5e1",
    "url": "https://hooks.example.com/sparkloop",
    "events": {"new_referral": True, "reward_unlocked": None},
    "enabled": True,
    "disabled_reason": "",
    "campaign_uuid": "MF9a78983d1c",
    "created_at": "2021-03-14T10:34:56.000Z",
}
