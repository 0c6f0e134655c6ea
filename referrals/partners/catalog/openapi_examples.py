"""The partner catalogue's OpenAPI examples: whole bodies (used by `catalog/openapi.py`) and
realistic values for every field of its components (`schema_examples`, a postprocessing hook
built with `sparkloop.api.examples.field_examples`)."""

from __future__ import annotations

from typing import Any

from sparkloop.api.examples import field_examples

PUBLICATION_EXAMPLE = {
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
NETWORK_PUBLICATION_EXAMPLE = {
    **{k: v for k, v in PUBLICATION_EXAMPLE.items() if k not in ("list_id", "auto_pilot")},
    "partner_program_uuid": "partner_program_45e5187ede44",
}
del NETWORK_PUBLICATION_EXAMPLE["enabled_partner_program"]
TERMS_EXAMPLE: dict[str, Any] = {
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


def _known(example: dict[str, Any]) -> dict[str, Any]:
    """The example's values that say something (a null tells a reader nothing)."""
    return {key: value for key, value in example.items() if value is not None}


PROGRAM_TEXT = {
    "terms": "New readers only; no incentivised or co-registration sign-ups.",
    "resources_url": "https://www.thepourover.org/partners/kit",
    "ideal_subscriber": TERMS_EXAMPLE["ideal_subscriber"],
    "publication_uuid": PUBLICATION_EXAMPLE["uuid"],
}
PUBLICATION_INPUT = {
    **_known(PUBLICATION_EXAMPLE),
    "categories": PUBLICATION_EXAMPLE["partner_categories"],
    "logo": "logo.png",
}
# Realistic values for the fields of the catalogue's components (registered in the
# SPECTACULAR_SETTINGS postprocessing hooks).
_field_examples = field_examples(
    by_component={
        "PublicationOutput": _known(PUBLICATION_EXAMPLE),
        "NetworkPublicationOutput": _known(NETWORK_PUBLICATION_EXAMPLE),
        "PublicationCreateInputRequest": PUBLICATION_INPUT,
        "PublicationUpdateInputRequest": PUBLICATION_INPUT,
        "PatchedPublicationUpdateInputRequest": PUBLICATION_INPUT,
        "ProgramOutput": {**_known(PROGRAM_EXAMPLE), **PROGRAM_TEXT},
        "NetworkProgramOutput": {**_known(TERMS_EXAMPLE), **PROGRAM_TEXT},
        "ProgramPublication": _known(TERMS_EXAMPLE["publication"]),
        "ProgramCreateInputRequest": PROGRAM_TEXT,
        "ProgramUpdateInputRequest": PROGRAM_TEXT,
        "PatchedProgramUpdateInputRequest": PROGRAM_TEXT,
        "PartnerCampaignOutput": _known(CAMPAIGN_EXAMPLE),
        "PartnerCampaignJoinInputRequest": {
            "reason_for_recommending": "Our readers ask us for sharp, short politics coverage."
        },
        "RecommendationOutput": {
            **_known(RECOMMENDATION_EXAMPLE),
            "partner_program_uuid": "partner_program_45e5187ede44",
        },
        "PartnerProfileOutput": {
            **_known(PROFILE_EXAMPLE),
            "logo_url": "https://refs.example.com/media/partners/logos/partner_df80bd29bf34.png",
        },
        "PartnerProfileUpdateInputRequest": {"name": PROFILE_EXAMPLE["name"]},
        "PatchedPartnerProfileUpdateInputRequest": {"name": PROFILE_EXAMPLE["name"]},
    },
)

# Tag descriptions of these operations' groups (the docs' sections).
TAGS = [
    {
        "name": "publications",
        "description": (
            "The newsletters a team publishes in the partner network: their "
            "profile, audience and logo."
        ),
    },
    {
        "name": "partner_programs",
        "description": (
            "A publication's paid referral program: its terms, budget and "
            "geography, the partners who applied (approve, reject) and their referrals."
        ),
    },
    {
        "name": "partner_network",
        "description": (
            "The network as a partner sees it: other teams' publications, "
            "programs (join) and offers, and free recommendations."
        ),
    },
    {
        "name": "partner_profile",
        "description": (
            "The team as a partner: its profile, the partner campaigns it "
            "joined (with their referral links) and its payouts."
        ),
    },
]


def schema_examples(result: dict[str, Any], generator: Any, request: Any, public: bool) -> Any:
    """The fields' realistic values and the tags' descriptions (a postprocessing hook)."""
    # A new list: the one there is SPECTACULAR_SETTINGS["TAGS"] itself, shared by every run.
    result["tags"] = [*result.get("tags", []), *TAGS]
    return _field_examples(result, generator, request, public)
