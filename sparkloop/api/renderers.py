"""JSON rendering with an explicit charset (contract: `application/json; charset=utf-8`)."""

from __future__ import annotations

from rest_framework.renderers import JSONRenderer


class JSONUTF8Renderer(JSONRenderer):
    charset = "utf-8"
