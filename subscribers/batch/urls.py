"""The batch route, included by `subscribers/urls.py` before `subscribers/<id>`."""

from __future__ import annotations

from django.urls import re_path

from subscribers.batch import openapi  # noqa: F401 (describes the viewset in the schema)
from subscribers.batch.views import SubscriberBatchViewSet

urlpatterns = [
    re_path(
        r"^subscribers/batch/?$",
        SubscriberBatchViewSet.as_view({"post": "create", "put": "update"}),
        name="subscriber-batch",
    ),
]
