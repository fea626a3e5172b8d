"""``coze-acceptance`` end to end on a broken copy of this project: one bug turns only its stories red.

The copy is the working tree with one fault: the workflow End node's chunks joined with a space. A
full run must turn US5 (workflows) red and leave US1, US3 and US4 green, because only tests about
workflow execution fail; a ``--story`` run must give a story the status the full run gives it.
These runs take seconds each, so they form the ``report_e2e`` tier, which ``.ci/run`` runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.report_e2e

ROOT = Path(__file__).resolve().parents[3]
WORKFLOWS = "api/src/coze_integration/workflows.py"
#: The fault: the End node's output joined with a space instead of nothing.
JOINED, BROKEN = '"".join(content for _, content in ordered)', '" ".join(content for _, content in ordered)'


@pytest.fixture(scope="module")
def broken_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working tree's files, copied, with the End node join broken."""
    copy = tmp_path_factory.mktemp("broken")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    source = (copy / WORKFLOWS).read_text(encoding="utf-8")
    assert source.count(JOINED) == 1
    (copy / WORKFLOWS).write_text(source.replace(JOINED, BROKEN), encoding="utf-8")
    return copy


def _run(copy: Path, name: str, *argv: str) -> dict[str, Any]:
    """``coze-acceptance`` in ``copy``, importing the copy's code; its JSON report."""
    output = copy / "reports" / name
    output.parent.mkdir(exist_ok=True)
    paths = os.pathsep.join(str(copy / folder) for folder in ("api/src", "api/acceptance/src", "api"))
    done = subprocess.run(
        [sys.executable, "-m", "coze_acceptance.cli", "--output", str(output), *argv],
        cwd=copy,
        env={**os.environ, "PYTHONPATH": paths},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    report: dict[str, Any] = json.loads((output / "traceability.json").read_text(encoding="utf-8"))
    return report


@pytest.fixture(scope="module")
def full_run(broken_copy: Path) -> dict[str, Any]:
    """The full run's report on the broken copy."""
    return _run(broken_copy, "full")


def _statuses(report: dict[str, Any]) -> dict[str, str]:
    return {story["id"]: story["status"] for story in report["stories"]}


class TestReportEndToEnd:
    """One workflow bug, read as a product owner reads it."""

    def test_workflow_bug_fails_only_workflow_stories(self, full_run: dict[str, Any]) -> None:
        """US5 and the edge cases of workflow runs fail; installation, bots and chat stay green."""
        statuses = _statuses(full_run)
        assert statuses["US5"] == "failed"
        assert {story: statuses[story] for story in ("US1", "US2", "US3", "US4")} == dict.fromkeys(
            ("US1", "US2", "US3", "US4"), "passed"
        )
        assert {r for f in full_run["failures"] for r in f["requirements"]} <= {"FR-009", "FR-010"}
        assert all(f["stories"] for f in full_run["failures"])

    @pytest.mark.parametrize("story", ["US1", "EDGE"])
    def test_story_run_agrees_with_the_full_run(self, broken_copy: Path, full_run: dict[str, Any], story: str) -> None:
        """``--story`` runs the tests about the story's requirements too, so it gives the full run's verdict."""
        partial = _run(broken_copy, f"story-{story}", "--story", story)
        assert partial["partial"] is True
        assert _statuses(partial)[story] == _statuses(full_run)[story]
