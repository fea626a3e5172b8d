"""Render the traceability report as a terminal table, Markdown and a self-contained HTML page."""

from __future__ import annotations

from html import escape
from typing import Any

COLUMNS = ("passed", "failed", "undefined", "skipped", "not run", "unbound")


def _counts(story: dict[str, Any]) -> list[int]:
    return [story["counts"].get(column, 0) for column in COLUMNS]


def terminal_table(report: dict[str, Any]) -> str:
    """One line per story with its scenario counts, then the gates."""
    header = f"{'story':6} {'prio':4} {'title':40} " + " ".join(f"{c:>9}" for c in COLUMNS) + f" {'total':>6}"
    lines = [header, "-" * len(header)]
    for story in report["stories"]:
        counts = _counts(story)
        row = " ".join(f"{n:>9}" for n in counts)
        lines.append(f"{story['id']:6} {story['priority']:4} {story['title'][:40]:40} {row} {sum(counts):>6}")
    failed_gates = [g for g in report["gates"] if not g["passed"]]
    lines.append("")
    lines.append(
        "gates: all passed" if not failed_gates else "gates FAILED: " + ", ".join(g["name"] for g in failed_gates)
    )
    for gate in failed_gates:
        lines += [f"  - {gate['name']}: {violation}" for violation in gate["violations"]]
    return "\n".join(lines)


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(report: dict[str, Any]) -> str:
    """The report for product owners, in Markdown."""
    summary = report["summary"]
    out = [
        "# Traceability report",
        "",
        f"Generated {report['generated_at']} by `{report['command']}`"
        + (f" (selection: {', '.join(report['selection'])})" if report["selection"] else "")
        + ".",
        "",
        f"**{'PASSED' if summary['passed'] and summary['gates_passed'] else 'FAILED'}**: "
        f"{summary['scenario_runs']} scenario runs, {summary['tests_run']} tests in {summary['duration_seconds']} s; "
        f"gates {'passed' if summary['gates_passed'] else 'FAILED'}.",
        "",
        "## User stories",
        "",
        "| Story | Priority | Title | Status | " + " | ".join(COLUMNS) + " |",
        "|---|---|---|---|" + "---|" * len(COLUMNS),
    ]
    for story in report["stories"]:
        out.append(
            f"| {story['id']} | {story['priority']} | {_md_cell(story['title'])} | {story['status']} | "
            + " | ".join(str(n) for n in _counts(story))
            + " |"
        )
    for story in report["stories"]:
        out += ["", f"### {story['id']}: {story['title']} ({story['priority']})", "", _md_cell(story["sentence"]), ""]
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
        "| Requirement | Status | Scenarios | Unit tests | Text |",
        "|---|---|---|---|---|",
    ]
    for r in report["requirements"]:
        scenarios = ", ".join(f"{s['acceptance_id'] or s['name']} ({s['status']})" for s in r["scenarios"]) or "—"
        units = ", ".join(f"{n} {status}" for status, n in sorted(r["unit_test_counts"].items())) or "—"
        flag = "" if r["verified"] else " ⚠"
        out.append(f"| {r['id']}{flag} | {r['status']} | {scenarios} | {units} | {_md_cell(r['text'])} |")
    out += ["", "## Success criteria", "", "| Criterion | Value | How | Text |", "|---|---|---|---|"]
    out += [f"| {c['id']} | {_md_cell(c['value'])} | {c['how']} | {_md_cell(c['text'])} |" for c in report["criteria"]]
    out += ["", "## Gates", "", "| Gate | Result | What it guards |", "|---|---|---|"]
    for gate in report["gates"]:
        result = "passed" if gate["passed"] else f"FAILED ({len(gate['violations'])})"
        out.append(f"| {gate['name']} | {result} | {_md_cell(gate['meaning'])} |")
    for gate in (g for g in report["gates"] if not g["passed"]):
        out += ["", f"**{gate['name']}**", ""] + [f"- {_md_cell(v)}" for v in gate["violations"]]
    return "\n".join(out) + "\n"


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:75rem;color:#1d2430;padding:0 1rem}
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #d8dde6;padding-bottom:.3rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0}th,td{border:1px solid #d8dde6;padding:.35rem .5rem;vertical-align:top;text-align:left}
th{background:#f2f4f8}.s{font-weight:600;padding:.1rem .45rem;border-radius:.3rem;white-space:nowrap}
.passed,.matches{background:#dcf5e3;color:#13602c}.failed,.undefined,.unbound,.FAILED,.unverified,.DIFFERS,.MISSING{background:#fde2e1;color:#8a1712}
.skipped,.not-run{background:#fff3cd;color:#6b4e00}.muted{color:#5b6472}.run{white-space:nowrap}details{margin:.2rem 0}code{font-size:12px}
"""


def _badge(status: str) -> str:
    return f'<span class="s {escape(status.split(":")[0].replace(" ", "-"))}">{escape(status)}</span>'


def html(report: dict[str, Any]) -> str:
    """The report as one HTML file: inline CSS, no scripts, nothing fetched from the network."""
    summary = report["summary"]
    verdict = "PASSED" if summary["passed"] and summary["gates_passed"] else "FAILED"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'><title>Traceability report</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Traceability report {_badge(verdict.lower() if verdict == 'PASSED' else 'FAILED')}</h1>",
        f"<p class='muted'>Generated {escape(report['generated_at'])} by <code>{escape(report['command'])}</code>. "
        f"{summary['scenario_runs']} scenario runs, {summary['tests_run']} tests in {summary['duration_seconds']} s.</p>",
        "<h2>User stories</h2><table><tr><th>Story</th><th>Priority</th><th>Title</th><th>Status</th>"
        + "".join(f"<th>{c}</th>" for c in COLUMNS)
        + "</tr>",
    ]
    for story in report["stories"]:
        parts.append(
            f"<tr><td><a href='#{escape(story['id'])}'>{escape(story['id'])}</a></td><td>{escape(story['priority'])}</td>"
            f"<td>{escape(story['title'])}</td><td>{_badge(story['status'])}</td>"
            + "".join(f"<td>{n}</td>" for n in _counts(story))
            + "</tr>"
        )
    parts.append("</table>")
    for story in report["stories"]:
        parts.append(
            f"<h2 id='{escape(story['id'])}'>{escape(story['id'])}: {escape(story['title'])} "
            f"<span class='muted'>({escape(story['priority'])})</span></h2><p>{escape(story['sentence'])}</p>"
            "<table><tr><th>Scenario</th><th>Status</th><th>Runs</th><th>Requirements</th><th>Spec text</th><th>Detail</th></tr>"
        )
        for s in story["scenarios"]:
            runs = "<br>".join(
                f"<span class='run'>{escape(str(r['kind'] or 'run'))}: {_badge(r['status'])} <span class='muted'>{r['duration']:.3f} s</span></span>"
                for r in s["runs"]
            )
            steps = "<br>".join(escape(step) for step in s["steps"])
            parts.append(
                f"<tr><td><b>{escape(s['acceptance_id'])}</b> {escape(s['name'])}"
                f"<details><summary class='muted'>steps</summary>{steps}</details></td>"
                f"<td>{_badge(s['status'])}</td><td>{runs or '—'}</td><td>{escape(', '.join(s['requirements']))}</td>"
                f"<td>{_badge(s['verbatim']) if s['verbatim'] else '—'}</td><td>{escape(s['reason']) or '—'}</td></tr>"
            )
        parts.append("</table>")
    parts.append(
        "<h2>Requirements</h2><table><tr><th>Requirement</th><th>Status</th><th>Scenarios</th><th>Unit tests</th></tr>"
    )
    for r in report["requirements"]:
        scenarios = (
            ", ".join(f"{escape(s['acceptance_id'] or s['name'])} {_badge(s['status'])}" for s in r["scenarios"]) or "—"
        )
        units = ", ".join(f"{n} {escape(status)}" for status, n in sorted(r["unit_test_counts"].items())) or "—"
        parts.append(
            f"<tr><td><b>{escape(r['id'])}</b> {escape(r['text'])}</td><td>{_badge(r['status'])}</td>"
            f"<td>{scenarios}</td><td>{units}</td></tr>"
        )
    parts.append("</table><h2>Success criteria</h2><table><tr><th>Criterion</th><th>Value</th><th>How</th></tr>")
    parts += [
        f"<tr><td><b>{escape(c['id'])}</b> {escape(c['text'])}</td><td>{escape(c['value'])}</td><td>{escape(c['how'])}</td></tr>"
        for c in report["criteria"]
    ]
    parts.append("</table><h2>Gates</h2><table><tr><th>Gate</th><th>Result</th><th>What it guards</th></tr>")
    for gate in report["gates"]:
        violations = "".join(f"<li>{escape(v)}</li>" for v in gate["violations"])
        result = _badge("passed" if gate["passed"] else "FAILED")
        parts.append(
            f"<tr><td>{escape(gate['name'])}</td><td>{result}{f'<ul>{violations}</ul>' if violations else ''}</td>"
            f"<td>{escape(gate['meaning'])}</td></tr>"
        )
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"
