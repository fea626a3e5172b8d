"""The golden wire: Coze's documented responses as files, and the one helper that serves them.

Every mocked response in the suite comes from a file in this folder, written from Coze's developer
guides and its official Go, JS and Java SDKs, never from cozepy's models: a payload built from the
SDK under test agrees with every bug of that SDK. ``index.toml`` names each file's endpoint, case and
sources; ``README.md`` says how to add one.

Files are read once per session; callers get a fresh copy, so a test may change what it was given.
"""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx

WIRE_DIR = Path(__file__).parent
LOGID = "20261126093000A1B2C3D4E5F6"
"""The ``x-tt-logid`` every golden response carries unless a test asks for its own."""


@dataclass(frozen=True)
class GoldenFile:
    """One entry of ``index.toml``: a file, the endpoint that answers with it, the case, and its sources."""

    file: str
    endpoint: str
    case: str
    sources: tuple[str, ...]


@cache
def catalogue() -> tuple[GoldenFile, ...]:
    """Every golden file the index names, in index order."""
    index = tomllib.loads((WIRE_DIR / "index.toml").read_text(encoding="utf-8"))
    return tuple(
        GoldenFile(file=entry["file"], endpoint=entry["endpoint"], case=entry["case"], sources=tuple(entry["sources"]))
        for entry in index.get("golden", [])
    )


@cache
def _text(name: str) -> str:
    return (WIRE_DIR / name).read_text(encoding="utf-8")


@cache
def _parsed(name: str) -> Any:
    return json.loads(_text(name))


def golden(name: str) -> Any:
    """The JSON body of golden file ``name`` (e.g. ``"bots/retrieve_ok.json"``), a fresh copy."""
    return copy.deepcopy(_parsed(name))


def golden_text(name: str) -> str:
    """The exact text of a golden file, as the server sends it (streams keep their framing)."""
    return _text(name)


def with_changes(body: Any, changes: Mapping[str, Any]) -> Any:
    """``body`` with the values at dotted paths replaced: ``{"data.space_bots.0.bot_id": "7"}``.

    A path must already exist in the golden body: a test substitutes its own ids, it never invents
    keys Coze does not send.
    """
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = body
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        elif last in node:
            node[last] = value
        else:
            raise KeyError(f"{path!r} is not in the golden body")
    return body


def golden_response(
    name: str,
    *,
    status: int = 200,
    logid: str = LOGID,
    headers: Mapping[str, str] | None = None,
    changes: Mapping[str, Any] | None = None,
) -> httpx.Response:
    """A JSON response whose body is golden file ``name``, with the logid header and optional id changes."""
    body = with_changes(golden(name), changes) if changes else None
    content = json.dumps(body).encode() if body is not None else _text(name).encode()
    return httpx.Response(
        status,
        content=content,
        headers={"content-type": "application/json", "x-tt-logid": logid, **(headers or {})},
    )


def golden_stream(name: str, *, logid: str = LOGID, content_type: str | None = "text/event-stream") -> httpx.Response:
    """A server-sent-events response whose body is golden file ``name`` byte for byte."""
    headers = {"x-tt-logid": logid}
    if content_type is not None:
        headers["content-type"] = content_type
    return httpx.Response(200, content=_text(name).encode(), headers=headers)


@dataclass(frozen=True)
class GoldenEvent:
    """One event of a golden stream, read by this suite's own parser (not cozepy's)."""

    id: str | None
    event: str
    data: str

    def json(self) -> Any:
        """The event's data as JSON."""
        return json.loads(self.data)


def golden_events(name: str) -> list[GoldenEvent]:
    """The events of a golden SSE file, parsed per the SSE standard: what the tests expect cozepy to yield."""
    events: list[GoldenEvent] = []
    fields: dict[str, list[str]] = {}
    for line in [*_text(name).splitlines(), ""]:
        if not line:
            if "event" in fields or "data" in fields:
                ids = fields.get("id")
                events.append(
                    GoldenEvent(
                        id=ids[-1] if ids else None,
                        event=fields.get("event", ["message"])[-1],
                        data="\n".join(fields.get("data", [])),
                    )
                )
            fields = {}
            continue
        if line.startswith(":"):
            continue  # a comment
        key, _, value = line.partition(":")
        fields.setdefault(key, []).append(value.removeprefix(" "))
    return events
