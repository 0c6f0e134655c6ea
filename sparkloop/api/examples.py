"""Examples and integer bounds of the OpenAPI document, filled in once it is generated.

Each app gives realistic values for its fields in its own `openapi.py` (a postprocessing hook
built with `field_examples`: values by component and property, and by property name); the
API-wide fields (timestamps, pagination meta, errors) are given here. The last hook,
`operation_examples`, then writes an example of every request and 2xx response body that has
none, composed from those values, so Swagger UI shows `"ann@example.com"` where it would show
`"string"`, and drops the bounds that only restate a database column's size (a positive
integer's 9223372036854775807), keeping those a serializer enforces.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Hook = Callable[..., dict[str, Any]]
Schema = dict[str, Any]

# The sizes of database integer columns: bounds of storage, not of meaning.
COLUMN_LIMITS = {2**63 - 1, 2**31 - 1, 2**15 - 1}
TIMESTAMP = "2021-03-24T11:55:02.113Z"
BY_FORMAT: dict[str, Any] = {
    "date-time": TIMESTAMP,
    "date": "2021-03-24",
    "email": "ann@example.com",
    "uri": "https://news.example.com/welcome",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "double": 4.99,
    "decimal": "4.99",
}
# Fields every part of the API shares.
COMMON: dict[str, Any] = {
    "created_at": TIMESTAMP,
    "error": "Subscriber sub_5a9c1e7b2d40 not found!",
    "errors": {"email": ["Enter a valid email address."]},
    "page": 1,
    "per_page": 50,
    "total_pages": 3,
}
MAX_DEPTH = 8


def _walk_properties(result: Schema) -> Any:
    for name, component in result.get("components", {}).get("schemas", {}).items():
        for prop, schema in component.get("properties", {}).items():
            yield name, prop, schema


def field_examples(
    *,
    by_name: Mapping[str, Any] | None = None,
    by_component: Mapping[str, Mapping[str, Any]] | None = None,
    bounds: Mapping[str, tuple[int | None, int | None]] | None = None,
) -> Hook:
    """A postprocessing hook giving properties their example: `by_component[component][prop]`
    first, then `by_name[prop]`; `bounds[prop]` = (minimum, maximum) replaces a property's
    integer bounds (None: no bound). A property that already has an example keeps it."""
    names = dict(by_name or {})
    components = {name: dict(props) for name, props in (by_component or {}).items()}
    limits = dict(bounds or {})

    def hook(result: Schema, generator: Any, request: Any, public: bool) -> Schema:
        for component, prop, schema in _walk_properties(result):
            if prop in limits and schema.get("type") == "integer":
                low, high = limits[prop]
                for key, value in (("minimum", low), ("maximum", high)):
                    schema.pop(key, None)
                    if value is not None:
                        schema[key] = value
            if "example" in schema:
                continue
            if prop in components.get(component, {}):
                schema["example"] = components[component][prop]
            elif prop in names:
                schema["example"] = names[prop]
        return result

    return hook


common_examples = field_examples(by_name=COMMON)


def example_of(schema: Schema, result: Schema, depth: int = 0) -> Any:
    """An example value for `schema`, from the examples its parts carry."""
    if depth > MAX_DEPTH:
        return None
    if "example" in schema:
        return schema["example"]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return example_of(result["components"]["schemas"][name], result, depth + 1)
    for key in ("allOf", "oneOf", "anyOf"):
        if key in schema:
            parts = [
                example_of(part, result, depth + 1)
                for part in schema[key]
                if part.get("$ref", "").rsplit("/", 1)[-1] != "NullEnum"
            ]
            return next((part for part in parts if part is not None), None)
    if "enum" in schema:
        return next((value for value in schema["enum"] if value not in (None, "")), None)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            prop: example_of(sub, result, depth + 1)
            for prop, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [example_of(schema.get("items", {}), result, depth + 1)]
    if schema.get("format") in BY_FORMAT:
        return BY_FORMAT[schema["format"]]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 4.99
    if kind == "boolean":
        return True
    return None


def _bodies(result: Schema) -> Any:
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            body = operation.get("requestBody", {})
            yield from body.get("content", {}).values()
            for status, response in operation.get("responses", {}).items():
                if str(status).startswith("2"):
                    yield from response.get("content", {}).values()


def operation_examples(result: Schema, generator: Any, request: Any, public: bool) -> Schema:
    """Last hook: an example for each body without one; no bound that is a column's size."""
    for _, _, schema in _walk_properties(result):
        if schema.get("maximum") in COLUMN_LIMITS:
            del schema["maximum"]
    for content in _bodies(result):
        if "example" not in content and "examples" not in content and "schema" in content:
            content["example"] = example_of(content["schema"], result)
    return result
