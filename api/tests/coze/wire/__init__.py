"""The golden wire: Coze's documented responses as files, and the one helper that serves them.

Every mocked response in the suite comes from a file in this folder, written from Coze's developer
guides and its official Go, JS and Java SDKs, never from cozepy's models: a payload built from the
SDK under test agrees with every bug of that SDK. ``index.toml`` names each file's endpoint, case and
sources; ``README.md`` says how to add one.

Files are read once per session; callers get a fresh copy, so a test may change what it was given.
Responses arrive unread, as from the network: the client's response hooks see them before cozepy
reads the body, exactly as in production.
"""

from __future__ import annotations

import copy
import gzip
import json
import tomllib
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
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
    """The JSON body of golden file ``name`` (e.g. ``"bots/get_online_info_ok.json"``), a fresh copy."""
    return copy.deepcopy(_parsed(name))


def golden_text(name: str) -> str:
    """The exact text of a golden file, as the server sends it (streams keep their framing)."""
    return _text(name)


def with_changes(body: Any, changes: Mapping[str, Any]) -> Any:
    """``body`` with the values at dotted paths replaced: ``{"data.space_bots.0.bot_id": "7"}``.

    A path must already exist in the golden body: a test substitutes its own ids or values (a total,
    a status Coze may add later), it never invents keys Coze does not send.
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


def request_json(request: httpx.Request) -> Any:
    """The JSON body the server received: what tests assert with literal wire keys."""
    return json.loads(request.content)


def golden_response(
    name: str,
    *,
    status: int = 200,
    logid: str = LOGID,
    headers: Mapping[str, str] | None = None,
    changes: Mapping[str, Any] | None = None,
) -> httpx.Response:
    """A JSON response whose body is golden file ``name``, with the logid header and optional changes."""
    body = with_changes(golden(name), changes) if changes else None
    content = json.dumps(body).encode() if body is not None else _text(name).encode()
    headers = {"content-type": "application/json", "x-tt-logid": logid, **(headers or {})}
    return httpx.Response(status, headers=headers, stream=_Body(content))


def golden_stream(name: str, *, logid: str = LOGID, content_type: str | None = "text/event-stream") -> httpx.Response:
    """A server-sent-events response whose body is golden file ``name`` byte for byte."""
    return event_stream(_text(name), logid=logid, content_type=content_type)


class _Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body served like the network's: read only when the client reads it, after its response hooks.

    (respx reads an ``httpx.ByteStream`` body before the hooks run, which would hide the hooks'
    repairs from the tests.) With ``cut`` the connection drops after the bytes, as a reset would.
    """

    def __init__(self, data: bytes, *, cut: bool = False) -> None:
        self.data = data
        self.cut = cut

    def __iter__(self) -> Iterator[bytes]:
        yield self.data
        if self.cut:
            raise httpx.ReadError("connection reset by peer")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data
        if self.cut:
            raise httpx.ReadError("connection reset by peer")


def event_stream(
    text: str,
    *,
    logid: str = LOGID,
    content_type: str | None = "text/event-stream",
    cut: bool = False,
    gzipped: bool = False,
) -> httpx.Response:
    """An event stream of ``text``: a golden stream's prefix, or one with a faulty line appended.

    With ``cut`` the connection drops after ``text`` instead of closing cleanly; ``gzipped`` sends
    it with ``content-encoding: gzip``.
    """
    headers = {"x-tt-logid": logid}
    if content_type is not None:
        headers["content-type"] = content_type
    body = text.encode()
    if gzipped:
        headers["content-encoding"] = "gzip"
        body = gzip.compress(body)
    return httpx.Response(200, headers=headers, stream=_Body(body, cut=cut))


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
    return list(_events(name))


@cache
def _events(name: str) -> tuple[GoldenEvent, ...]:
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
    return tuple(events)


def assert_lossless(parsed: Any, wire: Any, path: str = "data") -> None:
    """Every key of the golden ``wire`` value reaches ``parsed`` with its value, recursively.

    ``parsed`` is what cozepy made of it: a model (keys become attributes), a dict or a list. Enum
    members compare by value; a string the wire sends must stay that string (``""`` read as ``0``
    is a loss). JSON has one number type, so a whole number read into a float field (``200`` as
    ``200.0``) is no loss. The error names the first path that differs.
    """
    if isinstance(wire, dict):
        for key, value in wire.items():
            if isinstance(parsed, dict):
                assert key in parsed, f"{path}.{key} was dropped"
                child = parsed[key]
            else:
                assert key in getattr(type(parsed), "model_fields", {}), f"{path}.{key} was dropped"
                child = getattr(parsed, key)
            assert_lossless(child, value, f"{path}.{key}")
    elif isinstance(wire, list):
        assert isinstance(parsed, list), f"{path}: expected a list, got {parsed!r}"
        assert len(parsed) == len(wire), f"{path}: {len(parsed)} items instead of {len(wire)}"
        for n, (child, value) in enumerate(zip(parsed, wire, strict=True)):
            assert_lossless(child, value, f"{path}.{n}")
    else:
        got = parsed.value if isinstance(parsed, Enum) else parsed
        number = type(wire) in (int, float) and type(got) is float
        assert (type(got), got) == (type(wire), wire) or (number and got == wire), (
            f"{path}: the wire sent {wire!r}, cozepy gave {parsed!r}"
        )


_RUN_HISTORY = {
    "Success": "workflows/run_history_success.json",
    "Running": "workflows/run_history_running.json",
    "Fail": "workflows/run_history_fail.json",
}


def golden_run_history(execute_id: str, status: str = "Success", **values: Any) -> httpx.Response:
    """The golden run history of a run in ``status``, for ``execute_id``, with some of its values replaced.

    A workflow-log query reads many runs; each gets the golden body of its status with its own id,
    ``create_time``, ``output`` or ``error_message``.
    """
    changes = {"data.0.execute_id": execute_id, **{f"data.0.{key}": value for key, value in values.items()}}
    return golden_response(_RUN_HISTORY[status], changes=changes)
