"""Factories for the sync and async Coze clients, configured from :class:`CozeSettings`.

Building a client first checks, once per process, that the installed cozepy and httpx are
versions this integration supports (:func:`check_versions`), so the check lives here with the
factories that run it.

A resolver can still end up with a cozepy or httpx outside the supported range (another dependency
forcing it, a hand-installed wheel). cozepy 0.19 silently pulled httpx down to 0.27, for example.
The ranges are a constant of this package, and the versions are read from the imported modules
themselves: no distribution's metadata is consulted, so the check keeps working when the package
is vendored into the backend under another name (or installed without metadata at all).
"""

from __future__ import annotations

import functools
import importlib
import ssl
from collections.abc import Callable, Mapping

import httpx
from cozepy import AsyncCoze, AsyncHTTPClient, AsyncTokenAuth, Coze, SyncHTTPClient, TokenAuth, User
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from coze_integration.calls import CozeCalls, RetryPolicy
from coze_integration.errors import CozeVersionConflictError
from coze_integration.settings import CozeSettings
from coze_integration.wire import arecord_response, awatch_stream_end, record_response, watch_stream_end

#: The versions this code is written and tested against; ``api/pyproject.toml`` declares the same
#: ranges (a test keeps the two in step).
SUPPORTED: Mapping[str, SpecifierSet] = {
    "cozepy": SpecifierSet(">=0.20,<0.21"),
    "httpx": SpecifierSet(">=0.28,<0.29"),
}

# Where each module keeps its own version string.
_VERSION_ATTRIBUTE = {"cozepy": "VERSION", "httpx": "__version__"}


def installed_version(name: str) -> str | None:
    """The version of the importable module ``name`` (one of :data:`SUPPORTED`), or ``None`` when unknown."""
    try:
        module = importlib.import_module(name)
    except ImportError:
        return None
    found = getattr(module, _VERSION_ATTRIBUTE[name], None)
    return str(found) if found is not None else None


def _conflict(name: str, supported: SpecifierSet, found: str | None) -> str | None:
    if found is None:
        return f"{name} is not installed (supported {supported})"
    try:
        inside = Version(found) in supported
    except InvalidVersion:
        inside = False
    return None if inside else f"{name} {found} is installed but coze_integration supports {name}{supported}"


def check_versions(installed: Callable[[str], str | None] | None = None) -> None:
    """Raise :class:`CozeVersionConflictError` naming every package outside :data:`SUPPORTED`.

    ``installed`` defaults to :func:`installed_version`; tests pass a fake.
    """
    lookup = installed or installed_version
    conflicts = [
        problem
        for name, supported in sorted(SUPPORTED.items())
        if (problem := _conflict(name, supported, lookup(name))) is not None
    ]
    if conflicts:
        raise CozeVersionConflictError("; ".join(conflicts) + "; run `uv sync` to restore the locked versions")


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One SSL context for every client: building one loads the CA bundle, so it is done once."""
    return ssl.create_default_context()


@functools.cache
def ensure_supported_versions() -> None:
    """Run :func:`check_versions` once per process (a failure is not cached, so it repeats)."""
    check_versions()


def http_timeout(settings: CozeSettings) -> httpx.Timeout:
    """The httpx timeout: ``timeout_seconds`` overall, ``connect_timeout_seconds`` to connect."""
    return httpx.Timeout(settings.timeout_seconds, connect=settings.connect_timeout_seconds)


def _checked_token(settings: CozeSettings) -> str:
    ensure_supported_versions()
    return settings.api_token.get_secret_value()


def build_coze(settings: CozeSettings) -> Coze:
    """A sync client with the configured token, base URL and timeouts.

    Loggers are left alone: the backend applies the log settings once with ``configure_logging``.
    """
    token = _checked_token(settings)
    http_client = SyncHTTPClient(
        timeout=http_timeout(settings),
        verify=shared_ssl_context(),
        event_hooks={"response": [record_response, watch_stream_end]},
    )
    return Coze(auth=TokenAuth(token), base_url=settings.api_base, http_client=http_client)


def build_async_coze(settings: CozeSettings) -> AsyncCoze:
    """An async client with the configured token, base URL and timeouts."""
    token = _checked_token(settings)
    http_client = AsyncHTTPClient(
        timeout=http_timeout(settings),
        verify=shared_ssl_context(),
        event_hooks={"response": [arecord_response, awatch_stream_end]},
    )
    return AsyncCoze(auth=AsyncTokenAuth(token), base_url=settings.api_base, http_client=http_client)


def build_calls(settings: CozeSettings) -> CozeCalls:
    """Typed errors and read retries with the configured attempts, base delay and ``Retry-After`` cap."""
    return CozeCalls(
        RetryPolicy(
            attempts=settings.retry_attempts,
            base_delay=settings.retry_base_delay_seconds,
            max_retry_after=settings.retry_after_max_seconds,
        )
    )


def verify_credentials(coze: Coze, calls: CozeCalls) -> User:
    """Authenticate with a cheap call (GET /v1/users/me) and return the account.

    Raises :class:`~coze_integration.errors.CozeAuthenticationError` for a rejected token.
    """
    return calls.read(coze.users.me)


async def averify_credentials(coze: AsyncCoze, calls: CozeCalls) -> User:
    """Async twin of :func:`verify_credentials`."""
    return await calls.aread(coze.users.me)
