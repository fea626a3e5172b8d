"""A small demo project, run once with the acceptance plugin, whose report the tests read.

It holds what a real run can go through: a passing, a failing, an undefined, a skipped and an
unbound scenario, a reworded spec step, a failing unit test that verifies FR-001, a unit test
outside the naming and docstring rules, and a scenario that talks to a mocked Coze endpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from coze_acceptance.conformance import load_index
from coze_acceptance.documents import FeatureDoc, load_features, parse_spec
from coze_acceptance.report import Measurements, build_report
from coze_acceptance.results import WORKER_OUTPUT, Results

SPEC = """\
### User Story 1 - SDK Installation and Configuration (Priority: P1)

Developers can install the SDK.

1. **Given** pyproject.toml exists, **When** Coze SDK dependency is added, **Then** the SDK package (cozepy) is listed
2. **Given** SDK is installed, **When** importing cozepy in Python code, **Then** import succeeds without errors
3. **Given** environment variables are configured, **When** initializing Coze client, **Then** client authenticates

### User Story 2 - Basic Client (Priority: P2)

Developers can verify the client.

1. **Given** test fixtures for credentials, **When** tests execute client initialization, **Then** clients initialize

### Edge Cases

- What happens when the token expires?

## Requirements

- **FR-001**: System MUST add cozepy
- **FR-002**: System MUST follow the Dify pattern
- **FR-004**: System MUST initialise the sync client
- **FR-010**: System MUST do something nobody tests
- **FR-018**: Test files MUST have docstrings
- **FR-019**: Tests MUST be organised in classes
- **SC-001**: Tests run without import errors
- **SC-003**: Tests run in under 5 seconds
- **SC-007**: Tests mirror the Dify layout
"""

DEMO_FEATURE = """\
@story:US1 @priority:P1
Feature: SDK Installation and Configuration
  @acceptance:US1-AS1 @fr:FR-001
  Scenario: Declared
    Given pyproject.toml exists
    When Coze SDK dependency is added
    Then the SDK package (cozepy) is listed

  @acceptance:US1-AS2 @fr:FR-001
  Scenario: Undefined step
    Given SDK is installed
    When importing cozepy in Python code
    Then import succeeds without errors

  @acceptance:US1-AS3 @fr:FR-004
  Scenario: Skipped one
    Given environment variables are configured
    When initializing Coze client
    Then client authenticates

  @fr:FR-004
  Scenario: Failing step
    Given pyproject.toml exists
    When the lists are compared
    Then nothing after the failure runs

  @fr:FR-004
  Scenario: Lists bots on page 2
    Given the bots endpoint answers
    When the second page is listed
"""

ASYNC_FEATURE = """\
@story:US1 @priority:P1
Feature: Async steps
  Scenario: Wrapped async step runs
    Given an async step wrapped with async_step
    Then its coroutine really ran on the event loop

  Scenario: Bare async step
    Given an async step left bare
"""

UNBOUND_FEATURE = """\
@story:US2 @priority:P2
Feature: Basic Client
  @acceptance:US2-AS1
  Scenario: Nobody binds me
    Given test fixtures for credentials
    When tests execute client initialization
    Then clients initialise
"""

STEPS = """\
'''The demo's step definitions.'''
import asyncio
import ssl

import httpx
import pytest
import respx
from pytest_bdd import given, parsers, scenarios, then, when

from tests.coze.steps.async_steps import async_step

scenarios("demo.feature")


@given("pyproject.toml exists")
@given(parsers.re("pyproject.toml (?:exists|is there)"))
def _exists() -> None: ...


@when("Coze SDK dependency is added")
def _added() -> None: ...


@then("the SDK package (cozepy) is listed")
def _listed() -> None: ...


@given("SDK is installed")
def _installed() -> None: ...


@when("importing cozepy in Python code")
def _importing() -> None: ...


@given("environment variables are configured")
def _configured() -> None: ...


@when("initializing Coze client")
def _initializing() -> None:
    pytest.skip("no credentials in CI")


@then("client authenticates")
def _authenticates() -> None: ...


@when("the lists are compared")
def _compared() -> None:
    assert [1, 2, 3] == [1, 2, 4]


@then("nothing after the failure runs")
def _after() -> None: ...


@given("the bots endpoint answers")
def _bots(router: respx.MockRouter) -> None:
    router.route(method="GET", path="/v1/bots").mock(
        return_value=httpx.Response(200, json={"code": 0, "data": {"items": []}}, headers={"x-tt-logid": "demo-logid"})
    )


@when("the second page is listed")
def _second_page(router: respx.MockRouter) -> None:
    # An empty TLS context: the wire is mocked, and the suite points the CA bundle at nothing.
    with httpx.Client(verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)) as client:
        client.get("https://api.coze.cn/v1/bots?page_index=2", headers={"Authorization": "Bearer pat_demo_secret"})


@given("an orphan step nobody uses")
def _orphan() -> None: ...


scenarios("async.feature")


@given("an async step wrapped with async_step", target_fixture="ran")
@async_step
async def _wrapped() -> list[asyncio.AbstractEventLoop]:
    await asyncio.sleep(0)
    return [asyncio.get_running_loop()]


@then("its coroutine really ran on the event loop")
def _really_ran(ran: list[asyncio.AbstractEventLoop]) -> None:
    assert ran and not ran[0].is_running()


@given("an async step left bare")
async def _bare() -> None:
    raise AssertionError("a bare async step body never runs")
"""

UNIT_TESTS = """\
'''Demo unit tests.'''
import pytest


class TestCozeDemoChecks:
    '''Checks of the demo.'''

    @pytest.mark.covers("FR-001")
    def test_declared_range(self) -> None:
        '''Fails on purpose.'''
        expected = "cozepy>=0.20"
        assert expected == "cozepy>=0.19"

    @pytest.mark.covers("FR-004")
    def test_passes(self) -> None:
        '''Passes.'''


def test_loose() -> None:
    pass
"""

# Golden wire files and their contract tests, built on the interface of api/tests/coze/wire: one
# parsed without loss, one a known disagreement (a strict xfail naming it), one without a test.
WIRE_INDEX = """\
[[golden]]
file = "bots/retrieve_ok.json"
endpoint = "GET /v1/bots/:bot_id"
case = "success"
sources = ["DOCS retrieve-bot.md"]

[[golden]]
file = "workflows/history_no_trim.json"
endpoint = "GET /v1/workflows/:workflow_id/run_histories/:execute_id"
case = "success without is_output_trimmed"
sources = ["DOCS workflow-history.md"]

[[golden]]
file = "bots/list_empty.json"
endpoint = "GET /v1/bots/:bot_id"
case = "empty"
sources = ["GO bots.go"]
"""

CONTRACT_TESTS = """\
'''Demo contract tests.'''
import pytest


class TestCozeDemoContract:
    '''The demo's contract tests.'''

    @pytest.mark.golden("bots/retrieve_ok.json")
    def test_bot_parses(self) -> None:
        '''cozepy keeps every documented key.'''

    @pytest.mark.golden("workflows/history_no_trim.json")
    @pytest.mark.xfail(strict=True, reason="cozepy requires is_output_trimmed, which the docs omit")
    def test_history_parses(self) -> None:
        '''cozepy rejects the documented history.'''
        raise ValueError("is_output_trimmed: field required")
"""

INI = """\
[pytest]
addopts = --strict-markers --disable-plugin-autoload -p pytest_bdd.plugin -p asyncio -p no:cacheprovider
    --import-mode=importlib
asyncio_default_fixture_loop_scope = function
bdd_features_base_dir = features
markers =
    story(id): story
    priority(id): priority
    acceptance(id): acceptance scenario
    fr(id): requirement
    parity: both clients
    covers(*ids): requirements
    golden(file): the golden wire file a contract test checks
"""

# The suite's own BDD wiring (the tag hook, the bare-async-step guard and the loop fixture) and a
# mocked wire whose calls become the scenario's evidence, as in api/tests/coze/steps/conftest.py.
CONFTEST = """\
'''The demo's BDD wiring.'''
from collections.abc import Iterator

import pytest
import respx

from coze_acceptance.evidence import record_exchanges
from coze_acceptance.tags import pytest_bdd_apply_tag, pytest_itemcollected
from tests.coze.steps.async_steps import bdd_event_loop
from tests.coze.steps.conftest import pytest_bdd_before_step


@pytest.fixture(scope="session")
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url="https://api.coze.cn", assert_all_called=False, using="httpx") as mocked:
        yield mocked


@pytest.fixture(autouse=True)
def _evidence(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "router" in request.fixturenames:
        record_exchanges(request.node, request.getfixturevalue("router").calls)
"""

FILES = {
    "features/demo.feature": DEMO_FEATURE,
    "features/unbound.feature": UNBOUND_FEATURE,
    "features/async.feature": ASYNC_FEATURE,
    "test_demo_steps.py": STEPS,
    "test_coze_demo.py": UNIT_TESTS,
    "test_coze_contract_demo.py": CONTRACT_TESTS,
    "wire/index.toml": WIRE_INDEX,
    "conftest.py": CONFTEST,
    "pytest.ini": INI,
}


class ThroughXdist:
    """Hands every report to ``results`` the way a pytest-xdist controller receives it.

    Each report goes through pytest's own serialization hooks, as between a worker and the
    controller, and the session facts arrive as a worker's ``workeroutput`` when it finishes.
    """

    def __init__(self, results: Results) -> None:
        self.results = results
        self.config: pytest.Config | None = None

    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config
        config.workeroutput = {}  # type: ignore[attr-defined]  # what xdist gives a worker's config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        assert self.config is not None
        data = self.config.hook.pytest_report_to_serializable(config=self.config, report=report)
        received = self.config.hook.pytest_report_from_serializable(
            config=self.config, data=json.loads(json.dumps(data))
        )
        self.results.pytest_runtest_logreport(received)

    def finish(self) -> None:
        """The worker is done: its session facts reach the controller."""
        assert self.config is not None
        output = {WORKER_OUTPUT: self.config.workeroutput[WORKER_OUTPUT]}  # type: ignore[attr-defined]
        self.results.pytest_testnodedown(SimpleNamespace(workeroutput=output), None)


@dataclass(frozen=True)
class DemoRun:
    """The demo project's folder, its inner run's exit code, the results and the report built from them."""

    root: Path
    exit_code: int
    results: Results
    report: dict[str, Any]
    #: The demo's feature files as the report tool reads them.
    features: list[FeatureDoc]
    #: The same run's results as an xdist controller would have folded them.
    via_xdist: Results = field(default_factory=Results)


def write_demo(root: Path) -> None:
    """Write the demo project's files under ``root``."""
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def run_demo(pytester: pytest.Pytester) -> DemoRun:
    """Run the demo project in ``pytester``'s folder with the acceptance plugin and build its report.

    No Allure here: allure-pytest-bdd's listeners are process-wide, so an in-process run would write
    the demo's failures into the Allure results of a ``--alluredir`` run of this suite.
    The demo's ini keeps plugins from autoloading; ``test_exports`` runs Allure in a subprocess.
    """
    write_demo(pytester.path)
    results, relay = Results(), ThroughXdist(Results())
    recorded = pytester.inline_run("-p", "coze_acceptance.plugin", "--tb=short", plugins=[results, relay])
    relay.finish()
    measured = Measurements(duration_seconds=0.1, tests_run=3, collection_errors=0)
    features = load_features(pytester.path / "features", pytester.path)
    index = load_index(pytester.path / "wire" / "index.toml")
    report = build_report(parse_spec(SPEC), features, results, measured, pytester.path, index)
    exit_code = int(recorded.ret or 0)
    # The modules the inner run imported keep its configuration alive for the rest of the process
    # (their loader is its assertion-rewriting hook, and pytest-bdd's step registry keeps the demo's
    # step module), and with it this recorder: drop the hook calls it holds, with their reports and
    # tracebacks, now that the results are built.
    recorded.clear()
    return DemoRun(pytester.path, exit_code, results, report, features, relay.results)
