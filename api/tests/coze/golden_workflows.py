"""What the golden workflow streams say, read by the suite's own SSE parser: the expected values."""

from __future__ import annotations

from typing import Any

from tests.coze.wire import GoldenEvent, golden_events

#: The title Coze gives the End node in the golden streams.
END_NODE = "End"


def delivered_events(name: str) -> list[GoldenEvent]:
    """The events of golden stream ``name`` the fold sees: not ``Done`` (cozepy hides it), not ``PING``.

    The wire repairs drop ``PING`` heartbeats before cozepy reads the stream.
    """
    return [event for event in golden_events(name) if event.event not in {"Done", "PING"}]


def message_data(name: str) -> list[dict[str, Any]]:
    """The data of every ``Message`` event of golden stream ``name``, in file order."""
    return [event.json() for event in golden_events(name) if event.event == "Message"]


def end_node_text(name: str) -> str:
    """The End node's chunks of golden stream ``name`` joined in ``node_seq_id`` order: the run's output."""
    chunks = [m for m in message_data(name) if m["node_title"] == END_NODE]
    return "".join(m["content"] for m in sorted(chunks, key=lambda m: int(m["node_seq_id"])))


def done_data(name: str) -> dict[str, Any]:
    """The data of golden stream ``name``'s ``Done`` event."""
    [done] = [event.json() for event in golden_events(name) if event.event == "Done"]
    result: dict[str, Any] = done
    return result
