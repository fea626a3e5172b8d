"""Check 2: a real response against the golden files of the same endpoint.

- ``removed`` / ``type``: compared with the golden body it resembles most among those with the same
  ``code`` (an endpoint has several cases: a single-agent and a multi-agent bot, a first and a last
  page, its error envelopes), a documented key that is missing, or one of another JSON type.
  ``null`` on either side says nothing about the type (Coze sends ``null`` for an absent optional
  value), and integers and other numbers are one type.
- ``value``: an enum-like key (:func:`enum_like`) holding a value that no golden file of the
  endpoint and no ``enum`` of the schema knows.
- ``added``: a key that neither any golden file of the endpoint nor the schema declares. It is
  reported once, at its top, without descending into it.

A stream is compared event by event: an event name nobody knows is a ``value`` drift, and each
event's data is compared with the golden events of the same name.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coze_acceptance.live.drift import ADDED, GOLDEN, REMOVED, TYPE, VALUE, Drift, format_path, json_type
from coze_acceptance.live.drift import Path as JsonPath
from coze_acceptance.live.schema import SchemaView
from coze_acceptance.live.sse import NOT_JSON, Event, parse_events

#: The golden catalogue, from the project root.
WIRE_DIR = Path("api/tests/coze/wire")
INDEX = "index.toml"
#: Keys whose values are an enumeration: these names, and names ending in one of the suffixes.
ENUM_KEYS = frozenset({"status", "type", "role", "channel", "response_format"})
ENUM_SUFFIXES = ("_type", "_status", "_mode")

#: A path with list indexes replaced by ``[]``: where a key sits, whichever list item holds it.
Shape = tuple[str, ...]


def enum_like(key: str) -> bool:
    """Whether a key holds one of a documented set of values (``status``, ``content_type``, ``bot_mode``, ...)."""
    return key in ENUM_KEYS or key.endswith(ENUM_SUFFIXES)


def _shape(path: JsonPath) -> Shape:
    return tuple("[]" if isinstance(part, int) else part for part in path)


@dataclass
class Knowledge:
    """Every key path the golden bodies hold, and the values they give enum-like keys."""

    paths: set[Shape] = field(default_factory=set)
    values: dict[Shape, set[Any]] = field(default_factory=dict)

    def learn(self, body: Any, path: JsonPath = ()) -> None:
        """Add what one golden body holds."""
        if isinstance(body, dict):
            for key, value in body.items():
                child = (*path, key)
                self.paths.add(_shape(child))
                if enum_like(key) and _scalar(value):
                    self.values.setdefault(_shape(child), set()).add(value)
                self.learn(value, child)
        elif isinstance(body, list):
            for n, item in enumerate(body):
                self.learn(item, (*path, n))


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


#: A difference before it is named: kind, path, expected, found.
_Difference = tuple[str, JsonPath, Any, Any]


def _differences(expected: Any, found: Any, path: JsonPath = ()) -> list[_Difference]:
    """Keys of ``expected`` missing from ``found``, and values of another JSON type."""
    if expected is None or found is None:
        return []
    if json_type(expected) != json_type(found):
        return [(TYPE, path, json_type(expected), json_type(found))]
    if isinstance(expected, dict):
        out: list[_Difference] = []
        for key, value in expected.items():
            if key in found:
                out += _differences(value, found[key], (*path, key))
            else:
                out.append((REMOVED, (*path, key), json_type(value), None))
        return out
    if isinstance(expected, list) and expected:
        out = []
        for n, item in enumerate(found):
            candidates = [_differences(e, item, (*path, n)) for e in expected]
            closest: list[_Difference] = min(candidates, key=len)
            out += closest
        return out
    return []


def _novelties(found: Any, known: Knowledge, schema: SchemaView, path: JsonPath = ()) -> list[_Difference]:
    """Keys nobody documents, and enum-like values nobody knows."""
    out: list[_Difference] = []
    if isinstance(found, dict):
        for key, value in found.items():
            child = (*path, key)
            if _shape(child) not in known.paths and not schema.knows(child):
                out.append((ADDED, child, None, json_type(value)))
                continue
            allowed = known.values.get(_shape(child), set()) | set(schema.values(child))
            if enum_like(key) and _scalar(value) and allowed and value not in allowed:
                out.append((VALUE, child, sorted(allowed, key=str), value))
            out += _novelties(value, known, schema, child)
    elif isinstance(found, list):
        for n, item in enumerate(found):
            out += _novelties(item, known, schema, (*path, n))
    return out


def _code(body: Any) -> Any:
    return body.get("code") if isinstance(body, dict) else None


def body_drift(
    operation: str, found: Any, goldens: list[Any], schema: SchemaView, *, prefix: str = "", logid: str | None = None
) -> list[Drift]:
    """Drift of one JSON value against the golden values of the same place (bodies, or one event's data)."""
    if not goldens:
        return []
    known = Knowledge()
    for golden in goldens:
        known.learn(golden)
    # An endpoint's error envelopes are golden files too; a success is compared with successes only.
    alike = [golden for golden in goldens if _code(golden) == _code(found)] or goldens
    closest = min((_differences(golden, found) for golden in alike), key=len)
    # Below a value of another type everything is new: the type drift says it all.
    retyped = [path for kind, path, _, _ in closest if kind == TYPE]
    novel = [n for n in _novelties(found, known, schema) if not any(n[1][: len(p)] == p for p in retyped)]
    return [
        Drift(operation, format_path(path, prefix), kind, expected, value, GOLDEN, logid)
        for kind, path, expected, value in closest + novel
    ]


def stream_drift(
    operation: str,
    events: list[Event],
    goldens: list[list[Event]],
    names: set[str],
    schema_of: Callable[[str], SchemaView],
    logid: str | None = None,
) -> list[Drift]:
    """Drift of a stream's events against the golden streams; ``names`` are the events the description knows."""
    known: dict[str, list[Any]] = {}
    for stream in goldens:
        for event in stream:
            known.setdefault(event.name, []).append(event.json())
    out: list[Drift] = []
    for n, event in enumerate(events):
        prefix = f"events[{n}]({event.name})"
        if event.name not in known and event.name not in names:
            out.append(
                Drift(operation, f"events[{n}].event", VALUE, sorted(known.keys() | names), event.name, GOLDEN, logid)
            )
            continue
        documented = [data for data in known.get(event.name, []) if data is not NOT_JSON]
        data = event.json()
        if data is NOT_JSON:
            if documented:
                out.append(Drift(operation, prefix, TYPE, json_type(documented[0]), "not JSON", GOLDEN, logid))
            continue
        out += body_drift(operation, data, documented, schema_of(event.name), prefix=prefix, logid=logid)
    return out


@dataclass(frozen=True)
class GoldenFile:
    """One entry of the golden index and its text."""

    file: str
    endpoint: str
    case: str
    text: str


@dataclass(frozen=True)
class Catalogue:
    """The golden files, by endpoint."""

    files: tuple[GoldenFile, ...]

    def endpoints(self) -> list[str]:
        """Every endpoint the catalogue has a file for, in index order."""
        return list(dict.fromkeys(f.endpoint for f in self.files))

    def bodies(self, endpoint: str) -> list[Any]:
        """The endpoint's JSON golden bodies (a file that is not JSON on purpose is left out)."""
        found = []
        for golden in self.files:
            if golden.endpoint == endpoint and golden.file.endswith(".json"):
                try:
                    found.append(json.loads(golden.text))
                except ValueError:
                    continue
        return found

    def streams(self, endpoint: str) -> list[list[Event]]:
        """The endpoint's golden streams."""
        return [parse_events(g.text) for g in self.files if g.endpoint == endpoint and g.file.endswith(".sse")]


def load_catalogue(wire_dir: Path) -> Catalogue:
    """The catalogue indexed in ``wire_dir/index.toml``; an empty one without an index."""
    index = wire_dir / INDEX
    if not index.is_file():
        return Catalogue(())
    entries = tomllib.loads(index.read_text(encoding="utf-8")).get("golden", [])
    return Catalogue(
        tuple(
            GoldenFile(e["file"], e["endpoint"], e.get("case", ""), (wire_dir / e["file"]).read_text(encoding="utf-8"))
            for e in entries
        )
    )
