"""The HTTP exchanges a scenario made, kept as evidence in the report.

A product owner reading "lists the bots page by page" can open the scenario and see that the
second request really asked for page 2. The test suite hands each scenario's calls to
:func:`record_exchanges` (from respx's public ``calls`` list, after the test); the plugin ships
them with the scenario's report. Secrets never reach the page: ``Authorization`` and any other
credential header are masked, and bodies are trimmed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx
import pytest

#: Where a test item keeps its recorded exchanges until its reports are made.
EXCHANGES_KEY = pytest.StashKey[list[dict[str, Any]]]()
#: The longest body kept, in characters; the rest is cut and says so.
BODY_LIMIT = 2000
LOGID_HEADER = "x-tt-logid"
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})


def mask_header(name: str, value: str) -> str:
    """A header value fit for the report: credentials keep only their scheme."""
    if name.lower() not in _SECRET_HEADERS:
        return value
    scheme, _, secret = value.partition(" ")
    return f"{scheme} ***" if secret else "***"


def _body(message: httpx.Request | httpx.Response) -> str:
    try:
        raw = message.content
    except (httpx.RequestNotRead, httpx.ResponseNotRead):
        return "(streamed body, not kept)"
    text = raw.decode("utf-8", errors="replace")
    if len(text) > BODY_LIMIT:
        return f"{text[:BODY_LIMIT]}… ({len(text) - BODY_LIMIT} more characters)"
    return text


def exchange(request: httpx.Request, response: httpx.Response | None) -> dict[str, Any]:
    """One request and its response as the report shows it."""
    return {
        "method": request.method,
        "url": str(request.url),
        "request_headers": {k: mask_header(k, v) for k, v in request.headers.items()},
        "request_body": _body(request),
        "status": response.status_code if response is not None else None,
        "response_body": _body(response) if response is not None else "",
        "logid": response.headers.get(LOGID_HEADER, "") if response is not None else "",
    }


def record_exchanges(node: pytest.Item, calls: Iterable[Any]) -> None:
    """Keep ``calls`` (respx ``Call`` objects: ``request`` and ``optional_response``) as the node's evidence."""
    node.stash[EXCHANGES_KEY] = [exchange(call.request, call.optional_response) for call in calls]
