"""The real-socket tier: a local HTTP server on 127.0.0.1 and the project's clients talking to it.

Everywhere else the suite blocks sockets and mocks the wire with respx. Here the server is real,
so timeouts, stalls and bodies delivered in pieces happen on a real connection:

- ``loopback_network`` puts the socket API back for loopback addresses only; anything else still
  fails as it does in the rest of the suite.
- respx stays installed for the whole session (``api/tests/conftest.py``) and patches every httpx
  client; a router whose one route passes loopback requests through hands them to the client's
  own transport, so respx never answers for this server.
- A handler that stalls notes when it stopped sending (the read timeout runs from then) and waits
  until the test ends, so no server thread outlives its test by more than a moment.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import respx
from cozepy import AsyncCoze, Coze
from pytest_httpserver import HTTPServer

from coze_integration.calls import CozeCalls, RetryPolicy
from coze_integration.clients import build_async_coze, build_coze
from coze_integration.settings import CozeSettings
from tests.conftest import UNGUARDED_SOCKET_API

LOOPBACK = "127.0.0.1"
#: The read timeout of the tier's clients: long enough for a loaded machine to answer a request
#: that does not stall, short enough that the stalls stay cheap.
READ_TIMEOUT = 0.25
#: The longest a stalled handler holds its server thread when the test does not release it.
STALL_LIMIT = 5.0


#: The guarded names that are methods of ``socket.socket``; the others are functions of ``socket``.
_METHODS = ("connect", "connect_ex")


def _host_of(address: Any) -> str:
    return str(address[0]) if isinstance(address, tuple) else str(address)


def _loopback_only(name: str) -> Callable[..., Any]:
    real = UNGUARDED_SOCKET_API[name]
    takes_self = name in _METHODS

    def guarded(*args: Any, **kwargs: Any) -> Any:
        host = _host_of(args[1] if takes_self else args[0])
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = False
        if not allowed:
            raise RuntimeError(f"the real-socket tier reaches 127.0.0.1 only, not {host!r}")
        return real(*args, **kwargs)

    return guarded


@pytest.fixture(scope="module")
def loopback_network() -> Iterator[None]:
    """Real sockets, for loopback addresses only, while this module's tests run."""
    with pytest.MonkeyPatch.context() as patch:
        for name in UNGUARDED_SOCKET_API:
            patch.setattr(socket.socket if name in _METHODS else socket, name, _loopback_only(name))
        yield


@pytest.fixture(scope="module")
def loopback_passthrough() -> Iterator[respx.MockRouter]:
    """A respx router that hands loopback requests to the client's real transport."""
    router = respx.mock(assert_all_called=False, assert_all_mocked=True, using="httpx")
    router.route(host=LOOPBACK).pass_through()
    with router:
        yield router


class _QuickStopServer(HTTPServer):
    """An HTTPServer whose serve loop notices a shutdown request within a few milliseconds."""

    def thread_target(self) -> None:
        """Serve until stopped, polling for the stop often (the default poll is half a second)."""
        assert self.server is not None
        self.server.serve_forever(poll_interval=0.01)


@pytest.fixture(scope="module")
def _module_server(loopback_network: None) -> Iterator[HTTPServer]:
    # werkzeug logs every request at INFO on its own stderr handler; only its warnings matter here.
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)
    server = _QuickStopServer(host=LOOPBACK, port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        werkzeug_log.setLevel(level)


class Stall:
    """Where a handler stops sending: it notes the moment, then waits until the test ends."""

    def __init__(self) -> None:
        self._release = threading.Event()
        self.started: float | None = None

    def hold(self) -> None:
        """Stop sending from now on; the client's read timeout runs from this moment."""
        self.started = time.monotonic()
        self._release.wait(STALL_LIMIT)

    def waited(self) -> float:
        """Seconds from the start of the stall until now."""
        assert self.started is not None, "the server never stalled"
        return time.monotonic() - self.started

    def release(self) -> None:
        """Let the stalled handler return and free its server thread."""
        self._release.set()


@pytest.fixture
def stall() -> Iterator[Stall]:
    """A stall for this test's handlers, released when the test ends."""
    stall = Stall()
    yield stall
    stall.release()


@pytest.fixture
def coze_server(
    _module_server: HTTPServer, loopback_passthrough: respx.MockRouter, stall: Stall
) -> Iterator[HTTPServer]:
    """The local Coze stand-in, with no handlers; errors raised in its handlers fail the test."""
    _module_server.clear()
    yield _module_server
    stall.release()
    _module_server.check_handler_errors()
    _module_server.clear()


@pytest.fixture(scope="module")
def socket_settings(mock_coze_api_token: str, _module_server: HTTPServer) -> CozeSettings:
    """Settings pointing at the local server, with a short read timeout."""
    return CozeSettings(
        api_token=mock_coze_api_token,
        api_base=_module_server.url_for("/").rstrip("/"),
        timeout_seconds=READ_TIMEOUT,
        connect_timeout_seconds=READ_TIMEOUT,
        retry_attempts=1,
    )


@pytest.fixture(scope="module")
def _socket_clients(socket_settings: CozeSettings) -> dict[str, Coze | AsyncCoze]:
    return {"sync": build_coze(socket_settings), "async": build_async_coze(socket_settings)}


@pytest.fixture
def socket_client(
    coze_kind: str, _socket_clients: dict[str, Coze | AsyncCoze], coze_server: HTTPServer
) -> Coze | AsyncCoze:
    """The project's ``Coze`` or ``AsyncCoze`` client, talking to the local server."""
    return _socket_clients[coze_kind]


@pytest.fixture
def socket_calls() -> CozeCalls:
    """Typed errors and a single attempt: a retry would only repeat the wait under test."""
    return CozeCalls(RetryPolicy(attempts=1))
