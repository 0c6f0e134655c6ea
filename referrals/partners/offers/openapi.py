"""OpenAPI descriptions of the offer operations (reference §10 and §11.8; create, update and
the partner network's offers are our extensions), with real examples.

Kept beside the views so that they stay parse-call-render; imported by offers/urls.py. What
every operation shares is added by `sparkloop.api.schema`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers

from referrals.partners.offers.selectors import (
    CONVERSION_OFFER_NOT_FOUND,
    CONVERSION_SUBMISSION_NOT_FOUND,
    OFFER_NOT_FOUND,
)
from referrals.partners.offers.serializers import (
    NetworkOfferOutputSerializer,
    OfferCreateInputSerializer,
    OfferOutputSerializer,
    OfferUpdateInputSerializer,
)
from referrals.partners.offers.services import EXPIRED, GEO_REQUIRED, NOT_AN_ACTION, NOT_UNIQUE
from referrals.partners.offers.views import (
    CONVERSION_TRACKED,
    NetworkOfferViewSet,
    OfferConversionViewSet,
    OfferViewSet,
)
from sparkloop.api.examples import field_examples
from sparkloop.api.schema import PAGE, PER_PAGE, ErrorSerializer, envelope, meta

OFFER_EXAMPLE: dict[str, Any] = {
    "uuid": "offer_4bc10562d97a",
    "name": "Deep Work Course",
    "headline": "Learn to focus in 30 days",
    "description": "A video course on focused work, by the author of the newsletter.",
    "callout": "50% off this week",
    "redirect_url": "https://courses.example.com/deep-work",
    "conversion_type": "action",
    "visibility": "public",
    "status": "active",
    "created_at": "2026-11-24T11:55:02.113Z",
    "landscape_image_url": "https://cdn.example.com/deep-work-wide.png",
    "portrait_image_url": "https://cdn.example.com/deep-work-tall.png",
    "geo_restrictions": {
        "allow_worldwide_referrals": False,
        "allowed_countries": ["CA", "US"],
        "blocked_countries": [],
    },
    "monthly_budget": 1000.0,
    "cpa": 12.5,
    "conversion_event": "purchase",
    "terms": "A purchase within 30 days of the click.",
    "offer_url": "https://sparkloop.example.com/o/offer_4bc10562d97a",
    "budget_used_this_month": 125.0,
    "remaining_budget_dollars": 875.0,
    "clicks": 240,
    "conversions": 10,
}
NETWORK_EXAMPLE = {
    key: value
    for key, value in OFFER_EXAMPLE.items()
    if key
    not in (
        "redirect_url",
        "visibility",
        "monthly_budget",
        "budget_used_this_month",
        "remaining_budget_dollars",
        "clicks",
        "conversions",
    )
} | {"offer_url": "https://sparkloop.example.com/o/offer_4bc10562d97a?partner=partner_df80bd29bf34"}
CREATE_BODY = {
    "name": "Deep Work Course",
    "headline": "Learn to focus in 30 days",
    "redirect_url": "https://courses.example.com/deep-work",
    "conversion_type": "action",
    "conversion_event": "purchase",
    "cpa": 12.5,
    "monthly_budget": 1000,
    "allow_worldwide_referrals": False,
    "allowed_countries": "US,CA",
}

OFFER = envelope("OfferResponse", offer=OfferOutputSerializer())


def _example(name: str, value: Any, status: int = 200) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[str(status)])


def _errors(status: int, *messages: str) -> OpenApiResponse:
    return OpenApiResponse(
        ErrorSerializer,
        description="Each example is one of this operation's error sentences.",
        examples=[
            OpenApiExample(message, value={"error": message}, status_codes=[str(status)])
            for message in messages
        ],
    )


def _page(key: str, item: dict[str, Any]) -> dict[str, Any]:
    return {key: [item], "meta": {"per_page": 50, "page": 1, "total_pages": 1, f"total_{key}": 1}}


STATUS = OpenApiParameter("status", str, enum=["active", "paused", "archived"])
CONVERSION_TYPE = OpenApiParameter("conversion_type", str, enum=["click", "lead", "action"])
NOT_FOUND_404 = _errors(404, OFFER_NOT_FOUND.format(uuid="offer_4bc10562d97a"))

extend_schema_view(
    list=extend_schema(
        summary="List the team's offers",
        description="Newest first. Filters: `status`, `conversion_type`, `visibility`.",
        parameters=[
            PAGE,
            PER_PAGE,
            STATUS,
            CONVERSION_TYPE,
            OpenApiParameter("visibility", str, enum=["public", "private"]),
        ],
        responses={
            200: envelope(
                "OfferListResponse", offers=OfferOutputSerializer(many=True), meta=meta("offers")
            )
        },
        examples=[_example("Offers", _page("offers", OFFER_EXAMPLE))],
    ),
    create=extend_schema(
        summary="Create an offer (extension)",
        description=(
            "`cpa` and `monthly_budget` in dollars; `allowed_countries` and "
            "`blocked_countries` as a list or a comma-separated string of alpha-2 codes."
        ),
        request=OfferCreateInputSerializer,
        responses={
            201: OFFER,
            400: _errors(400, "Name can't be blank", "Conversion type is invalid", GEO_REQUIRED),
        },
        examples=[
            OpenApiExample("An action offer", value=CREATE_BODY, request_only=True),
            _example("Created", {"offer": OFFER_EXAMPLE}, 201),
        ],
    ),
    retrieve=extend_schema(
        summary="Get an offer",
        responses={200: OFFER, 404: NOT_FOUND_404},
        examples=[_example("An offer", {"offer": OFFER_EXAMPLE})],
    ),
    update=extend_schema(
        summary="Update an offer (extension)",
        description="Any create field, each optional (at least one).",
        request=OfferUpdateInputSerializer,
        responses={200: OFFER, 404: NOT_FOUND_404},
        examples=[
            OpenApiExample("Pause it", value={"status": "paused"}, request_only=True),
            _example("Updated", {"offer": OFFER_EXAMPLE | {"status": "paused"}}),
        ],
    ),
    partial_update=extend_schema(
        summary="Update an offer (as PUT)",
        request=OfferUpdateInputSerializer,
        responses={200: OFFER, 404: NOT_FOUND_404},
    ),
)(OfferViewSet)

extend_schema_view(
    list=extend_schema(
        summary="List the partner network's offers (extension)",
        description=(
            "Other teams' active public offers whose budget this month still holds a "
            "conversion, newest first. `offer_url` is the team's own link to send visitors "
            "through (it names the team as the partner)."
        ),
        parameters=[
            PAGE,
            PER_PAGE,
            CONVERSION_TYPE,
            OpenApiParameter("cpa", float, description="The lowest CPA, in dollars."),
            OpenApiParameter("query", str, description="In the name, headline or description."),
        ],
        responses={
            200: envelope(
                "NetworkOfferListResponse",
                offers=NetworkOfferOutputSerializer(many=True),
                meta=meta("offers"),
            )
        },
        examples=[_example("Offers", _page("offers", NETWORK_EXAMPLE))],
    )
)(NetworkOfferViewSet)

extend_schema(
    summary="Track an action offer's conversion",
    description=(
        "The advertiser confirms a submission of an action offer: the `submission` it was "
        "given on the visitor's redirect (`?submission=<uuid>&offer=<uuid>`). A submission "
        "converts once and expires 45 days after the click."
    ),
    request=None,
    responses={
        200: envelope("ConversionResponse", message=serializers.CharField()),
        404: _errors(404, CONVERSION_OFFER_NOT_FOUND, CONVERSION_SUBMISSION_NOT_FOUND),
        422: _errors(422, NOT_AN_ACTION, NOT_UNIQUE, EXPIRED),
    },
    examples=[_example("Tracked", {"message": CONVERSION_TRACKED})],
)(OfferConversionViewSet.create)


# Realistic values for the fields of the offer components (registered in the
# SPECTACULAR_SETTINGS postprocessing hooks).
_OFFER_TEXT = {key: value for key, value in OFFER_EXAMPLE.items() if isinstance(value, str)}
_field_examples = field_examples(
    by_component={
        "OfferOutput": _OFFER_TEXT,
        "NetworkOfferOutput": {**_OFFER_TEXT, "offer_url": NETWORK_EXAMPLE["offer_url"]},
        "OfferCreateInputRequest": _OFFER_TEXT,
        "OfferUpdateInputRequest": _OFFER_TEXT,
        "PatchedOfferUpdateInputRequest": _OFFER_TEXT,
        "ConversionResponse": {"message": CONVERSION_TRACKED},
    },
)

# Tag descriptions of these operations' groups (the docs' sections).
TAGS = [
    {
        "name": "offers",
        "description": (
            "Offers a team advertises to partners (click, lead or action, paid "
            "per conversion) and the advertiser's conversion call."
        ),
    },
]


def schema_examples(result: dict[str, Any], generator: Any, request: Any, public: bool) -> Any:
    """The fields' realistic values and the tags' descriptions (a postprocessing hook)."""
    # A new list: the one there is SPECTACULAR_SETTINGS["TAGS"] itself, shared by every run.
    result["tags"] = [*result.get("tags", []), *TAGS]
    return _field_examples(result, generator, request, public)
