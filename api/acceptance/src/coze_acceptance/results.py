"""Fold pytest reports and session facts into one result per scenario run and per unit test.

:class:`Results` is registered in the process that reports: the only process, or the xdist
controller, which receives every worker's reports and, when a worker finishes, its session facts.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

import pytest

#: ``user_properties`` key of a scenario's facts.
PROPERTY = "coze_scenario"
#: ``user_properties`` key of a unit test's requirement ids.
COVERS = "coze_covers"
#: ``user_properties`` key of the golden wire file a contract test checks.
GOLDEN = "coze_golden"
#: ``workeroutput`` key of a worker's session facts.
WORKER_OUTPUT = "coze_facts"
#: Where the session facts of a process without xdist are kept.
FACTS_KEY = pytest.StashKey[dict[str, Any]]()

#: What a partial run (``--story``, ``-- --lf``, ``-- -k …``) left out, or the default run's ``-m`` did.
NOT_SELECTED = "not run in this selection"
#: Statuses from best to worst; a scenario run for two clients takes the worse of its runs.
STATUSES = ("passed", "xfailed", "skipped", NOT_SELECTED, "not run", "unbound", "undefined", "failed")
#: Statuses that make a story, a requirement or the run fail.
FAILING = frozenset({"failed", "undefined", "unbound"})

# pytest's advice about its own command line means nothing to a reader of the report.
_CLI_HINTS = re.compile(r"^\s*(?:Use -v+ to get (?:more|the full) diff|\(pytest-bdd.*\))\s*$", re.MULTILINE)


def clean_message(text: str) -> str:
    """An assertion or error message with its line breaks kept and pytest's command-line hints removed."""
    return _CLI_HINTS.sub("", text).strip("\n").rstrip()


def relative(path: str) -> str:
    """``path`` relative to the working directory (the project root) when it lies below it."""
    if not os.path.isabs(path):
        return path.replace(os.sep, "/")
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel.replace(os.sep, "/")


@dataclass
class Run:
    """One execution of a scenario (once per client kind) or of a unit test."""

    nodeid: str
    facts: dict[str, Any]
    status: str = "not run"
    reason: str = ""
    duration: float = 0.0
    #: Where the failure happened: ``file:line`` of the failing test line or feature step.
    location: str = ""
    #: The failing step's definition, ``file:line`` (scenarios only).
    definition: str = ""
    #: The line of the step definition that failed, ``file:line`` (scenarios only).
    failing_line: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The run as the JSON report holds it."""
        return {
            "nodeid": self.nodeid,
            "kind": self.facts.get("kind"),
            "status": self.status,
            "reason": self.reason,
            "location": self.location,
            "definition": self.definition,
            "failing_line": self.failing_line,
            "duration": round(self.duration, 4),
            "steps": self.facts.get("steps", []),
            "exchanges": self.facts.get("exchanges", []),
        }


def _property(report: pytest.TestReport, key: str) -> Any:
    return next((value for name, value in report.user_properties if name == key), None)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _failing_line(report: pytest.TestReport) -> str:
    """``file:line`` of the deepest traceback entry in the test's own file, else the test's definition."""
    test_file = report.location[0]
    entries = getattr(getattr(report.longrepr, "reprtraceback", None), "reprentries", [])
    for entry in reversed(entries):
        where = getattr(entry, "reprfileloc", None)
        if where is not None and relative(str(where.path)).endswith(test_file):
            return f"{test_file}:{where.lineno}"
    line = report.location[1]
    return f"{test_file}:{line + 1}" if line is not None else test_file


def _failure(report: pytest.TestReport, facts: dict[str, Any]) -> tuple[str, str, str]:
    """The message, the location and the step definition of a failed phase."""
    failed = facts.get("failed_step")
    if failed:
        return f"{failed['step']}: {failed['message']}", failed["location"], failed["definition"]
    crash = getattr(report.longrepr, "reprcrash", None)
    message = clean_message(crash.message) if crash is not None else ""
    if not message:
        lines = report.longreprtext.strip().splitlines()
        message = lines[-1] if lines else "failed"
    prefix = "" if report.when == "call" else f"{report.when}: "
    return prefix + message, _failing_line(report), ""


@dataclass(eq=False)  # pytest registers plugins in sets: keep identity hashing
class Results:
    """Every scenario run, unit-test outcome and session fact of one acceptance session."""

    scenario_runs: dict[str, Run] = field(default_factory=dict)
    unit_runs: dict[str, Run] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Fold setup, call and teardown reports into each test's status."""
        scenario = _property(report, PROPERTY)
        if scenario is not None:
            run = self.scenario_runs.setdefault(report.nodeid, Run(report.nodeid, {}))
            run.facts.update(scenario)
        else:
            run = self.unit_runs.setdefault(report.nodeid, Run(report.nodeid, {}))
            run.facts.setdefault("covers", _property(report, COVERS) or [])
            golden = _property(report, GOLDEN)
            if golden:
                run.facts["golden"] = golden
        run.duration += report.duration
        if report.skipped and run.status == "not run":
            if hasattr(report, "wasxfail"):
                run.status, run.reason = "xfailed", str(report.wasxfail).removeprefix("reason: ")
            else:
                run.status, run.reason = "skipped", _skip_reason(report)
        elif report.failed:
            if run.facts.get("undefined_step"):
                undefined = run.facts["undefined_step"]
                run.status, run.reason = "undefined", f"no step definition for: {undefined['step']}"
                run.location = undefined["location"]
            elif run.status != "failed":
                run.status = "failed"
                run.reason, run.location, run.definition = _failure(report, run.facts)
                run.failing_line = run.facts.get("failed_step", {}).get("line", "")
        elif report.when == "call" and report.passed and run.status == "not run":
            run.status = "passed"

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Take the session facts the plugin recorded (single process)."""
        self.facts = session.config.stash.get(FACTS_KEY, self.facts)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """Take a finished xdist worker's session facts (every worker collects everything)."""
        output = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT)
        if output and not self.facts:
            facts: dict[str, Any] = json.loads(output)
            self.facts = facts
