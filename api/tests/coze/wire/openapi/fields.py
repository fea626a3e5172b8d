"""The documented properties of each operation, as paths, and the same paths read from a JSON value.

A path is dotted from the body's top (``data.plugin_info_list[].api_info_list[].name``): ``[]``
for an array's items, ``{}`` for a map's values. A stream's paths start with the events whose data
has that schema (``conversation.chat.completed,conversation.chat.created,...:usage.token_count``),
so the chat events share one set of chat properties. A self-containing schema (``$defs``) is
named once, not followed.
"""

from __future__ import annotations

from typing import Any

from tests.coze.wire.openapi import event_names, event_schema, operation, operation_schema


def _schema_paths(schema: dict[str, Any], prefix: str, found: set[str]) -> None:
    if prefix:
        found.add(prefix)
    if "$ref" in schema:
        return
    for name, sub in schema.get("properties", {}).items():
        _schema_paths(sub, f"{prefix}.{name}" if prefix else name, found)
    if isinstance(schema.get("items"), dict):
        _schema_paths(schema["items"], prefix + "[]", found)
    if isinstance(schema.get("additionalProperties"), dict):
        _schema_paths(schema["additionalProperties"], prefix + "{}", found)


def value_paths(value: Any, documented: set[str], prefix: str = "") -> set[str]:
    """Every path a JSON value holds, in the notation above; where ``documented`` has a map, keys become ``{}``."""
    found: set[str] = set()
    if prefix:
        found.add(prefix)
    if isinstance(value, dict):
        is_map = prefix + "{}" in documented
        for key, child in value.items():
            found |= value_paths(child, documented, prefix + "{}" if is_map else f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        for item in value:
            found |= value_paths(item, documented, prefix + "[]")
    return found


def event_group(endpoint: str, event: str) -> str:
    """The events of ``endpoint`` whose data has the same schema as ``event``'s, joined: the paths' prefix."""
    same = [name for name in event_names(endpoint) if event_schema(endpoint, name) == event_schema(endpoint, event)]
    return ",".join(sorted(same))


def documented_paths(endpoint: str) -> set[str]:
    """Every documented property of ``endpoint``'s 200 body and of its events' data."""
    found: set[str] = set()
    if not operation(endpoint).get("stream_only"):  # a stream's flat union of event fields is no body
        _schema_paths(operation_schema(endpoint), "", found)
    for event in event_names(endpoint):
        group = event_group(endpoint, event)
        event_paths: set[str] = set()
        _schema_paths(event_schema(endpoint, event), "", event_paths)
        found |= {f"{group}:{path}" for path in event_paths}
    return found


def stream_paths(endpoint: str, event: str, data: Any, documented: set[str]) -> set[str]:
    """The documented-style paths of one event's ``data`` (prefixed with its event group)."""
    group = event_group(endpoint, event) + ":"
    relative = {path.removeprefix(group) for path in documented if path.startswith(group)}
    return {group + path for path in value_paths(data, relative)}


def covers(path: str, paths: set[str]) -> bool:
    """Whether ``paths`` hold ``path`` or something below it (an object is asserted through its fields)."""
    return any(
        other == path or other.startswith((f"{path}.", f"{path}[]", f"{path}{{}}", f"{path}:")) for other in paths
    )
