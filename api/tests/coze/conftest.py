"""Shared fixtures for the Coze suite (the Dify pattern: ``mock_*`` configuration, ``sample_*`` data).

- ``mock_*``: credentials, base URL and settings, never real ones.
- ``sample_*``: realistic 19-digit Coze ids and payloads.
- ``coze_router``: respx mounted at the wire; every route must be called, every request mocked.
- ``coze_client``: a real ``Coze`` or ``AsyncCoze`` from the project's factories. Tests and
  scenarios marked ``parity`` run once per client kind.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest
import respx
from cozepy import COZE_CN_BASE_URL, AsyncCoze, Coze

from coze_acceptance.tags import pytest_itemcollected  # noqa: F401  (covers ids selectable with -m)
from coze_integration.calls import CozeCalls, RetryPolicy
from coze_integration.clients import build_async_coze, build_coze
from coze_integration.polling import PollPolicy
from coze_integration.settings import CozeSettings
from tests.coze.fake_time import FakeClock
from tests.coze.steps.async_steps import bdd_event_loop  # noqa: F401  (registers the fixture)

CLIENT_KINDS = ("sync", "async")


@pytest.hookimpl(wrapper=True)
def pytest_bdd_apply_tag(tag: str, function: Callable[..., Any]) -> Generator[None, object, object]:
    """A ``@parity`` scenario also requests ``coze_kind``, so ``pytest_generate_tests`` sees it.

    Its steps ask for the client only while they run, so nothing else puts ``coze_kind`` among the
    scenario's fixtures. (The tag itself becomes a marker in ``steps/conftest.py``.)
    """
    applied = yield
    if tag == "parity":
        pytest.mark.usefixtures("coze_kind")(function)
    return applied


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test or scenario marked ``parity`` that uses a client against both ``Coze`` and ``AsyncCoze``."""
    if metafunc.definition.get_closest_marker("parity") and "coze_kind" in metafunc.fixturenames:
        # Session scope: one client of each kind serves every test.
        metafunc.parametrize("coze_kind", CLIENT_KINDS, scope="session")


# --- configuration -------------------------------------------------------------------------------


# The session fixtures below read these constants rather than request the ``mock_*`` fixtures: every
# fixture a test's closure requests is resolved again for that test, even when its value is cached.
MOCK_COZE_API_TOKEN = "pat_test_Qm9ndXNUb2tlbkZvclRlc3RzT25seQ"
MOCK_COZE_BASE_URL = COZE_CN_BASE_URL


@pytest.fixture(scope="session")
def mock_coze_api_token() -> str:
    """A personal access token in Coze's format; never a real one."""
    return MOCK_COZE_API_TOKEN


@pytest.fixture(scope="session")
def mock_coze_base_url() -> str:
    """The China-region API base (cozepy adds /v1 or /v3 itself)."""
    return MOCK_COZE_BASE_URL


@pytest.fixture(scope="session")
def mock_settings() -> CozeSettings:
    """Settings as the environment would give them (``mock_coze_*``), with short timeouts."""
    return CozeSettings(
        api_token=MOCK_COZE_API_TOKEN,
        api_base=MOCK_COZE_BASE_URL,
        timeout_seconds=7.5,
        connect_timeout_seconds=2.0,
    )


@pytest.fixture
def mock_env(monkeypatch: pytest.MonkeyPatch, mock_coze_api_token: str, mock_coze_base_url: str) -> None:
    """``COZE_API_TOKEN`` and ``COZE_API_BASE`` exported as a deployment would."""
    monkeypatch.setenv("COZE_API_TOKEN", mock_coze_api_token)
    monkeypatch.setenv("COZE_API_BASE", mock_coze_base_url)


# --- wire and clients ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _session_router() -> Iterator[respx.MockRouter]:
    """One respx router for the whole session; ``coze_router`` empties it for each test."""
    router = respx.mock(base_url=MOCK_COZE_BASE_URL, assert_all_called=False, assert_all_mocked=True, using="httpx")
    with router:
        yield router


@pytest.fixture
def coze_router(_session_router: respx.MockRouter, request: pytest.FixtureRequest) -> Iterator[respx.MockRouter]:
    """The wire, mocked by respx: unmatched requests fail, and so do routes the test never called."""
    _session_router.clear()
    _session_router.reset()
    failures = request.session.testsfailed
    try:
        yield _session_router
        if request.session.testsfailed == failures:  # a failed test has already told its story
            _session_router.assert_all_called()
    finally:
        _session_router.clear()


@pytest.fixture(scope="session")
def coze_kind() -> str:
    """The client kind for tests not marked ``parity``: the sync client."""
    return "sync"


@pytest.fixture(scope="session")
def _session_clients(mock_settings: CozeSettings) -> dict[str, Coze | AsyncCoze]:
    """One client of each kind, built by the project's factories, for the whole session."""
    return {"sync": build_coze(mock_settings), "async": build_async_coze(mock_settings)}


@pytest.fixture
def coze_client(
    coze_kind: str, _session_clients: dict[str, Coze | AsyncCoze], coze_router: respx.MockRouter
) -> Coze | AsyncCoze:
    """A real cozepy client of the requested kind; its requests reach this test's routes."""
    return _session_clients[coze_kind]


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock that advances only when code sleeps, instantly."""
    return FakeClock()


@pytest.fixture
def recorded_sleeps(fake_clock: FakeClock) -> list[float]:
    """Every delay retries and polls asked for, in order, instead of sleeping them."""
    return fake_clock.slept


@pytest.fixture
def coze_calls(fake_clock: FakeClock) -> CozeCalls:
    """Typed errors and up to three attempts for reads, sleeping on the fake clock."""
    return CozeCalls(
        RetryPolicy(attempts=3, base_delay=0.5, sleep=fake_clock.sleep, asleep=fake_clock.asleep, clock=fake_clock.utc)
    )


@pytest.fixture
def poll_policy(fake_clock: FakeClock) -> PollPolicy:
    """Poll every 2 s for at most 5 s, on the fake clock."""
    return PollPolicy(interval=2.0, timeout=5.0, sleep=fake_clock.sleep, asleep=fake_clock.asleep, clock=fake_clock)


# --- sample data ---------------------------------------------------------------------------------
# The ids and texts are immutable strings, built once per session; the inputs dict is per test.


@pytest.fixture(scope="session")
def sample_workspace_id() -> str:
    """A workspace (space) id."""
    return "7484523878849822001"


@pytest.fixture(scope="session")
def sample_bot_id() -> str:
    """A published bot id."""
    return "7484523878849822002"


@pytest.fixture(scope="session")
def sample_user_id() -> str:
    """The end user the backend chats on behalf of."""
    return "user-42"


@pytest.fixture(scope="session")
def sample_conversation_id() -> str:
    """A conversation id."""
    return "7484523878849822003"


@pytest.fixture(scope="session")
def sample_chat_id() -> str:
    """A chat id."""
    return "7484523878849822004"


@pytest.fixture(scope="session")
def sample_workflow_id() -> str:
    """A published workflow id."""
    return "7484523878849822005"


@pytest.fixture(scope="session")
def sample_execute_id() -> str:
    """The execute id of one workflow run."""
    return "7484523878849822006"


@pytest.fixture(scope="session")
def sample_user_message() -> str:
    """What the user asks the bot."""
    return "What is the capital of France?"


@pytest.fixture
def sample_workflow_inputs() -> dict[str, Any]:
    """Input parameters for a workflow run."""
    return {"city": "Paris", "days": 3}
