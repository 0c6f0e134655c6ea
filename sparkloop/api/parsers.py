"""JSON parsing that tolerates what real clients send (empty bodies with a Content-Type)."""

from __future__ import annotations

import io
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MALFORMED_JSON = "Malformed JSON body"
BODY_NOT_OBJECT = "The request body must be a JSON object"


class LenientJSONParser(JSONParser):
    """Accepts `application/json` and `*/*`-ish clients; an empty body is an empty object."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        if stream is None:
            return {}
        raw = stream.read()
        if not raw.strip():
            return {}

        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except ParseError as exc:
            raise ParseError(MALFORMED_JSON) from exc
        if not isinstance(data, dict):
            raise ParseError(BODY_NOT_OBJECT)
        return data
