"""The partner catalogue: the example objects of its OpenAPI descriptions (`openapi.py`), as
the API renders them."""

from __future__ import annotations

from typing import Any

PUBLICATION_EXAMPLE: dict[str, Any] = {
    "uuid": "pub_810f4c8c08cd",
    "name": "The Pour Over",
    "publication_url": "https://www.thepourover.org/",
    "description": "Politics without the noise, twice a month.",
    "auto_pilot": False,
    "partner_categories": ["politics", "lifestyle"],
    "status": "active",
    "logo_url": "https://refs.example.com/media/partners/logos/pub_810f4c8c08cd.png",
    "list_id": "c34kko0",
    "language": "English",
    "send_frequency": "1-2x per month",
    "audience_gender": "mixed",
    "income_levels": ["$50k - $75k", "$75k - $100k"],
    "age_ranges": ["25 - 39", "40 - 59"],
    "enabled_partner_program": True,
    "created_at": "2026-11-23T15:04:36.143Z",
}
NETWORK_PUBLICATION_EXAMPLE: dict[str, Any] = {
    **{k: v for k, v in PUBLICATION_EXAMPLE.items() if k not in ("list_id", "auto_pilot")},
    "partner_program_uuid": "partner_program_45e5187ede44",
}
del NETWORK_PUBLICATION_EXAMPLE["enabled_partner_program"]
TERMS_EXAMPLE = {
    "uuid": "partner_program_45e5187ede44",
    "publication": {
        "uuid": "pub_810f4c8c08cd",
        "name": "The Pour Over",
        "logo": "https://refs.example.com/media/partners/logos/pub_810f4c8c08cd.png",
        "description": "Politics without the noise, twice a month.",
        "url": "https://www.thepourover.org/",
        "send_frequency": "1-2x per month",
        "language": "English",
        "categories": ["politics", "lifestyle"],
    },
    "status": "active",
    "terms": None,
    "resources_url": None,
    "redirect_url": "https://www.thepourover.org/",
    "thankyou_page_url": "https://www.thepourover.org/thank-you",
    "cpa": 2.5,
    "max_payout": 500.0,
    "referral_pending_duration": 14,
    "geo_restrictions": {
        "allow_worldwide_referrals": False,
        "allowed_countries": ["CA", "GB"],
        "blocked_countries": [],
        "allowed_regions": [],
    },
    "can_be_recommended_via": ["upscribe", "partner_link", "magic_link"],
    "ideal_subscriber": "Busy readers who want the gist.",
    "expected_earning_per_referral": "$1.88",
    "screening_strictness": "fair",
    "expected_referral_confirmation_rate": 75,
    "requires_approval": True,
    "pilot_phase": False,
    "created_at": "2026-11-23T15:04:36.143Z",
}
PROGRAM_EXAMPLE = {
    **TERMS_EXAMPLE,
    "total_budget": 1000.0,
    "slug": "pour-over",
    "show_in_directory": True,
    "referral_pending_duration_enabled": True,
    "budget_used_this_month": 212.5,
    "remaining_budget_dollars": 787.5,
}
CAMPAIGN_EXAMPLE = {
    "uuid": "partner_campaign_a6224cd65cf3",
    "publication_uuid": "pub_810f4c8c08cd",
    "partner_profile_uuid": "partner_df80bd29bf34",
    "partner_program_uuid": "partner_program_45e5187ede44",
    "status": "active",
    "ref_code": "c3088257c7",
    "referral_link": "https://refs.example.com/p/c3088257c7",
    "cpa": 2.5,
    "max_payout": 500.0,
    "campaign_type": "partner_program",
    "thankyou_page_url": "https://www.thepourover.org/thank-you",
    "accepted_terms_at": "2026-11-24T09:12:00.000Z",
    "name": "The Pour Over",
    "publication_name": "The Pour Over",
    "referral_pending_period": 14,
    "remaining_budget": 48750,
    "remaining_budget_dollars": 487.5,
    "partner_program_geo_restrictions": {
        "allow_worldwide_referrals": False,
        "allowed_countries": ["CA", "GB"],
        "blocked_countries": [],
    },
    "referrals": {"pending": 5, "rejected": 1, "confirmed": 12},
    "created_at": "2026-11-24T09:12:00.000Z",
}
RECOMMENDATION_EXAMPLE = {
    "uuid": "partner_campaign_23ac0811bfff",
    "type": "free",
    "status": "active",
    "ref_code": "14ea515235",
    "publication_uuid": "pub_810f4c8c08cd",
    "publication_name": "The Pour Over",
    "publication_logo": "https://refs.example.com/media/partners/logos/pub_810f4c8c08cd.png",
    "description": "Politics without the noise, twice a month.",
    "pinned": False,
    "position": None,
    "signup_url": "https://refs.example.com/r/14ea515235",
    "partner_program_uuid": None,
    "cpa": 0,
    "max_payout": 0,
    "referrals": {"pending": 0, "rejected": 0, "confirmed": 0},
    "earnings": 0,
    "net_earnings": 0,
}
PROFILE_EXAMPLE = {
    "uuid": "partner_df80bd29bf34",
    "name": "Alice Media",
    "website_url": "https://alice.example.com",
    "logo_url": None,
    "payout_email": "payouts@alice.example.com",
    "created_at": "2026-10-01T08:00:00.000Z",
    "earnings": {"pending": 1250, "confirmed": 3000, "paid": 10000},
}
