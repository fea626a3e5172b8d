"""Client factories: initialisation, authentication, timeouts, logging, SSL reuse, version check.

Covers ``coze_integration.clients`` (factories and version check) against real ``Coze`` and
``AsyncCoze`` clients whose requests are answered by respx at the wire.
"""

from __future__ import annotations

import ast
import logging
import socket
import ssl
import tomllib
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import cozepy
import httpcore
import httpx
import pytest
import respx
from cozepy import AsyncCoze, AsyncTokenAuth, Coze, TokenAuth
from packaging.requirements import Requirement
from respx.models import AllMockedAssertionError

import coze_integration
from coze_integration import clients, errors
from coze_integration.calls import CozeCalls
from coze_integration.clients import (
    SUPPORTED,
    build_async_coze,
    build_coze,
    check_versions,
    http_timeout,
    installed_version,
    shared_ssl_context,
    verify_credentials,
)
from coze_integration.errors import CozeAuthenticationError, CozeIntegrationError, CozeVersionConflictError
from coze_integration.settings import LOGGER_NAME, CozeSettings, configure_logging
from tests.coze.parity import AnyCoze, authenticate, bearer_token, build_client, resolve
from tests.coze.wire import LOGID, golden, golden_response

#: ``api/``, found from this file: the mutation gate runs the suite against a copy of the package
#: laid out elsewhere, so the package's own location does not lead to the project's files.
API_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def users_me(coze_router: respx.MockRouter) -> respx.Route:
    """GET /v1/users/me answered with the sample account."""
    return coze_router.get("/v1/users/me").mock(return_value=golden_response("users/me_ok.json"))


@pytest.fixture
def restore_log_levels() -> Iterator[None]:
    """Put cozepy's and our logger levels back after a test changes them."""
    loggers = [logging.getLogger("cozepy"), logging.getLogger(LOGGER_NAME)]
    levels = [logger.level for logger in loggers]
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.mark.parity
@pytest.mark.covers("FR-004", "FR-005")
class TestCozeClientInit:
    """Both factories build the right client with token auth."""

    def test_factory_builds_client_of_requested_kind(self, coze_kind: str, coze_client: AnyCoze) -> None:
        """The sync factory builds ``Coze`` with ``TokenAuth``; the async one ``AsyncCoze`` with ``AsyncTokenAuth``."""
        expected = (Coze, TokenAuth) if coze_kind == "sync" else (AsyncCoze, AsyncTokenAuth)
        assert (type(coze_client), type(coze_client._auth)) == expected

    def test_client_uses_configured_base_url(self, coze_client: AnyCoze, mock_coze_base_url: str) -> None:
        """The client keeps the configured base URL without a trailing slash."""
        assert coze_client._base_url == mock_coze_base_url

    @pytest.mark.asyncio
    @pytest.mark.covers("FR-015")
    async def test_token_is_sent_as_bearer(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, users_me: respx.Route, mock_coze_api_token: str
    ) -> None:
        """Every request carries ``Authorization: Bearer <token>`` and cozepy's user agent."""
        assert await bearer_token(coze_client) == mock_coze_api_token
        await authenticate(coze_client, coze_calls)
        headers = users_me.calls.last.request.headers
        assert headers["Authorization"] == f"Bearer {mock_coze_api_token}"
        assert headers["User-Agent"].startswith("cozepy/0.20")

    def test_trailing_slash_in_base_url_is_removed(self, coze_kind: str, mock_coze_api_token: str) -> None:
        """A base URL with a trailing slash does not produce ``//v1`` paths."""
        client = build_client(coze_kind, CozeSettings(api_token=mock_coze_api_token, api_base="https://api.coze.cn/"))
        assert client._base_url == "https://api.coze.cn"


@pytest.mark.asyncio
@pytest.mark.parity
@pytest.mark.covers("FR-015", "FR-017")
class TestCozeClientCredentialCheck:
    """``verify_credentials`` authenticates with GET /v1/users/me."""

    async def test_valid_token_returns_account_with_logid(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, users_me: respx.Route, mock_coze_api_token: str
    ) -> None:
        """A valid token returns the account, and the logid reaches the caller."""
        user = await authenticate(coze_client, coze_calls)
        wire = golden("users/me_ok.json")["data"]
        assert (user.user_id, user.user_name, user.nick_name, user.avatar_url) == (
            wire["user_id"],
            wire["user_name"],
            wire["nick_name"],
            wire["avatar_url"],
        )
        assert user.response.logid == LOGID
        assert users_me.call_count == 1
        assert users_me.calls.last.request.method == "GET"
        assert users_me.calls.last.request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"

    async def test_rejected_token_raises_authentication_error(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter, mock_coze_api_token: str
    ) -> None:
        """Code 4100 becomes a typed authentication error with code, logid and hint, never the token."""
        route = coze_router.get("/v1/users/me").mock(
            return_value=golden_response("errors/unauthenticated_4100.json", status=401)
        )
        with pytest.raises(CozeAuthenticationError) as caught:
            await authenticate(coze_client, coze_calls)
        error = caught.value
        assert (error.code, error.logid, error.http_status) == (4100, LOGID, 401)
        assert "COZE_API_TOKEN" in str(error)
        assert "GET /v1/users/me" in str(error)
        assert mock_coze_api_token not in str(error) + repr(error)
        assert route.call_count == 1, "an authentication failure must not be retried"
        assert route.calls.last.request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"


@pytest.mark.parity
@pytest.mark.covers("FR-013")
class TestCozeClientTimeout:
    """Configured timeouts reach every request."""

    @pytest.mark.asyncio
    async def test_timeout_reaches_request(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, users_me: respx.Route
    ) -> None:
        """The request's timeout extension carries the configured total and connect seconds."""
        await authenticate(coze_client, coze_calls)
        timeout = users_me.calls.last.request.extensions["timeout"]
        assert timeout == {"connect": 2.0, "read": 7.5, "write": 7.5, "pool": 7.5}

    def test_default_timeouts(self, mock_coze_api_token: str) -> None:
        """Without settings the client waits 60 s overall and 5 s to connect, not cozepy's 600 s."""
        timeout = http_timeout(CozeSettings(api_token=mock_coze_api_token))
        assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (5.0, 60.0, 60.0, 60.0)


@pytest.mark.covers("FR-014")
@pytest.mark.usefixtures("restore_log_levels")
class TestCozeClientLogging:
    """The log level and debug switch reach cozepy's logger through one explicit startup call."""

    @pytest.mark.parametrize(
        ("log_level", "debug", "expected"),
        [
            ("WARNING", False, logging.WARNING),
            ("INFO", False, logging.INFO),
            ("ERROR", True, logging.DEBUG),
        ],
        ids=["default-warning", "info", "debug-switch-wins"],
    )
    def test_configure_logging_applies_level(
        self, mock_coze_api_token: str, log_level: str, debug: bool, expected: int
    ) -> None:
        """``configure_logging`` sets cozepy's and our logger to the configured level."""
        configure_logging(CozeSettings(api_token=mock_coze_api_token, log_level=log_level, debug=debug))
        assert logging.getLogger("cozepy").level == expected
        assert logging.getLogger(LOGGER_NAME).level == expected

    @pytest.mark.parity
    def test_building_a_client_leaves_log_levels_alone(self, coze_kind: str, mock_coze_api_token: str) -> None:
        """A factory with ``COZE_DEBUG`` on does not change the process-wide cozepy or package logger."""
        for name in ("cozepy", LOGGER_NAME):
            logging.getLogger(name).setLevel(logging.ERROR)
        build_client(coze_kind, CozeSettings(api_token=mock_coze_api_token, debug=True))
        assert logging.getLogger("cozepy").level == logging.ERROR
        assert logging.getLogger(LOGGER_NAME).level == logging.ERROR

    def test_debug_logs_requests_without_token(
        self,
        mock_coze_api_token: str,
        coze_router: respx.MockRouter,
        coze_calls: CozeCalls,
        caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """At DEBUG cozepy logs the request and its logid, and never the token."""
        coze_router.get("/v1/users/me").mock(return_value=golden_response("users/me_ok.json"))
        # cozepy's logger stops at its own handler; let its records reach caplog too.
        monkeypatch.setattr(logging.getLogger("cozepy"), "propagate", True)
        caplog.set_level(logging.DEBUG, logger="cozepy")  # restores the level configure_logging changes
        settings = CozeSettings(api_token=mock_coze_api_token, debug=True)
        configure_logging(settings)
        client = build_coze(settings)
        verify_credentials(client, coze_calls)
        text = "\n".join(record.getMessage() for record in caplog.records if record.name == "cozepy")
        assert "/v1/users/me" in text
        assert LOGID in text
        assert mock_coze_api_token not in text


@pytest.mark.covers("FR-004", "FR-005")
class TestCozeClientSharedSSL:
    """Clients share one SSL context, because building one reads the whole trust store again."""

    def test_sync_and_async_clients_share_ssl_context(self, mock_settings: CozeSettings) -> None:
        """Both factories hand the same certificate-verifying context to httpx's connection pool."""
        sync_pool = build_coze(mock_settings)._requester.sync_client._transport._pool  # type: ignore[attr-defined]
        async_pool = build_async_coze(mock_settings)._requester.async_client._transport._pool  # type: ignore[attr-defined]
        assert sync_pool._ssl_context is shared_ssl_context()
        assert async_pool._ssl_context is shared_ssl_context()
        assert shared_ssl_context().verify_mode is ssl.CERT_REQUIRED
        assert shared_ssl_context().check_hostname


@pytest.mark.covers("FR-001")
class TestCozeClientVersionCheck:
    """The installed cozepy and httpx must fall inside the ranges the package supports."""

    def _check(self, installed: dict[str, str]) -> None:
        check_versions(installed=installed.get)

    def test_installed_versions_pass(self) -> None:
        """The versions uv installed from the lock satisfy the supported ranges."""
        check_versions()

    def test_matching_versions_pass(self) -> None:
        """Versions inside both ranges raise nothing."""
        self._check({"cozepy": "0.20.0", "httpx": "0.28.1"})

    @pytest.mark.parametrize(
        ("installed", "expected"),
        [
            (
                {"cozepy": "0.21.0", "httpx": "0.28.1"},
                "cozepy 0.21.0 is installed but coze_integration supports cozepy<0.21,>=0.20",
            ),
            (
                {"cozepy": "0.20.0", "httpx": "0.27.2"},
                "httpx 0.27.2 is installed but coze_integration supports httpx<0.29,>=0.28",
            ),
            ({"httpx": "0.28.1"}, "cozepy is not installed (supported <0.21,>=0.20)"),
            (
                {"cozepy": "unknown", "httpx": "0.28.1"},
                "cozepy unknown is installed but coze_integration supports cozepy<0.21,>=0.20",
            ),
            (
                {"cozepy": "0.21.0", "httpx": "0.27.2"},
                "cozepy 0.21.0 is installed but coze_integration supports cozepy<0.21,>=0.20; "
                "httpx 0.27.2 is installed but coze_integration supports httpx<0.29,>=0.28",
            ),
        ],
        ids=["cozepy-too-new", "httpx-too-old", "cozepy-missing", "cozepy-unparsable", "both"],
    )
    def test_conflict_names_found_and_required(self, installed: dict[str, str], expected: str) -> None:
        """A conflict names the package, the version found and the range supported."""
        with pytest.raises(CozeVersionConflictError) as caught:
            self._check(installed)
        # The remedy follows the conflicts it fixes.
        assert str(caught.value) == f"{expected}; run `uv sync` to restore the locked versions"

    def test_supported_ranges_match_pyproject(self) -> None:
        """The package's constant ranges are the ones ``api/pyproject.toml`` declares."""
        pyproject = tomllib.loads((API_DIR / "pyproject.toml").read_text())
        declared = {req.name: req.specifier for req in map(Requirement, pyproject["project"]["dependencies"])}
        assert {name: declared[name] for name in SUPPORTED} == dict(SUPPORTED)

    def test_installed_versions_come_from_the_modules(self) -> None:
        """The check reads the versions the imported cozepy and httpx report about themselves."""
        assert (installed_version("cozepy"), installed_version("httpx")) == (cozepy.VERSION, httpx.__version__)
        assert installed_version("coze_integration_no_such_module") is None

    def test_module_without_its_version_attribute_is_unknown(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A cozepy that does not say its version counts as not installed, so the check names it."""
        monkeypatch.delattr(cozepy, "VERSION")
        assert installed_version("cozepy") is None
        with pytest.raises(CozeVersionConflictError) as caught:
            check_versions()
        assert str(caught.value).startswith("cozepy is not installed")


@pytest.mark.parity
@pytest.mark.covers("FR-001", "FR-004", "FR-005")
class TestCozeClientVendoring:
    """The version check never needs this project's distribution, so vendored code still builds clients."""

    def test_client_builds_without_any_distribution_metadata(
        self, coze_kind: str, mock_settings: CozeSettings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With every distribution lookup failing (``coze-api`` vendored away), both factories still build."""

        def no_distribution(name: str) -> Any:
            raise metadata.PackageNotFoundError(name)

        for lookup in ("distribution", "metadata", "requires", "version"):
            monkeypatch.setattr(metadata, lookup, no_distribution)
        clients.ensure_supported_versions.cache_clear()
        try:
            client = build_client(coze_kind, mock_settings)
        finally:
            clients.ensure_supported_versions.cache_clear()
        assert client._base_url == mock_settings.api_base


@pytest.mark.covers("FR-001", "FR-020")
class TestCozeClientPackaging:
    """The runtime package stays a plain, typed library."""

    PACKAGE = Path(coze_integration.__file__).parent

    def test_runtime_package_never_imports_test_tooling(self) -> None:
        """No module of ``coze_integration`` imports pytest, respx or the acceptance tooling."""
        forbidden = {"pytest", "pytest_bdd", "respx", "coze_acceptance", "tests"}
        found = []
        for path in sorted(self.PACKAGE.glob("*.py")):
            source = path.read_text(encoding="utf-8")
            if not any(name in source for name in forbidden):
                continue  # cannot import what it never names, so there is no need to parse it
            for node in ast.walk(ast.parse(source)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                found += [f"{path.name}: {name}" for name in names if name.split(".")[0] in forbidden]
        assert found == []

    def test_package_is_typed(self) -> None:
        """The package ships ``py.typed`` so mypy checks its callers against its annotations."""
        assert (self.PACKAGE / "py.typed").is_file()


class TestCozeClientPublicAPI:
    """Backend code imports everything it uses from ``coze_integration`` itself."""

    README = API_DIR.parent / "README.md"

    def _backend_example(self) -> ast.Module:
        text = self.README.read_text(encoding="utf-8")
        section = text[text.index("## Use from backend code") :]
        section = section[: section.index("\n## ")]
        blocks = section.split("```python\n")[1:]
        assert blocks, "the README's 'Use from backend code' section shows a Python example"
        return ast.parse("\n".join(block.split("```")[0] for block in blocks))

    def test_every_exported_name_resolves(self) -> None:
        """Each name in ``__all__`` is an attribute of the package, listed once."""
        missing = [name for name in coze_integration.__all__ if not hasattr(coze_integration, name)]
        assert missing == []
        assert len(set(coze_integration.__all__)) == len(coze_integration.__all__)

    def test_every_error_class_is_exported(self) -> None:
        """Every error class of ``coze_integration.errors`` is importable from the package."""
        defined = {
            name
            for name, value in vars(errors).items()
            if isinstance(value, type) and issubclass(value, CozeIntegrationError)
        }
        assert defined - set(coze_integration.__all__) == set()

    def test_backend_helpers_are_exported(self) -> None:
        """Clients, settings, calls, chat and workflow helpers and the log query come from the package."""
        expected = {
            "build_coze",
            "build_async_coze",
            "build_calls",
            "configure_logging",
            "CozeSettings",
            "CozeCalls",
            "RetryPolicy",
            "consume_chat_stream",
            "aconsume_chat_stream",
            "ChatAnswer",
            "create_chat_and_wait",
            "acreate_chat_and_wait",
            "run_workflow",
            "arun_workflow",
            "wait_for_run",
            "await_for_run",
            "run_workflow_until_done",
            "arun_workflow_until_done",
            "consume_workflow_stream",
            "aconsume_workflow_stream",
            "WorkflowRunOutcome",
            "WorkflowInterrupt",
            "decoded_output",
            "WorkflowProgress",
            "query_workflow_logs",
            "aquery_workflow_logs",
            "WorkflowLogFilter",
        }
        assert expected - set(coze_integration.__all__) == set()

    def test_readme_example_imports_only_from_the_package(self) -> None:
        """The README's backend example imports exported names from ``coze_integration`` and nothing else."""
        imports = [node for node in ast.walk(self._backend_example()) if isinstance(node, ast.Import | ast.ImportFrom)]
        assert imports, "the example shows its imports"
        for node in imports:
            assert isinstance(node, ast.ImportFrom), ast.unparse(node)
            assert node.module == "coze_integration", ast.unparse(node)
            assert {alias.name for alias in node.names} <= set(coze_integration.__all__), ast.unparse(node)


@pytest.mark.covers("FR-011")
class TestCozeClientNetworkGuard:
    """No test can reach Coze: an unmocked request is refused, and so is a real connection below respx."""

    @pytest.mark.asyncio
    @pytest.mark.parity
    async def test_unmocked_request_is_refused(self, coze_client: AnyCoze, coze_router: respx.MockRouter) -> None:
        """A request no route answers fails as unmocked instead of going out."""
        with pytest.raises(AllMockedAssertionError, match=r"/v1/users/me.*not mocked"):
            await resolve(coze_client.users.me())

    def test_real_connection_is_refused(self) -> None:
        """Opening a socket, or sending through httpx's own connection pool, hits the guard of ``tests/conftest.py``."""
        refused = "tests must not open network connections"
        with pytest.raises(RuntimeError, match=refused):
            socket.create_connection(("api.coze.cn", 443))
        with pytest.raises(RuntimeError, match=refused), httpcore.ConnectionPool() as pool:
            pool.request("GET", "https://api.coze.cn/v1/users/me")

    @pytest.mark.asyncio
    async def test_real_async_connection_is_refused(self) -> None:
        """The async connection pool that ``AsyncCoze`` sends through is refused the same way."""
        with pytest.raises(RuntimeError, match="tests must not open network connections"):
            async with httpcore.AsyncConnectionPool() as pool:
                await pool.request("GET", "https://api.coze.cn/v1/users/me")
