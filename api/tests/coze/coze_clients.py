"""Drive the sync or the async client through one code path, so scenarios stay verbatim for both."""

from __future__ import annotations

from cozepy import AsyncCoze, AsyncTokenAuth, Coze, TokenAuth, User

from coze_integration.calls import CozeCalls
from coze_integration.clients import averify_credentials, build_async_coze, build_coze, verify_credentials
from coze_integration.settings import CozeSettings

AnyCoze = Coze | AsyncCoze


def build_client(kind: str, settings: CozeSettings) -> AnyCoze:
    """The project's factory for ``kind`` ("sync" or "async")."""
    return build_coze(settings) if kind == "sync" else build_async_coze(settings)


async def authenticate(client: AnyCoze, calls: CozeCalls) -> User:
    """The project's credential check for either client."""
    if isinstance(client, AsyncCoze):
        return await averify_credentials(client, calls)
    return verify_credentials(client, calls)


async def bearer_token(client: AnyCoze) -> str:
    """The token the client's auth object will send."""
    auth = client._auth
    if isinstance(auth, AsyncTokenAuth):
        return await auth.atoken
    assert isinstance(auth, TokenAuth)
    return auth.token
