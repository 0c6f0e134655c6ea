"""Offers (reference §10; create and update are our extensions), the partner network's
offers, and action conversions. Their OpenAPI descriptions are in offers/openapi.py."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from referrals.partners.offers import selectors, services
from referrals.partners.offers.filters import NetworkOfferFilter, OfferFilter, filter_list
from referrals.partners.offers.serializers import (
    NetworkOfferOutputSerializer,
    OfferCreateInputSerializer,
    OfferOutputSerializer,
    OfferUpdateInputSerializer,
)
from sparkloop.api.pagination import paginate
from sparkloop.api.views import TeamViewSet

CONVERSION_TRACKED = "Conversion tracked successfully"


class OfferViewSet(TeamViewSet):
    scope_resource = "partners"
    lookup_value_regex = "[^/]+"

    def list(self, request: Request) -> Response:
        offers = filter_list(
            OfferFilter, request.query_params, selectors.offer_list(team=self.team)
        )
        page = paginate(request, offers)
        return Response(
            {
                "offers": OfferOutputSerializer(page.items, many=True).data,
                "meta": page.meta("offers"),
            }
        )

    def create(self, request: Request) -> Response:
        data = OfferCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        offer = services.offer_create(team=self.team, **data.validated_data)
        offer = selectors.offer_get(team=self.team, uuid=offer.public_id)
        return Response({"offer": OfferOutputSerializer(offer).data}, status=201)

    def retrieve(self, request: Request, pk: str) -> Response:
        offer = selectors.offer_get(team=self.team, uuid=pk)
        return Response({"offer": OfferOutputSerializer(offer).data})

    def update(self, request: Request, pk: str) -> Response:
        offer = selectors.offer_get(team=self.team, uuid=pk)
        data = OfferUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.offer_update(offer=offer, **data.validated_data)
        offer = selectors.offer_get(team=self.team, uuid=pk)
        return Response({"offer": OfferOutputSerializer(offer).data})

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk)


class NetworkOfferViewSet(TeamViewSet):
    """`GET /v2/partner_network/offers`: other teams' active public offers."""

    scope_resource = "partners"

    def list(self, request: Request) -> Response:
        offers = selectors.network_offer_list(team=self.team)
        page = paginate(request, filter_list(NetworkOfferFilter, request.query_params, offers))
        partner = getattr(self.team, "partner_profile", None)
        context = {"partner_id": partner.public_id if partner is not None else None}
        return Response(
            {
                "offers": NetworkOfferOutputSerializer(page.items, many=True, context=context).data,
                "meta": page.meta("offers"),
            }
        )


class OfferConversionViewSet(TeamViewSet):
    """`POST /v2/offers/:offer_uuid/submissions/:submission_uuid/conversions`."""

    scope_resource = "partners"

    def create(self, request: Request, offer_pk: str, submission_pk: str) -> Response:
        submission = selectors.conversion_submission_get(
            team=self.team, offer_uuid=offer_pk, submission_uuid=submission_pk
        )
        services.offer_conversion_track(submission=submission)
        return Response({"message": CONVERSION_TRACKED})
