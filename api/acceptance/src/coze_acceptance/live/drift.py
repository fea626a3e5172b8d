"""What the live check found: drift between a real response and what the suite knows about Coze.

A drift is ``{"operation", "path", "kind", "expected", "found"}`` plus the check that found it and
the exchange's logid. Kinds: ``removed`` (a documented key is missing), ``type`` (a key of another
JSON type), ``value`` (an enum-like value nobody documented), ``unparsable`` (cozepy or the runtime
cannot read the response) are breaking; ``added`` (a key nobody documented) is reported only.

Paths read like ``data.variables[0].variable_type``; a stream's event is
``events[3](conversation.chat.completed)`` followed by the path in its data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

REMOVED, TYPE, VALUE, ADDED, UNPARSABLE = "removed", "type", "value", "added", "unparsable"
BREAKING = frozenset({REMOVED, TYPE, VALUE, UNPARSABLE})
#: Which check found a drift: the OpenAPI schema, the golden files, or parsing through cozepy and the runtime.
SCHEMA, GOLDEN, PARSE = "schema", "golden", "parse"

#: A path: keys and list indexes, from the body's root.
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Drift:
    """One difference between a real response and the documented wire."""

    operation: str
    path: str
    kind: str
    expected: Any
    found: Any
    check: str
    logid: str | None = None

    @property
    def breaking(self) -> bool:
        """Whether the backend could break on it (everything but an addition)."""
        return self.kind in BREAKING

    def as_json(self) -> dict[str, Any]:
        """The drift as ``contract.json`` lists it."""
        return asdict(self)


def format_path(path: Sequence[str | int], prefix: str = "") -> str:
    """``("data", "variables", 0, "variable_type")`` → ``data.variables[0].variable_type``."""
    text = prefix
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(body)"


def json_type(value: Any) -> str:
    """The JSON type of a parsed value; integers and other numbers are both ``number``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
