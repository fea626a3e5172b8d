"""The live check from inputs to exit status: run the steps, check each exchange, write and print the results."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cozepy import AsyncCoze

from coze_acceptance.live.capture import REQUEST_LIMIT, Exchange, RequestBudgetExhausted, WireRecorder
from coze_acceptance.live.checks import ExchangeCheck, check_exchange, merge, operation_of
from coze_acceptance.live.drift import PARSE, UNPARSABLE, Drift
from coze_acceptance.live.golden import WIRE_DIR, Catalogue, load_catalogue
from coze_acceptance.live.inputs import LiveInputs, LiveUsageError, read_inputs
from coze_acceptance.live.operations import AsyncProbe, Probe, SyncProbe, steps
from coze_acceptance.live.output import render_html, terminal_lines, write_json
from coze_acceptance.live.record import STEMS, Recording, write_recordings
from coze_acceptance.live.schema import OPERATIONS, Description, load_description
from coze_integration import (
    CozeIntegrationError,
    CozeMalformedEventError,
    CozeMalformedResponseError,
    PollPolicy,
    build_async_coze,
    build_calls,
    build_coze,
)

#: Where the results go, from the project root, unless ``--output`` says otherwise.
LIVE_OUTPUT = Path("reports/live")
OK, FAILED, SKIPPED, NOT_SENT = "ok", "failed", "skipped", "not sent"


@dataclass
class StepResult:
    """How one step went, and the exchanges it made."""

    name: str
    write: bool
    outcome: str
    detail: str
    exchanges: list[tuple[Exchange, ExchangeCheck]] = field(default_factory=list)


@dataclass
class LiveResult:
    """Everything one live check found."""

    base: str
    client: str
    writes: bool
    date: str
    limit: int
    sent: int = 0
    steps: list[StepResult] = field(default_factory=list)
    drifts: list[Drift] = field(default_factory=list)

    @property
    def breaking(self) -> list[Drift]:
        """The drifts the backend could break on."""
        return [d for d in self.drifts if d.breaking]

    @property
    def failed_steps(self) -> list[StepResult]:
        """Steps that did not complete (a failure other than unreadable data, or the budget ran out)."""
        return [s for s in self.steps if s.outcome in (FAILED, NOT_SENT)]

    @property
    def exit_code(self) -> int:
        """0 when nothing breaking was found and every step ran (additions allowed), else 1."""
        return 1 if self.breaking or self.failed_steps else 0


def _caused_by_budget(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, RequestBudgetExhausted):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _attempt(run: Callable[[], Awaitable[str]], limit: int) -> tuple[str, str, str | None]:
    """Run one step: its outcome, a summary or the error, and the logid of an answer it could not read."""
    try:
        return OK, await run(), None
    except (CozeMalformedResponseError, CozeMalformedEventError) as exc:
        return UNPARSABLE, str(exc), exc.logid
    except Exception as exc:
        if _caused_by_budget(exc):
            return NOT_SENT, f"the request budget of {limit} was spent", None
        if isinstance(exc, CozeIntegrationError):
            return FAILED, str(exc), exc.logid
        raise


def _templates(catalogue: Catalogue, description: Description) -> list[str]:
    return list(dict.fromkeys([*catalogue.endpoints(), *description.operations, *STEMS]))


async def _run(
    inputs: LiveInputs, catalogue: Catalogue, description: Description, *, writes: bool, client: str, limit: int
) -> LiveResult:
    settings = inputs.settings
    coze = build_coze(settings) if client == "sync" else build_async_coze(settings)
    recorder = WireRecorder(limit)
    recorder.attach(coze)
    calls, policy = build_calls(settings), PollPolicy(timeout=settings.timeout_seconds)
    probe: Probe = AsyncProbe(coze, calls, policy) if isinstance(coze, AsyncCoze) else SyncProbe(coze, calls, policy)
    result = LiveResult(settings.api_base, client, writes, datetime.now(UTC).date().isoformat(), limit)
    templates = _templates(catalogue, description)
    exhausted = False
    for step in steps(probe, coze, inputs, writes=writes):
        if step.run is None or exhausted:
            why = step.skipped or f"the request budget of {limit} was spent"
            result.steps.append(StepResult(step.name, step.write, SKIPPED if step.run is None else NOT_SENT, why))
            continue
        before = len(recorder.exchanges)
        outcome, detail, logid = await _attempt(step.run, limit)
        exhausted = outcome == NOT_SENT
        done = StepResult(step.name, step.write, outcome, detail)
        for exchange in recorder.exchanges[before:]:
            checked = check_exchange(
                exchange, operation_of(exchange.method, exchange.path, templates), catalogue, description
            )
            done.exchanges.append((exchange, checked))
            result.drifts += checked.drifts
        if outcome == UNPARSABLE:  # check 3: named after the exchange cozepy or the runtime could not read
            operation = done.exchanges[-1][1].operation if done.exchanges else step.name
            result.drifts.append(
                Drift(operation, "(body)", UNPARSABLE, "a body cozepy and the runtime read", detail, PARSE, logid)
            )
        result.steps.append(done)
    result.sent = recorder.sent
    result.drifts = merge(result.drifts)
    return result


def run_check(
    inputs: LiveInputs,
    root: Path,
    *,
    writes: bool = False,
    client: str = "sync",
    limit: int = REQUEST_LIMIT,
    operations: Path | None = None,
) -> LiveResult:
    """Run the live check from project ``root`` with the ``sync`` or ``async`` client.

    ``operations`` replaces the project's OpenAPI description (tests pass their own).
    """
    catalogue = load_catalogue(root / WIRE_DIR)
    description = load_description(operations or root / OPERATIONS)
    return asyncio.run(_run(inputs, catalogue, description, writes=writes, client=client, limit=limit))


def recordings(result: LiveResult) -> list[Recording]:
    """Every exchange with a readable JSON or stream body, to write with ``--record``."""
    host = result.base.split("://", 1)[-1]
    found = []
    for step in result.steps:
        for exchange, checked in step.exchanges:
            if checked.text is None or not (exchange.is_stream or "json" in exchange.content_type):
                continue
            case = f"recorded live: {step.name} (HTTP {exchange.status})"
            source = f"LIVE recorded live {result.date} from {host} (logid {exchange.logid})"
            found.append(Recording(checked.operation, exchange.is_stream, checked.text, case, source))
    return found


def _project_root(start: Path) -> Path:
    for folder in (start, *start.parents):
        if (folder / WIRE_DIR / "index.toml").is_file():
            return folder
    raise LiveUsageError(f"no {WIRE_DIR}/index.toml in {start} or above: run it inside the project")


def run_command(args: argparse.Namespace) -> int:
    """``coze-acceptance --live``: 0 nothing breaking, 1 breaking drift or failed steps, 2 usage error."""
    try:
        inputs = read_inputs()
        root = _project_root(Path.cwd())
    except LiveUsageError as exc:
        print(f"coze-acceptance --live: {exc}", file=sys.stderr)
        return 2
    output: Path = args.output or root / LIVE_OUTPUT
    result = run_check(inputs, root, writes=args.live_writes)
    output.mkdir(parents=True, exist_ok=True)
    written = [
        write_json(result, output / "contract.json", inputs.redact),
        render_html(result, output / "contract.html", inputs.redact),
    ]
    lines = terminal_lines(result, written)
    if args.record:
        files = write_recordings(args.record, recordings(result), raw=args.record_raw, redact=inputs.redact)
        lines.append(f"recorded {len(files) - 1} file(s) and their index in {args.record.resolve()}")
    print("\n".join(inputs.redact(line) for line in lines))
    return result.exit_code
