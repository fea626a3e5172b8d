"""Fold pytest reports into one result per scenario run and per story."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest

#: The ``user_properties`` key under which the plugin ships scenario facts.
PROPERTY = "coze_scenario"
STORIES = ("US1", "US2", "US3", "US4", "US5", "EDGE")


@dataclass
class ScenarioRun:
    """One execution of a scenario (one client kind, where it runs for both)."""

    nodeid: str
    facts: dict[str, Any]
    status: str = "not run"
    reason: str = ""
    duration: float = 0.0

    @property
    def story(self) -> str:
        """The story id from the feature's ``@story`` tag."""
        return str(self.facts["ids"].get("story", "?"))


@dataclass
class Results:
    """Every scenario run of one acceptance session."""

    runs: dict[str, ScenarioRun] = field(default_factory=dict)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Fold setup, call and teardown reports into the run's status."""
        found = [value for key, value in report.user_properties if key == PROPERTY]
        if not found or not isinstance(found[0], dict):
            return
        facts: dict[str, Any] = found[0]
        run = self.runs.setdefault(report.nodeid, ScenarioRun(report.nodeid, facts))
        run.facts.update(facts)
        run.duration += report.duration
        if report.skipped:
            run.status, run.reason = "skipped", _skip_reason(report)
        elif report.failed:
            if facts.get("undefined_step"):
                run.status, run.reason = "undefined", f"no definition for step: {facts['undefined_step']}"
            elif run.status != "failed":
                run.status, run.reason = "failed", _failure(report, facts)
        elif report.when == "call" and run.status == "not run":
            run.status = "passed"

    def by_story(self) -> dict[str, list[ScenarioRun]]:
        """Runs grouped by story, in story order."""
        grouped: dict[str, list[ScenarioRun]] = defaultdict(list)
        for run in self.runs.values():
            grouped[run.story].append(run)
        return {story: grouped[story] for story in sorted(grouped, key=_story_order)}


def _story_order(story: str) -> int:
    return STORIES.index(story) if story in STORIES else len(STORIES)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _failure(report: pytest.TestReport, facts: dict[str, Any]) -> str:
    failed = facts.get("failed_step")
    if failed:
        return f"{failed['step']}: {failed['message']}"
    where = "setup" if report.when == "setup" else report.when
    return f"{where}: {report.longreprtext.strip().splitlines()[-1] if report.longreprtext else 'failed'}"
