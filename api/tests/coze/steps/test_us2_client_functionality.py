"""User Story 2: basic client functionality (features/us2_client_functionality.feature)."""

from __future__ import annotations

import socket
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
import respx
from cozepy import AsyncCoze, AsyncTokenAuth, Coze, TokenAuth
from pytest_bdd import given, scenarios, then, when
from respx.models import AllMockedAssertionError

from coze_integration.calls import CozeCalls
from coze_integration.settings import CozeSettings
from tests.coze.parity import AnyCoze, bearer_token, build_client, resolve
from tests.coze.steps.async_steps import async_step
from tests.coze.steps.shared import authenticated_request, route_users_me

scenarios("us2_client_functionality.feature")

REPO_ROOT = Path(__file__).resolve().parents[4]
CLIENT_TESTS = Path(__file__).resolve().parents[1] / "test_coze_client.py"
EXPECTED_AUTH = {"sync": (Coze, TokenAuth), "async": (AsyncCoze, AsyncTokenAuth)}


@dataclass(frozen=True)
class Credentials:
    """The token and base URL the fixtures provide."""

    token: str
    base_url: str


@dataclass(frozen=True)
class ClientProperties:
    """What a client exposes about its configuration."""

    api_key: str
    base_url: str
    auth_type: type
    token_type: str
    timeout: httpx.Timeout


@given("test fixtures for API credentials", target_fixture="credentials")
def _credentials(mock_coze_api_token: str, mock_coze_base_url: str) -> Credentials:
    assert mock_coze_api_token.startswith("pat_")
    assert not mock_coze_base_url.endswith(("/", "/v1"))
    return Credentials(mock_coze_api_token, mock_coze_base_url)


@when("tests execute client initialization", target_fixture="initialized_client")
def _initialize(coze_kind: str, credentials: Credentials, coze_router: respx.MockRouter) -> AnyCoze:
    route_users_me(coze_router)
    settings = CozeSettings(api_token=credentials.token, api_base=credentials.base_url)
    return build_client(coze_kind, settings)


@then("both sync and async clients initialize with correct authentication")
@async_step
async def _correct_authentication(
    coze_kind: str,
    initialized_client: AnyCoze,
    credentials: Credentials,
    coze_calls: CozeCalls,
    coze_router: respx.MockRouter,
) -> None:
    client_type, auth_type = EXPECTED_AUTH[coze_kind]
    assert type(initialized_client) is client_type
    assert type(initialized_client._auth) is auth_type
    assert initialized_client._auth.token_type == "Bearer"
    assert await bearer_token(initialized_client) == credentials.token
    await authenticated_request(initialized_client, coze_calls, coze_router, credentials.token)


@given("mock responses configured")
def _mock_responses(coze_router: respx.MockRouter) -> None:
    route_users_me(coze_router)


@when("tests verify client properties", target_fixture="properties")
@async_step
async def _properties(coze_client: AnyCoze) -> ClientProperties:
    requester = coze_client._requester
    http = requester.async_client if isinstance(coze_client, AsyncCoze) else requester.sync_client
    return ClientProperties(
        api_key=await bearer_token(coze_client),
        base_url=coze_client._base_url,
        auth_type=type(coze_client._auth),
        token_type=coze_client._auth.token_type,
        timeout=http.timeout,
    )


@then("API key, base URL, and authentication methods are accessible and correct")
@async_step
async def _properties_correct(
    coze_kind: str,
    coze_client: AnyCoze,
    properties: ClientProperties,
    mock_settings: CozeSettings,
    coze_calls: CozeCalls,
    coze_router: respx.MockRouter,
) -> None:
    token = mock_settings.api_token.get_secret_value()
    assert properties.api_key == token
    assert properties.base_url == mock_settings.api_base
    assert properties.auth_type is EXPECTED_AUTH[coze_kind][1]
    assert properties.token_type == "Bearer"
    assert properties.timeout == httpx.Timeout(7.5, connect=2.0)
    _, request = await authenticated_request(coze_client, coze_calls, coze_router, token)
    assert str(request.url) == f"{mock_settings.api_base}/v1/users/me"
    assert request.extensions["timeout"] == {"connect": 2.0, "read": 7.5, "write": 7.5, "pool": 7.5}


@given("test suite configured", target_fixture="pytest_config")
def _pytest_config() -> dict[str, Any]:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]
    options: dict[str, Any] = config["ini_options"]
    assert "--strict-markers" in options["addopts"]
    assert options["asyncio_default_fixture_loop_scope"] == options["asyncio_default_test_loop_scope"]
    assert options["filterwarnings"][0] == "error"
    return options


@dataclass(frozen=True)
class NestedRun:
    """A nested pytest run's exit code and the outcome of each phase that ran or failed."""

    ret: int | pytest.ExitCode | None
    outcomes: tuple[tuple[str, str], ...]  # (node id, outcome)


@when("running pytest", target_fixture="client_test_run")
def _run_pytest(pytester: pytest.Pytester, pytest_config: dict[str, Any]) -> NestedRun:
    recorded = pytester.inline_run(
        # Naming the class collects only it: a -k filter would build every test of the module first.
        f"{CLIENT_TESTS}::TestCozeClientInit",
        *("-c", str(REPO_ROOT / "pyproject.toml")),  # the configuration the Given step checked
        *("-p", "no:randomly"),
        # No cache: the nested run leaves the project's --lf record alone and writes no cache folder.
        *("-p", "no:cacheprovider"),
        # Allure's listeners are process-wide: a nested run must never start its own, whatever its options.
        *("-p", "no:allure_pytest_bdd"),
        "-q",  # the outcomes come from the hook recorder; the header of plugin versions is not needed
    )
    reports = recorded.getreports("pytest_runtest_logreport")
    # Only the outcomes leave this step: pytest-bdd keeps a target fixture's value for the rest of
    # the session, and the recorder would keep the whole nested session with it.
    return NestedRun(recorded.ret, tuple((r.nodeid, r.outcome) for r in reports if r.when == "call" or r.failed))


@then("all client initialization tests pass without errors")
def _all_passed(client_test_run: NestedRun) -> None:
    assert client_test_run.ret == pytest.ExitCode.OK
    assert client_test_run.outcomes, "no client initialization test ran"
    assert {outcome for _, outcome in client_test_run.outcomes} == {"passed"}
    assert {nodeid.split("::")[1] for nodeid, _ in client_test_run.outcomes} == {"TestCozeClientInit"}


# --- FR-011: nothing reaches the network ---------------------------------------------------------


@given("no mocked response for the current user")
def _no_route(coze_router: respx.MockRouter) -> None:
    assert not coze_router.routes


@when("the client asks Coze for the current user", target_fixture="unmocked")
@async_step
async def _ask_unmocked(coze_client: AnyCoze) -> str:
    with pytest.raises(AllMockedAssertionError) as caught:
        await resolve(coze_client.users.me())
    # The message, not the error: pytest-bdd keeps a target fixture's value for the rest of the
    # session, and the error's traceback would keep every frame of this scenario with it.
    return str(caught.value)


@then("the request is refused as unmocked")
def _refused_as_unmocked(unmocked: str) -> None:
    assert "GET" in unmocked
    assert "https://api.coze.cn/v1/users/me" in unmocked
    assert "not mocked" in unmocked


@then("a real connection to Coze is refused before it opens")
def _real_connection_refused() -> None:
    with pytest.raises(RuntimeError, match="tests must not open network connections"):
        socket.create_connection(("api.coze.cn", 443))
    with (
        pytest.raises(RuntimeError, match="tests must not open network connections"),
        httpcore.ConnectionPool() as pool,
    ):
        pool.request("GET", "https://api.coze.cn/v1/users/me")
