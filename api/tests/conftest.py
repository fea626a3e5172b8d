"""Suite-wide guards and speed: no real network, one transport patch, a frozen heap."""

from __future__ import annotations

import gc
import socket
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import respx
from authlib.deprecate import AuthlibDeprecationWarning

# cozepy imports ``authlib.jose``, which Authlib deprecates, and Authlib installs an "always"
# filter for its warnings on import that outranks pyproject's ``filterwarnings``. This conftest is
# loaded before any module imports cozepy, so this filter goes in front of Authlib's.
warnings.filterwarnings("ignore", "authlib.jose module is deprecated", AuthlibDeprecationWarning)


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("tests must not open network connections; mock the wire with respx")


@pytest.fixture(autouse=True, scope="session")
def _block_network() -> Iterator[None]:
    """Fail any attempt to open a real socket connection."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _refuse)
        patch.setattr(socket.socket, "connect_ex", _refuse)
        patch.setattr(socket, "create_connection", _refuse)
        patch.setattr(socket, "getaddrinfo", _refuse)
        yield


@pytest.fixture(autouse=True, scope="session")
def _mock_transport() -> Iterator[None]:
    """Keep respx's transport patch in place for the whole session.

    respx patches httpx's transports when the first router starts and unpatches when the last one
    stops; this empty router, mocking everything, keeps the patch alive so each test's own router
    starts and stops cheaply. Any request no test router matches still fails as unmocked.
    """
    with respx.mock(assert_all_mocked=True, assert_all_called=False, using="httpx"):
        yield


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move everything built during collection out of the garbage collector's sight.

    Later collections, including pytest's own at the end of the session, then scan only the
    objects the tests create.
    """
    gc.freeze()
