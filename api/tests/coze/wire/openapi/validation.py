"""Golden files against the description: where each one departs from its operation's schema.

A JSON golden body is validated against its operation's 200 schema (an error envelope against the
description's bare envelope); a stream is validated event by event, each event's data against the
schema of that event. A departure is named by a JSON path: ``$.data.bot_id`` in a body,
``$[3].data.last_error`` (the data of the fourth event) or ``$[3].event`` (an event the description
does not list) in a stream. ``departures.toml`` lists the departures the catalogue keeps on
purpose, each with its reason and source.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from tests.coze.wire import catalogue, golden, golden_events
from tests.coze.wire.openapi import OPENAPI_DIR, absent_endpoints, event_names, event_schema, operation_schema

# The description's answer that is nothing but the envelope (code, msg, detail.logid): an error
# answer of any operation has that shape, with code and msg always sent.
ENVELOPE_OPERATION = "DELETE /v1/conversations/{conversation_id}"


@dataclass(frozen=True)
class Departure:
    """A golden file's known departure from the description: where, why, and what says so."""

    file: str
    paths: tuple[str, ...]
    reason: str
    source: str


@cache
def listed_departures() -> tuple[Departure, ...]:
    """The departures ``departures.toml`` lists, in its order."""
    table = tomllib.loads((OPENAPI_DIR / "departures.toml").read_text(encoding="utf-8"))
    return tuple(
        Departure(file=entry["file"], paths=tuple(entry["paths"]), reason=entry["reason"], source=entry["source"])
        for entry in table.get("departure", [])
    )


@cache
def _validator(endpoint: str, event: str | None = None) -> Draft202012Validator:
    """One validator per schema for the session (building one costs more than using it)."""
    return Draft202012Validator(operation_schema(endpoint) if event is None else event_schema(endpoint, event))


@cache
def _envelope_validator() -> Draft202012Validator:
    return Draft202012Validator({**operation_schema(ENVELOPE_OPERATION), "required": ["code", "msg"]})


@cache
def is_error_envelope(name: str) -> bool:
    """A JSON golden body whose ``code`` is not 0: an error answer, wherever the file lives."""
    return name.endswith(".json") and bool(golden(name).get("code"))


def _where(error: ValidationError) -> Iterator[str]:
    """The JSON path of a failed check; a missing required key is named at its own path."""
    required, instance = error.validator_value, error.instance
    if error.validator == "required" and isinstance(required, list) and isinstance(instance, dict):
        yield from (f"{error.json_path}.{key}" for key in required if key not in instance)
    else:
        yield error.json_path


def _body_departures(validator: Draft202012Validator, body: Any, prefix: str = "$") -> dict[str, str]:
    return {
        prefix + path.removeprefix("$"): error.message
        for error in validator.iter_errors(body)
        for path in _where(error)
    }


def validated(name: str) -> bool:
    """Whether the description has a schema for golden file ``name`` (its operation's, or the envelope)."""
    [endpoint] = [entry.endpoint for entry in catalogue() if entry.file == name]
    if name.endswith(".html"):
        return False  # a gateway's page, not Coze's JSON
    return is_error_envelope(name) or endpoint not in absent_endpoints()


def departures(name: str, body: Any = None) -> dict[str, str]:
    """Every place golden file ``name`` (or ``body`` served as it) departs from the description: path -> what."""
    [endpoint] = [entry.endpoint for entry in catalogue() if entry.file == name]
    if name.endswith(".sse"):
        found: dict[str, str] = {}
        for n, event in enumerate(golden_events(name)):
            if event.event not in event_names(endpoint):
                found[f"$[{n}].event"] = f"{event.event!r} is no event of {endpoint}"
                continue
            try:
                data: Any = json.loads(event.data)
            except ValueError:
                data = event.data  # a bare [DONE]
            found |= _body_departures(_validator(endpoint, event.event), data, f"$[{n}].data")
        return found
    body = golden(name) if body is None else body
    if is_error_envelope(name):
        return _body_departures(_envelope_validator(), body)
    return _body_departures(_validator(endpoint), body)
