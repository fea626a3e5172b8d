"""Fold pytest reports and session facts into one result per scenario run.

:class:`Results` is registered in the process that reports: the only process, or the xdist
controller, which receives every worker's reports and, when a worker finishes, its session facts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

#: ``user_properties`` key of a scenario's facts.
PROPERTY = "coze_scenario"
#: ``user_properties`` key of a unit test's requirement ids.
COVERS = "coze_covers"
#: ``workeroutput`` key of a worker's session facts.
WORKER_OUTPUT = "coze_facts"
#: Where the session facts of a process without xdist are kept.
FACTS_KEY = pytest.StashKey[dict[str, Any]]()

#: Statuses from best to worst; a scenario run for two clients takes the worse of its runs.
STATUSES = ("passed", "skipped", "not run", "unbound", "undefined", "failed")


@dataclass
class Run:
    """One execution of a scenario (once per client kind) or of a unit test."""

    nodeid: str
    facts: dict[str, Any]
    status: str = "not run"
    reason: str = ""
    duration: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The run as the JSON report holds it."""
        return {
            "nodeid": self.nodeid,
            "kind": self.facts.get("kind"),
            "status": self.status,
            "reason": self.reason,
            "duration": round(self.duration, 4),
        }


def _property(report: pytest.TestReport, key: str) -> Any:
    return next((value for name, value in report.user_properties if name == key), None)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _failure(report: pytest.TestReport, facts: dict[str, Any]) -> str:
    failed = facts.get("failed_step")
    if failed:
        return f"{failed['step']}: {failed['message']}"
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return f"{report.when}: {crash.message}"
    lines = report.longreprtext.strip().splitlines()
    return f"{report.when}: {lines[-1] if lines else 'failed'}"


@dataclass(eq=False)  # pytest registers plugins in sets: keep identity hashing
class Results:
    """Every scenario run, unit-test outcome and session fact of one acceptance session."""

    scenario_runs: dict[str, Run] = field(default_factory=dict)
    unit_runs: dict[str, Run] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Fold setup, call and teardown reports into each test's status."""
        scenario = _property(report, PROPERTY)
        covers = _property(report, COVERS)
        if scenario is not None:
            run = self.scenario_runs.setdefault(report.nodeid, Run(report.nodeid, {}))
            run.facts.update(scenario)
        elif covers is not None:
            run = self.unit_runs.setdefault(report.nodeid, Run(report.nodeid, {"covers": covers}))
        else:
            return
        run.duration += report.duration
        if report.skipped and run.status == "not run":
            run.status, run.reason = "skipped", _skip_reason(report)
        elif report.failed:
            if run.facts.get("undefined_step"):
                run.status, run.reason = "undefined", f"no step definition for: {run.facts['undefined_step']}"
            elif run.status != "failed":
                run.status, run.reason = "failed", _failure(report, run.facts)
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
