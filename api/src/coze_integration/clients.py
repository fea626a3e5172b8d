"""Factories for the sync and async Coze clients, configured from :class:`CozeSettings`."""

from __future__ import annotations

import functools
import ssl

import httpx
from cozepy import AsyncCoze, AsyncHTTPClient, AsyncTokenAuth, Coze, SyncHTTPClient, TokenAuth, User

from coze_integration.calls import CozeCalls, RetryPolicy
from coze_integration.settings import CozeSettings
from coze_integration.versions import check_versions
from coze_integration.wire import arecord_response, record_response


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One SSL context for every client: building one costs about 66 ms."""
    return ssl.create_default_context()


@functools.cache
def ensure_supported_versions() -> None:
    """Run :func:`check_versions` once per process (a failure is not cached, so it repeats)."""
    check_versions()


def http_timeout(settings: CozeSettings) -> httpx.Timeout:
    """The httpx timeout: ``timeout_seconds`` overall, ``connect_timeout_seconds`` to connect."""
    return httpx.Timeout(settings.timeout_seconds, connect=settings.connect_timeout_seconds)


def _prepare(settings: CozeSettings) -> str:
    ensure_supported_versions()
    return settings.api_token.get_secret_value()


def build_coze(settings: CozeSettings) -> Coze:
    """A sync client with the configured token, base URL and timeouts.

    Loggers are left alone: the backend applies the log settings once with ``configure_logging``.
    """
    token = _prepare(settings)
    http_client = SyncHTTPClient(
        timeout=http_timeout(settings),
        verify=shared_ssl_context(),
        event_hooks={"response": [record_response]},
    )
    return Coze(auth=TokenAuth(token), base_url=settings.api_base, http_client=http_client)


def build_async_coze(settings: CozeSettings) -> AsyncCoze:
    """An async client with the configured token, base URL and timeouts."""
    token = _prepare(settings)
    http_client = AsyncHTTPClient(
        timeout=http_timeout(settings),
        verify=shared_ssl_context(),
        event_hooks={"response": [arecord_response]},
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
