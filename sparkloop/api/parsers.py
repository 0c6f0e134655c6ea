"""JSON parsing that tolerates what real clients send and refuses what no client should.

Empty bodies with a Content-Type are an empty object. Every JSON body of the API is decoded
here, so this is the one place that refuses bodies nested too deeply (a 5,000-deep array
would otherwise blow the interpreter's recursion limit, here or in a serializer) and strings
holding NUL (PostgreSQL can store NUL in neither text nor jsonb). Paths, query strings and
form bodies get the same NUL guard in `sparkloop.middleware.HostileInputMiddleware`.
"""

from __future__ import annotations

import io
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MALFORMED_JSON = "Malformed JSON body"
BODY_NOT_OBJECT = "The request body must be a JSON object"
TOO_DEEP = "The JSON body is nested more than {depth} levels deep"
BODY_NUL = "The request body must not contain NUL characters"
# A NUL in a field's value names the field, like the API's other field errors.
FIELD_NUL = "{label}: Null characters are not allowed."

# No request of the API needs more than a handful of levels; 32 leaves room for any
# free-form object (shipping details, metadata) and stays far below the recursion limit.
MAX_JSON_DEPTH = 32


def nul_message(field: str | None) -> str:
    """The API's sentence for a NUL in `field` (a top-level key), or in the body at large."""
    if not field or "\x00" in field:
        return BODY_NUL
    return FIELD_NUL.format(label=field.replace("_", " ").capitalize())


def check_json_value(data: Any, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise ParseError if `data` nests deeper than `max_depth` or holds a NUL in a string.

    Iterative (an explicit stack), so that checking cannot itself run out of recursion.
    """
    # (value, depth, the top-level key it sits under)
    stack: list[tuple[Any, int, str | None]] = [(data, 1, None)]
    while stack:
        value, depth, field = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise ParseError(nul_message(field))
        elif isinstance(value, dict | list):
            if depth > max_depth:
                raise ParseError(TOO_DEEP.format(depth=max_depth))
            if isinstance(value, dict):
                for key, item in value.items():
                    if "\x00" in key:
                        raise ParseError(BODY_NUL)
                    stack.append((item, depth + 1, key if field is None else field))
            else:
                stack.extend((item, depth + 1, field) for item in value)


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
        except RecursionError as exc:
            # Deeper than the decoder itself can go (about 1,000 levels).
            raise ParseError(TOO_DEEP.format(depth=MAX_JSON_DEPTH)) from exc
        if not isinstance(data, dict):
            raise ParseError(BODY_NOT_OBJECT)
        check_json_value(data)
        return data
