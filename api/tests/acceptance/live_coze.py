"""A fake Coze for the live contract check: the golden files, served on 127.0.0.1 by pytest-httpserver.

Each request gets the golden file of its endpoint and case (the page it asks for, a stream when its
body asks for one), with the ``x-tt-logid`` header, unless a test replaces that file's text with a
drifted copy. The tests then run ``coze-acceptance --live`` against it as against a real Coze.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.coze.wire import LOGID, golden_text

#: The run the fake Coze knows (the golden files' ids).
WORKSPACE_ID, BOT_ID, WORKFLOW_ID, EXECUTE_ID = (
    "7484523878849822001",
    "7484523878849822002",
    "7484523878849822005",
    "7484523878849822006",
)
#: Golden file by request: ``METHOD /path`` pattern → file, or files by page.
_FILES: list[tuple[str, str, str | tuple[str, str]]] = [
    ("GET", r"/v1/users/me", "users/me_ok.json"),
    ("GET", r"/v1/workspaces", ("workspaces/list_page1_of_2.json", "workspaces/list_page2_of_2.json")),
    (
        "GET",
        r"/v1/space/published_bots_list",
        ("bots/published_bots_list_page1_of_2.json", "bots/published_bots_list_page2_of_2.json"),
    ),
    ("GET", r"/v1/bot/get_online_info", "bots/get_online_info_ok.json"),
    ("GET", r"/v1/conversations", ("conversations/list_page1_has_more.json", "conversations/list_page2_last.json")),
    ("GET", r"/v1/workflows/[^/]+/run_histories/[^/]+", "workflows/run_history_success.json"),
    ("POST", r"/v1/conversation/create", "conversations/create_ok.json"),
    # cozepy 0.20 asks for a chat with POST where Coze documents GET; the fake answers both.
    ("GET", r"/v3/chat/retrieve", "chat/retrieve_completed.json"),
    ("POST", r"/v3/chat/retrieve", "chat/retrieve_completed.json"),
    ("GET", r"/v3/chat/message/list", "chat/message_list_ok.json"),
    ("POST", r"/v1/workflow/run", "workflows/run_ok.json"),
    ("POST", r"/v1/workflow/stream_run", "workflows/stream_ok.sse"),
]

#: A drifted copy: the golden text and the request → the text to serve instead.
Drifted = Callable[[str, Request], str]


def golden_for(request: Request) -> str:
    """The golden file that answers ``request``."""
    if request.method == "POST" and request.path == "/v3/chat":
        return "chat/stream_ok.sse" if json.loads(request.data).get("stream") else "chat/create_in_progress.json"
    for method, pattern, files in _FILES:
        if method == request.method and re.fullmatch(pattern, request.path):
            if isinstance(files, str):
                return files
            page = request.args.get("page_num") or request.args.get("page_index") or "1"
            return files[min(int(page), 2) - 1]
    raise AssertionError(f"the fake Coze has no golden file for {request.method} {request.path}")


def json_change(name: str, change: Callable[[Any], None]) -> dict[str, Drifted]:
    """A drifted copy of JSON golden file ``name``: ``change`` edits its parsed body in place."""

    def drifted(text: str, request: Request) -> str:
        body = json.loads(text)
        change(body)
        return json.dumps(body)

    return {name: drifted}


class FakeCoze:
    """The golden catalogue behind a real socket; ``drifted`` replaces some files' text."""

    def __init__(self, server: HTTPServer, drifted: dict[str, Drifted] | None = None) -> None:
        self.server = server
        self.drifted = drifted or {}
        self.served: list[str] = []
        server.expect_request(re.compile(r"/v[13]/.*")).respond_with_handler(self._answer)

    @property
    def base(self) -> str:
        """The ``COZE_API_BASE`` that reaches this server."""
        return self.server.url_for("/").rstrip("/")

    def _answer(self, request: Request) -> Response:
        name = golden_for(request)
        self.served.append(name)
        text = golden_text(name)
        if name in self.drifted:
            text = self.drifted[name](text, request)
        content_type = "text/event-stream" if name.endswith(".sse") else "application/json"
        return Response(text, status=200, headers={"content-type": content_type, "x-tt-logid": LOGID})


def live_environment(fake: FakeCoze, monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    """The variables a team sets to check the fake Coze: every id, and reads tried once (no retry sleeps)."""
    for name, value in {
        "COZE_API_TOKEN": token,
        "COZE_API_BASE": fake.base,
        "COZE_RETRY_ATTEMPTS": "1",
        "COZE_LIVE_WORKSPACE_ID": WORKSPACE_ID,
        "COZE_LIVE_BOT_ID": BOT_ID,
        "COZE_LIVE_WORKFLOW_ID": WORKFLOW_ID,
        "COZE_LIVE_EXECUTE_ID": EXECUTE_ID,
        "COZE_LIVE_WORKFLOW_PARAMETERS": '{"city": "Paris"}',
    }.items():
        monkeypatch.setenv(name, value)
