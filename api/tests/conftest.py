"""Suite-wide guards and speed: no real network, no OS probes, one transport patch, a frozen heap."""

from __future__ import annotations

import gc
import os
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

# Collection imports cozepy, pydantic's models and the tests: objects that live for the whole run.
# The garbage collector would scan them over and over (about 20 ms) to find no garbage, so it
# stays off until collection ends; see pytest_collection_finish.
gc.disable()


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


# What every mocked request's User-Agent says about the operating system.
TEST_OS_VERSION = "test-os"


@pytest.fixture(autouse=True, scope="session")
def _no_machine_probes() -> Iterator[None]:
    """Keep the host machine out of the requests: no OS probe, no trust-store load.

    - cozepy puts the OS version in its User-Agent and finds it by running ``lsb_release`` in a
      subprocess on the first request (about 30 ms); a fixed version keeps the header predictable.
    - An empty trust store: the shared SSL context skips loading the system's CA certificates
      (about 20 ms), and no TLS handshake could succeed even if a connection got through.
    """
    from cozepy import version as cozepy_version  # imported here, after the Authlib filter above

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cozepy_version, "get_os_version", lambda: TEST_OS_VERSION)
        cozepy_version.user_agent.cache_clear()
        cozepy_version.coze_client_user_agent.cache_clear()
        patch.setenv("SSL_CERT_FILE", os.devnull)
        patch.setenv("SSL_CERT_DIR", os.devnull)
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
    """Move everything built during collection out of the garbage collector's sight, then turn it on.

    Later collections, including pytest's own at the end of the session, then scan only the
    objects the tests create.
    """
    gc.freeze()
    gc.enable()
