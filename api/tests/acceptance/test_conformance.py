"""The wire conformance section: per endpoint, its golden files, what cozepy makes of each, and the description."""

from __future__ import annotations

import json
from html import unescape
from pathlib import Path
from typing import Any

from coze_acceptance.conformance import conformance, documented_paths, load_index, load_openapi
from coze_acceptance.render import html, markdown
from coze_acceptance.results import Results, Run
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


PROJECT_OPENAPI = PROJECT_INDEX.parent / "openapi"
DESCRIBED, ABSENT = "GET /v1/bots/:bot_id", "GET /v1/users/me"
NODE = "api/tests/coze/test_coze_openapi.py::{cls}::{test}[sync-{endpoint}]"


def _openapi_dir(tmp_path: Path) -> Path:
    """A transcription with one described operation (a stream of one event) and one absent."""
    operations = {
        "source": {"repository": "coze-dev/coze-sdk-gen", "commit": "0" * 40, "files": ["coze-openapi.yaml"]},
        "absent": {ABSENT: "missing from the description"},
        "operations": {
            DESCRIBED: {
                "source": "coze-openapi.yaml#/paths/~1v1~1bots/get/responses/200/content/application~1json/schema",
                "why": "the combined file",
                "response": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "integer"},
                        "data": {
                            "type": "object",
                            "properties": {"id": {"type": "string", "examples": ["7"]}, "name": {"type": "string"}},
                        },
                    },
                },
                "events": {"Done": {"type": "object", "properties": {"debug_url": {"type": "string"}}}},
            }
        },
    }
    (tmp_path / "operations.json").write_text(json.dumps(operations), encoding="utf-8")
    (tmp_path / "departures.toml").write_text(
        '[[departure]]\nfile = "bots/list_empty.json"\npaths = ["$.code"]\nreason = "r"\nsource = "s"\n',
        encoding="utf-8",
    )
    (tmp_path / "unasserted.toml").write_text(
        '[[unasserted]]\nendpoint = "*"\npaths = ["code"]\nkind = "envelope"\nreason = "r"\n', encoding="utf-8"
    )
    return tmp_path


def _results(statuses: dict[str, tuple[str, str]]) -> Results:
    """Results holding the given description tests (class -> status, reason) for the described operation."""
    results = Results()
    tests = []
    for cls, (status, reason) in statuses.items():
        nodeid = NODE.format(cls=cls, test="test_x", endpoint=DESCRIBED)
        tests.append({"nodeid": nodeid, "file": "test_coze_openapi.py", "class": cls, "golden": []})
        results.unit_runs[nodeid] = Run(nodeid, {}, status=status, reason=reason)
    results.facts = {"unit_tests": tests}
    return results


INDEX = [
    {"file": "bots/retrieve_ok.json", "endpoint": DESCRIBED, "case": "ok", "sources": []},
    {"file": "bots/list_empty.json", "endpoint": DESCRIBED, "case": "empty", "sources": []},
    {"file": "users/me_ok.json", "endpoint": ABSENT, "case": "ok", "sources": []},
]


class TestConformanceAgainstTheDescription:
    """Per operation: its source, golden files against the schema, the documented example, the asserted share."""

    def test_described_operation_reports_all_four(self, tmp_path: Path) -> None:
        """A passing set of description tests gives the source, valid files, the example and the share."""
        results = _results(
            {
                "TestCozeOpenapiGoldenFiles": ("passed", ""),
                "TestCozeOpenapiDocumentedExamples": ("xfailed", "cozepy 0.20.0 rejects it"),
                "TestCozeOpenapiDocumentedFields": ("passed", ""),
            }
        )
        [described, absent] = conformance(INDEX, results, _openapi_dir(tmp_path))
        openapi = described["openapi"]
        assert openapi["source"].startswith("coze-openapi.yaml#/paths/")
        assert (openapi["goldens"]["files"], openapi["goldens"]["departing"]) == (2, ["bots/list_empty.json"])
        assert openapi["goldens"]["verdict"] == "passed"
        assert openapi["example"] == {"verdict": "xfailed", "detail": "cozepy 0.20.0 rejects it"}
        # code, data, data.id, data.name and Done:debug_url are documented; code is listed as not asserted.
        assert (openapi["fields"]["documented"], openapi["fields"]["asserted"]) == (5, 4)
        assert absent["openapi"] == {"source": None, "why": "missing from the description"}

    def test_operation_without_examples_says_so(self, tmp_path: Path) -> None:
        """An operation whose source documents no example shows that, not a missing test."""
        directory = _openapi_dir(tmp_path)
        operations = json.loads((directory / "operations.json").read_text(encoding="utf-8"))
        del operations["operations"][DESCRIBED]["response"]["properties"]["data"]["properties"]["id"]["examples"]
        (directory / "operations.json").write_text(json.dumps(operations), encoding="utf-8")
        [described, _] = conformance(INDEX, _results({}), directory)
        assert described["openapi"]["example"] == {
            "verdict": "no example",
            "detail": "coze-openapi.yaml documents no example",
        }

    def test_share_is_not_claimed_when_the_field_test_fails(self, tmp_path: Path) -> None:
        """Without a passing field test the asserted share is unknown, and the failure shows."""
        results = _results({"TestCozeOpenapiDocumentedFields": ("failed", "gaps")})
        [described, _] = conformance(INDEX, results, _openapi_dir(tmp_path))
        fields = described["openapi"]["fields"]
        assert (fields["asserted"], fields["verdict"]) == (None, "failed")
        assert described["openapi"]["goldens"]["verdict"] == "untested"

    def test_rows_in_html_and_markdown(self, demo: DemoRun, tmp_path: Path) -> None:
        """Both documents show the four findings of a described operation and why an absent one has none."""
        results = _results({"TestCozeOpenapiDocumentedFields": ("passed", "")})
        report = {**demo.report, "conformance": conformance(INDEX, results, _openapi_dir(tmp_path))}
        for text in (unescape(html(report)), markdown(report)):
            assert "Against the OpenAPI description" in text
            assert "4 of 5 documented properties asserted (80 %)" in text
            assert "1 of 2 golden files valid against the schema; listed departures: bots/list_empty.json" in text
            assert "not described: missing from the description" in text

    def test_without_a_transcription_the_section_is_as_before(self, tmp_path: Path) -> None:
        """A project without ``openapi/`` gets no description rows."""
        assert all("openapi" not in e for e in conformance(INDEX, Results(), tmp_path))

    def test_project_transcription_is_readable(self) -> None:
        """The project's own transcription loads with its departures and unasserted properties."""
        openapi = load_openapi(PROJECT_OPENAPI)
        assert len(openapi["operations"]) == 14
        assert openapi["departures"]
        assert openapi["unasserted"]
        assert all(documented_paths(op) for op in openapi["operations"].values())
