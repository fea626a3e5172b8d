"""``--record DIR``: each real response as a golden file, so a team can refresh the catalogue from reality.

Files follow the catalogue's format (``api/tests/coze/wire/README.md``): a JSON body as the whole
envelope, a stream byte for byte with its SSE framing, named ``<area>/<endpoint>_live[_N].<ext>``
after the endpoint (``users/me_live.json``, ``chat/stream_live.sse``). ``DIR/index.toml`` gets a
``[[golden]]`` table per file whose source says "recorded live" with the date; entries already
there for other files are kept.

Personal data is replaced by placeholders unless ``--record-raw`` is given (:data:`MASKS`); the
token never reaches a file (the check only records response bodies, and redacts the token should a
response echo it).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Keys whose values identify a person, and the placeholder each becomes in a recorded file.
MASKS: Mapping[str, str] = {
    "user_id": "7000000000000000001",
    "owner_user_id": "7000000000000000001",
    "creator_id": "7000000000000000001",
    "user_name": "recorded-user",
    "nick_name": "Recorded user",
    "avatar_url": "https://example.test/avatar.png",
}

#: File stems by endpoint: the JSON answer's, and the stream's where the endpoint streams too.
STEMS: Mapping[str, tuple[str, str]] = {
    "GET /v1/users/me": ("users/me", "users/me"),
    "GET /v1/workspaces": ("workspaces/list", "workspaces/list"),
    "GET /v1/space/published_bots_list": ("bots/published_bots_list", "bots/published_bots_list"),
    "GET /v1/bot/get_online_info": ("bots/get_online_info", "bots/get_online_info"),
    "GET /v1/conversations": ("conversations/list", "conversations/list"),
    "GET /v1/workflows/{workflow_id}/run_histories/{execute_id}": ("workflows/run_history", "workflows/run_history"),
    "POST /v1/conversation/create": ("conversations/create", "conversations/create"),
    "POST /v3/chat": ("chat/create", "chat/stream"),
    "GET /v3/chat/retrieve": ("chat/retrieve", "chat/retrieve"),
    "POST /v3/chat/retrieve": ("chat/retrieve", "chat/retrieve"),  # how cozepy 0.20 asks
    "GET /v3/chat/message/list": ("chat/message_list", "chat/message_list"),
    "POST /v1/workflow/run": ("workflows/run", "workflows/run"),
    "POST /v1/workflow/stream_run": ("workflows/stream", "workflows/stream"),
}


def mask(value: Any) -> Any:
    """``value`` with every :data:`MASKS` key's string replaced by its placeholder, at any depth."""
    if isinstance(value, dict):
        return {
            key: MASKS[key] if key in MASKS and isinstance(item, str) else mask(item) for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask(item) for item in value]
    return value


_DATA_LINE = re.compile(r"^(data:[ ]?)(.*?)(\r?\n|\r)?$", re.DOTALL)


def mask_stream(text: str) -> str:
    """A stream with its data lines masked; every other byte, and each line with nothing to mask, unchanged."""
    out = []
    for line in text.splitlines(keepends=True):
        match = _DATA_LINE.match(line)
        if match:
            try:
                data = json.loads(match[2])
            except ValueError:
                data = None
            if data is not None and mask(data) != data:
                line = match[1] + json.dumps(mask(data), ensure_ascii=False) + (match[3] or "")
        out.append(line)
    return "".join(out)


@dataclass(frozen=True)
class Recording:
    """One response to record."""

    endpoint: str
    stream: bool
    text: str
    case: str
    source: str


def _stem(endpoint: str, stream: bool) -> str:
    stems = STEMS.get(endpoint)
    if stems is not None:
        return stems[stream]
    return "other/" + re.sub(r"[^a-z0-9]+", "_", endpoint.lower()).strip("_")


def _toml_entry(entry: Mapping[str, Any]) -> str:
    # JSON strings are valid TOML basic strings: the one quoting both formats share.
    sources = ", ".join(json.dumps(source, ensure_ascii=False) for source in entry["sources"])
    return (
        "[[golden]]\n"
        f"file = {json.dumps(entry['file'], ensure_ascii=False)}\n"
        f"endpoint = {json.dumps(entry['endpoint'], ensure_ascii=False)}\n"
        f"case = {json.dumps(entry['case'], ensure_ascii=False)}\n"
        f"sources = [{sources}]\n"
    )


def write_recordings(
    folder: Path, recordings: list[Recording], *, raw: bool, redact: Callable[[str], str]
) -> list[Path]:
    """Write the files and their index entries; the paths written, index last."""
    index = folder / "index.toml"
    kept = tomllib.loads(index.read_text(encoding="utf-8")).get("golden", []) if index.is_file() else []
    written: list[Path] = []
    entries: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for recording in recordings:
        stem = _stem(recording.endpoint, recording.stream)
        counts[stem] = counts.get(stem, 0) + 1
        suffix = "" if counts[stem] == 1 else f"_{counts[stem]}"
        name = f"{stem}_live{suffix}.{'sse' if recording.stream else 'json'}"
        if recording.stream:
            text = recording.text if raw else mask_stream(recording.text)
        else:
            body = json.loads(recording.text)
            text = json.dumps(body if raw else mask(body), indent=2, ensure_ascii=False) + "\n"
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(redact(text), encoding="utf-8", newline="")
        written.append(path)
        entries.append(
            {"file": name, "endpoint": recording.endpoint, "case": recording.case, "sources": [recording.source]}
        )
    names = {entry["file"] for entry in entries}
    all_entries = [entry for entry in kept if entry.get("file") not in names] + entries
    header = "# Golden files recorded from a real Coze by `coze-acceptance --live --record` (see README.md).\n"
    index.write_text(redact(header + "".join("\n\n" + _toml_entry(e) for e in all_entries)), encoding="utf-8")
    written.append(index)
    return written
