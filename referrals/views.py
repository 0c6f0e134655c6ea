"""Referral campaign endpoints (contract: Referral campaigns; extensions in README)."""

from __future__ import annotations

from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from referrals import selectors, services
from referrals.models import Campaign, CampaignMembership
from referrals.serializers import (
    CampaignCreateInputSerializer,
    CampaignOutputSerializer,
    CampaignUpdateInputSerializer,
    GrantOutputSerializer,
    GrantRedeemInputSerializer,
    LeaderboardInputSerializer,
    MembershipCreateInputSerializer,
    MembershipOutputSerializer,
    leaderboard_objects,
    member_objects,
    referral_objects,
)
from sparkloop.api.pagination import paginate
from sparkloop.api.views import TeamViewSet
from subscribers.expansions import expansion_names
from subscribers.serializers import SubscriberListInputSerializer


def _campaign_body(campaign: Campaign) -> dict[str, object]:
    return {"campaign": CampaignOutputSerializer(campaign).data}


class CampaignViewSet(TeamViewSet):
    scope_resource = "campaigns"

    def list(self, request: Request) -> Response:
        campaigns = selectors.campaign_list(team=self.team)
        return Response({"campaigns": CampaignOutputSerializer(campaigns, many=True).data})

    def create(self, request: Request) -> Response:
        data = CampaignCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = services.campaign_create(team=self.team, **data.validated_data)
        campaign = selectors.campaign_get(team=self.team, identifier=campaign.public_id)
        return Response(_campaign_body(campaign), status=201)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(_campaign_body(selectors.campaign_get(team=self.team, identifier=pk)))

    def update(self, request: Request, pk: str) -> Response:
        campaign = selectors.campaign_get(team=self.team, identifier=pk)
        data = CampaignUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = services.campaign_update(campaign=campaign, **data.validated_data)
        return Response(_campaign_body(campaign))

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk)

    @action(detail=True, methods=["get"])
    def leaderboard(self, request: Request, pk: str) -> Response:
        campaign = selectors.campaign_get(team=self.team, identifier=pk)
        params = LeaderboardInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        top = selectors.campaign_leaderboard(campaign=campaign, **params.validated_data)
        return Response({"leaderboard": leaderboard_objects(top)})


class CampaignMembershipViewSet(TeamViewSet):
    scope_resource = "campaigns"

    def create(self, request: Request, campaign_pk: str) -> Response:
        campaign = selectors.campaign_get(team=self.team, identifier=campaign_pk)
        data = MembershipCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        identifier = data.validated_data["subscriber_uuid"]
        subscriber = selectors.membership_subscriber_get(team=self.team, identifier=identifier)
        membership = services.membership_create(
            campaign=campaign, subscriber=subscriber, identifier=identifier
        )
        body = MembershipOutputSerializer(membership, context={"campaign": campaign}).data
        return Response({"campaign_membership": body}, status=201)

    def destroy(self, request: Request, campaign_pk: str, pk: str) -> Response:
        campaign = selectors.campaign_get(team=self.team, identifier=campaign_pk)
        membership = selectors.membership_get(campaign=campaign, identifier=pk)
        body = MembershipOutputSerializer(membership, context={"campaign": campaign}).data
        services.membership_delete(membership=membership)
        return Response({"campaign_membership": body})


class CampaignSubscriberViewSet(TeamViewSet):
    scope_resource = "campaigns"
    lookup_value_regex = "[^/]+"

    def _member(self, campaign_pk: str, pk: str) -> tuple[Campaign, CampaignMembership]:
        campaign = selectors.campaign_get(team=self.team, identifier=campaign_pk)
        return campaign, selectors.campaign_member_get(campaign=campaign, identifier=pk)

    def _render(
        self, request: Request, campaign: Campaign, memberships: list[CampaignMembership]
    ) -> list[dict[str, object]]:
        expand = expansion_names(request.query_params.get("expand"))
        return member_objects(campaign, memberships, team=self.team, expand=expand)

    def list(self, request: Request, campaign_pk: str) -> Response:
        campaign = selectors.campaign_get(team=self.team, identifier=campaign_pk)
        params = SubscriberListInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        list_type = params.validated_data["type"]
        page = paginate(
            request,
            selectors.campaign_member_list(campaign=campaign, type=list_type),
            total=lambda: selectors.campaign_member_total(campaign=campaign, type=list_type),
        )
        return Response(
            {
                "subscribers": self._render(request, campaign, page.items),
                "meta": page.meta("subscribers"),
            }
        )

    def retrieve(self, request: Request, campaign_pk: str, pk: str) -> Response:
        campaign, membership = self._member(campaign_pk, pk)
        body = self._render(request, campaign, [membership])[0]
        body["rank"] = selectors.member_rank(membership=membership)
        return Response({"subscriber": body})

    @action(detail=True, methods=["get"])
    def referrals(self, request: Request, campaign_pk: str, pk: str) -> Response:
        _, membership = self._member(campaign_pk, pk)
        page = paginate(request, selectors.campaign_referral_list(membership=membership))
        expand = expansion_names(request.query_params.get("expand"))
        items = referral_objects(page.items, team=self.team, expand=expand)
        return Response({"referrals": items, "meta": page.meta("referrals")})

    @action(detail=True, methods=["get"])
    def rewards(self, request: Request, campaign_pk: str, pk: str) -> Response:
        _, membership = self._member(campaign_pk, pk)
        grants = selectors.grant_list(membership=membership)
        return Response({"rewards": GrantOutputSerializer(grants, many=True).data})

    def redeem(self, request: Request, campaign_pk: str, pk: str, grant_pk: str) -> Response:
        _, membership = self._member(campaign_pk, pk)
        grant = selectors.grant_get(membership=membership, identifier=grant_pk)
        data = GrantRedeemInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grant = services.grant_redeem(grant=grant, **data.validated_data)
        return Response({"reward": GrantOutputSerializer(grant).data})
