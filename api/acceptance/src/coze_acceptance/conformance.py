"""Wire conformance: per endpoint, whether cozepy reads each golden wire file without loss.

The golden files are Coze's documented responses (``api/tests/coze/wire/index.toml`` lists them
with their endpoint, case and sources). Contract tests carry ``@pytest.mark.golden("<file>")``; a
known disagreement between cozepy and the documented wire is a strict xfail whose reason names it.
This is the page a team reads before upgrading cozepy: an upgrade that fixes a disagreement turns
its xfail into a failure here, and one that breaks parsing shows up as a failed contract test.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from coze_acceptance.results import FAILING, Results

#: Verdicts from best to worst.
LOSSLESS, DISAGREES, UNTESTED, NOT_RUN, FAILED = "lossless", "disagrees", "untested", "not run", "failed"
#: An operation whose description documents no example (the per-API files have none) has no example answer to test.
NO_EXAMPLE = "no example"


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


def conformance(index: list[dict[str, Any]], results: Results, openapi_dir: Path | None = None) -> list[dict[str, Any]]:
    """One entry per endpoint, in index order, listing its golden files and their verdicts.

    With the project's transcription of Coze's OpenAPI description (``openapi_dir``), each entry
    also says what the description's tests found for that operation (``openapi``); by default the
    directory is the project's, relative to the working directory (the project root).
    """
    openapi = load_openapi(openapi_dir or OPENAPI_DIR)
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
    return [
        {
            "endpoint": endpoint,
            "goldens": goldens,
            **(
                {"openapi": operation_conformance(endpoint, [g["file"] for g in goldens], openapi, results)}
                if openapi
                else {}
            ),
        }
        for endpoint, goldens in endpoints.items()
    ]


# --- Coze's OpenAPI description, per operation --------------------------------------------------

#: Where the project keeps its transcription of the description (relative to the project root,
#: like the wire index the command line reads).
OPENAPI_DIR = Path("api/tests/coze/wire/openapi")
#: The test module whose results say whether the golden files, the documented examples and the
#: documented fields hold; each test names its operation in its parameters.
OPENAPI_TESTS = "test_coze_openapi.py"
GOLDEN_TESTS, EXAMPLE_TESTS, FIELD_TESTS = (
    "TestCozeOpenapiGoldenFiles",
    "TestCozeOpenapiDocumentedExamples",
    "TestCozeOpenapiDocumentedFields",
)


def load_openapi(directory: Path = OPENAPI_DIR) -> dict[str, Any]:
    """The transcription, its listed departures and unasserted properties; nothing when there is none."""
    operations = directory / "operations.json"
    if not operations.is_file():
        return {}

    def table(name: str, key: str) -> list[dict[str, Any]]:
        path = directory / name
        rows: list[dict[str, Any]] = (
            tomllib.loads(path.read_text(encoding="utf-8")).get(key, []) if path.is_file() else []
        )
        return rows

    loaded: dict[str, Any] = json.loads(operations.read_text(encoding="utf-8"))
    return {
        **loaded,
        "departures": table("departures.toml", "departure"),
        "unasserted": table("unasserted.toml", "unasserted"),
    }


def _schema_paths(schema: dict[str, Any], prefix: str = "") -> list[str]:
    """The documented property paths of a schema, in the tests' notation (``a.b[]``, ``m{}``)."""
    found = [prefix] if prefix else []
    if "$ref" in schema:
        return found
    for name, sub in schema.get("properties", {}).items():
        found += _schema_paths(sub, f"{prefix}.{name}" if prefix else name)
    for key, mark in (("items", "[]"), ("additionalProperties", "{}")):
        if isinstance(schema.get(key), dict):
            found += _schema_paths(schema[key], prefix + mark)
    return found


def documented_paths(operation: dict[str, Any]) -> set[str]:
    """Every documented property of an operation: its body's, and its events' data (prefixed by event group)."""
    paths = set() if operation.get("stream_only") else set(_schema_paths(operation["response"]))
    events = operation.get("events", {})
    for schema in events.values():
        group = ",".join(sorted(other for other, same in events.items() if same == schema))
        paths |= {f"{group}:{path}" for path in _schema_paths(schema)}
    return paths


def _below(path: str, listed: str) -> bool:
    return path == listed or path.startswith((f"{listed}.", f"{listed}[]", f"{listed}{{}}"))


def _documents_an_example(schema: Any) -> bool:
    """Whether any property under ``schema`` documents an example or an enum, from which an answer is built."""
    if isinstance(schema, dict):
        return "examples" in schema or "enum" in schema or any(_documents_an_example(v) for v in schema.values())
    return isinstance(schema, list) and any(_documents_an_example(item) for item in schema)


def _params(nodeid: str) -> list[str]:
    return nodeid.rpartition("[")[2].rstrip("]").split("-") if nodeid.endswith("]") else []


def _openapi_outcome(cls: str, endpoint: str, results: Results) -> dict[str, Any]:
    """What the tests of ``cls`` for ``endpoint`` gave: passed, xfailed (with reasons), failed, not run or none."""
    tests = [
        t["nodeid"]
        for t in results.facts.get("unit_tests", [])
        if t.get("file") == OPENAPI_TESTS and t.get("class") == cls and endpoint in _params(t["nodeid"])
    ]
    runs = [results.unit_runs[nodeid] for nodeid in tests if nodeid in results.unit_runs]
    if not tests:
        return {"verdict": UNTESTED, "detail": "no test"}
    if any(run.status in FAILING for run in runs):
        return {"verdict": FAILED, "detail": "; ".join(r.nodeid for r in runs if r.status in FAILING)}
    reasons = sorted({run.reason for run in runs if run.status == "xfailed"})
    if reasons:
        return {"verdict": "xfailed", "detail": "; ".join(reasons)}
    passed = sum(run.status == "passed" for run in runs)
    return (
        {"verdict": "passed", "detail": f"{passed} of {len(tests)} passed"}
        if passed
        else {"verdict": NOT_RUN, "detail": ""}
    )


def operation_conformance(endpoint: str, files: list[str], openapi: dict[str, Any], results: Results) -> dict[str, Any]:
    """One used operation against the description: source, golden files, documented example, asserted fields.

    Its source in the description (or why it has none), its golden files against the schema (and
    the ones with listed departures), its documented example's result, and the share of its
    documented properties that tests assert.
    """
    operation = openapi.get("operations", {}).get(endpoint)
    if operation is None:
        absent = openapi.get("absent", {}).get(endpoint, "not in the transcription")
        return {"source": None, "why": absent}
    departing = {d["file"] for d in openapi["departures"] if d["file"] in files}
    documented = documented_paths(operation)
    listed = [
        path for entry in openapi["unasserted"] if entry["endpoint"] in (endpoint, "*") for path in entry["paths"]
    ]
    unasserted = {path for path in documented if any(_below(path, x) for x in listed)}
    fields = _openapi_outcome(FIELD_TESTS, endpoint, results)
    return {
        "source": operation["source"],
        "why": operation["why"],
        "goldens": {
            "files": len(files),
            "departing": sorted(departing),
            **_openapi_outcome(GOLDEN_TESTS, endpoint, results),
        },
        "example": (
            _openapi_outcome(EXAMPLE_TESTS, endpoint, results)
            if _documents_an_example([operation["response"], operation.get("events", {})])
            else {"verdict": NO_EXAMPLE, "detail": f"{operation['source'].partition('#')[0]} documents no example"}
        ),
        "fields": {
            "documented": len(documented),
            # The share holds only when the field test passed: it proves every other property asserted.
            "asserted": len(documented - unasserted) if fields["verdict"] == "passed" else None,
            **fields,
        },
    }


def openapi_rows(openapi: dict[str, Any]) -> list[tuple[str, str, str]]:
    """An operation's description findings as (what, verdict, detail) rows, for both documents."""
    if openapi.get("source") is None:
        return [("Description", UNTESTED, f"not described: {openapi.get('why', '')}")]
    goldens, example, fields = openapi["goldens"], openapi["example"], openapi["fields"]
    departing = goldens["departing"]
    valid = f"{goldens['files'] - len(departing)} of {goldens['files']} golden files valid against the schema"
    if departing:
        valid += f"; listed departures: {', '.join(departing)}"
    share = (
        f"{fields['asserted']} of {fields['documented']} documented properties asserted "
        f"({100 * fields['asserted'] / fields['documented']:.0f} %)"
        if fields["asserted"] is not None and fields["documented"]
        else f"{fields['documented']} documented properties; {fields['detail'] or fields['verdict']}"
    )
    return [
        ("Source", "passed", f"{openapi['source']} ({openapi['why']})"),
        ("Golden files", goldens["verdict"], valid),
        ("Documented example", example["verdict"], example["detail"]),
        ("Documented fields", fields["verdict"], share),
    ]
