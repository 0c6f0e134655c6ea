"""Subscriber endpoints (contract: Subscribers)."""

from __future__ import annotations

from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from sparkloop.api.pagination import paginate
from sparkloop.api.views import TeamViewSet
from subscribers import selectors, services
from subscribers.expansions import expansion_names
from subscribers.models import Subscriber
from subscribers.serializers import (
    IDENTIFIER_BLANK,
    SubscriberCreateInputSerializer,
    SubscriberEventInputSerializer,
    SubscriberEventOutputSerializer,
    SubscriberListInputSerializer,
    SubscriberUpdateInputSerializer,
    subscriber_objects,
)


class SubscriberViewSet(TeamViewSet):
    scope_resource = "subscribers"
    lookup_value_regex = "[^/]+"

    def _one(self, request: Request, subscriber: Subscriber) -> dict[str, object]:
        expand = expansion_names(request.query_params.get("expand"))
        return {"subscriber": subscriber_objects([subscriber], team=self.team, expand=expand)[0]}

    def list(self, request: Request) -> Response:
        params = SubscriberListInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        list_type = params.validated_data["type"]
        page = paginate(
            request,
            selectors.subscriber_list(team=self.team, type=list_type),
            total=lambda: selectors.subscriber_list_total(team=self.team, type=list_type),
        )
        return Response(
            {
                "subscribers": subscriber_objects(
                    page.items,
                    team=self.team,
                    expand=expansion_names(params.validated_data["expand"]),
                ),
                "meta": page.meta("subscribers"),
            }
        )

    def create(self, request: Request) -> Response:
        data = SubscriberCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscriber = services.subscriber_create(team=self.team, **data.validated_data)
        return Response(self._one(request, subscriber), status=201)

    def retrieve(self, request: Request, pk: str) -> Response:
        subscriber = selectors.subscriber_get(team=self.team, identifier=pk)
        return Response(self._one(request, subscriber))

    def update(self, request: Request, pk: str) -> Response:
        subscriber = selectors.subscriber_get(team=self.team, identifier=pk)
        data = SubscriberUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscriber = services.subscriber_update(
            subscriber=subscriber, identifier=pk, **data.validated_data
        )
        return Response(self._one(request, subscriber))

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk)

    def destroy(self, request: Request, pk: str) -> Response:
        subscriber = selectors.subscriber_get(team=self.team, identifier=pk)
        rendered = self._one(request, subscriber)  # as it was: nothing is left afterwards
        services.subscriber_delete(subscriber=subscriber, identifier=pk)
        return Response(rendered)

    @action(detail=True, methods=["put", "post"])
    def unsubscribe(self, request: Request, pk: str) -> Response:
        subscriber = selectors.subscriber_get(team=self.team, identifier=pk)
        subscriber = services.subscriber_unsubscribe(subscriber=subscriber, identifier=pk)
        return Response(self._one(request, subscriber))

    @action(detail=True, methods=["put", "post"])
    def reject(self, request: Request, pk: str) -> Response:
        subscriber = selectors.subscriber_get(team=self.team, identifier=pk)
        subscriber = services.subscriber_reject(subscriber=subscriber, identifier=pk)
        return Response(self._one(request, subscriber))

    @action(detail=True, methods=["post"])
    def events(self, request: Request, pk: str = "") -> Response:
        if not pk.strip():
            raise ValidationError(IDENTIFIER_BLANK)
        subscriber = selectors.subscriber_get(team=self.team, identifier=pk)
        data = SubscriberEventInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.subscriber_event_create(subscriber=subscriber, **data.validated_data)
        return Response({"event": SubscriberEventOutputSerializer(event).data}, status=201)
