"""Coze's OpenAPI description, as far as the backend uses it: our transcription in ``operations.json``.

``scripts/openapi_contract.py`` writes it from a copy of coze-dev/coze-sdk-gen and checks it against
a newer one; the tests read only this file (no network in CI). Each operation is keyed like
``index.toml``'s endpoints (``"GET /v1/bot/get_online_info"``) and gives the JSON Schema (draft
2020-12) of its 200 body and, for a stream, of each event's data. ``README.md`` says where each
operation's schema comes from and why.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

OPENAPI_DIR = Path(__file__).parent


@cache
def _transcription() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((OPENAPI_DIR / "operations.json").read_text(encoding="utf-8"))
    return loaded


def described_endpoints() -> tuple[str, ...]:
    """The endpoints the description covers, sorted."""
    return tuple(sorted(_transcription()["operations"]))


def absent_endpoints() -> dict[str, str]:
    """The endpoints the backend uses that the description lacks, each with what the golden files follow instead."""
    return dict(_transcription()["absent"])


def source() -> dict[str, Any]:
    """Where the transcription comes from: repository, commit and files."""
    return dict(_transcription()["source"])


def operation(endpoint: str) -> dict[str, Any]:
    """The whole entry of ``endpoint``: ``source``, ``why``, ``response`` and (streams) ``events``.

    Read-only by convention: it is the cached transcription, shared by every caller.
    """
    entry: dict[str, Any] = _transcription()["operations"][endpoint]
    return entry


def operation_schema(endpoint: str) -> dict[str, Any]:
    """The JSON Schema of ``endpoint``'s 200 JSON body (shared; do not change it)."""
    schema: dict[str, Any] = operation(endpoint)["response"]
    return schema


def event_names(endpoint: str) -> tuple[str, ...]:
    """The events the description gives for ``endpoint``'s stream (none for a plain JSON answer)."""
    return tuple(operation(endpoint).get("events", {}))


def event_schema(endpoint: str, event: str) -> dict[str, Any]:
    """The JSON Schema of the data of ``event`` on ``endpoint``'s stream (shared; do not change it)."""
    schema: dict[str, Any] = operation(endpoint)["events"][event]
    return schema
