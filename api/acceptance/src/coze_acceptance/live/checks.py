"""Checks 1 and 2 for one exchange: its body against the schema and against the golden files.

Check 3 (parsing through cozepy and the runtime) happens while the steps run: a step that fails
with a malformed-response or malformed-event error is an ``unparsable`` drift (see :mod:`.command`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from coze_acceptance.live.capture import Exchange
from coze_acceptance.live.drift import PARSE, UNPARSABLE, Drift
from coze_acceptance.live.golden import Catalogue, body_drift, stream_drift
from coze_acceptance.live.schema import Description, schema_drift
from coze_acceptance.live.sse import NOT_JSON, parse_events

_PLACEHOLDER = re.compile(r"\\\{[^/]+?\\\}")


def operation_of(method: str, path: str, templates: Iterable[str]) -> str:
    """The ``METHOD /template`` a request matches (``GET /v1/workflows/{workflow_id}/run_histories/{execute_id}``)."""
    for template in templates:
        verb, _, pattern = template.partition(" ")
        if verb == method and re.fullmatch(_PLACEHOLDER.sub("[^/]+", re.escape(pattern)), path):
            return template
    return f"{method} {path}"


@dataclass(frozen=True)
class ExchangeCheck:
    """What checks 1 and 2 made of one exchange."""

    operation: str
    schema: str
    golden: str
    drifts: tuple[Drift, ...] = field(default=())
    #: The decoded body, when it could be read.
    text: str | None = None


def merge(drifts: Iterable[Drift]) -> list[Drift]:
    """One drift per operation, path and kind; the checks that found it joined (``schema, golden``)."""
    merged: dict[tuple[str, str, str], Drift] = {}
    for drift in drifts:
        key = (drift.operation, drift.path, drift.kind)
        if key in merged and drift.check not in merged[key].check.split(", "):
            merged[key] = replace(merged[key], check=f"{merged[key].check}, {drift.check}")
        merged.setdefault(key, drift)
    return list(merged.values())


def check_exchange(exchange: Exchange, operation: str, catalogue: Catalogue, description: Description) -> ExchangeCheck:
    """Check one exchange's body; only answers with HTTP 200 are compared (an error is the step's failure)."""
    if exchange.status != 200:
        return ExchangeCheck(operation, f"not checked (HTTP {exchange.status})", "not checked")
    try:
        text = exchange.body().decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        unreadable = Drift(operation, "(body)", UNPARSABLE, "a readable body", str(exc), PARSE, exchange.logid)
        return ExchangeCheck(operation, "not checked", "not checked", (unreadable,))
    schema_state = "checked" if description.describes(operation) else "no schema"
    logid = exchange.logid
    if exchange.is_stream:
        events = parse_events(text)
        goldens = catalogue.streams(operation)
        found = [
            drift
            for n, event in enumerate(events)
            if (view := description.event(operation, event.name)).schema is not None
            and (data := event.json()) is not NOT_JSON
            for drift in schema_drift(view.schema, data, operation, prefix=f"events[{n}]({event.name})", logid=logid)
        ]
        found += stream_drift(
            operation,
            events,
            goldens,
            description.event_names(operation),
            lambda name: description.event(operation, name),
            logid,
        )
    else:
        try:
            body = json.loads(text)
        except ValueError:
            return ExchangeCheck(operation, "not JSON", "not JSON", text=text)
        goldens = catalogue.bodies(operation)
        view = description.response(operation)
        found = schema_drift(view.schema, body, operation, logid=logid) if view.schema is not None else []
        found += body_drift(operation, body, goldens, view, logid=logid)
    golden_state = f"{len(goldens)} golden file(s)" if goldens else "no golden file"
    return ExchangeCheck(operation, schema_state, golden_state, tuple(merge(found)), text)
