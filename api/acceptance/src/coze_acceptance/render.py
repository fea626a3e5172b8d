"""Render the traceability report as a terminal table, Markdown and a self-contained HTML page.

Every output has the same order: the verdict, a plain-language legend, the stories, each failure
once (with the stories it affects), the requirements, the success criteria, the gates, and last the
wire conformance, which the HTML page keeps folded.
"""

from __future__ import annotations

import json
import re
import textwrap
from html import escape
from pathlib import Path
from typing import Any

from coze_acceptance.conformance import openapi_rows
from coze_acceptance.report import scenario_label
from coze_acceptance.results import FAILING, NOT_SELECTED

COLUMNS = ("passed", "failed", "undefined", "skipped", NOT_SELECTED, "not run", "unbound")
FOOTNOTE = (
    "* unsel: not run in this selection; notrun: selected but never ran; unbnd (unbound): no test runs the "
    "scenario at all"
)

#: Each status word of the page, in plain language, for the legend at its top.
LEGEND = (
    ("PASS", "everything about the story ran and passed: its scenarios and every test of its requirements"),
    ("FAIL", "one of the story's scenarios failed, or a test about one of its requirements did"),
    ("PARTIAL", "a partial run ran only some of the story's scenarios, and those passed"),
    ("NOT RUN", "this run did not run the story"),
    ("passed / failed", "the test ran and its checks held / did not hold"),
    ("undefined", "a scenario step has no code behind it: counted as a failure, never a pass"),
    ("skipped", "the test was skipped on purpose; the reason is shown"),
    (NOT_SELECTED, "the selection (--story, -- --lf, -- -k …) left it out; it says nothing about the test"),
    ("not run", "selected, but the run stopped before it"),
    ("unbound", "a scenario written in features/ that no test runs: a failure"),
    ("not judged", "this run cannot decide it (the reason is given), so it is neither passed nor failed"),
    ("checked in CI", "this run does not measure it; the CI job named does"),
    ("not checkable here", "this repository holds nothing to check it against; the reason is given"),
    ("parity", "the scenario runs twice, with the sync client (Coze) and the async one (AsyncCoze)"),
    ("golden file", "a response as Coze's documentation describes it, which the tests serve instead of the network"),
    ("lossless / disagrees", "cozepy reads the golden file completely / a known difference, described"),
)


def _counts(story: dict[str, Any]) -> list[int]:
    return [story["counts"].get(column, 0) for column in COLUMNS]


def verdict(report: dict[str, Any]) -> str:
    """``PASSED`` or ``FAILED`` for the whole run."""
    summary = report["summary"]
    return "PASSED" if summary["passed"] and summary["gates_passed"] else "FAILED"


_RESULTS = {"passed": "PASS", "xfailed": "PASS", "skipped": "SKIP", NOT_SELECTED: "NOT RUN", "not run": "NOT RUN"}


def story_result(story: dict[str, Any]) -> str:
    """``FAIL`` when a test about the story failed; ``PASS``, or ``PARTIAL`` when a selection ran only part of it."""
    if story["status"] in FAILING:
        return "FAIL"
    result = _RESULTS.get(story["status"], story["status"])
    return "PARTIAL" if result == "PASS" and story.get("partly_run") else result


def _selection(report: dict[str, Any]) -> str:
    """The sentence that says a run was partial, or nothing for the full run."""
    if not report.get("partial"):
        return ""
    return (
        f"Partial run: {'; '.join(report['selection'])}. What it did not run says “{NOT_SELECTED}”; the gates "
        "that need the whole suite are not judged. The full report (reports/) is left as it was."
    )


# Neither pytest's advice to rerun with -vv nor its "+ where" lines about the operands' origin
# say what differs; its "?" lines point at characters only in a fixed-width column we do not keep.
_NOT_A_DIFFERENCE = re.compile(r"^(?:Omitting \d+ identical items|\+\s+(?:where|and)\s|\?\s|Skipping \d+ identical)")
#: How many lines of an assertion's explanation the terminal shows under its first line.
EXPLANATION_LINES = 4
#: Characters shown on each side of the first difference of two long values.
CONTEXT = 15


def first_line(text: str) -> str:
    """The first line of a failure message (its exception and assertion)."""
    return text.strip().splitlines()[0] if text.strip() else ""


def difference(text: str) -> str:
    """Where pytest's diff of two strings (``- right`` / ``+ left`` lines) first differs, as two short excerpts."""
    lines = [line.strip() for line in text.strip().splitlines()[1:]]
    right = next((line[2:] for line in lines if line.startswith("- ")), None)
    left = next((line[2:] for line in lines if line.startswith("+ ")), None)
    if left is None or right is None:
        return ""
    at = next((i for i, (a, b) in enumerate(zip(left, right, strict=False)) if a != b), min(len(left), len(right)))

    def excerpt(value: str) -> str:
        start, end = max(0, at - CONTEXT), at + CONTEXT
        return ("…" if start else "") + value[start:end] + ("…" if end < len(value) else "")

    return f"first difference at character {at + 1}: {excerpt(left)!r} vs {excerpt(right)!r}"


def summary_line(text: str) -> str:
    """A failure in one line: its first line, and where two long values differ when pytest cut them alike."""
    first = first_line(text)
    where = difference(text) if "..." in first else ""
    return f"{first} ({where})" if where else first


def message_lines(text: str) -> list[str]:
    """The message's one-line summary, then the first lines of its explanation that say what differs.

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
    return [summary_line(text), *explanation[:EXPLANATION_LINES]] if lines else []


def _message(prefix: str, text: str, indent: int) -> list[str]:
    """``prefix`` and the message's first line, its differing lines indented below."""
    first, *rest = message_lines(text) or [""]
    pad = " " * indent
    return [f"{pad}{prefix}{first}", *(f"{pad}  {line}" for line in rest)]


def affects(failure: dict[str, Any]) -> str:
    """The stories a failure turns red, and how: ``US5 (its scenario), EDGE (via FR-009)``."""
    return ", ".join(f"{s['id']} ({s['how']})" for s in failure["stories"]) or "no story"


def failure_title(failure: dict[str, Any]) -> str:
    """``scenario US5-AS2`` or ``unit test <node id>``, with the requirements it is about."""
    about = f" [{', '.join(failure['requirements'])}]" if failure["requirements"] else ""
    return f"{failure['kind']} {failure['name']}{about}"


def failure_places(failure: dict[str, Any]) -> list[tuple[str, str]]:
    """Where a failure happened: the feature step or test line, the step definition and its failing line."""
    if failure["kind"] == "scenario":
        return [
            ("feature", failure["location"]),
            ("step definition", failure["definition"]),
            ("failed at", failure["failing_line"]),
        ]
    return [("test", failure["location"])]


def _failures_of(report: dict[str, Any], story: dict[str, Any]) -> list[dict[str, Any]]:
    by_anchor = {f["anchor"]: f for f in report["failures"]}
    return [by_anchor[entry["anchor"]] for entry in story["failures"]]


def terminal_table(report: dict[str, Any]) -> str:
    """One line per story (its result and counts, within 80 columns), then each failure once, then the gates.

    Each failure names the stories it affects and how (``its scenario``, ``via FR-009``). Node ids,
    paths and gate violations are printed whole, however long, so they can be copied to rerun or open.
    """
    heads = ("pass", "fail", "undef", "skip", "unsel*", "notrun*", "unbnd*")
    header = f"{'story':6}{'prio':5}{'result':8}" + "".join(f"{h:>8}" for h in heads)
    lines = [header, "-" * len(header)]
    for story in report["stories"]:
        counts = "".join(f"{n:>8}" for n in _counts(story))
        lines.append(f"{story['id']:6}{story['priority']:5}{story_result(story):8}{counts}")
    lines.append(FOOTNOTE)
    if report.get("partial"):
        lines += ["", _selection(report)]
    if report["failures"]:
        lines += ["", f"failures ({len(report['failures'])}), each with the stories it turns red:"]
    for failure in report["failures"]:
        lines.append(f"  FAIL {failure_title(failure)}")
        lines.append(f"    affects {affects(failure)}")
        where = " ".join(value for _, value in failure_places(failure) if value)
        lines += _message(f"{where}: ", failure["reason"], 4)
    failed_gates = [g for g in report["gates"] if g["status"] == "failed"]
    unjudged = [g["name"] for g in report["gates"] if g["status"] == "not judged"]
    lines.append("")
    lines.append(
        "gates: all passed" if not failed_gates else "gates FAILED: " + ", ".join(g["name"] for g in failed_gates)
    )
    if unjudged:
        lines.append(f"  not judged in this run: {', '.join(unjudged)}")
    for gate in failed_gates:
        lines += [f"  - {gate['name']}: {violation}" for violation in gate["violations"]]
    return "\n".join(lines)


# --- Markdown --------------------------------------------------------------------------------------

#: The report's sections, in order: (anchor, title).
SECTIONS = (
    ("legend", "What the words mean"),
    ("stories", "User stories"),
    ("failures", "Failures"),
    ("requirements", "Requirements"),
    ("criteria", "Success criteria"),
    ("gates", "Gates"),
    ("wire", "Wire conformance"),
    ("environment", "Environment"),
)


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", "<br>")


def _md_environment(env: dict[str, Any]) -> list[str]:
    packages = ", ".join(f"{name} {version}" for name, version in env["packages"].items())
    dirty = {True: " (uncommitted changes)", False: " (clean)", None: ""}[env["dirty"]]
    return [
        "<a id='environment'></a>",
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


def _md_heading(key: str) -> list[str]:
    return ["", f"<a id='{key}'></a>", "", f"## {dict(SECTIONS)[key]}", ""]


def _summary(report: dict[str, Any]) -> str:
    summary = report["summary"]
    failed = [g["name"] for g in report["gates"] if g["status"] == "failed"]
    gates = f"FAILED ({', '.join(failed)})" if failed else "passed"
    return (
        f"{summary['scenario_runs']} scenario runs, {summary['tests_run']} tests; {summary['duration_seconds']} s "
        f"of wall time (the tests' own time: {summary['test_seconds']} s); gates {gates}."
    )


def _md_failures(report: dict[str, Any]) -> list[str]:
    out = _md_heading("failures")
    if not report["failures"]:
        return [*out, "None."]
    for failure in report["failures"]:
        places = ", ".join(f"{label} `{value}`" for label, value in failure_places(failure) if value)
        out += [f"- <a id='{failure['anchor']}'></a>**{_md_cell(failure_title(failure))}**", ""]
        out += [f"  affects {affects(failure)}; {places}", ""]
        out += ["  ```text", *textwrap.indent(failure["reason"], "  ").splitlines(), "  ```", ""]
    return out


def _md_names(title: str, names: list[str]) -> str:
    """A folded list of names for a table cell."""
    if not names:
        return "—"
    return f"<details><summary>{title}</summary>{'<br>'.join(_md_cell(n) for n in names)}</details>"


def markdown(report: dict[str, Any]) -> str:
    """The report for product owners, in Markdown."""
    selection = _selection(report)
    out = [
        "# Traceability report",
        "",
        f"**{verdict(report)}**: {_summary(report)}",
        "",
        *([f"> {selection}", ""] if selection else []),
        "Contents: " + " · ".join(f"[{title}](#{key})" for key, title in SECTIONS),
        *_md_heading("legend"),
        *(f"- **{word}**: {meaning}" for word, meaning in LEGEND),
        *_md_heading("stories"),
        "| Story | Result | Priority | Title | Failing | " + " | ".join(COLUMNS) + " |",
        "|---|---|---|---|---|" + "---|" * len(COLUMNS),
    ]
    for story in report["stories"]:
        failing = (
            "<br>".join(f"[{_md_cell(failure_title(f))}](#{f['anchor']})" for f in _failures_of(report, story)) or "—"
        )
        out.append(
            f"| {story['id']} | {story_result(story)} | {story['priority']} | {_md_cell(story['title'])} | "
            f"{failing} | " + " | ".join(str(n) for n in _counts(story)) + " |"
        )
    out += ["", f"\\* {FOOTNOTE.removeprefix('* ')}"]
    for story in report["stories"]:
        out += ["", f"### {story['id']}: {story['title']} ({story['priority']})", "", _md_cell(story["sentence"]), ""]
        out += [
            "| Scenario | Status | Runs | Requirements | Spec text | Duration | Detail |",
            "|---|---|---|---|---|---|---|",
        ]
        for s in story["scenarios"]:
            runs = ", ".join(f"{r['kind'] or 'run'}: {r['status']}" for r in s["runs"]) or "—"
            detail = _md_cell(summary_line(s["reason"])) or "—"
            out.append(
                f"| {s['acceptance_id']} {_md_cell(s['name'])} | {s['status']} | {runs} | {', '.join(s['requirements'])} | "
                f"{_md_cell(s['verbatim'] or '—')} | {s['duration']:.3f} s | {detail} |"
            )
    out += _md_failures(report)
    out += _md_heading("requirements")
    out += ["| Requirement | Status | Scenarios | Unit tests | Gates | Text |", "|---|---|---|---|---|---|"]
    for r in report["requirements"]:
        scenarios = _md_names(
            f"{len(r['scenarios'])} scenarios", [f"{scenario_label(s)} ({s['status']})" for s in r["scenarios"]]
        )
        counts = ", ".join(f"{n} {status}" for status, n in sorted(r["unit_test_counts"].items()))
        units = _md_names(counts, [f"`{t['nodeid']}` ({t['status']})" for t in r["unit_tests"]])
        gates = ", ".join(f"{g['name']} ({g['status']})" for g in r["gates"]) or "—"
        status = r["status"] + (f": {r['not_checkable']}" if r["not_checkable"] else "")
        out.append(f"| {r['id']} | {_md_cell(status)} | {scenarios} | {units} | {gates} | {_md_cell(r['text'])} |")
    out += _md_heading("criteria")
    out += ["| Criterion | Status | Value | Note | Text |", "|---|---|---|---|---|"]
    out += [
        f"| {c['id']} | {c['status']} | {_md_cell(c['value'])} | {_md_cell(c['note'] or '—')} | {_md_cell(c['text'])} |"
        for c in report["criteria"]
    ]
    out += _md_heading("gates")
    out += ["| Gate | Result | What it guards |", "|---|---|---|"]
    for gate in report["gates"]:
        result = {"failed": f"FAILED ({len(gate['violations'])})", "not judged": f"not judged: {gate['note']}"}
        out.append(f"| {gate['name']} | {result.get(gate['status'], gate['status'])} | {_md_cell(gate['meaning'])} |")
    for gate in (g for g in report["gates"] if g["status"] == "failed"):
        out += ["", f"**{gate['name']}**", ""] + [f"- {_md_cell(v)}" for v in gate["violations"]]
    out += ["", "<a id='wire'></a>", *_md_conformance(report.get("conformance", []))]
    out += ["", *_md_environment(report["environment"])]
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
.s{display:inline-block;font-weight:600;padding:.05rem .45rem;border-radius:.3rem;white-space:nowrap;overflow-wrap:normal}
.passed,.matches,.PASS,.PASSED,.xfailed,.lossless{background:#dcf5e3;color:#13602c}
.failed,.undefined,.unbound,.FAILED,.FAIL,.unverified,.DIFFERS,.MISSING,.disagrees,.untested{background:#fde2e1;color:#8a1712}
.skipped,.not-run,.not-reached,.not-run-in-this-selection,.NOT-RUN,.PARTIAL,.SKIP,.not-checkable-here,.not-judged,.checked-in-CI,.unknown{background:#fff3cd;color:#6b4e00}
.muted{color:#5b6472}code,pre{font-size:12px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f7f9;border:1px solid #e3e6ec;padding:.5rem;margin:.3rem 0;max-width:100%}
details{margin:.35rem 0}details.scenario{border:1px solid #d8dde6;border-radius:.4rem;padding:.3rem .6rem}
details.scenario>summary,details.section>summary{cursor:pointer}
details.section>summary{font-size:1.5em;font-weight:700;margin-top:2.2rem;border-bottom:1px solid #d8dde6;padding-bottom:.3rem}
.failure{border-left:4px solid #c0362c;background:#fff6f5;padding:.4rem .6rem;margin:.4rem 0}
.partial{border-left:4px solid #b58900;background:#fffbea;padding:.4rem .6rem}
.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center;background:#f2f4f8;padding:.5rem;border-radius:.4rem}
.filters label{display:flex;gap:.3rem;align-items:center}.filters input,.filters select{max-width:12rem}
.hidden{display:none}
nav.toc ul{display:flex;flex-wrap:wrap;gap:.3rem 1rem;padding:0;list-style:none}
dl.legend{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .8rem;margin:.4rem 0}dl.legend dd{margin:0}
@media (max-width:40rem){dl.legend{grid-template-columns:1fr}dl.legend dd{margin:0 0 .4rem .5rem}}
table.steps td:not(:first-child),table.steps th:not(:first-child){white-space:nowrap;width:1%}
table.stories th,table.stories td:not(.failing){overflow-wrap:normal}
table.stories .title{min-width:8rem}table.stories .failing{min-width:12rem}
"""

# Filters scenarios by status, story and tag, and opens the scenario or section a link lands on.
# Inline, so the page stays one offline file.
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


def _failure_box(title: str, message: str, where: list[tuple[str, str]], anchor: str = "") -> str:
    places = " · ".join(f"{escape(label)} <code>{escape(value)}</code>" for label, value in where if value)
    ident = f" id='{escape(anchor)}'" if anchor else ""
    return (
        f"<div class='failure'{ident}><b>{escape(title)}</b><br><span class='muted'>{places}</span>"
        f"<pre>{escape(message)}</pre></div>"
    )


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
    if s["verbatim"]:
        # The badge says matches, DIFFERS or MISSING; what differs follows as text, free to wrap.
        outcome, _, detail = s["verbatim"].partition(": ")
        body.append(f" · spec text {_badge(outcome)} {escape(detail)}</p>")
    else:
        body.append("</p>")
    if failing:
        body.append(
            _failure_box(
                s["reason"].split(":", 1)[0] if s["status"] == "failed" else "undefined step",
                s["reason"],
                [
                    ("feature", s["failure_location"]),
                    ("step definition", s["failure_definition"]),
                    ("failed at", s["failure_line"]),
                ],
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
        "<label>tag <input id='f-tag' type='search' placeholder='fr:FR-013, parity…'></label></form>"
    )


def _failure_links(report: dict[str, Any], story: dict[str, Any]) -> str:
    """Links to the failures that turn the story red, each with how it reaches the story."""
    how = {entry["anchor"]: entry["how"] for entry in story["failures"]}
    return "".join(
        f"<div><a href='#{escape(f['anchor'])}'>{escape(failure_title(f))}</a> "
        f"<span class='muted'>({escape(how[f['anchor']])})</span></div>"
        for f in _failures_of(report, story)
    )


def _story_html(report: dict[str, Any], story: dict[str, Any]) -> str:
    failing = _failure_links(report, story)
    parts = [
        f"<h3 id='{escape(story['id'])}'>{escape(story['id'])}: {escape(story['title'])} "
        f"<span class='muted'>({escape(story['priority'])})</span> {_badge(story_result(story))}</h3>"
        f"<p>{escape(story['sentence'])}</p>"
        + (f"<div class='failure'>Fails because of: {failing}</div>" if failing else "")
    ]
    parts += [_scenario_html(story, s) for s in story["scenarios"]]
    return "".join(parts)


def _failures_html(report: dict[str, Any]) -> str:
    boxes = [
        _failure_box(f"{failure_title(f)}: affects {affects(f)}", f["reason"], failure_places(f), f["anchor"])
        for f in report["failures"]
    ]
    return "".join(boxes) or "<p>None.</p>"


def _names(title: str, items: list[str]) -> str:
    """A folded list, for a table cell that would otherwise hold dozens of names."""
    if not items:
        return "—"
    return f"<details><summary>{title}</summary><ul>{''.join(f'<li>{i}</li>' for i in items)}</ul></details>"


def _requirement_row(r: dict[str, Any]) -> str:
    scenarios = _names(
        f"{len(r['scenarios'])} scenario{'s' if len(r['scenarios']) != 1 else ''}",
        [
            f"<a href='#{escape(s['anchor'])}'>{escape(scenario_label(s))}</a> {_badge(s['status'])}"
            for s in r["scenarios"]
        ],
    )
    counts = ", ".join(f"{n} {escape(status)}" for status, n in sorted(r["unit_test_counts"].items()))
    units = _names(counts, [f"<code>{escape(t['nodeid'])}</code> {_badge(t['status'])}" for t in r["unit_tests"]])
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
        f"<td>{scenarios}</td><td>{units}</td><td>{gates or '—'}</td></tr>"
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


def _with_note(status: str, note: str) -> str:
    return _badge(status) + (f"<br><span class='muted'>{escape(note)}</span>" if note else "")


def html(report: dict[str, Any]) -> str:
    """The report as one HTML file: inline CSS and script, nothing fetched from the network."""
    result = verdict(report)
    selection = _selection(report)
    story_rows = [
        f"<tr><td><a href='#{escape(story['id'])}'>{escape(story['id'])}</a></td><td>{_badge(story_result(story))}</td>"
        f"<td>{escape(story['priority'])}</td><td class='title'>{escape(story['title'])}</td>"
        f"<td class='failing'>{_failure_links(report, story) or '—'}</td>"
        + "".join(f"<td>{n}</td>" for n in _counts(story))
        + "</tr>"
        for story in report["stories"]
    ]
    criteria = [
        f"<tr><td><b>{escape(c['id'])}</b> {escape(c['text'])}</td><td>{_with_note(c['status'], c['note'])}</td>"
        f"<td>{escape(c['value'])}</td></tr>"
        for c in report["criteria"]
    ]
    gates = [
        f"<tr><td>{escape(g['name'])}</td><td>{_with_note(g['status'], g['note'])}"
        + (f"<ul>{''.join(f'<li>{escape(v)}</li>' for v in g['violations'])}</ul>" if g["violations"] else "")
        + f"</td><td>{escape(g['meaning'])}</td></tr>"
        for g in report["gates"]
    ]
    legend = "".join(f"<dt>{_badge(word)}</dt><dd>{escape(meaning)}</dd>" for word, meaning in LEGEND)
    toc = "".join(f"<li><a href='#{key}'>{escape(title)}</a></li>" for key, title in SECTIONS)
    conformance = _conformance_html(report.get("conformance", []))
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'><title>Traceability report</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Traceability report {_badge(result)}</h1>",
        f"<p class='muted'>{escape(_summary(report))}</p>",
        f"<p class='partial'>{escape(selection)}</p>" if selection else "",
        f"<nav class='toc' aria-label='Contents'><b>Contents</b><ul>{toc}</ul></nav>",
        f"<details id='legend' open><summary><b>What the words mean</b></summary><dl class='legend'>{legend}</dl></details>",
        "<h2 id='stories'>User stories</h2>",
        _table(["Story", "Result", "Priority", "Title", "Failing", *COLUMNS], story_rows, "stories"),
        f"<p class='muted'>{escape(FOOTNOTE)}</p>",
        f"<h2 id='failures'>Failures ({len(report['failures'])})</h2>",
        "<p class='muted'>Each failure once, with the stories it turns red: its own story, and every story whose "
        "scenarios verify a requirement the failing test is about.</p>",
        _failures_html(report),
        "<h2>Scenarios by story</h2>",
        _filters(report),
        *(_story_html(report, story) for story in report["stories"]),
        "<h2 id='requirements'>Requirements</h2>",
        _table(
            ["Requirement", "Status", "Scenarios", "Unit tests", "Gates"],
            [_requirement_row(r) for r in report["requirements"]],
        ),
        "<h2 id='criteria'>Success criteria</h2>",
        _table(["Criterion", "Status", "Value"], criteria),
        "<h2 id='gates'>Gates</h2>",
        _table(["Gate", "Result", "What it guards"], gates),
        (
            "<details class='section' id='wire'><summary>Wire conformance</summary>" + conformance + "</details>"
            if conformance
            else "<h2 id='wire'>Wire conformance</h2><p>No golden wire files.</p>"
        ),
        "<details class='section' id='environment'><summary>Environment</summary>"
        + _environment_html(report["environment"])
        + "</details>",
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
