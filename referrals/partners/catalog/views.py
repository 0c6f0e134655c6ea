"""The partner catalogue: the API views (thin: parse, call a service or selector, render).

Their OpenAPI descriptions are in `catalog/openapi.py`.
"""

from __future__ import annotations

from typing import Any

from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from referrals.partners.catalog import selectors, services
from referrals.partners.catalog.objects import (
    NetworkProgramOutputSerializer,
    NetworkPublicationOutputSerializer,
    PartnerCampaignOutputSerializer,
    PartnerProfileOutputSerializer,
    ProgramOutputSerializer,
    PublicationOutputSerializer,
    RecommendationOutputSerializer,
    network_publications_render,
)
from referrals.partners.catalog.serializers import (
    PartnerCampaignJoinInputSerializer,
    PartnerProfileUpdateInputSerializer,
    ProgramCreateInputSerializer,
    ProgramUpdateInputSerializer,
    PublicationCreateInputSerializer,
    PublicationUpdateInputSerializer,
)
from referrals.partners.earnings import selectors as earnings
from referrals.partners.models import PartnerCampaign, PartnerProgram
from sparkloop.api.pagination import paginate
from sparkloop.api.parsers import LenientJSONParser
from sparkloop.api.views import TeamViewSet


def _campaigns(campaigns: list[PartnerCampaign]) -> list[dict[str, Any]]:
    facts, use = selectors.partner_campaign_facts(campaigns)
    context = {"facts": facts, "campaign_use": use}
    return PartnerCampaignOutputSerializer(campaigns, many=True, context=context).data  # type: ignore[return-value]


def _campaign(campaign: PartnerCampaign) -> dict[str, Any]:
    return {"partner_campaign": _campaigns([campaign])[0]}


def _programs(
    programs: list[PartnerProgram],
    serializer: type[NetworkProgramOutputSerializer | ProgramOutputSerializer],
) -> list[dict[str, Any]]:
    context = {"facts": selectors.program_facts(programs)}
    return serializer(programs, many=True, context=context).data  # type: ignore[return-value]


class _PartnersViewSet(TeamViewSet):
    scope_resource = "partners"
    lookup_value_regex = "[^/]+"


class PublicationViewSet(_PartnersViewSet):
    """`/v2/publications`: the team's own publications (a logo comes as a multipart file)."""

    parser_classes = [LenientJSONParser, MultiPartParser, FormParser]

    def list(self, request: Request) -> Response:
        page = paginate(request, selectors.publication_list(team=self.team))
        return Response(
            {
                "publications": PublicationOutputSerializer(page.items, many=True).data,
                "meta": page.meta("publications"),
            }
        )

    def create(self, request: Request) -> Response:
        data = PublicationCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        publication = services.publication_create(team=self.team, **data.validated_data)
        return Response({"publication": PublicationOutputSerializer(publication).data}, 201)

    def retrieve(self, request: Request, pk: str) -> Response:
        publication = selectors.publication_get(team=self.team, uuid=pk)
        return Response({"publication": PublicationOutputSerializer(publication).data})

    def update(self, request: Request, pk: str) -> Response:
        publication = selectors.publication_get(team=self.team, uuid=pk)
        data = PublicationUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        publication = services.publication_update(publication=publication, **data.validated_data)
        return Response({"publication": PublicationOutputSerializer(publication).data})

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk)

    def destroy(self, request: Request, pk: str) -> Response:
        publication = selectors.publication_get(team=self.team, uuid=pk)
        rendered = PublicationOutputSerializer(publication).data
        services.publication_delete(publication=publication)
        return Response({"publication": rendered})


class ProgramViewSet(_PartnersViewSet):
    """`/v2/partner_programs`: the team's own programs, their partners and join requests."""

    def _one(self, program: PartnerProgram) -> Response:
        return Response({"partner_program": _programs([program], ProgramOutputSerializer)[0]})

    def list(self, request: Request) -> Response:
        page = paginate(request, selectors.program_list(team=self.team))
        return Response(
            {
                "partner_programs": _programs(page.items, ProgramOutputSerializer),
                "meta": page.meta("partner_programs"),
            }
        )

    def create(self, request: Request) -> Response:
        data = ProgramCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        program = services.program_create(team=self.team, **data.validated_data)
        response = self._one(program)
        response.status_code = 201
        return response

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._one(selectors.program_get(team=self.team, uuid=pk))

    def update(self, request: Request, pk: str) -> Response:
        program = selectors.program_get(team=self.team, uuid=pk)
        data = ProgramUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._one(services.program_update(program=program, **data.validated_data))

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk)

    @action(detail=True, methods=["get"])
    def partners(self, request: Request, pk: str) -> Response:
        program = selectors.program_get(team=self.team, uuid=pk)
        page = paginate(
            request, selectors.program_partner_list(program=program, filters=request.query_params)
        )
        return Response(
            {"partner_campaigns": _campaigns(page.items), "meta": page.meta("partner_campaigns")}
        )

    def approve(self, request: Request, pk: str, campaign_pk: str) -> Response:
        program = selectors.program_get(team=self.team, uuid=pk)
        campaign = selectors.program_partner_get(program=program, uuid=campaign_pk)
        return Response(_campaign(services.partner_campaign_approve(campaign=campaign)))

    def reject(self, request: Request, pk: str, campaign_pk: str) -> Response:
        program = selectors.program_get(team=self.team, uuid=pk)
        campaign = selectors.program_partner_get(program=program, uuid=campaign_pk)
        return Response(_campaign(services.partner_campaign_reject(campaign=campaign)))


class PartnerProfileViewSet(_PartnersViewSet):
    """`/v2/partner_profile`: the team's identity as a partner, and its earnings."""

    def _one(self) -> Response:
        profile = selectors.partner_profile_get(team=self.team)
        context = {"earnings": earnings.partner_earnings(profile)}
        return Response(
            {"partner_profile": PartnerProfileOutputSerializer(profile, context=context).data}
        )

    def retrieve(self, request: Request) -> Response:
        return self._one()

    def update(self, request: Request) -> Response:
        data = PartnerProfileUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        profile = selectors.partner_profile_get(team=self.team)
        services.partner_profile_update(profile=profile, **data.validated_data)
        return self._one()

    def partial_update(self, request: Request) -> Response:
        return self.update(request)


class PartnerCampaignViewSet(_PartnersViewSet):
    """`/v2/partner_profile/partner_campaigns`: the team's recommendations of others."""

    def list(self, request: Request) -> Response:
        campaigns = selectors.partner_campaign_list(team=self.team, filters=request.query_params)
        page = paginate(request, campaigns)
        return Response(
            {"partner_campaigns": _campaigns(page.items), "meta": page.meta("partner_campaigns")}
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(_campaign(selectors.partner_campaign_get(team=self.team, uuid=pk)))


class NetworkPublicationViewSet(_PartnersViewSet):
    """`/v2/partner_network/publications`: other teams' listed publications."""

    def list(self, request: Request) -> Response:
        publications = selectors.network_publication_listing(
            team=self.team, filters=request.query_params
        )
        page = paginate(request, publications)
        return Response(
            {
                "publications": network_publications_render(page.items),
                "meta": page.meta("publications"),
            }
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        publication = selectors.network_publication_get(team=self.team, uuid=pk)
        return Response({"publication": NetworkPublicationOutputSerializer(publication).data})

    @action(detail=True, methods=["post"])
    def recommend(self, request: Request, pk: str) -> Response:
        publication = selectors.network_publication_get(team=self.team, uuid=pk)
        profile = selectors.partner_profile_get(team=self.team)
        campaign = services.partner_campaign_recommend(profile=profile, publication=publication)
        body = {"partner_campaign": RecommendationOutputSerializer(campaign).data}
        return Response(body, status=201)


class NetworkProgramViewSet(_PartnersViewSet):
    """`/v2/partner_network/partner_programs`: other teams' listed programs; join one."""

    def list(self, request: Request) -> Response:
        programs = selectors.network_program_list(team=self.team, filters=request.query_params)
        page = paginate(request, programs)
        return Response(
            {
                "partner_programs": _programs(page.items, NetworkProgramOutputSerializer),
                "meta": page.meta("partner_programs"),
            }
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        program = selectors.network_program_get(team=self.team, uuid=pk)
        body = _programs([program], NetworkProgramOutputSerializer)[0]
        return Response({"partner_program": body})

    @action(detail=True, methods=["post"])
    def join(self, request: Request, pk: str) -> Response:
        program = selectors.network_program_get(team=self.team, uuid=pk, own=True)
        data = PartnerCampaignJoinInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        profile = selectors.partner_profile_get(team=self.team)
        campaign = services.partner_campaign_join(
            profile=profile, program=program, **data.validated_data
        )
        return Response(_campaign(campaign), status=201)
