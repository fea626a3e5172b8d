"""The wire conformance section: per endpoint, its golden files and what cozepy makes of each."""

from __future__ import annotations

from html import unescape
from pathlib import Path
from typing import Any

from coze_acceptance.conformance import load_index
from coze_acceptance.render import html, markdown
from tests.acceptance.demo import DemoRun

pytest_plugins = ["pytester"]

PROJECT_INDEX = Path(__file__).resolve().parents[1] / "coze" / "wire" / "index.toml"


def _golden(demo: DemoRun, file: str) -> dict[str, Any]:
    return next(g for e in demo.report["conformance"] for g in e["goldens"] if g["file"] == file)


class TestConformance:
    """Contract tests marked ``golden`` and strict xfails become verdicts per golden file."""

    def test_grouped_by_endpoint(self, demo: DemoRun) -> None:
        """Each endpoint lists its golden files in index order."""
        endpoints = {e["endpoint"]: [g["file"] for g in e["goldens"]] for e in demo.report["conformance"]}
        assert endpoints["GET /v1/bots/:bot_id"] == ["bots/retrieve_ok.json", "bots/list_empty.json"]

    def test_passing_contract_test_is_lossless(self, demo: DemoRun) -> None:
        """A golden file whose contract tests pass is read without loss."""
        golden = _golden(demo, "bots/retrieve_ok.json")
        assert (golden["verdict"], golden["detail"]) == ("lossless", "1 contract test passed")

    def test_strict_xfail_names_the_disagreement(self, demo: DemoRun) -> None:
        """A known disagreement shows its xfail reason."""
        golden = _golden(demo, "workflows/history_no_trim.json")
        assert golden["verdict"] == "disagrees"
        assert golden["detail"] == "cozepy requires is_output_trimmed, which the docs omit"

    def test_file_without_contract_test_is_untested(self, demo: DemoRun) -> None:
        """A golden file no test names is flagged, not counted as conforming."""
        assert _golden(demo, "bots/list_empty.json")["verdict"] == "untested"

    def test_section_in_html_and_markdown(self, demo: DemoRun) -> None:
        """Both documents carry the section with the disagreement."""
        for text in (unescape(html(demo.report)), markdown(demo.report)):
            assert "Wire conformance" in text
            assert "cozepy requires is_output_trimmed, which the docs omit" in text

    def test_project_index_is_readable(self) -> None:
        """The project's own index parses into entries with file, endpoint, case and sources."""
        for entry in load_index(PROJECT_INDEX):
            assert {"file", "endpoint", "case", "sources"} <= set(entry)
