"""Client factories: initialisation, authentication, timeouts, logging, SSL reuse, version check.

Covers ``coze_integration.clients`` and ``coze_integration.versions`` against real ``Coze`` and
``AsyncCoze`` clients whose requests are answered by respx at the wire.
"""

from __future__ import annotations

import ast
import logging
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import respx
from cozepy import AsyncCoze, AsyncTokenAuth, Coze, TokenAuth

import coze_integration
from coze_integration.calls import CozeCalls
from coze_integration.clients import build_async_coze, build_coze, http_timeout, shared_ssl_context
from coze_integration.errors import CozeAuthenticationError, CozeVersionConflictError
from coze_integration.logs import LOGGER_NAME
from coze_integration.settings import CozeSettings
from coze_integration.versions import check_versions
from tests.coze.coze_clients import AnyCoze, authenticate, bearer_token, build_client
from tests.coze.coze_factories import LOGID, api_error, make_user, ok

pytestmark = pytest.mark.asyncio


@pytest.fixture
def users_me(coze_router: respx.MockRouter) -> respx.Route:
    """GET /v1/users/me answered with the sample account."""
    return coze_router.get("/v1/users/me").mock(return_value=ok(make_user()))


@pytest.fixture
def restore_log_levels() -> Iterator[None]:
    """Put cozepy's and our logger levels back after a test changes them."""
    loggers = [logging.getLogger("cozepy"), logging.getLogger(LOGGER_NAME)]
    levels = [logger.level for logger in loggers]
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.mark.parity
@pytest.mark.covers("FR-004", "FR-005", "FR-015")
class TestCozeClientInit:
    """Both factories build the right client with token auth."""

    async def test_factory_builds_client_of_requested_kind(self, coze_kind: str, coze_client: AnyCoze) -> None:
        """The sync factory builds ``Coze`` with ``TokenAuth``; the async one ``AsyncCoze`` with ``AsyncTokenAuth``."""
        expected = (Coze, TokenAuth) if coze_kind == "sync" else (AsyncCoze, AsyncTokenAuth)
        assert (type(coze_client), type(coze_client._auth)) == expected

    async def test_client_uses_configured_base_url(self, coze_client: AnyCoze, mock_coze_base_url: str) -> None:
        """The client keeps the configured base URL without a trailing slash."""
        assert coze_client._base_url == mock_coze_base_url

    async def test_token_is_sent_as_bearer(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, users_me: respx.Route, mock_coze_api_token: str
    ) -> None:
        """Every request carries ``Authorization: Bearer <token>`` and cozepy's user agent."""
        assert await bearer_token(coze_client) == mock_coze_api_token
        await authenticate(coze_client, coze_calls)
        headers = users_me.calls.last.request.headers
        assert headers["Authorization"] == f"Bearer {mock_coze_api_token}"
        assert headers["User-Agent"].startswith("cozepy/0.20")

    async def test_trailing_slash_in_base_url_is_removed(self, coze_kind: str, mock_coze_api_token: str) -> None:
        """A base URL with a trailing slash does not produce ``//v1`` paths."""
        client = build_client(coze_kind, CozeSettings(api_token=mock_coze_api_token, api_base="https://api.coze.cn/"))
        assert client._base_url == "https://api.coze.cn"


@pytest.mark.parity
@pytest.mark.covers("FR-003", "FR-015", "FR-017")
class TestCozeClientCredentialCheck:
    """``verify_credentials`` authenticates with GET /v1/users/me."""

    async def test_valid_token_returns_account_with_logid(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, users_me: respx.Route
    ) -> None:
        """A valid token returns the account, and the logid reaches the caller."""
        user = await authenticate(coze_client, coze_calls)
        assert (user.user_id, user.user_name) == (make_user().user_id, make_user().user_name)
        assert user.response.logid == LOGID
        assert users_me.call_count == 1
        assert users_me.calls.last.request.method == "GET"

    async def test_rejected_token_raises_authentication_error(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter, mock_coze_api_token: str
    ) -> None:
        """Code 4100 becomes a typed authentication error with code, logid and hint, never the token."""
        route = coze_router.get("/v1/users/me").mock(
            return_value=api_error(4100, "authentication is invalid", status=401)
        )
        with pytest.raises(CozeAuthenticationError) as caught:
            await authenticate(coze_client, coze_calls)
        error = caught.value
        assert (error.code, error.logid, error.http_status) == (4100, LOGID, 401)
        assert "COZE_API_TOKEN" in str(error)
        assert "GET /v1/users/me" in str(error)
        assert mock_coze_api_token not in str(error) + repr(error)
        assert route.call_count == 1, "an authentication failure must not be retried"


@pytest.mark.parity
@pytest.mark.covers("FR-013")
class TestCozeClientTimeout:
    """Configured timeouts reach every request."""

    async def test_timeout_reaches_request(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, users_me: respx.Route
    ) -> None:
        """The request's timeout extension carries the configured total and connect seconds."""
        await authenticate(coze_client, coze_calls)
        timeout = users_me.calls.last.request.extensions["timeout"]
        assert timeout == {"connect": 2.0, "read": 7.5, "write": 7.5, "pool": 7.5}

    async def test_default_timeouts(self, mock_coze_api_token: str) -> None:
        """Without settings the client waits 60 s overall and 5 s to connect, not cozepy's 600 s."""
        timeout = http_timeout(CozeSettings(api_token=mock_coze_api_token))
        assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (5.0, 60.0, 60.0, 60.0)


@pytest.mark.covers("FR-014")
@pytest.mark.usefixtures("restore_log_levels")
class TestCozeClientLogging:
    """The log level and debug switch reach cozepy's logger."""

    @pytest.mark.parametrize(
        ("log_level", "debug", "expected"),
        [
            ("WARNING", False, logging.WARNING),
            ("INFO", False, logging.INFO),
            ("ERROR", True, logging.DEBUG),
        ],
        ids=["default-warning", "info", "debug-switch-wins"],
    )
    async def test_factory_applies_log_level(
        self, mock_coze_api_token: str, log_level: str, debug: bool, expected: int
    ) -> None:
        """Building a client sets cozepy's and our logger to the configured level."""
        build_coze(CozeSettings(api_token=mock_coze_api_token, log_level=log_level, debug=debug))
        assert logging.getLogger("cozepy").level == expected
        assert logging.getLogger(LOGGER_NAME).level == expected

    async def test_debug_logs_requests_without_token(
        self,
        mock_coze_api_token: str,
        coze_router: respx.MockRouter,
        coze_calls: CozeCalls,
        caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """At DEBUG cozepy logs the request and its logid, and never the token."""
        coze_router.get("/v1/users/me").mock(return_value=ok(make_user()))
        # cozepy's logger stops at its own handler; let its records reach caplog too.
        monkeypatch.setattr(logging.getLogger("cozepy"), "propagate", True)
        caplog.set_level(logging.DEBUG, logger="cozepy")  # restored after the test, like the level the client sets
        client = build_coze(CozeSettings(api_token=mock_coze_api_token, debug=True))
        await authenticate(client, coze_calls)
        text = "\n".join(record.getMessage() for record in caplog.records if record.name == "cozepy")
        assert "/v1/users/me" in text
        assert LOGID in text
        assert mock_coze_api_token not in text


@pytest.mark.covers("FR-004", "FR-005")
class TestCozeClientSharedSSL:
    """Clients share one SSL context, because building one costs about 66 ms."""

    async def test_sync_and_async_clients_share_ssl_context(self, mock_settings: CozeSettings) -> None:
        """Both factories hand the same certificate-verifying context to httpx's connection pool."""
        sync_pool = build_coze(mock_settings)._requester.sync_client._transport._pool  # type: ignore[attr-defined]
        async_pool = build_async_coze(mock_settings)._requester.async_client._transport._pool  # type: ignore[attr-defined]
        assert sync_pool._ssl_context is shared_ssl_context()
        assert async_pool._ssl_context is shared_ssl_context()
        assert shared_ssl_context().verify_mode is ssl.CERT_REQUIRED
        assert shared_ssl_context().check_hostname


@pytest.mark.covers("FR-001")
class TestCozeClientVersionCheck:
    """The installed cozepy and httpx must fall inside the declared ranges."""

    DECLARED = ("cozepy<0.21,>=0.20", "httpx<0.29,>=0.28", "pydantic>=2.5", 'pytest>=9; extra == "acceptance"')

    def _check(self, installed: dict[str, str]) -> None:
        def version(name: str) -> str:
            if name not in installed:
                from importlib.metadata import PackageNotFoundError

                raise PackageNotFoundError(name)
            return installed[name]

        check_versions(requires=lambda _: list(self.DECLARED), installed=version)

    async def test_installed_versions_pass(self) -> None:
        """The versions uv installed from the lock satisfy the declared ranges."""
        check_versions()

    async def test_matching_versions_pass(self) -> None:
        """Versions inside both ranges raise nothing."""
        self._check({"cozepy": "0.20.0", "httpx": "0.28.1"})

    @pytest.mark.parametrize(
        ("installed", "expected"),
        [
            (
                {"cozepy": "0.21.0", "httpx": "0.28.1"},
                "cozepy 0.21.0 is installed but coze-api requires cozepy<0.21,>=0.20",
            ),
            (
                {"cozepy": "0.20.0", "httpx": "0.27.2"},
                "httpx 0.27.2 is installed but coze-api requires httpx<0.29,>=0.28",
            ),
            ({"httpx": "0.28.1"}, "cozepy is not installed (required <0.21,>=0.20)"),
        ],
        ids=["cozepy-too-new", "httpx-too-old", "cozepy-missing"],
    )
    async def test_conflict_names_found_and_required(self, installed: dict[str, str], expected: str) -> None:
        """A conflict names the package, the version found and the range required."""
        with pytest.raises(CozeVersionConflictError, match="uv sync") as caught:
            self._check(installed)
        assert expected in str(caught.value)


@pytest.mark.covers("FR-001", "FR-020")
class TestCozeClientPackaging:
    """The runtime package stays a plain, typed library."""

    PACKAGE = Path(coze_integration.__file__).parent

    async def test_runtime_package_never_imports_test_tooling(self) -> None:
        """No module of ``coze_integration`` imports pytest, respx or the acceptance tooling."""
        forbidden = {"pytest", "pytest_bdd", "respx", "coze_acceptance", "tests"}
        found = []
        for path in sorted(self.PACKAGE.glob("*.py")):
            source = path.read_text(encoding="utf-8")
            if not any(name in source for name in forbidden):
                continue  # cannot import what it never names; parsing every module costs ~8 ms
            for node in ast.walk(ast.parse(source)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                found += [f"{path.name}: {name}" for name in names if name.split(".")[0] in forbidden]
        assert found == []

    async def test_package_is_typed(self) -> None:
        """The package ships ``py.typed`` so mypy checks its callers against its annotations."""
        assert (self.PACKAGE / "py.typed").is_file()
