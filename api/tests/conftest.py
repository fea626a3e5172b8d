"""Suite-wide guards: no real network for any test."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import authlib.deprecate  # noqa: F401  (see below)
import pytest

# authlib installs a global "always" filter for its deprecation warnings when this module is first
# imported. Importing it before pytest applies the ``filterwarnings`` setting lets our targeted
# ignore of cozepy's ``authlib.jose`` import take precedence over it.


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
