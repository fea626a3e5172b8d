"""Wire conformance: per endpoint, whether cozepy reads each golden wire file without loss.

The golden files are Coze's documented responses (``api/tests/coze/wire/index.toml`` lists them
with their endpoint, case and sources). Contract tests carry ``@pytest.mark.golden("<file>")``; a
known disagreement between cozepy and the documented wire is a strict xfail whose reason names it.
This is the page a team reads before upgrading cozepy: an upgrade that fixes a disagreement turns
its xfail into a failure here, and one that breaks parsing shows up as a failed contract test.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from coze_acceptance.results import FAILING, Results

#: Verdicts from best to worst.
LOSSLESS, DISAGREES, UNTESTED, NOT_RUN, FAILED = "lossless", "disagrees", "untested", "not run", "failed"


def load_index(path: Path) -> list[dict[str, Any]]:
    """The ``[[golden]]`` tables of a wire index, or nothing when there is no index."""
    if not path.is_file():
        return []
    entries: list[dict[str, Any]] = tomllib.loads(path.read_text(encoding="utf-8")).get("golden", [])
    return entries


def _verdict(tests: list[dict[str, Any]], results: Results) -> tuple[str, str]:
    runs = [results.unit_runs.get(t["nodeid"]) for t in tests]
    if not tests:
        return UNTESTED, "no contract test names this file"
    failed = [r for r in runs if r is not None and r.status in FAILING]
    if failed:
        return FAILED, "; ".join(f"{r.nodeid}: {r.reason.splitlines()[0] if r.reason else r.status}" for r in failed)
    disagreements = sorted({r.reason for r in runs if r is not None and r.status == "xfailed"})
    if disagreements:
        return DISAGREES, "; ".join(disagreements)
    passed = [r for r in runs if r is not None and r.status == "passed"]
    if not passed:
        return NOT_RUN, "its contract tests did not run"
    return LOSSLESS, f"{len(passed)} contract test{'s' if len(passed) > 1 else ''} passed"


def conformance(index: list[dict[str, Any]], results: Results) -> list[dict[str, Any]]:
    """One entry per endpoint, in index order, listing its golden files and their verdicts."""
    unit_tests = results.facts.get("unit_tests", [])
    endpoints: dict[str, list[dict[str, Any]]] = {}
    for entry in index:
        tests = [t for t in unit_tests if entry["file"] in t.get("golden", [])]
        verdict, detail = _verdict(tests, results)
        endpoints.setdefault(entry["endpoint"], []).append(
            {
                "file": entry["file"],
                "case": entry.get("case", ""),
                "sources": list(entry.get("sources", [])),
                "tests": [t["nodeid"] for t in tests],
                "verdict": verdict,
                "detail": detail,
            }
        )
    return [{"endpoint": endpoint, "goldens": goldens} for endpoint, goldens in endpoints.items()]
