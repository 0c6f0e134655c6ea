"""Partner earnings: the OpenAPI descriptions of the views (drf-spectacular, real examples).

Kept beside the views rather than on them, so that the views stay parse-call-render;
imported by earnings/urls.py. What every operation shares is added by `sparkloop.api.schema`.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema

from referrals.partners.earnings.filters import INVALID_DATE
from referrals.partners.earnings.serializers import (
    PartnerReferralOutputSerializer,
    PayoutOutputSerializer,
)
from referrals.partners.earnings.views import PayoutViewSet, ProgramReferralViewSet
from sparkloop.api.examples import field_examples
from sparkloop.api.schema import PAGE, PER_PAGE, envelope, meta

REFERRAL_EXAMPLE = {
    "uuid": "partner_referral_3f1c9a2b7d4e",
    "partner_campaign_uuid": "partner_campaign_23ac0811bfff",
    "email": "drago@example.com",
    "referral_status": "confirmed",
    "rejection_reason": None,
    "payable": True,
    "country_code": "US",
    "cpa": 2.5,
    "utm_source": "newsletter",
    "utm_campaign": None,
    "referred_at": "2026-03-04T11:55:02.113Z",
    "confirmed_at": "2026-03-18T12:00:00.251Z",
    "rejected_at": None,
    "recommending_publication": {
        "uuid": "pub_18b5c17562ab",
        "name": "Butter In a Lordly Dish",
        "logo": "https://cdn.example.com/logo.png",
    },
}
PAYOUT_EXAMPLE = {
    "uuid": "payout_5d2e8c1a9b03",
    "amount": 12750,
    "amount_dollars": 127.5,
    "currency": "USD",
    "period_start": "2026-02-01",
    "period_end": "2026-02-28",
    "referrals": 51,
    "status": "paid",
    "reference": "tr_1PqA2b",
    "created_at": "2026-03-15T06:00:01.004Z",
    "paid_at": "2026-03-16T09:12:45.870Z",
}


def _date(name: str, which: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, str, description=f"`YYYY-MM-DD`: referred on or {which} that day (UTC)."
    )


extend_schema(
    summary="List a partner program's referrals",
    description=(
        "Newest first (`referred_at` descending). The program's owner sees every referral "
        "of its program; a partner in the program sees only the referrals it sent; anyone "
        "else gets 404 `Partner program <uuid> not found!`. A bad date: 400 "
        f"`{INVALID_DATE}`."
    ),
    parameters=[
        _date("referred_after", "after"),
        _date("referred_before", "before"),
        OpenApiParameter("status", str, enum=["pending", "confirmed", "rejected"]),
        PAGE,
        PER_PAGE,
    ],
    responses={
        200: envelope(
            "PartnerReferralListResponse",
            referrals=PartnerReferralOutputSerializer(many=True),
            meta=meta("referrals"),
        )
    },
    examples=[
        OpenApiExample(
            "A page of referrals",
            value={
                "referrals": [REFERRAL_EXAMPLE],
                "meta": {"per_page": 50, "page": 1, "total_pages": 1, "total_referrals": 1},
            },
            response_only=True,
            status_codes=["200"],
        )
    ],
)(ProgramReferralViewSet.list)

extend_schema(
    summary="List the partner profile's payouts",
    description="Newest first. Payouts are made on the 15th for earnings of earlier months.",
    parameters=[PAGE, PER_PAGE],
    responses={
        200: envelope(
            "PayoutListResponse",
            payouts=PayoutOutputSerializer(many=True),
            meta=meta("payouts"),
        )
    },
    examples=[
        OpenApiExample(
            "A page of payouts",
            value={
                "payouts": [PAYOUT_EXAMPLE],
                "meta": {"per_page": 50, "page": 1, "total_pages": 1, "total_payouts": 1},
            },
            response_only=True,
            status_codes=["200"],
        )
    ],
)(PayoutViewSet.list)

extend_schema(
    summary="Get a payout",
    description="404 `Payout <uuid> not found!` for another partner's payout.",
    responses={200: envelope("PayoutResponse", payout=PayoutOutputSerializer())},
    examples=[
        OpenApiExample(
            "A paid payout",
            value={"payout": PAYOUT_EXAMPLE},
            response_only=True,
            status_codes=["200"],
        )
    ],
)(PayoutViewSet.retrieve)


# Realistic values for the fields of the earnings components (registered in the
# SPECTACULAR_SETTINGS postprocessing hooks).
schema_examples = field_examples(
    by_component={
        "PartnerReferralOutput": {
            **{key: value for key, value in REFERRAL_EXAMPLE.items() if value is not None},
            "rejected_at": "2026-03-06T08:00:00.000Z",
        },
        "PayoutOutput": PAYOUT_EXAMPLE,
    },
)
