"""Check 1: a real response against its operation's schema in Coze's OpenAPI description.

The description is the suite's transcription of Coze's OpenAPI document,
``api/tests/coze/wire/openapi/operations.json``: per ``"METHOD /path"`` (the golden index's
``endpoint`` values), the JSON Schema (draft 2020-12, references inlined) of the 200 JSON body in
``response`` and of each stream event's data in ``events``. An operation it does not describe, or a
missing file, is reported as "no schema" rather than as a pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from coze_acceptance.live.drift import ADDED, REMOVED, SCHEMA, TYPE, VALUE, Drift, format_path, json_type
from coze_acceptance.live.drift import Path as JsonPath

#: Where the description lives, from the project root.
OPERATIONS = Path("api/tests/coze/wire/openapi/operations.json")
_COMBINATORS = ("allOf", "anyOf", "oneOf")


def _branches(schema: Any) -> Iterator[dict[str, Any]]:
    """``schema`` and every schema its ``allOf``/``anyOf``/``oneOf`` name, recursively."""
    if not isinstance(schema, dict):
        return
    yield schema
    for keyword in _COMBINATORS:
        for branch in schema.get(keyword, []):
            yield from _branches(branch)


def _children(schema: Any, part: str | int) -> Iterator[Any]:
    for branch in _branches(schema):
        if isinstance(part, int):
            yield from ([branch["items"]] if isinstance(branch.get("items"), dict) else [])
            prefix = branch.get("prefixItems", [])
            yield from ([prefix[part]] if part < len(prefix) else [])
        elif part in branch.get("properties", {}):
            yield branch["properties"][part]
        elif isinstance(branch.get("additionalProperties"), dict):
            yield branch["additionalProperties"]


@dataclass(frozen=True)
class SchemaView:
    """One JSON Schema, asked what it declares at a path (``None``: no schema at all)."""

    schema: Mapping[str, Any] | None

    def _nodes(self, path: JsonPath) -> list[Any]:
        nodes: list[Any] = [self.schema] if self.schema is not None else []
        for part in path:
            nodes = [child for node in nodes for child in _children(node, part)]
        return nodes

    def knows(self, path: JsonPath) -> bool:
        """Whether the schema declares a value at ``path``."""
        return bool(self._nodes(path))

    def values(self, path: JsonPath) -> list[Any]:
        """The values its ``enum``/``const`` allow at ``path`` (empty: not an enumeration)."""
        found: list[Any] = []
        for node in self._nodes(path):
            for branch in _branches(node):
                found += branch.get("enum", []) + ([branch["const"]] if "const" in branch else [])
        return found


NO_SCHEMA = SchemaView(None)


def _drifts(error: Any, operation: str, prefix: str, logid: str | None) -> Iterator[Drift]:
    path = list(error.absolute_path)
    instance = error.instance

    def drift(kind: str, at: list[str | int], expected: Any, found: Any) -> Drift:
        return Drift(operation, format_path(at, prefix), kind, expected, found, SCHEMA, logid)

    if error.validator == "required" and isinstance(instance, dict):
        for key in error.validator_value:
            if key not in instance:
                yield drift(REMOVED, [*path, key], "required", None)
    elif error.validator == "type":
        yield drift(TYPE, path, error.validator_value, json_type(instance))
    elif error.validator in ("enum", "const"):
        expected = error.validator_value if error.validator == "enum" else [error.validator_value]
        yield drift(VALUE, path, expected, instance)
    elif error.validator == "additionalProperties" and isinstance(instance, dict):
        declared = error.schema.get("properties", {})
        for key in instance:
            if key not in declared:
                yield drift(ADDED, [*path, key], None, json_type(instance[key]))
    else:
        yield drift(VALUE, path, f"{error.validator}: {error.validator_value!r}", instance)


def schema_drift(
    schema: Mapping[str, Any], instance: Any, operation: str, *, prefix: str = "", logid: str | None = None
) -> list[Drift]:
    """Every way ``instance`` breaks ``schema``, as drift found by the schema check."""
    errors = sorted(Draft202012Validator(schema).iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    return [drift for error in errors for drift in _drifts(error, operation, prefix, logid)]


@dataclass(frozen=True)
class Description:
    """The operations of Coze's OpenAPI description, as transcribed by the suite."""

    operations: Mapping[str, Any]

    def describes(self, operation: str) -> bool:
        """Whether the description has the operation at all."""
        return operation in self.operations

    def response(self, operation: str) -> SchemaView:
        """The schema of the operation's 200 JSON body (:data:`NO_SCHEMA` when not described)."""
        schema = self.operations.get(operation, {}).get("response")
        return SchemaView(schema) if isinstance(schema, dict) else NO_SCHEMA

    def event(self, operation: str, name: str) -> SchemaView:
        """The schema of one stream event's data (:data:`NO_SCHEMA` when not described)."""
        schema = self.operations.get(operation, {}).get("events", {}).get(name)
        return SchemaView(schema) if isinstance(schema, dict) else NO_SCHEMA

    def event_names(self, operation: str) -> set[str]:
        """The stream events the description names for the operation."""
        return set(self.operations.get(operation, {}).get("events", {}))


def load_description(path: Path) -> Description:
    """The description at ``path``; an empty one when the file does not exist."""
    if not path.is_file():
        return Description({})
    operations: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")).get("operations", {})
    return Description(operations)
