"""Bodies built from the description's documented examples: what Coze's own docs say an answer holds.

Each property takes its documented example (an enum without one, its first documented value); an
object holds every property that has one (or that holds one), an array one item, a map one entry
(key ``"key"``), built from the item's examples; an array or map whose items document none takes
its own documented example (a map's ``{"uuid": ...}``). A schema that contains itself (``$defs``)
is not followed: the example stops there.
"""

from __future__ import annotations

from typing import Any

from tests.coze.wire.openapi import event_schema, operation_schema

MAP_KEY = "key"


def _build(schema: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return None
    documented = schema.get("examples") or schema.get("enum")
    own = documented[0] if documented else None
    if "properties" in schema:
        built = {name: _build(sub) for name, sub in schema["properties"].items()}
        kept = {name: value for name, value in built.items() if value is not None}
        return kept or own
    if isinstance(schema.get("items"), dict):
        item = _build(schema["items"])
        return own if item is None else [item]
    if isinstance(schema.get("additionalProperties"), dict):
        value = _build(schema["additionalProperties"])
        return own if value is None else {MAP_KEY: value}
    return own


def documented_example(endpoint: str) -> Any:
    """The 200 body of ``endpoint`` built from its documented examples."""
    return _build(operation_schema(endpoint))


def documented_event(endpoint: str, event: str) -> Any:
    """The data of ``event`` on ``endpoint``'s stream built from its documented examples (``{}`` if none)."""
    schema = event_schema(endpoint, event)
    if "const" in schema:
        return schema["const"]
    built = _build(schema)
    return {} if built is None else built
