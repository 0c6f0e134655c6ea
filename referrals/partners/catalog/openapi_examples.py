"""The partner catalogue's OpenAPI field values: realistic values for every field of its
components (`schema_examples`, a postprocessing hook built with
`sparkloop.api.examples.field_examples`), and its tags' descriptions. The example objects
themselves are in `examples.py`."""

from __future__ import annotations

from typing import Any, cast

from referrals.partners.catalog.examples import (
    CAMPAIGN_EXAMPLE,
    NETWORK_PUBLICATION_EXAMPLE,
    PROFILE_EXAMPLE,
    PROGRAM_EXAMPLE,
    PUBLICATION_EXAMPLE,
    RECOMMENDATION_EXAMPLE,
    TERMS_EXAMPLE,
)
from sparkloop.api.examples import field_examples


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
        "ProgramPublication": _known(cast(dict[str, Any], TERMS_EXAMPLE["publication"])),
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
