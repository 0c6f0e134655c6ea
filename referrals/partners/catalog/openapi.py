"""The partner catalogue: the OpenAPI descriptions of the views (drf-spectacular, real
examples). Kept beside the views so that they stay parse-call-render; imported by
`catalog/urls.py`. What every operation shares comes from `sparkloop.api.schema`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)

from referrals.partners.catalog import services
from referrals.partners.catalog.examples import (
    CAMPAIGN_EXAMPLE,
    NETWORK_PUBLICATION_EXAMPLE,
    PROFILE_EXAMPLE,
    PROGRAM_EXAMPLE,
    PUBLICATION_EXAMPLE,
    RECOMMENDATION_EXAMPLE,
    TERMS_EXAMPLE,
)
from referrals.partners.catalog.objects import (
    NetworkProgramOutputSerializer,
    NetworkPublicationOutputSerializer,
    PartnerCampaignOutputSerializer,
    PartnerProfileOutputSerializer,
    ProgramOutputSerializer,
    PublicationOutputSerializer,
    RecommendationOutputSerializer,
)
from referrals.partners.catalog.serializers import (
    CATEGORIES_TOO_LONG,
    LOGO_INVALID,
    NO_FIELD_TO_UPDATE,
    ChoiceListField,
    LogoField,
    PartnerCampaignJoinInputSerializer,
    PartnerProfileUpdateInputSerializer,
    ProgramCreateInputSerializer,
    ProgramUpdateInputSerializer,
    PublicationCreateInputSerializer,
    PublicationUpdateInputSerializer,
)
from referrals.partners.catalog.views import (
    NetworkProgramViewSet,
    NetworkPublicationViewSet,
    PartnerCampaignViewSet,
    PartnerProfileViewSet,
    ProgramViewSet,
    PublicationViewSet,
)
from sparkloop.api.schema import PAGE, PER_PAGE, ErrorSerializer, envelope, meta

extend_schema_field({"type": "array", "items": {"type": "string"}})(ChoiceListField)
extend_schema_field({"type": "string", "format": "binary"})(LogoField)


def errors(status: int, *messages: str) -> OpenApiResponse:
    """An error response with each of its documented sentences as an example."""
    return OpenApiResponse(
        ErrorSerializer,
        description="Each example is one of this operation's error sentences.",
        examples=[
            OpenApiExample(m, value={"error": m}, status_codes=[str(status)]) for m in messages
        ],
    )


def answer(name: str, value: Any, *, status: int = 200) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[str(status)])


def body(name: str, value: Any) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)


STATUS = OpenApiParameter(
    "status", str, enum=["pending", "active", "paused", "archived", "rejected"]
)
ORDER = OpenApiParameter("order", str, enum=["asc", "desc"], description="Default `desc`.")

PUBLICATION = envelope("PublicationResponse", publication=PublicationOutputSerializer())
PUBLICATION_404 = errors(404, "Publication pub_4bc10562d97 not found!")
PUBLICATION_400 = errors(
    400,
    "Name can't be blank",
    "Categories can't be blank",
    "Categories is invalid",
    CATEGORIES_TOO_LONG,
    "Audience gender is invalid",
    "Income levels is invalid",
    LOGO_INVALID,
)
LOGO_NOTE = (
    "JSON with an optional `logo_url`, or `multipart/form-data` with a `logo` file (PNG or "
    "JPEG, checked by content, under 1 MB; lists as repeated keys) stored through the "
    "deployment's storage backend."
)

extend_schema_view(
    list=extend_schema(
        summary="List the team's publications",
        parameters=[PAGE, PER_PAGE],
        responses={
            200: envelope(
                "PublicationListResponse",
                publications=PublicationOutputSerializer(many=True),
                meta=meta("publications"),
            )
        },
        examples=[
            answer(
                "A page",
                {
                    "publications": [PUBLICATION_EXAMPLE],
                    "meta": {"per_page": 50, "page": 1, "total_pages": 1, "total_publications": 1},
                },
            )
        ],
    ),
    create=extend_schema(
        summary="Create a publication",
        description=LOGO_NOTE,
        request={
            "application/json": PublicationCreateInputSerializer,
            "multipart/form-data": PublicationCreateInputSerializer,
        },
        responses={201: PUBLICATION, 400: PUBLICATION_400},
        examples=[
            body(
                "A publication",
                {
                    "name": "The Pour Over",
                    "categories": ["politics", "lifestyle"],
                    "status": "active",
                    "language": "English",
                    "audience_gender": "mixed",
                    "income_levels": ["$50k - $75k"],
                    "age_ranges": ["25 - 39"],
                    "logo_url": "https://cdn.example.com/pour-over.png",
                },
            ),
            answer("Created", {"publication": PUBLICATION_EXAMPLE}, status=201),
        ],
    ),
    retrieve=extend_schema(
        summary="Get a publication",
        responses={200: PUBLICATION, 404: PUBLICATION_404},
        examples=[answer("A publication", {"publication": PUBLICATION_EXAMPLE})],
    ),
    update=extend_schema(
        summary="Update a publication",
        description=f"Any create field, all optional. {LOGO_NOTE}",
        request={
            "application/json": PublicationUpdateInputSerializer,
            "multipart/form-data": PublicationUpdateInputSerializer,
        },
        responses={200: PUBLICATION, 400: PUBLICATION_400, 404: PUBLICATION_404},
        examples=[
            body("Archive it", {"status": "archived"}),
            answer("Updated", {"publication": {**PUBLICATION_EXAMPLE, "status": "archived"}}),
        ],
    ),
    partial_update=extend_schema(
        summary="Update a publication (as PUT)",
        request=PublicationUpdateInputSerializer,
        responses={200: PUBLICATION, 400: PUBLICATION_400, 404: PUBLICATION_404},
    ),
    destroy=extend_schema(
        summary="Delete a publication",
        description=(
            "Answers the publication as it was. Refused while its program is active, and "
            "(extension) while partner referrals of it exist: they are an audit trail."
        ),
        responses={
            200: PUBLICATION,
            400: errors(
                400, services.PUBLICATION_HAS_ACTIVE_PROGRAM, services.PUBLICATION_HAS_REFERRALS
            ),
            404: PUBLICATION_404,
        },
    ),
)(PublicationViewSet)

PROGRAM = envelope("PartnerProgramResponse", partner_program=ProgramOutputSerializer())
PROGRAM_404 = errors(404, "Partner program partner_program_4bc10562d97 not found!")
CAMPAIGN = envelope("PartnerCampaignResponse", partner_campaign=PartnerCampaignOutputSerializer())
CAMPAIGNS = envelope(
    "PartnerCampaignListResponse",
    partner_campaigns=PartnerCampaignOutputSerializer(many=True),
    meta=meta("partner_campaigns"),
)
CAMPAIGNS_EXAMPLE = answer(
    "A page",
    {
        "partner_campaigns": [CAMPAIGN_EXAMPLE],
        "meta": {"per_page": 200, "page": 1, "total_pages": 1, "total_partner_campaigns": 1},
    },
)
DECISION = extend_schema(
    summary="Decide a join request (extension)",
    description="`approve` makes a pending partner campaign active, `reject` rejects it.",
    request=None,
    responses={
        200: CAMPAIGN,
        400: errors(400, "Partner campaign partner_campaign_a6224cd65cf3 is not pending approval"),
        404: errors(404, "Partner campaign partner_campaign_a6224cd65cf3 not found!"),
    },
    examples=[answer("Approved", {"partner_campaign": CAMPAIGN_EXAMPLE})],
)

extend_schema_view(
    list=extend_schema(
        summary="List the team's partner programs",
        parameters=[PAGE, PER_PAGE],
        responses={
            200: envelope(
                "PartnerProgramListResponse",
                partner_programs=ProgramOutputSerializer(many=True),
                meta=meta("partner_programs"),
            )
        },
        examples=[
            answer(
                "A page",
                {
                    "partner_programs": [PROGRAM_EXAMPLE],
                    "meta": {
                        "per_page": 50,
                        "page": 1,
                        "total_pages": 1,
                        "total_partner_programs": 1,
                    },
                },
            )
        ],
    ),
    create=extend_schema(
        summary="Create a publication's partner program",
        description=(
            "Dollars on the wire (`cpa`, `max_payout` per partner per month, `total_budget` "
            "per month). With `allow_worldwide_referrals` false, `allowed_countries` or "
            "`blocked_countries` is required."
        ),
        request=ProgramCreateInputSerializer,
        responses={
            201: PROGRAM,
            400: errors(
                400,
                "Publication pub_4bc10562d97 not found!",
                services.PUBLICATION_HAS_PROGRAM,
                services.GEO_LISTS_BLANK,
                services.SLUG_TAKEN,
                "Cpa can't be blank",
            ),
        },
        examples=[
            body(
                "A program",
                {
                    "publication_uuid": "pub_810f4c8c08cd",
                    "cpa": 2.5,
                    "max_payout": 500,
                    "total_budget": 1000,
                    "redirect_url": "https://www.thepourover.org/",
                    "allow_worldwide_referrals": False,
                    "allowed_countries": ["GB", "CA"],
                    "requires_approval": True,
                },
            ),
            answer("Created", {"partner_program": PROGRAM_EXAMPLE}, status=201),
        ],
    ),
    retrieve=extend_schema(
        summary="Get a partner program",
        responses={200: PROGRAM, 404: PROGRAM_404},
        examples=[answer("A program", {"partner_program": PROGRAM_EXAMPLE})],
    ),
    update=extend_schema(
        summary="Update a partner program",
        request=ProgramUpdateInputSerializer,
        responses={
            200: PROGRAM,
            400: errors(400, NO_FIELD_TO_UPDATE, services.GEO_LISTS_BLANK, "Status is invalid"),
            404: PROGRAM_404,
        },
        examples=[
            body("Pause it", {"status": "paused"}),
            answer("Paused", {"partner_program": {**PROGRAM_EXAMPLE, "status": "paused"}}),
        ],
    ),
    partial_update=extend_schema(
        summary="Update a partner program (as PUT)",
        request=ProgramUpdateInputSerializer,
        responses={200: PROGRAM, 404: PROGRAM_404},
    ),
    partners=extend_schema(
        summary="List a program's partner campaigns (extension)",
        description="Every status, newest first; `status` filters.",
        parameters=[STATUS, PAGE, PER_PAGE],
        responses={200: CAMPAIGNS, 404: PROGRAM_404},
        examples=[CAMPAIGNS_EXAMPLE],
    ),
)(ProgramViewSet)
# Routed by hand (partner_programs/:uuid/partners/:campaign_uuid/approve|reject).
DECISION(ProgramViewSet.approve)
DECISION(ProgramViewSet.reject)

PROFILE = envelope("PartnerProfileResponse", partner_profile=PartnerProfileOutputSerializer())
extend_schema_view(
    retrieve=extend_schema(
        summary="Get the team's partner profile",
        description="`earnings` in cents: pending referrals, confirmed unpaid, paid out.",
        responses={200: PROFILE},
        examples=[answer("The profile", {"partner_profile": PROFILE_EXAMPLE})],
    ),
    update=extend_schema(
        summary="Update the team's partner profile",
        request=PartnerProfileUpdateInputSerializer,
        responses={200: PROFILE, 400: errors(400, NO_FIELD_TO_UPDATE, "Name can't be blank")},
        examples=[
            body("Rename", {"name": "Alice Media", "payout_email": "payouts@alice.example.com"}),
            answer("Updated", {"partner_profile": PROFILE_EXAMPLE}),
        ],
    ),
    partial_update=extend_schema(
        summary="Update the team's partner profile (as PUT)",
        request=PartnerProfileUpdateInputSerializer,
        responses={200: PROFILE},
    ),
)(PartnerProfileViewSet)

extend_schema_view(
    list=extend_schema(
        summary="List the profile's partner campaigns",
        description="Newest first; real clients page with `per_page=200`.",
        parameters=[STATUS, PAGE, PER_PAGE],
        responses={200: CAMPAIGNS},
        examples=[CAMPAIGNS_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="Get a partner campaign",
        responses={
            200: CAMPAIGN,
            404: errors(404, "Partner campaign partner_campaign_a6224cd65cf3 not found!"),
        },
        examples=[answer("A partner campaign", {"partner_campaign": CAMPAIGN_EXAMPLE})],
    ),
)(PartnerCampaignViewSet)

NETWORK_PUBLICATION = envelope(
    "NetworkPublicationResponse", publication=NetworkPublicationOutputSerializer()
)
extend_schema_view(
    list=extend_schema(
        summary="Search the partner network's publications",
        description=(
            "Other teams' publications whose program is active and listed. `query`: every "
            "word must appear in the name, description, language or categories."
        ),
        parameters=[
            OpenApiParameter("query", str),
            OpenApiParameter("sort", str, enum=["name", "created_at"]),
            ORDER,
            PAGE,
            PER_PAGE,
        ],
        responses={
            200: envelope(
                "NetworkPublicationListResponse",
                publications=NetworkPublicationOutputSerializer(many=True),
                meta=meta("publications"),
            ),
            400: errors(400, "Sort is invalid", "Order is invalid"),
        },
        examples=[
            answer(
                "A page",
                {
                    "publications": [NETWORK_PUBLICATION_EXAMPLE],
                    "meta": {"per_page": 50, "page": 1, "total_pages": 1, "total_publications": 1},
                },
            )
        ],
    ),
    retrieve=extend_schema(
        summary="Get a network publication",
        responses={
            200: NETWORK_PUBLICATION,
            404: errors(404, "Publication pub_e49df756d93da not found."),
        },
        examples=[answer("A publication", {"publication": NETWORK_PUBLICATION_EXAMPLE})],
    ),
    recommend=extend_schema(
        summary="Recommend a publication for free",
        request=None,
        responses={
            201: envelope(
                "RecommendationResponse", partner_campaign=RecommendationOutputSerializer()
            ),
            400: errors(400, services.ALREADY_RECOMMENDED),
            404: errors(404, "Publication pub_e49df756d93da not found."),
        },
        examples=[answer("Recommended", {"partner_campaign": RECOMMENDATION_EXAMPLE}, status=201)],
    ),
)(NetworkPublicationViewSet)

extend_schema_view(
    list=extend_schema(
        summary="Search the partner network's programs",
        description="Other teams' active, listed programs: their public terms only.",
        parameters=[
            OpenApiParameter("cpa", float, description="Minimum CPA, dollars."),
            OpenApiParameter("max_payout", float, description="Minimum monthly cap, dollars."),
            OpenApiParameter(
                "accepted_countries",
                str,
                description="Comma-separated alpha-2 codes: programs that accept all of them.",
            ),
            OpenApiParameter(
                "can_be_recommended_via", str, enum=["upscribe", "partner_link", "magic_link"]
            ),
            OpenApiParameter("sort", str, enum=["cpa", "max_payout", "created_at"]),
            ORDER,
            PAGE,
            PER_PAGE,
        ],
        responses={
            200: envelope(
                "NetworkProgramListResponse",
                partner_programs=NetworkProgramOutputSerializer(many=True),
                meta=meta("partner_programs"),
            ),
            400: errors(400, "Cpa is invalid", "Accepted countries is invalid", "Sort is invalid"),
        },
        examples=[
            answer(
                "A page",
                {
                    "partner_programs": [TERMS_EXAMPLE],
                    "meta": {
                        "per_page": 50,
                        "page": 1,
                        "total_pages": 1,
                        "total_partner_programs": 1,
                    },
                },
            )
        ],
    ),
    retrieve=extend_schema(
        summary="Get a network program",
        responses={
            200: envelope(
                "NetworkProgramResponse", partner_program=NetworkProgramOutputSerializer()
            ),
            404: errors(404, "Partner program partner_program_4bc10562d97 not found."),
        },
        examples=[answer("A program", {"partner_program": TERMS_EXAMPLE})],
    ),
    join=extend_schema(
        summary="Join a program",
        description="`active` at once, or `pending` until the owner approves.",
        request=PartnerCampaignJoinInputSerializer,
        responses={
            201: CAMPAIGN,
            400: errors(
                400,
                "Reason for recommending can't be blank",
                services.ALREADY_JOINED,
                services.OWN_PROGRAM,
            ),
            404: errors(404, "Partner program partner_program_4bc10562d97 not found."),
        },
        examples=[
            body("Join", {"reason_for_recommending": "Our readers love clear politics."}),
            answer(
                "Joined, awaiting approval",
                {"partner_campaign": {**CAMPAIGN_EXAMPLE, "status": "pending"}},
                status=201,
            ),
        ],
    ),
)(NetworkProgramViewSet)
