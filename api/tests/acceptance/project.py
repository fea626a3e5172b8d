"""A tiny project ``coze-acceptance`` runs end to end: a spec, a feature file and its steps.

One scenario passes, one fails on purpose; the report tool's tests run the command on it twice to
check what a rerun (``-- --lf``) does to the reports. It keeps pytest's cache, unlike the demo.
"""

from __future__ import annotations

from pathlib import Path

from tests.acceptance.demo import INI as DEMO_INI

SPEC = """\
### User Story 1 - SDK Installation and Configuration (Priority: P1)

Developers can install the SDK.

1. **Given** pyproject.toml exists, **When** Coze SDK dependency is added, **Then** the SDK package (cozepy) is listed

## Requirements

- **FR-001**: System MUST add cozepy
- **SC-003**: Tests run in under 5 seconds
"""

FEATURE = """\
@story:US1 @priority:P1
Feature: SDK Installation and Configuration
  @acceptance:US1-AS1 @fr:FR-001
  Scenario: Declared
    Given pyproject.toml exists
    When Coze SDK dependency is added
    Then the SDK package (cozepy) is listed

  @fr:FR-001
  Scenario: Breaks
    Given pyproject.toml exists
    Then it breaks
"""

STEPS = """\
'''The project's step definitions.'''
from pytest_bdd import given, scenarios, then, when

scenarios("us1.feature")


@given("pyproject.toml exists")
def _exists() -> None: ...


@when("Coze SDK dependency is added")
def _added() -> None: ...


@then("the SDK package (cozepy) is listed")
def _listed() -> None: ...


@then("it breaks")
def _breaks() -> None:
    assert "cozepy" == "httpx"
"""

CONFTEST = """\
'''The project's tag hook.'''
from coze_acceptance.tags import pytest_bdd_apply_tag, pytest_itemcollected
"""

#: The demo's settings, with pytest's cache kept: ``--lf`` needs it.
INI = DEMO_INI.replace("-p no:cacheprovider", "-p cacheprovider")

FILES = {
    "docs/spec.md": SPEC,
    "features/us1.feature": FEATURE,
    "api/tests/test_us1_steps.py": STEPS,
    "api/tests/conftest.py": CONFTEST,
    "pytest.ini": INI,
}


def write_project(root: Path) -> None:
    """Write the project's files under ``root``."""
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
