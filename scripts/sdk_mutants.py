"""Prove the suite catches a broken SDK: run it against copies of cozepy with one fault each.

Each mutant copies the installed cozepy into a temporary directory, applies one textual fault
and runs tests with that copy first on ``PYTHONPATH``. A mutant the tests do not kill is a gap in
the tests. Two kinds:

- Hand-written faults (``MUTANTS``): auth, paging, request bodies, streams, errors. Each runs the
  whole default suite.
- Drift mutants, generated from Coze's OpenAPI description as transcribed in
  ``api/tests/coze/wire/openapi/operations.json``: for every documented property of a used
  operation that cozepy models (found by walking the response models the operation reaches, field
  by field, matching wire key to field alias or name), the field reads another key
  (``validation_alias``); for every documented enum value cozepy has, the member's value changes.
  Each runs only the tests that can see a wire field: the contract tests, which serve every golden
  file to cozepy and check every documented key reaches the parsed object
  (``test_coze_wire_contract.py``, ``test_coze_openapi.py``, ``test_coze_wire_repairs.py``), and
  the unit tests of the operation's area (``AREA_TESTS``). The acceptance scenarios run the same
  runtime paths over the same golden files, so they add no field the area tests do not see.

Mutants run two at a time (CI has 2 cores). Every generated mutant runs: there is no list of
drift the suite may miss. Usage:

    uv run python scripts/sdk_mutants.py [--list] [NAME ...]
"""

from __future__ import annotations

import enum
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import typing
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pydantic


@dataclass(frozen=True)
class Mutant:
    """One fault: in ``path`` (relative to the cozepy package) replace ``old`` by ``new``."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...] = field(default=())
    """The test files to run (relative to the project root); empty runs the whole default suite."""


MUTANTS = [
    Mutant("wrong-auth-scheme", "auth/__init__.py", 'return "Bearer"', 'return "Token"'),
    Mutant("page-number-off-by-one", "bots/__init__.py", '"page_index": i_page_num,', '"page_index": i_page_num + 1,'),
    Mutant("lost-logid", "model.py", 'headers.get("x-tt-logid")\n', 'headers.get("x-logid")\n'),
    Mutant(
        "dropped-user-message",
        "chat/__init__.py",
        '"additional_messages": [i.model_dump() for i in additional_messages] if additional_messages else []',
        '"additional_messages": []',
    ),
    Mutant(
        "usage-not-parsed",
        "chat/__init__.py",
        "usage: Optional[ChatUsage] = None",
        "usage_: Optional[ChatUsage] = None",
    ),
    Mutant(
        "missing-completion-event",
        "chat/__init__.py",
        "    if event == ChatEventType.DONE:\n",
        "    if event in (ChatEventType.DONE, ChatEventType.CONVERSATION_CHAT_COMPLETED):\n",
    ),
    Mutant(
        "emptied-delta-content",
        "chat/__init__.py",
        "event = ChatEvent(event=event, message=Message.model_validate_json(event_data))",
        "event = ChatEvent(event=event, message=Message.model_validate_json(event_data)"
        '.model_copy(update={"content": ""}))',
    ),
    Mutant(
        "conversation-delete-wrong-method",
        "conversations/__init__.py",
        'return self._requester.request("delete", url, False, DeleteConversationResp)',
        'return self._requester.request("post", url, False, DeleteConversationResp)',
    ),
    Mutant("stream-not-set", "chat/__init__.py", '"stream": stream,', '"stream": False,'),
    Mutant("workflow-inputs-dropped", "workflows/runs/__init__.py", '"parameters": parameters,', '"parameters": None,'),
    Mutant(
        "run-history-ids-swapped",
        "workflows/runs/run_histories/__init__.py",
        "/v1/workflows/{workflow_id}/run_histories/{execute_id}",
        "/v1/workflows/{execute_id}/run_histories/{workflow_id}",
    ),
    Mutant(
        "workflow-messages-dropped",
        "workflows/runs/__init__.py",
        "    elif event == WorkflowEventType.MESSAGE:\n        return WorkflowEvent(",
        "    elif event == WorkflowEventType.MESSAGE:\n        return None\n        return WorkflowEvent(",
    ),
    Mutant(
        "async-run-execute-id-lost", "request.py", '"execute_id": body.get("execute_id") or None', '"execute_id": None'
    ),
    Mutant(
        "error-code-dropped",
        "request.py",
        "raise CozeAPIError(code, msg, logid, debug_url)",
        "raise CozeAPIError(None, msg, logid, debug_url)",
    ),
    Mutant(
        "error-logid-dropped",
        "request.py",
        "raise CozeAPIError(code, msg, logid, debug_url)",
        "raise CozeAPIError(code, msg, None, debug_url)",
    ),
    Mutant("error-event-swallowed", "chat/__init__.py", 'raise Exception(f"error event: {event_data}")', "return None"),
    Mutant(
        "malformed-lines-skipped",
        "model.py",
        '            if line == "":\n                continue\n',
        '            if line == "" or not any(line.startswith(f + ":") for f in self._fields):\n'
        "                continue\n",
    ),
    # Schema drift against the golden wire that generation does not make: enum values the
    # description does not list (chat status, run status and workspace type are plain strings
    # there), a field of /v1/users/me (absent from the description) read from another key, fields dropped.
    Mutant(
        "drift-chat-status-value",
        "chat/__init__.py",
        '    IN_PROGRESS = "in_progress"\n',
        '    IN_PROGRESS = "running"\n',
    ),
    Mutant(
        "drift-execute-status-value",
        "workflows/runs/run_histories/__init__.py",
        '    SUCCESS = "Success"\n',
        '    SUCCESS = "Succeeded"\n',
    ),
    Mutant("drift-workspace-type-value", "workspaces/__init__.py", '    TEAM = "team"\n', '    TEAM = "enterprise"\n'),
    Mutant(
        "drift-nick-name-other-key",
        "users/__init__.py",
        "    nick_name: str\n",
        '    nick_name: str = __import__("pydantic").Field(alias="nickname")\n',
    ),
    Mutant("drift-conversation-name-dropped", "conversations/__init__.py", "    name: Optional[str] = None\n", ""),
    Mutant("drift-chat-completed-at-dropped", "chat/__init__.py", "    completed_at: Optional[int] = None\n", ""),
    Mutant("drift-message-section-id-dropped", "chat/__init__.py", "    section_id: Optional[str] = None\n", ""),
    Mutant("drift-workflow-usage-dropped", "workflows/runs/__init__.py", "    usage: Optional[ChatUsage] = None\n", ""),
    Mutant(
        "drift-run-history-usage-dropped",
        "workflows/runs/run_histories/__init__.py",
        "    usage: Optional[ChatUsage] = None\n",
        "",
    ),
]


# --- drift mutants generated from the OpenAPI transcription -----------------------------------------

ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPTION = ROOT / "api/tests/coze/wire/openapi/operations.json"
CONTRACT_TESTS = (
    "api/tests/coze/test_coze_wire_contract.py",
    "api/tests/coze/test_coze_wire_repairs.py",
    "api/tests/coze/test_coze_openapi.py",
)
AREA_TESTS = {
    "bots": ("api/tests/coze/test_coze_bots.py",),
    "workspaces": ("api/tests/coze/test_coze_workspaces.py",),
    "conversations": ("api/tests/coze/test_coze_conversations.py",),
    "chat": ("api/tests/coze/test_coze_chat.py", "api/tests/coze/test_coze_chat_stream.py"),
    "workflows": ("api/tests/coze/test_coze_workflows.py", "api/tests/coze/test_coze_workflow_logs.py"),
}

# Where cozepy's model starts in each schema: (endpoint, event or "" for the 200 body, JSON path of
# the modelled object as keys, with "[]" for an array's items, cozepy model, area).
MODEL_ROOTS = (
    ("GET /v1/bot/get_online_info", "", ("data",), "cozepy.bots:Bot", "bots"),
    ("GET /v1/space/published_bots_list", "", ("data",), "cozepy.bots:_PrivateListBotsDataV1", "bots"),
    ("GET /v1/workspaces", "", ("data",), "cozepy.workspaces:_PrivateListWorkspacesData", "workspaces"),
    ("POST /v1/conversation/create", "", ("data",), "cozepy.conversations:Conversation", "conversations"),
    ("GET /v1/conversation/retrieve", "", ("data",), "cozepy.conversations:Conversation", "conversations"),
    ("GET /v1/conversations", "", ("data",), "cozepy.conversations:_PrivateListConversationResp", "conversations"),
    (
        "POST /v1/conversation/message/list",
        "",
        (),
        "cozepy.conversations.message:_PrivateListMessageResp",
        "conversations",
    ),
    # cozepy reads this list's ``data`` into ``items`` (the requester's data field), so the messages
    # get their own root.
    ("POST /v1/conversation/message/list", "", ("data", "[]"), "cozepy.chat:Message", "conversations"),
    ("POST /v3/chat", "", ("data",), "cozepy.chat:Chat", "chat"),
    ("POST /v3/chat", "conversation.chat.created", (), "cozepy.chat:Chat", "chat"),
    ("POST /v3/chat", "conversation.chat.in_progress", (), "cozepy.chat:Chat", "chat"),
    ("POST /v3/chat", "conversation.chat.completed", (), "cozepy.chat:Chat", "chat"),
    ("POST /v3/chat", "conversation.chat.failed", (), "cozepy.chat:Chat", "chat"),
    ("POST /v3/chat", "conversation.chat.requires_action", (), "cozepy.chat:Chat", "chat"),
    ("POST /v3/chat", "conversation.message.delta", (), "cozepy.chat:Message", "chat"),
    ("POST /v3/chat", "conversation.message.completed", (), "cozepy.chat:Message", "chat"),
    ("GET /v3/chat/retrieve", "", ("data",), "cozepy.chat:Chat", "chat"),
    ("GET /v3/chat/message/list", "", ("data", "[]"), "cozepy.chat:Message", "chat"),
    ("POST /v1/workflow/run", "", (), "cozepy.workflows.runs:WorkflowRunResult", "workflows"),
    ("POST /v1/workflow/stream_run", "Message", (), "cozepy.workflows.runs:WorkflowEventMessage", "workflows"),
    ("POST /v1/workflow/stream_run", "Error", (), "cozepy.workflows.runs:WorkflowEventError", "workflows"),
    ("POST /v1/workflow/stream_run", "Interrupt", (), "cozepy.workflows.runs:WorkflowEventInterrupt", "workflows"),
    (
        "GET /v1/workflows/{workflow_id}/run_histories/{execute_id}",
        "",
        ("data", "[]"),
        "cozepy.workflows.runs.run_histories:WorkflowRunHistory",
        "workflows",
    ),
)

DRIFT = "__drift"
"""Appended to a wire key or an enum value: no documented key or value ends like this."""


@dataclass(frozen=True)
class Found:
    """A documented property or enum value that a cozepy model reads: where, and who can see it."""

    kind: str  # "field" or "enum"
    owner: type[Any]  # the pydantic model or the enum class
    name: str  # the field's name, or the enum member's name
    wire: str  # the wire key, or the enum value as text
    areas: frozenset[str]
    sources: frozenset[str]  # "endpoint [event] path" where the description documents it


def _unwrap(annotation: Any) -> list[Any]:
    """The classes inside ``Optional[List[Dict[str, X]]]`` and the like."""
    args = typing.get_args(annotation)
    if not args:
        return [annotation]
    return [inner for arg in args for inner in _unwrap(arg)]


def _wire_keys(info: pydantic.fields.FieldInfo, name: str) -> set[str]:
    keys = {name if info.alias is None else info.alias}
    if isinstance(info.validation_alias, str):
        keys.add(info.validation_alias)
    return keys


def _items(schema: dict[str, Any]) -> dict[str, Any]:
    """The object schema inside arrays and maps (``items``, ``additionalProperties``), or ``schema``."""
    while True:
        if isinstance(schema.get("items"), dict):
            schema = schema["items"]
        elif isinstance(schema.get("additionalProperties"), dict):
            schema = schema["additionalProperties"]
        else:
            return schema


def _walk(
    schema: dict[str, Any], model: type[Any], defs: dict[str, Any], where: str, area: str, seen: set[type[Any]]
) -> Iterator[Found]:
    """Every (model field, documented key) and (enum member, documented value) pair under ``schema``."""
    if "$ref" in schema:
        schema = defs[schema["$ref"].rpartition("/")[2]]
    if model in seen:
        return
    seen = seen | {model}
    for key, prop in schema.get("properties", {}).items():
        fields = [(n, i) for n, i in model.model_fields.items() if key in _wire_keys(i, n)]
        for name, info in fields:
            place = f"{where}.{key}"
            yield Found("field", model, name, key, frozenset({area}), frozenset({place}))
            inner = _items(prop if "$ref" not in prop else defs[prop["$ref"].rpartition("/")[2]])
            for kind in _unwrap(info.annotation):
                if isinstance(kind, type) and issubclass(kind, pydantic.BaseModel):
                    yield from _walk(inner, kind, defs, place, area, seen)
                elif isinstance(kind, type) and issubclass(kind, enum.Enum):
                    members = {str(member.value): member for member in kind}
                    for value in inner.get("enum", []):
                        if str(value) in members:
                            member = members[str(value)]
                            yield Found("enum", kind, member.name, str(value), frozenset({area}), frozenset({place}))


def _model(dotted: str) -> type[Any]:
    module, _, qualname = dotted.partition(":")
    found: Any = import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return typing.cast(type[Any], found)


def documented_drift() -> list[Found]:
    """Every documented property and enum value cozepy models on the used operations, merged by target."""
    operations = json.loads(TRANSCRIPTION.read_text(encoding="utf-8"))["operations"]
    merged: dict[tuple[str, type[Any], str], Found] = {}
    for endpoint, event, path, dotted, area in MODEL_ROOTS:
        schema = operations[endpoint]["events"][event] if event else operations[endpoint]["response"]
        defs = schema.get("$defs", {})
        for key in path:
            schema = schema["items"] if key == "[]" else schema["properties"][key]
        where = f"{endpoint} {event}".strip() + ("" if not path else " " + ".".join(path))
        for found in _walk(schema, _model(dotted), defs, where, area, set()):
            target = (found.kind, found.owner, found.name if found.kind == "field" else found.wire)
            before = merged.get(target)
            merged[target] = (
                found
                if before is None
                else Found(
                    found.kind,
                    found.owner,
                    found.name,
                    found.wire,
                    before.areas | found.areas,
                    before.sources | found.sources,
                )
            )
    return list(merged.values())


_FIELD_LINE = re.compile(r"^(?P<indent>\s+)(?P<name>\w+): (?P<annotation>[^=\n]+?)(?: = (?P<default>.+))?$")


def _drifted_field(line: str, wire: str) -> str:
    """``line`` (one field of a class body) with the field reading ``wire + DRIFT`` instead of its key."""
    match = _FIELD_LINE.match(line)
    if match is None:
        raise ValueError(f"not a one-line field: {line!r}")
    alias = f'validation_alias="{wire}{DRIFT}"'
    default = match["default"]
    if default is None:
        value = f'__import__("pydantic").Field({alias})'
    elif re.match(r"(pydantic\.)?Field\(", default):
        value = default.replace("Field(", f"Field({alias}, ", 1)
    else:
        value = f'__import__("pydantic").Field({default}, {alias})'
    return f"{match['indent']}{match['name']}: {match['annotation']} = {value}"


def _drifted_member(line: str, name: str) -> str:
    """``line`` (``NAME = value``) with another value of the same type."""
    indent, _, value = line.partition(f"{name} = ")
    drifted = f"{int(value) + 1000}" if value.strip().lstrip("-").isdigit() else f"{value[:-1]}{DRIFT}{value[-1]}"
    return f"{indent}{name} = {drifted}"


def drift_mutant(found: Found, package: Path) -> Mutant:
    """The mutant of ``found``: its class's source, with the one field or member changed."""
    lines, _ = inspect.getsourcelines(found.owner)
    block = "".join(lines)
    pattern = rf"^\s+{re.escape(found.name)}(: | = )" if found.kind == "field" else rf"^\s+{re.escape(found.name)} = "
    hits = [i for i, line in enumerate(lines) if re.match(pattern, line)]
    if len(hits) != 1:
        raise ValueError(f"{found.owner.__qualname__}.{found.name}: {len(hits)} definitions in its class")
    line = lines[hits[0]].rstrip("\n")
    new = _drifted_field(line, found.wire) if found.kind == "field" else _drifted_member(line, found.name)
    changed = "".join([*lines[: hits[0]], new + "\n", *lines[hits[0] + 1 :]])
    path = Path(inspect.getsourcefile(found.owner) or "").resolve().relative_to(package.resolve())
    label = "key" if found.kind == "field" else "value"
    name = f"drift-{found.kind}-{found.owner.__qualname__}.{found.name}-{label}".replace("_Private", "")
    areas = sorted(test for area in found.areas for test in AREA_TESTS[area])
    return Mutant(name, str(path), block, changed, (*CONTRACT_TESTS, *areas))


def run(mutant: Mutant, source: Path, root: Path) -> bool:
    """Apply ``mutant`` to a copy of ``source``; return True when its tests fail (mutant killed)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "cozepy"
        shutil.copytree(source, copy)
        target = copy / mutant.path
        text = target.read_text(encoding="utf-8")
        if mutant.old not in text:
            sys.exit(f"{mutant.name}: pattern not found in {mutant.path}; update the mutant")
        mutated = text.replace(mutant.old, mutant.new, 1)
        compile(mutated, str(target), "exec")  # a mutant that does not parse would be "killed" for nothing
        target.write_text(mutated, encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": f"{tmp}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        command = [sys.executable, "-m", "pytest", "-q", "-x", "--no-header", "-p", "no:randomly", *mutant.tests]
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
        return done.returncode != 0


def main() -> int:
    """Run the chosen mutants (all by default); exit 1 if any survives."""
    arguments = sys.argv[1:]
    chosen = {name for name in arguments if name != "--list"}
    spec = find_spec("cozepy")
    if spec is None or spec.origin is None:
        sys.exit("cozepy is not installed")
    source = Path(spec.origin).parent
    generated = [drift_mutant(found, source) for found in documented_drift()]
    fields = sum(mutant.name.startswith("drift-field-") for mutant in generated)
    print(
        f"{len(MUTANTS)} hand-written mutants; {len(generated)} generated drift mutants "
        f"({fields} documented fields, {len(generated) - fields} documented enum values)"
    )
    if "--list" in arguments:
        for mutant in [*MUTANTS, *generated]:
            print(mutant.name)
        return 0
    started = time.monotonic()
    # The unmodified copy must pass, or every "kill" below would mean nothing.
    if run(Mutant("control", "__init__.py", "", ""), source, ROOT):
        sys.exit("the suite fails against an unmodified copy of cozepy")
    selected = [mutant for mutant in [*MUTANTS, *generated] if not chosen or mutant.name in chosen]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda mutant: (mutant.name, run(mutant, source, ROOT)), selected)
        survivors = []
        for name, killed in results:
            print(f"{'killed  ' if killed else 'SURVIVED'} {name}", flush=True)
            if not killed:
                survivors.append(name)
    print(f"{len(selected) - len(survivors)} of {len(selected)} killed in {time.monotonic() - started:.0f} s")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
