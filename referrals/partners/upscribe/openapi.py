"""Upscribes: the OpenAPI descriptions of the views (drf-spectacular, real examples).

Imported by `upscribe/urls.py`. The Recommendation Object is rendered by a function
(`serializers.recommendation_object`); its shape is described here once, field for field.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers

from referrals.partners.models.offers import Offer
from referrals.partners.upscribe.serializers import (
    GenerateInputSerializer,
    RecommendationUpdateInputSerializer,
    SubscribeInputSerializer,
    UpscribeCreateInputSerializer,
    UpscribeOutputSerializer,
    UpscribeUpdateInputSerializer,
)
from referrals.partners.upscribe.views import RecommendationViewSet, UpscribeViewSet
from sparkloop.api.examples import field_examples
from sparkloop.api.schema import PAGE, PER_PAGE, envelope, meta

S = serializers


def _counts(name: str) -> Any:
    return envelope(
        name, pending=S.IntegerField(), rejected=S.IntegerField(), confirmed=S.IntegerField()
    )


class _RecommendationFields(S.Serializer[Any]):
    uuid = S.CharField(help_text="The partner campaign's uuid (`partner_campaign_…`).")
    type = S.ChoiceField(choices=["paid", "free", "offer"], help_text="`offer`: generate only.")
    recommendation_type = S.ChoiceField(choices=["publication", "offer"], help_text="Extension.")
    ref_code = S.CharField(help_text="10 hex; what subscribe's `recommendations` lists.")
    publication_uuid = S.CharField(help_text="The recommended publication (extension).")
    publication_name = S.CharField()
    publication_logo = S.CharField(allow_null=True)
    description = S.CharField(help_text="This upscribe's `reason`, else the campaign's.")
    pinned = S.BooleanField()
    position = S.IntegerField(allow_null=True, help_text="Order among the pinned ones.")
    cpa = S.IntegerField(help_text="Cents (0 for a free recommendation).")
    max_payout = S.IntegerField(help_text="The per-partner monthly cap, cents.")
    last_30_days_confirmation_rate = S.IntegerField(
        allow_null=True, help_text="Percent of the program's referrals settled in 30 days."
    )
    signup_url = S.CharField(help_text="`<SITE_URL>/r/<ref_code>`; `?email=` prefills it.")
    partner_program_uuid = S.CharField(allow_null=True)
    available_budget_dollars = S.FloatField(
        allow_null=True, help_text="The program's budget left this month (null when free)."
    )
    referral_pending_duration = S.IntegerField(allow_null=True, help_text="Days.")
    can_be_recommended_via = S.ListField(child=S.CharField())
    referrals = _counts("UpscribeRecommendationReferrals")
    earnings = S.IntegerField(help_text="All-time confirmed earnings, cents.")
    net_earnings = S.IntegerField(help_text="`earnings` less the platform fee, cents.")


class RecommendationSerializer(_RecommendationFields):
    """The Recommendation Object (reference §11.6): a partner campaign as one upscribe
    shows it. Money in cents."""

    status = S.ChoiceField(
        choices=["active", "paused"], help_text="`paused` when this upscribe paused it."
    )


class GeneratedRecommendationSerializer(_RecommendationFields):
    """A publication's Recommendation Object or, with the upscribe's `show_offers`, another
    team's offer as one (`type` `offer`): `uuid` and `ref_code` are the offer's uuid,
    `publication_name` and `publication_logo` its name and image, `cpa` cents, `signup_url`
    `<SITE_URL>/o/<offer_uuid>?partner=<the team's partner profile>`, the advertiser's
    budget not shown (`available_budget_dollars` null); and these fields."""

    status = S.CharField(help_text="`active`; `paused` when this upscribe paused it.")
    offer_uuid = S.CharField(required=False, help_text="Offers only.")
    name = S.CharField(required=False, help_text="Offers only.")
    headline = S.CharField(required=False, help_text="Offers only.")
    callout = S.CharField(required=False, help_text="Offers only.")
    landscape_image_url = S.CharField(required=False, allow_null=True)
    portrait_image_url = S.CharField(required=False, allow_null=True)
    conversion_type = S.ChoiceField(choices=Offer.ConversionType.choices, required=False)


RECOMMENDATION_EXAMPLE = {
    "uuid": "partner_campaign_23ac0811bfff",
    "type": "paid",
    "recommendation_type": "publication",
    "status": "active",
    "ref_code": "14ea515235",
    "publication_uuid": "pub_5fc782e24409",
    "publication_name": "Create&Sell",
    "publication_logo": "https://cdn.example.com/logo.png",
    "description": "The newsletter I read first every Monday.",
    "pinned": False,
    "position": None,
    "cpa": 300,
    "max_payout": 150000,
    "last_30_days_confirmation_rate": 30,
    "signup_url": "https://partners.example.com/r/14ea515235",
    "partner_program_uuid": "partner_program_83ba92h24a1c",
    "available_budget_dollars": 1000.0,
    "referral_pending_duration": 14,
    "can_be_recommended_via": ["upscribe", "partner_link", "magic_link"],
    "referrals": {"pending": 541, "rejected": 38, "confirmed": 2890},
    "earnings": 867000,
    "net_earnings": 867000,
}
OFFER_RECOMMENDATION_EXAMPLE = RECOMMENDATION_EXAMPLE | {
    "uuid": "offer_4bc10562d97a",
    "type": "offer",
    "recommendation_type": "offer",
    "ref_code": "offer_4bc10562d97a",
    "offer_uuid": "offer_4bc10562d97a",
    "publication_uuid": None,
    "publication_name": "Free guide",
    "publication_logo": "https://cdn.example.com/guide.png",
    "name": "Free guide",
    "headline": "Write better emails",
    "description": "A 20-page guide.",
    "callout": "Free",
    "landscape_image_url": "https://cdn.example.com/guide.png",
    "portrait_image_url": None,
    "conversion_type": "lead",
    "cpa": 250,
    "max_payout": 0,
    "last_30_days_confirmation_rate": None,
    "signup_url": "https://partners.example.com/o/offer_4bc10562d97a?partner=partner_df80bd29bf34",
    "partner_program_uuid": None,
    "available_budget_dollars": None,
    "referral_pending_duration": None,
    "can_be_recommended_via": ["upscribe"],
    "referrals": {"pending": 0, "rejected": 0, "confirmed": 12},
    "earnings": 3000,
    "net_earnings": 3000,
}
UPSCRIBE_EXAMPLE = {
    "uuid": "upscribe_ef8cb8124e99",
    "active": True,
    "after_submission_behaviour": "redirect",
    "redirect_url": "https://mywebsite.com/thank-you",
    "visibility_rules": ["https://mywebsite.com/", "https://mywebsite.com/blog/*"],
    "after_submission_rules": [
        {"behaviour": "close_widget", "current_url": "https://mywebsite.com/", "redirect_url": None}
    ],
    "auto_pilot": False,
    "show_offers": False,
    "publication_uuid": "pub_5fc782e24409",
    "created_at": "2026-12-01T09:30:00.000Z",
}


def _ok(name: str, value: Any) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=["200", "201"])


def _error(message: str, status: int = 400) -> OpenApiExample:
    return OpenApiExample(
        message, value={"error": message}, response_only=True, status_codes=[str(status)]
    )


UPSCRIBE = envelope("UpscribeResponse", upscribe=UpscribeOutputSerializer())
RECOMMENDATION = envelope(
    "UpscribeRecommendationResponse", recommendation=RecommendationSerializer()
)
NOT_FOUND = _error("Upscribe upscribe_4bc10562d97a not found.", 404)
REC_NOT_FOUND = _error("Recommendation partner_campaign_23ac0811bfff not found.", 404)
STATS_ROW = {
    "impressions": S.IntegerField(),
    "picks": S.IntegerField(help_text="Recommendations picked through subscribe."),
    "pick_rate": S.FloatField(allow_null=True, help_text="picks / impressions."),
    "referrals": _counts("UpscribeStatsReferrals"),
    "earnings": S.IntegerField(help_text="Confirmed payable CPA of the picks, cents."),
}
STATS_KIND = S.ChoiceField(
    choices=["publication", "offer"], required=False, help_text="`offer` on an offer's row."
)
STATS_EXAMPLE = {
    "impressions": 1200,
    "picks": 96,
    "pick_rate": 0.08,
    "referrals": {"pending": 60, "confirmed": 30, "rejected": 6},
    "earnings": 9000,
}

extend_schema_view(
    list=extend_schema(
        summary="List upscribes",
        responses={
            200: envelope("UpscribeListResponse", upscribes=UpscribeOutputSerializer(many=True))
        },
        examples=[_ok("upscribes", {"upscribes": [UPSCRIBE_EXAMPLE]})],
    ),
    create=extend_schema(
        summary="Create an upscribe (extension)",
        description="`publication_uuid` is one of the team's own publications.",
        request=UpscribeCreateInputSerializer,
        responses={201: UPSCRIBE},
        examples=[
            _ok("upscribe", {"upscribe": UPSCRIBE_EXAMPLE}),
            _error("Publication uuid can't be blank"),
            _error("Redirect url can't be blank"),
            _error("Publication pub_5fc782e24409 not found.", 404),
        ],
    ),
    retrieve=extend_schema(
        summary="Get an upscribe",
        responses={200: UPSCRIBE},
        examples=[_ok("upscribe", {"upscribe": UPSCRIBE_EXAMPLE}), NOT_FOUND],
    ),
    update=extend_schema(
        summary="Update an upscribe (`auto_pilot` and the widget's settings)",
        request=UpscribeUpdateInputSerializer,
        responses={200: UPSCRIBE},
        examples=[_ok("upscribe", {"upscribe": UPSCRIBE_EXAMPLE}), NOT_FOUND],
    ),
    partial_update=extend_schema(
        summary="Update an upscribe (as PUT)",
        request=UpscribeUpdateInputSerializer,
        responses={200: UPSCRIBE},
    ),
    stats=extend_schema(
        summary="An upscribe's last 30 days (extension)",
        description="Impressions, picks, the picks' referrals by status and earnings, in all "
        "and per recommendation.",
        responses={
            200: envelope(
                "UpscribeStatsResponse",
                stats=envelope(
                    "UpscribeStats",
                    upscribe_uuid=S.CharField(),
                    period_days=S.IntegerField(),
                    **STATS_ROW,
                    recommendations=inline_serializer(
                        many=True,
                        name="UpscribeRecommendationStats",
                        fields={
                            "uuid": S.CharField(),
                            "ref_code": S.CharField(),
                            "publication_name": S.CharField(),
                            "recommendation_type": STATS_KIND,
                            **STATS_ROW,
                        },
                    ),
                ),
            )
        },
        examples=[
            _ok(
                "stats",
                {
                    "stats": {
                        "upscribe_uuid": "upscribe_ef8cb8124e99",
                        "period_days": 30,
                        **STATS_EXAMPLE,
                        "recommendations": [
                            {
                                "uuid": "partner_campaign_23ac0811bfff",
                                "ref_code": "14ea515235",
                                "publication_name": "Create&Sell",
                                **STATS_EXAMPLE,
                            }
                        ],
                    }
                },
            ),
            NOT_FOUND,
        ],
    ),
    subscribe=extend_schema(
        summary="Subscribe a person to picked recommendations",
        description=(
            "One partner referral per ref code that is one of the upscribe's active "
            "recommendations (`pending`, or `rejected` at once); with `show_offers`, an "
            "offer's uuid converts a lead offer on the email (`confirmed`, or `rejected`); "
            "other codes are `skipped`."
        ),
        request=SubscribeInputSerializer,
        responses={
            200: envelope(
                "UpscribeSubscribeResponse",
                response=S.CharField(),
                referrals=inline_serializer(
                    many=True,
                    name="UpscribePickOutcome",
                    fields={
                        "ref_code": S.CharField(),
                        "status": S.ChoiceField(
                            choices=["pending", "rejected", "skipped", "confirmed"],
                            help_text="`confirmed`: a lead offer's pick, converted at once",
                        ),
                    },
                ),
            )
        },
        examples=[
            OpenApiExample(
                "subscribe",
                value={
                    "subscriber_email": "visitor@example.com",
                    "recommendations": "a724e922a3,a338cbf66a",
                    "country_code": "US",
                },
                request_only=True,
            ),
            _ok(
                "ok",
                {
                    "response": "ok",
                    "referrals": [
                        {"ref_code": "a724e922a3", "status": "pending"},
                        {"ref_code": "a338cbf66a", "status": "rejected"},
                    ],
                },
            ),
            _error("Parameters are missing."),
            _error("Subscriber param is missing or empty."),
            _error("Recommendations param is missing or empty."),
            _error("Upscribe upscribe_ef8cb8124e99 is not active."),
            NOT_FOUND,
        ],
    ),
)(UpscribeViewSet)

_PIN_LIKE = {
    verb: extend_schema(
        summary=f"{verb.capitalize()} a recommendation in this upscribe",
        request=None,
        responses={200: RECOMMENDATION},
        examples=[_ok("recommendation", {"recommendation": RECOMMENDATION_EXAMPLE}), REC_NOT_FOUND],
    )
    for verb in ("pin", "unpin", "pause", "unpause")
}

extend_schema_view(
    list=extend_schema(
        summary="List an upscribe's recommendations",
        description="Active and paused, newest first; `meta.total_pages` is at least 1.",
        parameters=[PAGE, PER_PAGE],
        responses={
            200: envelope(
                "UpscribeRecommendationListResponse",
                recommendations=RecommendationSerializer(many=True),
                meta=meta("recommendations"),
            )
        },
        examples=[
            _ok(
                "recommendations",
                {
                    "recommendations": [RECOMMENDATION_EXAMPLE],
                    "meta": {
                        "per_page": 50,
                        "page": 1,
                        "total_pages": 1,
                        "total_recommendations": 1,
                    },
                },
            ),
            NOT_FOUND,
        ],
    ),
    generate=extend_schema(
        summary="Generate recommendations for one visitor",
        description=(
            "Active ones the visitor's country and region may join, within this month's "
            "budgets: pinned first, then by expected earnings. `limit` defaults to 1 and is "
            "capped at 20. With the upscribe's `show_offers`, other teams' offers rank in "
            "(`type` `offer`)."
        ),
        request=GenerateInputSerializer,
        responses={
            200: envelope(
                "UpscribeRecommendationGenerateResponse",
                recommendations=GeneratedRecommendationSerializer(many=True),
            )
        },
        examples=[
            OpenApiExample(
                "visitor",
                value={"country_code": "US", "region_code": "TX", "limit": 3},
                request_only=True,
            ),
            _ok(
                "recommendations",
                {"recommendations": [RECOMMENDATION_EXAMPLE, OFFER_RECOMMENDATION_EXAMPLE]},
            ),
            _error("Upscribe upscribe_ef8cb8124e99 is not active."),
            NOT_FOUND,
        ],
    ),
    update=extend_schema(
        summary="Edit a recommendation's reason in this upscribe",
        request=RecommendationUpdateInputSerializer,
        responses={200: RECOMMENDATION},
        examples=[
            _ok("recommendation", {"recommendation": RECOMMENDATION_EXAMPLE}),
            _error("Reason can't be blank"),
            REC_NOT_FOUND,
        ],
    ),
    **_PIN_LIKE,
)(RecommendationViewSet)


# Realistic values for the fields of the upscribe components (registered in the
# SPECTACULAR_SETTINGS postprocessing hooks).
_SETTINGS = {key: value for key, value in UPSCRIBE_EXAMPLE.items() if value is not None}
_SUBSCRIBE = {
    "subscriber_email": "drago@example.com",
    "subscriber": "drago@example.com",
    "name": "Drago Ivanov",
    "region_code": "TX",
}
_field_examples = field_examples(
    by_component={
        "AfterSubmissionRuleRequest": {
            "current_url": "https://mywebsite.com/",
            "redirect_url": "https://mywebsite.com/thank-you",
        },
        "GenerateInputRequest": {"region_code": "TX"},
        "SubscribeInputRequest": _SUBSCRIBE,
        "UpscribeCreateInputRequest": _SETTINGS,
        "UpscribeUpdateInputRequest": _SETTINGS,
        "PatchedUpscribeUpdateInputRequest": _SETTINGS,
        "UpscribeOutput": _SETTINGS,
        "Recommendation": {
            key: value for key, value in RECOMMENDATION_EXAMPLE.items() if value is not None
        },
        # A generated one: a publication's values, an offer's for the offer-only fields.
        "GeneratedRecommendation": {
            key: value
            for key, value in (OFFER_RECOMMENDATION_EXAMPLE | RECOMMENDATION_EXAMPLE).items()
            if value is not None
        }
        | {"portrait_image_url": OFFER_RECOMMENDATION_EXAMPLE["landscape_image_url"]},
        "RecommendationUpdateInputRequest": {"reason": "The newsletter I read first every Monday."},
        "UpscribeRecommendationStats": {
            "uuid": RECOMMENDATION_EXAMPLE["uuid"],
            "publication_name": RECOMMENDATION_EXAMPLE["publication_name"],
        },
        "UpscribeStats": {"upscribe_uuid": UPSCRIBE_EXAMPLE["uuid"]},
        "UpscribeSubscribeResponse": {"response": "ok"},
    },
)

# Tag descriptions of these operations' groups (the docs' sections).
TAGS = [
    {
        "name": "upscribes",
        "description": (
            "Upscribe widgets: their settings, the recommendations they show "
            "(pin, pause), the subscribe call and their stats."
        ),
    },
    {
        "name": "upscribe",
        "description": (
            "An upscribe's recommendations under the singular path SparkLoop "
            "also serves (the same operations as under `upscribes`)."
        ),
    },
]


def schema_examples(result: dict[str, Any], generator: Any, request: Any, public: bool) -> Any:
    """The fields' realistic values and the tags' descriptions (a postprocessing hook)."""
    # A new list: the one there is SPECTACULAR_SETTINGS["TAGS"] itself, shared by every run.
    result["tags"] = [*result.get("tags", []), *TAGS]
    return _field_examples(result, generator, request, public)
