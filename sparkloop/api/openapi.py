"""The public routes that serve the OpenAPI document.

/v2/schema (OpenAPI 3, JSON with `?format=json`, else YAML), /v2/docs (Swagger UI) and
/v2/redoc. Each app describes its own operations in its own `openapi.py`; what all
operations share (the error envelope, security, pagination meta, rate-limit headers) is added
by `sparkloop.api.schema`.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


class _Public(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


class SchemaView(_Public, SpectacularAPIView):
    pass


class SwaggerView(_Public, SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served apart (`?script`): the CSP allows none inline."""


class RedocView(_Public, SpectacularRedocView):
    pass


urlpatterns = [
    path("schema", SchemaView.as_view(), name="schema"),
    path("docs", SwaggerView.as_view(url_name="schema"), name="schema-swagger"),
    path("redoc", RedocView.as_view(url_name="schema"), name="schema-redoc"),
]
