"""API v1 endpoints (deprecated): campaigns, and subscribers, events and webhooks nested
under a campaign. Parse, call v2's selector or service, render v1's shape.

Everything is scoped to the campaign in the path: a subscriber of the team who is not a
member of it, or a webhook made under another campaign, is the same 404 as a missing one.
Their OpenAPI descriptions are in referrals/v1/openapi.py.
"""

from __future__ import annotations

from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from referrals import selectors, services
from referrals.models import Campaign, CampaignMembership
from referrals.serializers import CampaignOutputSerializer
from referrals.v1.serializers import (
    ORIGIN,
    V1CampaignUpdateInputSerializer,
    V1SubscriberCreateInputSerializer,
    V1WebhookCreateInputSerializer,
    V1WebhookUpdateInputSerializer,
    member_objects,
    subscriber_objects,
    webhook_objects,
)
from sparkloop.api.pagination import paginate
from sparkloop.api.views import TeamViewSet
from subscribers import services as subscriber_services
from subscribers.serializers import (
    IDENTIFIER_BLANK,
    SubscriberEventInputSerializer,
    SubscriberEventOutputSerializer,
    SubscriberListInputSerializer,
    SubscriberUpdateInputSerializer,
)
from webhooks import selectors as webhook_selectors
from webhooks import services as webhook_services


class CampaignViewSet(TeamViewSet):
    """`/v1/campaigns`, `/v1/campaigns/:uuid`: v2's campaign object."""

    scope_resource = "campaigns"

    def list(self, request: Request) -> Response:
        campaigns = selectors.campaign_list(team=self.team)
        return Response({"campaigns": CampaignOutputSerializer(campaigns, many=True).data})

    def retrieve(self, request: Request, pk: str) -> Response:
        campaign = selectors.campaign_get(team=self.team, identifier=pk)
        return Response({"campaign": CampaignOutputSerializer(campaign).data})

    def update(self, request: Request, pk: str) -> Response:
        campaign = selectors.campaign_get(team=self.team, identifier=pk)
        data = V1CampaignUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = services.campaign_update(campaign=campaign, **data.validated_data)
        return Response({"campaign": CampaignOutputSerializer(campaign).data})


class _CampaignNestedViewSet(TeamViewSet):
    lookup_value_regex = "[^/]+"

    def _campaign(self, campaign_pk: str) -> Campaign:
        return selectors.campaign_get(team=self.team, identifier=campaign_pk)


class CampaignSubscriberViewSet(_CampaignNestedViewSet):
    """`/v1/campaigns/:campaign_uuid/subscribers[/:uuid[/referrals|/events]]`."""

    scope_resource = "subscribers"

    def _member(self, campaign_pk: str, pk: str) -> tuple[Campaign, CampaignMembership]:
        campaign = self._campaign(campaign_pk)
        return campaign, selectors.campaign_member_get(campaign=campaign, identifier=pk)

    def _one(self, campaign: Campaign, membership: CampaignMembership) -> dict[str, object]:
        return {"subscriber": member_objects(campaign, [membership], team=self.team)[0]}

    def list(self, request: Request, campaign_pk: str) -> Response:
        campaign = self._campaign(campaign_pk)
        params = SubscriberListInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        list_type = params.validated_data["type"]
        page = paginate(
            request,
            selectors.campaign_member_list(campaign=campaign, type=list_type),
            total=lambda: selectors.campaign_member_total(campaign=campaign, type=list_type),
        )
        # v1 lists have no `meta` (v2 added it).
        return Response({"subscribers": member_objects(campaign, page.items, team=self.team)})

    def create(self, request: Request, campaign_pk: str) -> Response:
        campaign = self._campaign(campaign_pk)
        data = V1SubscriberCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.campaign_subscriber_create(
            campaign=campaign, origin=ORIGIN, **data.validated_data
        )
        return Response(self._one(campaign, membership))  # 200, as v1 answers a create

    def retrieve(self, request: Request, campaign_pk: str, pk: str) -> Response:
        return Response(self._one(*self._member(campaign_pk, pk)))

    def update(self, request: Request, campaign_pk: str, pk: str) -> Response:
        campaign, membership = self._member(campaign_pk, pk)
        data = SubscriberUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership.subscriber = subscriber_services.subscriber_update(
            subscriber=membership.subscriber, identifier=pk, **data.validated_data
        )
        return Response(self._one(campaign, membership))

    @action(detail=True, methods=["get"])
    def referrals(self, request: Request, campaign_pk: str, pk: str) -> Response:
        campaign, membership = self._member(campaign_pk, pk)
        page = paginate(request, selectors.campaign_referral_list(membership=membership))
        referred = [referral.referred for referral in page.items]
        members = selectors.campaign_members_of(campaign=campaign, subscribers=referred)
        pairs = [(subscriber, members.get(subscriber.pk)) for subscriber in referred]
        return Response({"referrals": subscriber_objects(campaign, pairs, team=self.team)})

    @action(detail=True, methods=["post"])
    def events(self, request: Request, campaign_pk: str, pk: str = "") -> Response:
        campaign = self._campaign(campaign_pk)
        if not pk.strip():
            raise ValidationError(IDENTIFIER_BLANK)
        membership = selectors.campaign_member_get(campaign=campaign, identifier=pk)
        data = SubscriberEventInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = subscriber_services.subscriber_event_create(
            subscriber=membership.subscriber,
            **{**data.validated_data, "campaign_uuid": campaign.public_id},
        )
        return Response({"event": SubscriberEventOutputSerializer(event).data})  # 200 in v1


class CampaignWebhookViewSet(_CampaignNestedViewSet):
    """`/v1/campaigns/:campaign_uuid/webhooks[/:uuid]`: webhooks of one campaign."""

    scope_resource = "webhooks"

    def list(self, request: Request, campaign_pk: str) -> Response:
        campaign = self._campaign(campaign_pk)
        endpoints = webhook_selectors.endpoint_list(
            team=self.team, campaign_uuid=campaign.public_id
        )
        return Response({"webhooks": webhook_objects(endpoints)})

    def create(self, request: Request, campaign_pk: str) -> Response:
        campaign = self._campaign(campaign_pk)
        data = V1WebhookCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = webhook_services.endpoint_create(
            team=self.team, campaign_uuid=campaign.public_id, **data.validated_data
        )
        return Response({"webhook": webhook_objects([endpoint], with_secret=True)[0]}, status=201)

    def retrieve(self, request: Request, campaign_pk: str, pk: str) -> Response:
        campaign = self._campaign(campaign_pk)
        endpoint = webhook_selectors.endpoint_get(
            team=self.team, uuid=pk, campaign_uuid=campaign.public_id
        )
        return Response({"webhook": webhook_objects([endpoint])[0]})

    def update(self, request: Request, campaign_pk: str, pk: str) -> Response:
        campaign = self._campaign(campaign_pk)
        endpoint = webhook_selectors.endpoint_get(
            team=self.team, uuid=pk, campaign_uuid=campaign.public_id
        )
        data = V1WebhookUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = webhook_services.endpoint_update(endpoint=endpoint, **data.validated_data)
        return Response({"webhook": webhook_objects([endpoint])[0]})

    def destroy(self, request: Request, campaign_pk: str, pk: str) -> Response:
        campaign = self._campaign(campaign_pk)
        endpoint = webhook_selectors.endpoint_get(
            team=self.team, uuid=pk, campaign_uuid=campaign.public_id
        )
        rendered = webhook_objects([endpoint])[0]  # as it was: nothing is left afterwards
        webhook_services.endpoint_delete(endpoint=endpoint)
        return Response({"webhook": rendered})
