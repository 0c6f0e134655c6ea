"""Webhook endpoints (contract: Webhooks) and our extensions: deliveries, resend, secrets,
the team's webhook token. Their OpenAPI descriptions are in webhooks/openapi.py."""

from __future__ import annotations

from datetime import timedelta

from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from sparkloop.api.pagination import paginate
from sparkloop.api.views import TeamViewSet
from webhooks import selectors, services
from webhooks.serializers import (
    DeliveryDetailOutputSerializer,
    DeliveryOutputSerializer,
    WebhookCreateInputSerializer,
    WebhookOutputSerializer,
    WebhookRotateSecretInputSerializer,
    WebhookTokenOutputSerializer,
    WebhookTokenRotateInputSerializer,
    WebhookUpdateInputSerializer,
    WebhookWithSecretOutputSerializer,
)


class WebhookViewSet(TeamViewSet):
    scope_resource = "webhooks"
    lookup_value_regex = "[^/]+"

    def list(self, request: Request) -> Response:
        endpoints = selectors.endpoint_list(team=self.team)
        return Response({"webhooks": WebhookOutputSerializer(endpoints, many=True).data})

    def create(self, request: Request) -> Response:
        data = WebhookCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.endpoint_create(team=self.team, **data.validated_data)
        return Response({"webhook": WebhookWithSecretOutputSerializer(endpoint).data}, status=201)

    def retrieve(self, request: Request, pk: str) -> Response:
        endpoint = selectors.endpoint_get(team=self.team, uuid=pk)
        return Response({"webhook": WebhookOutputSerializer(endpoint).data})

    def update(self, request: Request, pk: str) -> Response:
        endpoint = selectors.endpoint_get(team=self.team, uuid=pk)
        data = WebhookUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(endpoint=endpoint, **data.validated_data)
        return Response({"webhook": WebhookOutputSerializer(endpoint).data})

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk)

    def destroy(self, request: Request, pk: str) -> Response:
        endpoint = selectors.endpoint_get(team=self.team, uuid=pk)
        rendered = WebhookOutputSerializer(endpoint).data
        services.endpoint_delete(endpoint=endpoint)
        return Response({"webhook": rendered})

    # Routed before `/webhooks/:uuid` (list-level actions come first), so "token" is no uuid.
    @action(detail=False, methods=["get"], url_path="token")
    def token(self, request: Request) -> Response:
        return Response({"webhook_token": WebhookTokenOutputSerializer(self.team).data})

    @action(detail=False, methods=["post"], url_path="token/rotate")
    def token_rotate(self, request: Request) -> Response:
        data = WebhookTokenRotateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grace = timedelta(hours=data.validated_data["grace_hours"])
        team = services.team_webhook_token_rotate(team=self.team, grace=grace)
        return Response({"webhook_token": WebhookTokenOutputSerializer(team).data})

    @action(detail=True, methods=["post"])
    def rotate_secret(self, request: Request, pk: str) -> Response:
        endpoint = selectors.endpoint_get(team=self.team, uuid=pk)
        data = WebhookRotateSecretInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grace = timedelta(hours=data.validated_data["grace_hours"])
        endpoint = services.endpoint_secret_rotate(endpoint=endpoint, grace=grace)
        return Response({"webhook": WebhookWithSecretOutputSerializer(endpoint).data})

    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str) -> Response:
        endpoint = selectors.endpoint_get(team=self.team, uuid=pk)
        delivery = services.endpoint_send_test(endpoint=endpoint)
        return Response({"delivery": DeliveryOutputSerializer(delivery).data}, status=202)

    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str) -> Response:
        endpoint = selectors.endpoint_get(team=self.team, uuid=pk)
        page = paginate(request, selectors.delivery_list(endpoint=endpoint))
        return Response(
            {
                "deliveries": DeliveryOutputSerializer(page.items, many=True).data,
                "meta": page.meta("deliveries"),
            }
        )


class WebhookDeliveryViewSet(TeamViewSet):
    """`/webhooks/:uuid/deliveries/:id` and its `resend` (our extension)."""

    scope_resource = "webhooks"

    def retrieve(self, request: Request, webhook_pk: str, pk: str) -> Response:
        endpoint = selectors.endpoint_get(team=self.team, uuid=webhook_pk)
        delivery = selectors.delivery_get(endpoint=endpoint, delivery_id=pk)
        return Response({"delivery": DeliveryDetailOutputSerializer(delivery).data})

    def resend(self, request: Request, webhook_pk: str, pk: str) -> Response:
        endpoint = selectors.endpoint_get(team=self.team, uuid=webhook_pk)
        delivery = selectors.delivery_get(endpoint=endpoint, delivery_id=pk)
        delivery = services.delivery_resend(delivery=delivery)
        return Response({"delivery": DeliveryOutputSerializer(delivery).data}, status=202)
