"""Render the traceability report as a terminal table, Markdown and a self-contained HTML page."""

from __future__ import annotations

import json
import re
import textwrap
from html import escape
from pathlib import Path
from typing import Any

from coze_acceptance.conformance import openapi_rows
from coze_acceptance.results import FAILING

COLUMNS = ("passed", "failed", "undefined", "skipped", "deselected", "not run", "unbound")
FOOTNOTE = "* not run: selected but never ran; unbound: no test runs the scenario at all"


def _counts(story: dict[str, Any]) -> list[int]:
    return [story["counts"].get(column, 0) for column in COLUMNS]


def verdict(report: dict[str, Any]) -> str:
    """``PASSED`` or ``FAILED`` for the whole run."""
    summary = report["summary"]
    return "PASSED" if summary["passed"] and summary["gates_passed"] else "FAILED"


_RESULTS = {"passed": "PASS", "xfailed": "PASS", "skipped": "SKIP", "deselected": "—", "not run": "NOTRUN"}


def story_result(story: dict[str, Any]) -> str:
    """``PASS`` only when everything that verifies the story passed; ``FAIL`` when anything failed."""
    return "FAIL" if story["status"] in FAILING else _RESULTS.get(story["status"], story["status"])


# Neither pytest's advice to rerun with -vv nor its "+ where" lines about the operands' origin
# say what differs.
_NOT_A_DIFFERENCE = re.compile(r"^(?:Omitting \d+ identical items|\+\s+(?:where|and)\s)")
#: How many lines of an assertion's explanation the terminal shows under its first line.
EXPLANATION_LINES = 4


def first_line(text: str) -> str:
    """The first line of a failure message (its exception and assertion)."""
    return text.strip().splitlines()[0] if text.strip() else ""


def message_lines(text: str) -> list[str]:
    """The message's first line, then the first lines of its explanation that say what differs.

    Those are pytest's ``At index 0 diff: …``, ``Differing items:`` and the item after it, ``Right
    contains …`` and the like; the full diff that may follow them stays in the HTML and Markdown.
    """
    lines = text.strip().splitlines()
    explanation = []
    for line in (line.strip() for line in lines[1:]):
        if line.startswith("Full diff:"):
            break
        if line and not _NOT_A_DIFFERENCE.match(line):
            explanation.append(line)
    return [first_line(text), *explanation[:EXPLANATION_LINES]] if lines else []


def _message(prefix: str, text: str, indent: int) -> list[str]:
    """``prefix`` and the message's first line, its differing lines indented below."""
    first, *rest = message_lines(text) or [""]
    pad = " " * indent
    return [f"{pad}{prefix}{first}", *(f"{pad}  {line}" for line in rest)]


def failing_scenarios(story: dict[str, Any]) -> list[dict[str, Any]]:
    """The story's scenarios that failed, were undefined or are unbound."""
    return [s for s in story["scenarios"] if s["status"] in FAILING]


def _scenario_label(scenario: dict[str, Any]) -> str:
    return str(scenario["acceptance_id"] or scenario["name"])


def _scenario_reason(scenario: dict[str, Any]) -> str:
    return str(scenario["reason"]) or f"{scenario['status']}: no test runs it"


def _via(test: dict[str, Any]) -> str:
    """How a failing unit test reaches a story: ``via FR-017: unit test <node id>``."""
    return f"via {', '.join(test['requirements'])}: unit test {test['nodeid']}"


def story_failures(story: dict[str, Any]) -> list[tuple[str, str]]:
    """Why the story fails, as (what failed, first line of its message): its scenarios, then unit tests."""
    scenarios = [(f"scenario {_scenario_label(s)}", first_line(_scenario_reason(s))) for s in failing_scenarios(story)]
    return scenarios + [(_via(t), first_line(t["reason"])) for t in story["failing_tests"]]


def terminal_table(report: dict[str, Any]) -> str:
    """One line per story (PASS/FAIL and counts, within 80 columns), what failed under it, then the gates.

    The lines under a story name its failing scenarios and, apart from them, the failing unit tests
    with the requirement that links each to the story. Node ids, paths and gate violations are
    printed whole, however long, so they can be copied to rerun or open.
    """
    heads = ("pass", "fail", "undef", "skip", "desel", "notrun*", "unbnd*")
    header = f"{'story':6}{'prio':5}{'result':7}" + "".join(f"{h:>8}" for h in heads)
    lines = [header, "-" * len(header)]
    for story in report["stories"]:
        counts = "".join(f"{n:>8}" for n in _counts(story))
        lines.append(f"{story['id']:6}{story['priority']:5}{story_result(story):7}{counts}")
        scenarios = failing_scenarios(story)
        if scenarios:
            noun = "scenario" if len(scenarios) == 1 else "scenarios"
            lines.append(f"      FAIL ({noun} {', '.join(_scenario_label(s) for s in scenarios)})")
        for s in scenarios:
            where = " ".join(filter(None, [s["failure_location"] or s["location"], s["failure_definition"]]))
            lines += _message(f"{_scenario_label(s)} at {where}: ", _scenario_reason(s), 8)
        for test in story["failing_tests"]:
            lines.append(f"      FAIL {_via(test)}")
            lines += _message(f"{test['location']}: ", test["reason"], 8)
    lines.append(FOOTNOTE)
    unowned = [t for t in report["failing_tests"] if not any(t["nodeid"] in _story_tests(s) for s in report["stories"])]
    if unowned:
        lines += ["", "failing tests that verify no story:"]
        for test in unowned:
            lines.append(f"  {test['nodeid']}")
            lines += _message(f"{test['location']}: ", test["reason"], 4)
    failed_gates = [g for g in report["gates"] if not g["passed"]]
    lines.append("")
    lines.append(
        "gates: all passed" if not failed_gates else "gates FAILED: " + ", ".join(g["name"] for g in failed_gates)
    )
    for gate in failed_gates:
        lines += [f"  - {gate['name']}: {violation}" for violation in gate["violations"]]
    return "\n".join(lines)


def _story_tests(story: dict[str, Any]) -> set[str]:
    return {t["nodeid"] for t in story["failing_tests"]}


# --- Markdown --------------------------------------------------------------------------------------


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", "<br>")


def _md_failure(title: str, message: str, where: list[str]) -> list[str]:
    out = [f"- **{_md_cell(title)}** ({', '.join(f'`{w}`' for w in where if w)})", ""]
    out += ["  ```text", *textwrap.indent(message, "  ").splitlines(), "  ```", ""]
    return out


def _md_environment(env: dict[str, Any]) -> list[str]:
    packages = ", ".join(f"{name} {version}" for name, version in env["packages"].items())
    dirty = {True: " (uncommitted changes)", False: " (clean)", None: ""}[env["dirty"]]
    return [
        "## Environment",
        "",
        f"- Python: {env['python']}",
        f"- Packages: {packages}",
        f"- Commit: `{env['commit']}`{dirty}",
        f"- Date: {env['date']}",
        f"- Command: `{env['command']}`",
        f"- Selection: {', '.join(env['selection'])}",
        "",
    ]


def markdown(report: dict[str, Any]) -> str:
    """The report for product owners, in Markdown."""
    summary = report["summary"]
    out = [
        "# Traceability report",
        "",
        f"**{verdict(report)}**: {summary['scenario_runs']} scenario runs, {summary['tests_run']} tests in "
        f"{summary['duration_seconds']} s; gates {'passed' if summary['gates_passed'] else 'FAILED'}.",
        "",
        *_md_environment(report["environment"]),
        "## User stories",
        "",
        "| Story | Priority | Title | Result | Failing | " + " | ".join(COLUMNS) + " |",
        "|---|---|---|---|---|" + "---|" * len(COLUMNS),
    ]
    for story in report["stories"]:
        failing = "<br>".join(f"**{_md_cell(what)}**: {_md_cell(why)}" for what, why in story_failures(story)) or "—"
        out.append(
            f"| {story['id']} | {story['priority']} | {_md_cell(story['title'])} | {story_result(story)} | "
            f"{failing} | " + " | ".join(str(n) for n in _counts(story)) + " |"
        )
    out += ["", f"\\* {FOOTNOTE.removeprefix('* ')}"]
    for story in report["stories"]:
        out += ["", f"### {story['id']}: {story['title']} ({story['priority']})", "", _md_cell(story["sentence"]), ""]
        failures = [s for s in story["scenarios"] if s["status"] in ("failed", "undefined")]
        if failures or story["failing_tests"]:
            out += ["Failures:", ""]
            for s in failures:
                where = [s["failure_location"] or s["location"], s["failure_definition"]]
                out += _md_failure(f"{s['acceptance_id']} {s['name']}".strip(), s["reason"], where)
            for test in story["failing_tests"]:
                title = f"unit test {test['nodeid']} ({', '.join(test['requirements'])})"
                out += _md_failure(title, test["reason"], [test["location"]])
        out += [
            "| Scenario | Status | Runs | Requirements | Spec text | Duration | Detail |",
            "|---|---|---|---|---|---|---|",
        ]
        for s in story["scenarios"]:
            runs = ", ".join(f"{r['kind'] or 'run'}: {r['status']}" for r in s["runs"]) or "—"
            out.append(
                f"| {s['acceptance_id']} {_md_cell(s['name'])} | {s['status']} | {runs} | {', '.join(s['requirements'])} | "
                f"{_md_cell(s['verbatim'] or '—')} | {s['duration']:.3f} s | {_md_cell(s['reason']) or '—'} |"
            )
    out += [
        "",
        "## Requirements",
        "",
        "| Requirement | Status | Scenarios | Unit tests | Gates | Text |",
        "|---|---|---|---|---|---|",
    ]
    for r in report["requirements"]:
        scenarios = ", ".join(f"{s['acceptance_id'] or s['name']} ({s['status']})" for s in r["scenarios"]) or "—"
        units = ", ".join(f"{n} {status}" for status, n in sorted(r["unit_test_counts"].items())) or "—"
        units += "".join(
            f"<br>**{t['status']}** `{t['nodeid']}` at `{t['location']}`: {t['reason']}" for t in r["failing_tests"]
        )
        gates = ", ".join(f"{g['name']} ({g['status']})" for g in r["gates"]) or "—"
        status = r["status"] + (f": {r['not_checkable']}" if r["not_checkable"] else "")
        out.append(
            f"| {r['id']} | {_md_cell(status)} | {scenarios} | {_md_cell(units)} | {gates} | {_md_cell(r['text'])} |"
        )
    out += ["", "## Success criteria", "", "| Criterion | Value | How | Text |", "|---|---|---|---|"]
    out += [f"| {c['id']} | {_md_cell(c['value'])} | {c['how']} | {_md_cell(c['text'])} |" for c in report["criteria"]]
    out += _md_conformance(report.get("conformance", []))
    out += ["", "## Gates", "", "| Gate | Result | What it guards |", "|---|---|---|"]
    for gate in report["gates"]:
        result = "passed" if gate["passed"] else f"FAILED ({len(gate['violations'])})"
        out.append(f"| {gate['name']} | {result} | {_md_cell(gate['meaning'])} |")
    for gate in (g for g in report["gates"] if not g["passed"]):
        out += ["", f"**{gate['name']}**", ""] + [f"- {_md_cell(v)}" for v in gate["violations"]]
    return "\n".join(out) + "\n"


def _md_conformance(endpoints: list[dict[str, Any]]) -> list[str]:
    if not endpoints:
        return []
    out = ["", "## Wire conformance", ""]
    for endpoint in endpoints:
        out += [f"### {endpoint['endpoint']}", ""]
        if "openapi" in endpoint:
            out += ["| Against the OpenAPI description | Result | Detail |", "|---|---|---|"]
            out += [
                f"| {what} | {verdict} | {_md_cell(detail)} |"
                for what, verdict, detail in openapi_rows(endpoint["openapi"])
            ]
            out.append("")
        out += ["| Golden file | Case | cozepy | Detail |", "|---|---|---|---|"]
        for g in endpoint["goldens"]:
            detail = f"{g['detail'] or '—'} (sources: {'; '.join(g['sources'])})"
            out.append(f"| `{g['file']}` | {_md_cell(g['case'])} | {g['verdict']} | {_md_cell(detail)} |")
        out.append("")
    return out


# --- HTML ----------------------------------------------------------------------------------------

_CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5rem auto;max-width:75rem;color:#1d2430;padding:0 1rem;overflow-wrap:anywhere}
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #d8dde6;padding-bottom:.3rem}h3{margin:1rem 0 .3rem}
.scroll{overflow-x:auto;max-width:100%}.scroll>table{min-width:42rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0}th,td{border:1px solid #d8dde6;padding:.35rem .5rem;vertical-align:top;text-align:left}
th{background:#f2f4f8}
.s{display:inline-block;max-width:100%;font-weight:600;padding:.05rem .45rem;border-radius:.3rem;white-space:normal;overflow-wrap:anywhere}
.passed,.matches,.PASS,.PASSED,.xfailed,.lossless{background:#dcf5e3;color:#13602c}
.failed,.undefined,.unbound,.FAILED,.FAIL,.unverified,.DIFFERS,.MISSING,.disagrees,.untested{background:#fde2e1;color:#8a1712}
.skipped,.not-run,.not-reached,.deselected,.not-checkable-here,.unknown{background:#fff3cd;color:#6b4e00}
.muted{color:#5b6472}code,pre{font-size:12px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f7f9;border:1px solid #e3e6ec;padding:.5rem;margin:.3rem 0;max-width:100%}
details{margin:.35rem 0}details.scenario{border:1px solid #d8dde6;border-radius:.4rem;padding:.3rem .6rem}
details.scenario>summary{cursor:pointer}
.failure{border-left:4px solid #c0362c;background:#fff6f5;padding:.4rem .6rem;margin:.4rem 0}
.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center;background:#f2f4f8;padding:.5rem;border-radius:.4rem}
.filters label{display:flex;gap:.3rem;align-items:center}.filters input,.filters select{max-width:12rem}
.hidden{display:none}
table.steps td:not(:first-child),table.steps th:not(:first-child){white-space:nowrap;width:1%}
table.stories th,table.stories td:not(.failing){overflow-wrap:normal}
table.stories .title{min-width:8rem}table.stories .failing{min-width:16rem}
"""

# Filters scenarios by status, story and tag, and opens the scenario a link lands on. Inline, so the
# page stays one offline file.
_SCRIPT = """
(function(){
  var status=document.getElementById('f-status'),story=document.getElementById('f-story'),tag=document.getElementById('f-tag');
  function apply(){
    var items=document.querySelectorAll('[data-status]');
    for(var i=0;i<items.length;i++){
      var el=items[i],t=tag.value.trim().toLowerCase();
      var show=(!status.value||el.dataset.status===status.value)&&(!story.value||el.dataset.story===story.value)
        &&(!t||(' '+el.dataset.tags+' ').toLowerCase().indexOf(t)>=0);
      el.classList.toggle('hidden',!show);
    }
  }
  function land(){
    var id=decodeURIComponent(location.hash.slice(1)),el=id&&document.getElementById(id);
    if(el&&el.tagName==='DETAILS'){el.open=true;el.scrollIntoView();}
  }
  status.addEventListener('change',apply);story.addEventListener('change',apply);tag.addEventListener('input',apply);
  window.addEventListener('hashchange',land);land();
})();
"""


def _badge(status: str) -> str:
    kind = status.split(":")[0].replace(" ", "-")
    return f'<span class="s {escape(kind)}">{escape(status)}</span>'


def _table(head: list[str], rows: list[str], cls: str = "") -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    return f"<div class='scroll'><table class='{cls}'><tr>{header}</tr>{''.join(rows)}</table></div>"


def _failure_box(title: str, message: str, where: list[tuple[str, str]]) -> str:
    places = " · ".join(f"{escape(label)} <code>{escape(value)}</code>" for label, value in where if value)
    return f"<div class='failure'><b>{escape(title)}</b><br><span class='muted'>{places}</span><pre>{escape(message)}</pre></div>"


def _environment_html(env: dict[str, Any]) -> str:
    dirty = {True: " (uncommitted changes)", False: " (clean)", None: ""}[env["dirty"]]
    rows = [
        ("Python", env["python"]),
        *((name, version) for name, version in env["packages"].items()),
        ("Commit", env["commit"] + dirty),
        ("Date", env["date"]),
        ("Command", env["command"]),
        ("Selection", ", ".join(env["selection"])),
    ]
    return _table(["", ""], [f"<tr><th>{escape(k)}</th><td><code>{escape(v)}</code></td></tr>" for k, v in rows])


def _req_links(ids: list[str]) -> str:
    return ", ".join(f"<a href='#requirement-{escape(r)}'>{escape(r)}</a>" for r in ids)


def _exchanges_html(exchanges: list[dict[str, Any]]) -> str:
    if not exchanges:
        return ""
    items = []
    for x in exchanges:
        headers = "\n".join(f"{k}: {v}" for k, v in x["request_headers"].items())
        items.append(
            f"<details class='exchange'><summary><code>{escape(x['method'])} {escape(x['url'])}</code> → "
            f"{escape(str(x['status']))} <span class='muted'>logid {escape(x['logid'] or '—')}</span></summary>"
            f"<pre>{escape(headers)}\n\n{escape(x['request_body'])}</pre>"
            f"<pre>{escape(x['response_body'])}</pre></details>"
        )
    return f"<details class='wire'><summary>HTTP exchanges ({len(exchanges)})</summary>{''.join(items)}</details>"


def _run_html(run: dict[str, Any]) -> str:
    rows = [
        f"<tr><td>{escape(step['keyword'])} {escape(step['text'])}<br><span class='muted'>{escape(step['location'])}"
        + (f" · {escape(step['definition'])}" if step["definition"] else "")
        + f"</span></td><td>{_badge(step['status'])}</td><td>{step['duration']:.3f} s</td></tr>"
        for step in run["steps"]
    ]
    title = f"{run['kind'] or 'run'}: "
    head = f"<p>{escape(title)}{_badge(run['status'])} <span class='muted'>{run['duration']:.3f} s</span></p>"
    return (
        head
        + (_table(["Step", "Status", "Duration"], rows, "steps") if rows else "")
        + _exchanges_html(run["exchanges"])
    )


def _scenario_html(story: dict[str, Any], s: dict[str, Any]) -> str:
    failing = s["status"] in ("failed", "undefined")
    opened = s["status"] in FAILING or (s["verbatim"] or "matches") != "matches"
    body = [f"<p class='muted'>{escape(s['location'])}"]
    body.append(f" · spec text {_badge(s['verbatim'])}</p>" if s["verbatim"] else "</p>")
    if failing:
        body.append(
            _failure_box(
                s["reason"].split(":", 1)[0] if s["status"] == "failed" else "undefined step",
                s["reason"],
                [("feature", s["failure_location"]), ("step definition", s["failure_definition"])],
            )
        )
    elif s["reason"]:
        body.append(f"<p class='muted'>{escape(s['reason'])}</p>")
    if not s["runs"]:
        body.append("<p>" + "<br>".join(escape(step) for step in s["steps"]) + "</p>")
    body += [_run_html(run) for run in s["runs"]]
    tags = " ".join([*s["tags"], s["acceptance_id"], *s["requirements"]])
    return (
        f"<details class='scenario' id='{escape(s['anchor'])}' data-status='{escape(s['status'])}' "
        f"data-story='{escape(story['id'])}' data-tags='{escape(tags)}'{' open' if opened else ''}>"
        f"<summary><b>{escape(s['acceptance_id'])}</b> {escape(s['name'])} {_badge(s['status'])}"
        f" <span class='muted'>{_req_links(s['requirements'])}</span></summary>" + "".join(body) + "</details>"
    )


def _filters(report: dict[str, Any]) -> str:
    statuses = sorted({s["status"] for story in report["stories"] for s in story["scenarios"]})
    options = "".join(f"<option>{escape(x)}</option>" for x in statuses)
    stories = "".join(f"<option>{escape(story['id'])}</option>" for story in report["stories"])
    return (
        "<form class='filters' onsubmit='return false'><b>Filter scenarios</b>"
        f"<label>status <select id='f-status'><option value=''>any</option>{options}</select></label>"
        f"<label>story <select id='f-story'><option value=''>any</option>{stories}</select></label>"
        "<label>tag <input id='f-tag' type='search' placeholder='FR-013, parity…'></label></form>"
    )


def _story_html(story: dict[str, Any]) -> str:
    parts = [
        f"<h2 id='{escape(story['id'])}'>{escape(story['id'])}: {escape(story['title'])} "
        f"<span class='muted'>({escape(story['priority'])})</span> {_badge(story_result(story))}</h2>"
        f"<p>{escape(story['sentence'])}</p>"
    ]
    for test in story["failing_tests"]:
        parts.append(
            _failure_box(
                f"unit test {test['status']}: {test['nodeid']} (verifies {', '.join(test['requirements'])})",
                test["reason"],
                [("test", test["location"])],
            )
        )
    parts += [_scenario_html(story, s) for s in story["scenarios"]]
    return "".join(parts)


def _failing_cell(story: dict[str, Any]) -> str:
    """What makes the story fail, each with the first line of its message."""
    entries = [
        f"<div><b>{escape(what)}</b>: <span class='muted'>{escape(why)}</span></div>"
        for what, why in story_failures(story)
    ]
    return "".join(entries) or "—"


def _requirement_row(r: dict[str, Any]) -> str:
    scenarios = ", ".join(
        f"<a href='#{escape(s['anchor'])}'>{escape(s['acceptance_id'] or s['name'])}</a> {_badge(s['status'])}"
        for s in r["scenarios"]
    )
    units = ", ".join(f"{n} {escape(status)}" for status, n in sorted(r["unit_test_counts"].items()))
    units += "".join(
        _failure_box(f"{t['status']}: {t['nodeid']}", t["reason"], [("test", t["location"])])
        for t in r["failing_tests"]
    )
    gates = ", ".join(f"{escape(g['name'])} {_badge(g['status'])}" for g in r["gates"])
    status = _badge(r["status"]) + (
        f"<br><span class='muted'>{escape(r['not_checkable'])}</span>" if r["not_checkable"] else ""
    )
    return (
        f"<tr id='{escape(r['anchor'])}'><td><b>{escape(r['id'])}</b> {escape(r['text'])}</td><td>{status}</td>"
        f"<td>{scenarios or '—'}</td><td>{units or '—'}</td><td>{gates or '—'}</td></tr>"
    )


def _conformance_html(endpoints: list[dict[str, Any]]) -> str:
    if not endpoints:
        return ""
    parts = [
        "<h2 id='wire-conformance'>Wire conformance</h2><p class='muted'>Each golden file is Coze's documented wire for "
        "one endpoint and case; the contract tests check that cozepy parses it without losing anything. Known "
        "disagreements are strict xfails: an upgrade that fixes one turns its test red. Each operation also shows "
        "where Coze's OpenAPI description defines it, whether its golden files obey that schema, whether an answer "
        "built from the documented examples works through the backend, and how many documented properties tests "
        "assert.</p>"
    ]
    for endpoint in endpoints:
        rows = [
            f"<tr><td><code>{escape(g['file'])}</code></td><td>{escape(g['case'])}</td><td>{_badge(g['verdict'])}</td>"
            f"<td>{escape(g['detail']) or '—'}<br><span class='muted'>sources: {escape('; '.join(g['sources']))}</span>"
            "</td></tr>"
            for g in endpoint["goldens"]
        ]
        described = ""
        if "openapi" in endpoint:
            described = _table(
                ["Against the OpenAPI description", "Result", "Detail"],
                [
                    f"<tr><td>{escape(what)}</td><td>{_badge(verdict)}</td><td>{escape(detail)}</td></tr>"
                    for what, verdict, detail in openapi_rows(endpoint["openapi"])
                ],
            )
        parts.append(
            f"<h3>{escape(endpoint['endpoint'])}</h3>"
            + described
            + _table(["Golden file", "Case", "cozepy", "Detail"], rows)
        )
    return "".join(parts)


def html(report: dict[str, Any]) -> str:
    """The report as one HTML file: inline CSS and script, nothing fetched from the network."""
    summary = report["summary"]
    result = verdict(report)
    story_rows = [
        f"<tr><td><a href='#{escape(story['id'])}'>{escape(story['id'])}</a></td><td>{escape(story['priority'])}</td>"
        f"<td class='title'>{escape(story['title'])}</td><td>{_badge(story_result(story))}</td>"
        f"<td class='failing'>{_failing_cell(story)}</td>" + "".join(f"<td>{n}</td>" for n in _counts(story)) + "</tr>"
        for story in report["stories"]
    ]
    unowned = [
        _failure_box(f"{t['status']}: {t['nodeid']}", t["reason"], [("test", t["location"])])
        for t in report["failing_tests"]
        if not any(t["nodeid"] in _story_tests(s) for s in report["stories"])
    ]
    criteria = [
        f"<tr><td><b>{escape(c['id'])}</b> {escape(c['text'])}</td><td>{escape(c['value'])}</td><td>{escape(c['how'])}</td></tr>"
        for c in report["criteria"]
    ]
    gates = [
        f"<tr><td>{escape(g['name'])}</td><td>{_badge('passed' if g['passed'] else 'FAILED')}"
        + (f"<ul>{''.join(f'<li>{escape(v)}</li>' for v in g['violations'])}</ul>" if g["violations"] else "")
        + f"</td><td>{escape(g['meaning'])}</td></tr>"
        for g in report["gates"]
    ]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'><title>Traceability report</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Traceability report {_badge(result)}</h1>",
        f"<p class='muted'>{summary['scenario_runs']} scenario runs, {summary['tests_run']} tests in "
        f"{summary['duration_seconds']} s; gates {'passed' if summary['gates_passed'] else 'FAILED'}.</p>",
        "<details><summary>Environment</summary>" + _environment_html(report["environment"]) + "</details>",
        "<h2>User stories</h2>",
        _table(["Story", "Priority", "Title", "Result", "Failing", *COLUMNS], story_rows, "stories"),
        f"<p class='muted'>{escape(FOOTNOTE)}</p>",
        ("<h2>Failing tests that verify no story</h2>" + "".join(unowned)) if unowned else "",
        _filters(report),
        *(_story_html(story) for story in report["stories"]),
        "<h2>Requirements</h2>",
        _table(
            ["Requirement", "Status", "Scenarios", "Unit tests", "Gates"],
            [_requirement_row(r) for r in report["requirements"]],
        ),
        "<h2>Success criteria</h2>",
        _table(["Criterion", "Value", "How"], criteria),
        _conformance_html(report.get("conformance", [])),
        "<h2>Gates</h2>",
        _table(["Gate", "Result", "What it guards"], gates),
        f"<script>{_SCRIPT}</script></body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def write_reports(report: dict[str, Any], output: Path) -> list[Path]:
    """Write ``traceability.{json,md,html}`` into the existing folder ``output``; return their paths."""
    files = {
        "traceability.json": json.dumps(report, indent=2) + "\n",
        "traceability.md": markdown(report),
        "traceability.html": html(report),
    }
    for name, text in files.items():
        (output / name).write_text(text, encoding="utf-8")
    return [output / name for name in files]
