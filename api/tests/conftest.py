"""Suite-wide guards: no real network for any test."""

from __future__ import annotations

import socket
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
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
