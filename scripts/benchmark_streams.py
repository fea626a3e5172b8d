"""Time folding a chat and a workflow stream against iterating the same cozepy stream bare.

For streams of 1,000, 10,000 and 100,000 events, served in memory through respx, it times

- bare: iterating ``coze.chat.stream`` / ``coze.workflows.runs.stream`` and dropping each event;
- fold: folding the same stream with ``consume_chat_stream`` / ``consume_workflow_stream`` (with
  an ``on_progress`` callback that keeps the newest progress, as a UI would);

both on one client from ``build_coze``, so its response hooks weigh on both sides alike, and
prints the fold/bare ratio of CPU times (process time, so other processes on a shared
machine do not count), the best of a few alternating runs each. Target: at most 1.3x at 100,000
events for both. A ratio that grows with the stream length means the fold is not linear. Usage:

    uv run python scripts/benchmark_streams.py [--sizes 1000 10000 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable

import httpx
import respx
from cozepy import COZE_CN_BASE_URL

from coze_integration.chat import consume_chat_stream
from coze_integration.clients import build_coze
from coze_integration.settings import CozeSettings
from coze_integration.workflows import WorkflowProgress, consume_workflow_stream

TARGET = 1.3
TOKEN = "pat_benchmark_only"
CHAT = {"id": "7484523878849822004", "conversation_id": "7484523878849822003", "bot_id": "7484523878849822002"}


def _chat_stream(events: int) -> bytes:
    """``events`` answer deltas between the chat's created and completed events, then done."""
    answer = {"role": "assistant", "type": "answer", "content": "word ", "content_type": "text"}
    delta = json.dumps({**CHAT, **answer, "chat_id": CHAT["id"]})
    parts = [f"event:conversation.chat.created\ndata:{json.dumps({**CHAT, 'status': 'created'})}\n\n"]
    parts += [f"event:conversation.message.delta\ndata:{delta}\n\n"] * (events - 2)
    parts.append(f"event:conversation.chat.completed\ndata:{json.dumps({**CHAT, 'status': 'completed'})}\n\n")
    parts.append('event:done\ndata:"[DONE]"\n\n')
    return "".join(parts).encode()


def _workflow_stream(events: int) -> bytes:
    """An End node streaming ``events`` chunks, the last marked finished, then Done."""
    parts = []
    for seq in range(events):
        data = {"content": "word ", "node_title": "End", "node_seq_id": str(seq), "node_is_finish": seq == events - 1}
        parts.append(f"id: {seq}\nevent: Message\ndata: {json.dumps(data)}\n\n")
    parts.append(f'id: {events}\nevent: Done\ndata: {{"debug_url":"https://www.coze.cn/work_flow"}}\n\n')
    return "".join(parts).encode()


def _best_pair(first: Callable[[], object], second: Callable[[], object], runs: int) -> tuple[float, float]:
    """The best CPU time of each, run in alternation so that drift in the machine's speed hits both."""
    best = [float("inf"), float("inf")]
    for _ in range(runs):
        for slot, action in enumerate((first, second)):
            start = time.process_time()
            action()
            best[slot] = min(best[slot], time.process_time() - start)
    return best[0], best[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("cozepy").setLevel(logging.WARNING)  # cozepy logs each line at DEBUG otherwise

    coze = build_coze(CozeSettings(api_token=TOKEN, api_base=COZE_CN_BASE_URL))
    bot_id, user_id = CHAT["bot_id"], "user-42"

    def fold_chat() -> object:
        return consume_chat_stream(lambda: coze.chat.stream(bot_id=bot_id, user_id=user_id))

    def fold_workflow() -> object:
        latest: list[WorkflowProgress] = []  # what a UI keeps: the newest progress

        def report(progress: WorkflowProgress) -> None:
            latest[:] = [progress]

        return consume_workflow_stream(lambda: coze.workflows.runs.stream(workflow_id="wf"), report)

    kinds: dict[str, tuple[str, Callable[[int], bytes], Callable[[], object], Callable[[], object]]] = {
        "chat": (
            "/v3/chat",
            _chat_stream,
            lambda: sum(1 for _ in coze.chat.stream(bot_id=bot_id, user_id=user_id)),
            fold_chat,
        ),
        "workflow": (
            "/v1/workflow/stream_run",
            _workflow_stream,
            lambda: sum(1 for _ in coze.workflows.runs.stream(workflow_id="wf")),
            fold_workflow,
        ),
    }
    worst = 0.0
    print(f"{'stream':<9} {'events':>8} {'bare s':>9} {'fold s':>9} {'ratio':>6}")
    with respx.mock(base_url=COZE_CN_BASE_URL, assert_all_called=False) as router:
        for kind, (path, body, iterate, fold) in kinds.items():
            for size in args.sizes:
                content = body(size)
                router.post(path).mock(
                    side_effect=lambda _request, content=content: httpx.Response(
                        200, content=content, headers={"content-type": "text/event-stream", "x-tt-logid": "bench"}
                    )
                )
                bare_time, fold_time = _best_pair(iterate, fold, args.runs)
                ratio = fold_time / bare_time
                if size == max(args.sizes):
                    worst = max(worst, ratio)
                print(f"{kind:<9} {size:>8} {bare_time:>9.3f} {fold_time:>9.3f} {ratio:>5.2f}x")
    verdict = "within" if worst <= TARGET else "ABOVE"
    print(f"largest streams: worst ratio {worst:.2f}x, {verdict} the {TARGET}x target")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
