"""Partner earnings: the API views (thin: parse, call a selector, render). Their OpenAPI
descriptions are in openapi.py."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from referrals.partners.earnings import selectors
from referrals.partners.earnings.filters import has_filters, partner_referrals_filter
from referrals.partners.earnings.serializers import (
    PartnerReferralOutputSerializer,
    PayoutOutputSerializer,
)
from sparkloop.api.pagination import paginate
from sparkloop.api.views import TeamViewSet


class ProgramReferralViewSet(TeamViewSet):
    """`GET /v2/partner_programs/:uuid/referrals`: the owner sees all, a partner its own."""

    scope_resource = "partners"

    def list(self, request: Request, program_uuid: str) -> Response:
        listing = selectors.program_referral_list(team=self.team, uuid=program_uuid)
        referrals = partner_referrals_filter(listing.referrals, request.query_params)
        total = None if has_filters(request.query_params) else listing.unfiltered_total
        page = paginate(request, referrals, total=total)
        return Response(
            {
                "referrals": PartnerReferralOutputSerializer(page.items, many=True).data,
                "meta": page.meta("referrals"),
            }
        )


class PayoutViewSet(TeamViewSet):
    """`/v2/partner_profile/payouts` and `/:uuid`: the team's payouts as a partner."""

    scope_resource = "partners"

    def list(self, request: Request) -> Response:
        profile = selectors.partner_profile_of(team=self.team)
        page = paginate(request, selectors.payout_list(profile=profile))
        return Response(
            {
                "payouts": PayoutOutputSerializer(page.items, many=True).data,
                "meta": page.meta("payouts"),
            }
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        profile = selectors.partner_profile_of(team=self.team)
        payout = selectors.payout_get(profile=profile, uuid=pk)
        return Response({"payout": PayoutOutputSerializer(payout).data})
