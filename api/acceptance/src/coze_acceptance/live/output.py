"""What the live check shows: one terminal line per exchange, ``contract.json`` and a small HTML page.

Every text goes through the caller's ``redact`` before it is written, so a token a response might
echo never reaches a file.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coze_acceptance.live.command import LiveResult

Redact = Callable[[str], str]


def _milliseconds(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def contract(result: LiveResult) -> dict[str, Any]:
    """The results as ``contract.json`` holds them."""
    return {
        "base": result.base,
        "client": result.client,
        "writes": result.writes,
        "date": result.date,
        "requests": {"sent": result.sent, "limit": result.limit},
        "exit_code": result.exit_code,
        "steps": [
            {
                "step": step.name,
                "write": step.write,
                "outcome": step.outcome,
                "detail": step.detail,
                "exchanges": [
                    {
                        "operation": checked.operation,
                        "status": exchange.status,
                        "logid": exchange.logid,
                        "duration_ms": _milliseconds(exchange.seconds),
                        "schema": checked.schema,
                        "golden": checked.golden,
                    }
                    for exchange, checked in step.exchanges
                ],
            }
            for step in result.steps
        ],
        "drift": [drift.as_json() for drift in result.drifts],
        "breaking": len(result.breaking),
    }


def write_json(result: LiveResult, path: Path, redact: Redact) -> Path:
    """Write ``contract.json``."""
    path.write_text(
        redact(json.dumps(contract(result), indent=2, ensure_ascii=False, default=str)) + "\n", encoding="utf-8"
    )
    return path


def _verdict(result: LiveResult) -> str:
    additions = len(result.drifts) - len(result.breaking)
    if result.exit_code == 0:
        return f"PASSED: no breaking drift ({additions} addition(s) reported)"
    problems = [f"{len(result.breaking)} breaking drift(s)"] if result.breaking else []
    problems += [f"{len(result.failed_steps)} step(s) did not complete"] if result.failed_steps else []
    return "FAILED: " + "; ".join(problems)


def terminal_lines(result: LiveResult, written: list[Path]) -> list[str]:
    """One line per exchange (operation, status, logid, duration, what each check made of it), its drifts below."""
    lines = [f"live contract check: {_summary(result)}"]
    for step in result.steps:
        for exchange, checked in step.exchanges:
            label = "DRIFT" if any(d.breaking for d in checked.drifts) else "OK"
            ms = _milliseconds(exchange.seconds)
            lines.append(
                f"  {label:<6} {checked.operation:<58} {exchange.status}  logid {exchange.logid or '-'}  "
                f"{'-' if ms is None else ms} ms  schema: {checked.schema}  golden: {checked.golden}"
            )
            lines += [
                f"         {d.kind:<10} {d.path}: expected {d.expected!r}, found {d.found!r} ({d.check})"
                for d in checked.drifts
            ]
        if step.outcome != "ok":
            lines.append(f"  {step.outcome.upper():<6} {step.name}: {step.detail}")
    lines += [
        f"  {d.kind:<10} {d.operation} {d.path}: {d.found} (logid {d.logid or '-'})"
        for d in result.drifts
        if d.check == "parse"
    ]
    lines.append(f"requests: {result.sent} sent (at most {result.limit})")
    lines += [f"written: {path.resolve().as_uri()}" for path in written]
    lines.append(_verdict(result))
    return lines


_STYLE = (
    "body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse;margin:1rem 0}"
    "td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}"
    ".breaking{background:#fde2e1}.added{background:#fff3cd}.ok{background:#e3f4e1}"
)


def _row(cells: list[Any], css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f"<tr{cls}>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>"


def _heads(names: str) -> str:
    return "".join(f"<th>{name}</th>" for name in names.split())


def _summary(result: LiveResult) -> str:
    mode = "reads and writes" if result.writes else "reads only"
    requests = f"{result.sent} request(s) of at most {result.limit}"
    return f"{result.base}, {result.client} client, {mode}, {result.date}: {requests}."


def render_html(result: LiveResult, path: Path, redact: Redact) -> Path:
    """Write ``contract.html``: the exchanges, then the drift."""
    exchanges = "".join(
        _row(
            [
                step.name,
                checked.operation,
                exchange.status,
                exchange.logid or "-",
                _milliseconds(exchange.seconds),
                checked.schema,
                checked.golden,
            ],
            "breaking" if any(d.breaking for d in checked.drifts) else "ok",
        )
        for step in result.steps
        for exchange, checked in step.exchanges
    )
    steps = "".join(
        _row([s.name, s.outcome, s.detail], "ok" if s.outcome == "ok" else "breaking") for s in result.steps
    )
    drifts = "".join(
        _row(
            [
                d.operation,
                d.path,
                d.kind,
                json.dumps(d.expected, default=str),
                json.dumps(d.found, default=str),
                d.check,
                d.logid or "-",
            ],
            "breaking" if d.breaking else "added",
        )
        for d in result.drifts
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Live contract check</title><style>{_STYLE}</style></head>
<body>
<h1>Live contract check</h1>
<p>{html.escape(_summary(result))}</p>
<p><strong>{html.escape(_verdict(result))}</strong></p>
<h2>Exchanges</h2>
<table><tr>{_heads("step operation status logid ms schema golden")}</tr>{exchanges}</table>
<h2>Steps</h2>
<table><tr>{_heads("step outcome detail")}</tr>{steps}</table>
<h2>Drift</h2>
<table><tr>{_heads("operation path kind expected found check logid")}</tr>{drifts}</table>
</body></html>
"""
    path.write_text(redact(page), encoding="utf-8")
    return path
