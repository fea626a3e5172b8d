"""Repairs for the places where cozepy 0.20.0 cannot read what Coze documents it sends.

cozepy's models and SSE reader disagree with Coze's documented wire in ways that break paths this
backend uses (``api/tests/coze/test_coze_wire_contract.py`` has a strict-xfail test for each):

- a run history without ``is_output_trimmed`` (the docs' own example) fails validation, so reading
  a run's result or querying workflow logs would fail: the missing flag is read as ``false``, what
  an output that was not reported as trimmed means;
- a blocking workflow run answered without ``debug_url`` cannot be parsed at all (cozepy keys its
  parser on that field): it gets an empty ``debug_url``;
- a bot whose variables carry no ``variable_type`` (the docs' ``Variable`` has no such field) fails
  validation, so retrieving any bot with variables would fail: the missing type is read as
  ``KVVariable``, what a documented variable is (a keyword with one default value, not a list);
- SSE comment lines and ``retry:`` fields, which any SSE client must ignore, make cozepy raise; so
  do ``id:`` lines in chat streams. ``PING`` heartbeats of workflow streams come out as ``unknown``
  events. They are removed before cozepy reads the stream.

The client factories' response hook (:mod:`coze_integration.wire`) calls :func:`repair` on every
response before cozepy reads it. Each repair only touches the endpoint it is for, rewrites the body
as it streams in (a cut stream stays cut, a partial event stays partial) and leaves everything else
byte for byte alone. A body compressed with an encoding the standard library cannot undo is left as
it is.

What a rewrite cannot fix stays a known gap (a strict xfail): cozepy's models have no place for a
blocking run's ``interrupt_data``, a workflow message's ``node_id``, a chat's ``section_id`` or a
bot's ``knowledge_infos``, and they read ``error_code`` as an int. Keeping one of them takes
reading the raw body next to cozepy's result: the one the backend needs, a blocking run's
``interrupt_data``, is noted into the ``noted`` dict :func:`repair` is given (the exchange's
``dropped``, see :mod:`coze_integration.wire`) while the body passes through unchanged.
"""

from __future__ import annotations

import functools
import json
import re
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Protocol

import httpx

_RUN = re.compile(r"/v1/workflow/run$")
_RUN_HISTORY = re.compile(r"/v1/workflows/[^/]+/run_histories/[^/]+$")
_BOT = re.compile(r"/v1/bot/get_online_info$")
_CHAT_STREAM = re.compile(r"/v3/chat$")
_WORKFLOW_STREAM = re.compile(r"/v1/workflow/(stream_run|stream_resume)$")


class _Decoder:
    """Undoes ``gzip``/``deflate`` content encoding chunk by chunk; identity passes through.

    ``deflate`` is accepted both zlib-wrapped and raw, as httpx's own decoder accepts it (servers
    send either under that name). A body that does not decode raises :class:`httpx.DecodingError`,
    what httpx raises for the same body.
    """

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 32) if encoding in {"gzip", "deflate"} else None
        self._first = True

    def feed(self, chunk: bytes) -> bytes:
        if self._inflate is None:
            return chunk
        first, self._first = self._first, False
        try:
            return self._inflate.decompress(chunk)
        except zlib.error as exc:
            if not (first and self._encoding == "deflate"):
                raise httpx.DecodingError(f"{self._encoding} body does not decode: {exc}") from exc
        self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, without the zlib header
        return self.feed(chunk)

    def flush(self) -> bytes:
        if self._inflate is None:
            return b""
        try:
            return self._inflate.flush()
        except zlib.error as exc:
            raise httpx.DecodingError(f"{self._encoding} body does not decode: {exc}") from exc


# --- JSON bodies -----------------------------------------------------------------------------------


def _with_debug_url(body: Any) -> bool:
    # Only a success answer: an error envelope must still reach cozepy's error handling unchanged.
    answered = isinstance(body, dict) and ("data" in body or "execute_id" in body) and not body.get("code")
    if answered and "debug_url" not in body:
        body["debug_url"] = ""
        return True
    return False


def _run_answer(noted: dict[str, Any], body: Any) -> bool:
    # cozepy's run result has no field for the interrupt a blocking run stopped at: note it beside.
    if isinstance(body, dict) and "interrupt_data" in body:
        noted["interrupt_data"] = body["interrupt_data"]
    return _with_debug_url(body)


def _with_trim_flag(body: Any) -> bool:
    changed = False
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        for history in body["data"]:
            if isinstance(history, dict) and "is_output_trimmed" not in history:
                history["is_output_trimmed"] = False
                changed = True
    return changed


def _with_variable_types(body: Any) -> bool:
    changed = False
    bot = body.get("data") if isinstance(body, dict) else None
    variables = bot.get("variables") if isinstance(bot, dict) else None
    for variable in variables if isinstance(variables, list) else []:
        if isinstance(variable, dict) and "variable_type" not in variable:
            variable["variable_type"] = "KVVariable"
            changed = True
    return changed


class _JsonFix:
    """Collects a JSON body and hands it on with ``fix`` applied; anything else passes unchanged.

    ``fix`` changes the parsed body in place and says whether it changed anything: an unchanged
    body goes on byte for byte, a changed one is re-encoded ASCII-only, so escapes Coze sent (a lone
    surrogate of an output trimmed mid-character) stay escapes cozepy can read.
    """

    def __init__(self, fix: Callable[[Any], bool]) -> None:
        self._fix = fix
        self._body: list[bytes] = []

    def feed(self, chunk: bytes) -> bytes:
        self._body.append(chunk)
        return b""

    def flush(self) -> bytes:
        raw, self._body = b"".join(self._body), []
        try:
            parsed = json.loads(raw)
        except ValueError:
            return raw  # not JSON: cozepy's own error handling reports it as it is
        return json.dumps(parsed).encode() if self._fix(parsed) else raw


# --- event streams ---------------------------------------------------------------------------------


class _EventFilter:
    """Drops SSE lines cozepy cannot read, and whole events of the names given, line by line."""

    def __init__(self, *, drop_ids: bool, drop_events: frozenset[str]) -> None:
        self._dropped_fields = ("retry:", "id:") if drop_ids else ("retry:",)
        self._drop_events = drop_events
        self._pending: list[bytes] = []  # the unfinished line's parts, joined once the line ends
        self._event: list[bytes] = []

    def _keep(self, line: bytes) -> bool:
        text = line.rstrip(b"\r").decode("utf-8", "replace")
        return not text.startswith(":") and not text.startswith(self._dropped_fields)

    def _dropped(self, event: list[bytes]) -> bool:
        for line in event:
            name, _, value = line.rstrip(b"\r").decode("utf-8", "replace").partition(":")
            if name == "event" and value.strip() in self._drop_events:
                return True
        return False

    def feed(self, chunk: bytes) -> bytes:
        # Only the new chunk is searched for line ends, so a long line costs its length, not its
        # length times the number of chunks it came in.
        if b"\n" not in chunk:
            if chunk:
                self._pending.append(chunk)
            return b""
        *lines, rest = chunk.split(b"\n")
        lines[0] = b"".join([*self._pending, lines[0]])
        self._pending = [rest] if rest else []
        out: list[bytes] = []
        for line in lines:
            if line.rstrip(b"\r"):
                if self._keep(line):
                    self._event.append(line)
                continue
            if self._event and not self._dropped(self._event):
                out += [*self._event, b""]
            self._event = []
        return b"".join(line + b"\n" for line in out)

    def flush(self) -> bytes:
        """What arrived of an unfinished event: cozepy then sees the stream end where it ended."""
        event, tail = self._event, b"".join(self._pending)
        self._event, self._pending = [], []
        if tail and self._keep(tail):
            event = [*event, tail]
        if not event or self._dropped(event):
            return b""
        return b"\n".join(event) + (b"" if tail else b"\n")


# --- installing a repair ---------------------------------------------------------------------------


class _Rewriter(Protocol):
    def feed(self, chunk: bytes) -> bytes: ...

    def flush(self) -> bytes: ...


class _RepairedBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The original body, decoded and passed through a rewriter as it arrives.

    If the connection fails, what the rewriter holds is handed on before the error, so the reader
    sees exactly the events that had arrived.
    """

    def __init__(self, original: Any, encoding: str, make: Callable[[], _Rewriter]) -> None:
        self._original = original
        self._encoding = encoding
        self._make = make

    def __iter__(self) -> Iterator[bytes]:
        decoder, rewriter = _Decoder(self._encoding), self._make()
        try:
            for chunk in self._original:
                out = rewriter.feed(decoder.feed(chunk))
                if out:
                    yield out
            out = rewriter.feed(decoder.flush())
        except Exception:
            yield rewriter.flush()
            raise
        yield out + rewriter.flush()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        decoder, rewriter = _Decoder(self._encoding), self._make()
        try:
            async for chunk in self._original:
                out = rewriter.feed(decoder.feed(chunk))
                if out:
                    yield out
            out = rewriter.feed(decoder.flush())
        except Exception:
            yield rewriter.flush()
            raise
        yield out + rewriter.flush()

    def close(self) -> None:
        if isinstance(self._original, httpx.SyncByteStream):
            self._original.close()

    async def aclose(self) -> None:
        if isinstance(self._original, httpx.AsyncByteStream):
            await self._original.aclose()


def _rewriter_for(request: httpx.Request, content_type: str, noted: dict[str, Any]) -> Callable[[], _Rewriter] | None:
    path = request.url.path
    if "event-stream" in content_type:
        if _CHAT_STREAM.search(path):
            return lambda: _EventFilter(drop_ids=True, drop_events=frozenset())
        if _WORKFLOW_STREAM.search(path):
            return lambda: _EventFilter(drop_ids=False, drop_events=frozenset({"PING"}))
        return None
    if "json" not in content_type:
        return None
    if request.method == "POST" and _RUN.search(path):
        return lambda: _JsonFix(functools.partial(_run_answer, noted))
    if request.method == "GET" and _RUN_HISTORY.search(path):
        return lambda: _JsonFix(_with_trim_flag)
    if request.method == "GET" and _BOT.search(path):
        return lambda: _JsonFix(_with_variable_types)
    return None


def repair(response: httpx.Response, noted: dict[str, Any]) -> None:
    """Install the repair for this response's endpoint, if it has one, before its body is read.

    ``noted`` receives what the body carries that cozepy drops and the backend reads, once the body
    has been read: a blocking run's ``interrupt_data``.
    """
    make = _rewriter_for(response.request, response.headers.get("content-type", "").lower(), noted)
    if make is None:
        return
    encoding = response.headers.get("content-encoding", "identity").lower()
    if encoding not in {"identity", "gzip", "deflate"}:
        return
    response.headers.pop("content-encoding", None)
    response.stream = _RepairedBody(response.stream, encoding, make)
