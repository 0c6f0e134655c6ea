"""The batch endpoints: `POST` and `PUT /v2/subscribers/batch` (contract: Bulk, Batch)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from sparkloop.api.views import TeamViewSet
from subscribers.batch import services
from subscribers.batch.serializers import (
    ItemError,
    SubscriberBatchCreateItemSerializer,
    batch_body,
    batch_items,
    items_validate,
    results_merge,
    update_item_parse,
)


class SubscriberBatchViewSet(TeamViewSet):
    scope_resource = "subscribers"

    def create(self, request: Request) -> Response:
        parsed = items_validate(SubscriberBatchCreateItemSerializer, batch_items(request.data))
        valid = [data for data in parsed if not isinstance(data, ItemError)]
        created = services.subscribers_create_many(team=self.team, items=valid)
        return Response(batch_body(results_merge(parsed, created), team=self.team, done="created"))

    def update(self, request: Request) -> Response:
        items = [update_item_parse(item) for item in batch_items(request.data)]
        results = services.subscribers_update_many(team=self.team, items=items)
        return Response(batch_body(results, team=self.team, done="updated"))
