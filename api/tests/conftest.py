"""Suite-wide guards: no network, a clean environment, no machine probes, one transport patch.

Also: a test module of a tier the ``-m`` expression leaves out is not imported at all.
"""

from __future__ import annotations

import os
import re
import socket
import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import respx
from authlib.deprecate import AuthlibDeprecationWarning

# cozepy imports ``authlib.jose``, which Authlib deprecates, and Authlib installs an "always"
# filter for its warnings on import that outranks pyproject's ``filterwarnings``. This conftest is
# loaded before any module imports cozepy, so this filter goes in front of Authlib's.
warnings.filterwarnings("ignore", "authlib.jose module is deprecated", AuthlibDeprecationWarning)


_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
# What every mocked request's User-Agent says about the operating system.
TEST_OS_VERSION = "test-os"
_GUARDS = pytest.StashKey[ExitStack]()
_LEFT_OUT = pytest.StashKey[frozenset[str]]()
_MODULE_MARKS = re.compile(r"^pytestmark = (.+)$", re.MULTILINE)
_MARK_NAME = re.compile(r"pytest\.mark\.(\w+)")
_BINDS_SCENARIOS = re.compile(r"^(?:scenarios\(|@scenario\()", re.MULTILINE)


#: The socket API as it was before the session guard: the real-socket tier (api/tests/coze/real_socket/)
#: puts it back for loopback addresses only.
UNGUARDED_SOCKET_API: dict[str, Any] = {
    "connect": socket.socket.connect,
    "connect_ex": socket.socket.connect_ex,
    "create_connection": socket.create_connection,
    "getaddrinfo": socket.getaddrinfo,
}


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("tests must not open network connections; mock the wire with respx")


def _block_network(patch: pytest.MonkeyPatch) -> None:
    """Fail any attempt to open a real socket connection."""
    patch.setattr(socket.socket, "connect", _refuse)
    patch.setattr(socket.socket, "connect_ex", _refuse)
    patch.setattr(socket, "create_connection", _refuse)
    patch.setattr(socket, "getaddrinfo", _refuse)


def _clean_environment(patch: pytest.MonkeyPatch) -> None:
    """Drop proxy and ``COZE_*`` variables so the developer's shell cannot leak into a test.

    Tests that need a variable set it with ``monkeypatch``, which restores it.
    """
    for name in list(os.environ):
        if name.upper() in _PROXY_VARIABLES or name.startswith("COZE_"):
            patch.delenv(name)


def _no_machine_probes(patch: pytest.MonkeyPatch) -> None:
    """Keep the host machine out of the requests: a fixed OS in the User-Agent, an empty trust store.

    No TLS handshake could succeed with an empty trust store, even if a connection got through.
    """
    from cozepy import version as cozepy_version  # imported here, after the Authlib filter above

    # cozepy runs ``lsb_release`` in a subprocess for its User-Agent; a fixed OS keeps it out of the tests.
    patch.setattr(cozepy_version, "get_os_version", lambda: TEST_OS_VERSION)
    cozepy_version.user_agent.cache_clear()
    cozepy_version.coze_client_user_agent.cache_clear()
    patch.setenv("SSL_CERT_FILE", os.devnull)
    patch.setenv("SSL_CERT_DIR", os.devnull)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Install the session-wide guards before collection; they are undone when the session ends.

    Hooks rather than autouse fixtures: a fixture, even a session-scoped one, is looked up again
    for every test.
    """
    guards = ExitStack()
    patch = guards.enter_context(pytest.MonkeyPatch.context())
    _block_network(patch)
    _clean_environment(patch)
    _no_machine_probes(patch)
    # respx patches httpx's transports when the first router starts and unpatches when the last one
    # stops; this empty router, mocking everything, keeps the patch alive so each test's own router
    # starts and stops cheaply. Any request no test router matches still fails as unmocked.
    guards.enter_context(respx.mock(assert_all_mocked=True, assert_all_called=False, using="httpx"))
    session.stash[_GUARDS] = guards


@pytest.hookimpl(trylast=True)  # after pytest has torn down the session fixtures
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Undo the session-wide guards."""
    session.stash[_GUARDS].close()


def _left_out(config: pytest.Config) -> frozenset[str]:
    """The marks an ``-m`` of the form ``not a and not b ...`` (the default run's) leaves out; else none.

    Any other expression may select a module for a reason this reading cannot see, so it leaves
    nothing out here and pytest's own ``-m`` decides, test by test.
    """
    if _LEFT_OUT not in config.stash:
        parts = str(config.getoption("markexpr") or "").split(" and ")
        names = [part.strip().removeprefix("not ") for part in parts]
        negated = all(
            part.strip().startswith("not ") and name.isidentifier() for part, name in zip(parts, names, strict=True)
        )
        config.stash[_LEFT_OUT] = frozenset(names) if negated else frozenset()
    return config.stash[_LEFT_OUT]


def _left_out_module(path: Path, left_out: frozenset[str]) -> bool:
    """Whether test module ``path`` names, in its ``pytestmark``, a tier in ``left_out`` and binds no scenario."""
    source = path.read_text(encoding="utf-8")
    module_marks = _MODULE_MARKS.search(source)
    if module_marks is None or _BINDS_SCENARIOS.search(source):
        return False
    return bool(left_out & set(_MARK_NAME.findall(module_marks.group(1))))


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Do not import a test module whose ``pytestmark`` names a tier the ``-m`` expression leaves out.

    pytest would collect it and then deselect every test in it; importing it, building its items and
    registering its fixtures is work the run throws away (the default run leaves out five tiers).
    A folder whose every test module is left out is not entered either, so its ``conftest.py`` (the
    real-socket tier's imports an HTTP server) is not imported and its fixtures are not registered.
    A module that binds scenarios is always collected: the report tells a scenario left to a tier
    from one that no test binds by its deselected items.
    """
    left_out = _left_out(config)
    if not left_out:
        return None
    if collection_path.is_dir():
        modules = list(collection_path.rglob("test_*.py"))
        return True if modules and all(_left_out_module(module, left_out) for module in modules) else None
    if collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    return True if _left_out_module(collection_path, left_out) else None
