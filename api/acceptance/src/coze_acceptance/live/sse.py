"""Server-sent events as the SSE standard reads them: what the live check compares, event by event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

#: The data of an event that is not JSON.
NOT_JSON = object()


@dataclass(frozen=True)
class Event:
    """One event of a stream: its name and its data lines joined."""

    name: str
    data: str

    def json(self) -> Any:
        """The data as JSON, or :data:`NOT_JSON`."""
        try:
            return json.loads(self.data)
        except ValueError:
            return NOT_JSON


def parse_events(text: str) -> list[Event]:
    """The events of a stream: fields up to each blank line, comments skipped, ``message`` when unnamed."""
    events: list[Event] = []
    fields: dict[str, list[str]] = {}
    for line in [*text.splitlines(), ""]:
        if not line:
            if "event" in fields or "data" in fields:
                events.append(Event(fields.get("event", ["message"])[-1], "\n".join(fields.get("data", []))))
            fields = {}
        elif not line.startswith(":"):
            key, _, value = line.partition(":")
            fields.setdefault(key, []).append(value.removeprefix(" "))
    return events
