"""Transcribe, or check, the parts of Coze's OpenAPI description that the backend uses.

Coze describes its API in coze-dev/coze-sdk-gen: ``coze-openapi.yaml`` (all paths, with an
``x-coze-example`` on most properties) and one file per API under ``docs/api-swagger/``. This
script reads a local copy of both and produces our own normalized transcription,
``api/tests/coze/wire/openapi/operations.json``: per operation the backend calls, the JSON Schema
(draft 2020-12) of its 200 JSON body, and for a stream the schema of each event's data. Nothing
from the fetched copy is committed as it is; the tests read only the transcription.

    uv run python scripts/openapi_contract.py --source ~/coze-sdk-gen/coze-openapi.yaml --check
    uv run python scripts/openapi_contract.py --source ~/coze-sdk-gen/coze-openapi.yaml --write --commit <sha>

``--check`` prints, per operation, every JSON path where the transcription and the given copy
differ, and exits 1 on any difference; ``--write`` rewrites the transcription. Which source each
operation uses, and why, is the table below (``README.md`` next to the transcription repeats it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TRANSCRIPTION = ROOT / "api/tests/coze/wire/openapi/operations.json"
REPOSITORY = "coze-dev/coze-sdk-gen"
COMBINED = "coze-openapi.yaml"
SWAGGER = "docs/api-swagger"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Integer widths the description writes as ``format``: kept, so that a drawn body stays in range.
INTEGER_FORMATS = frozenset({"i32", "i64", "int", "int32", "int64"})
# Examples that are no value but a pointer elsewhere: "see the response example".
PLACEHOLDERS = frozenset({"详见响应示例"})
# A placeholder the developer guide's response example fills in (pointer in the combined file).
GUIDE_EXAMPLES = {
    "/components/schemas/RequiredAction/properties/type": "submit_tool_outputs",  # chat_v3.md, retrieve_chat.md
}
# Composition keywords converted as they stand (none of the used operations has one today).
COMBINATORS = ("allOf", "anyOf", "oneOf")


@dataclass(frozen=True)
class Pick:
    """An event's data: these properties of the operation's (flat) stream schema."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class Pointer:
    """An event's data: the schema at this JSON pointer of the operation's file."""

    pointer: str


@dataclass(frozen=True)
class Literal:
    """An event's data the description does not give as a schema: written here, with its source."""

    schema: Mapping[str, Any]


@dataclass(frozen=True)
class Source:
    """Where one operation's 200 response is read: the file, its path key and method, and why there."""

    file: str
    path: str
    method: str
    why: str
    stream: str | None = None  # the pointer (below the operation) of the flat event schema, if any
    events: Mapping[str, Pick | Pointer | Literal] = field(default_factory=dict)

    @property
    def operation_pointer(self) -> str:
        return f"/paths/{escape(self.path)}/{self.method}"

    @property
    def response_pointer(self) -> str:
        return f"{self.operation_pointer}/responses/200/content/application~1json/schema"


def escape(token: str) -> str:
    """A JSON-pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


COMBINED_FIRST = (
    "The combined file: it carries the x-coze-example values and enums the per-API file lacks, "
    "and its schema names resolve to this operation's own shapes."
)
_CHAT = "/paths/~1v3~1chat/post/responses/200/content"
_CHAT_DETAIL = Pointer(f"{_CHAT}/application~1json/schema/properties/data")
_CHAT_MESSAGE = Pointer(f"{_CHAT}/text~1event-stream/schema/properties/data")
# The developer guide workflow_stream_run.md lists each event's fields; the combined file puts them
# all in one flat schema. loop_index, batch_index and sub_execute_id are a node execution's, so Message's.
_WORKFLOW_MESSAGE = Pick(
    (
        "content",
        "node_title",
        "node_seq_id",
        "node_is_finish",
        "ext",
        "usage",
        "node_id",
        "node_execute_uuid",
        "sub_execute_id",
        "loop_index",
        "batch_index",
    )
)

OPERATIONS: dict[str, Source] = {
    "GET /v1/bot/get_online_info": Source(COMBINED, "/v1/bot/get_online_info", "get", COMBINED_FIRST),
    "GET /v1/space/published_bots_list": Source(COMBINED, "/v1/space/published_bots_list", "get", COMBINED_FIRST),
    "GET /v1/workspaces": Source(
        f"{SWAGGER}/list_workspace.yaml",
        "/v1/workspaces",
        "get",
        "The per-API file list_workspace.yaml: the combined file describes only POST /v1/workspaces.",
    ),
    "POST /v1/conversation/create": Source(COMBINED, "/v1/conversation/create", "post", COMBINED_FIRST),
    "GET /v1/conversation/retrieve": Source(COMBINED, "/v1/conversation/retrieve", "get", COMBINED_FIRST),
    "GET /v1/conversations": Source(COMBINED, "/v1/conversations", "get", COMBINED_FIRST),
    "DELETE /v1/conversations/{conversation_id}": Source(
        f"{SWAGGER}/delete_conversation.yaml",
        "/v1/conversations/:conversation_id",
        "delete",
        "The per-API file delete_conversation.yaml: the combined file has no DELETE on this path.",
    ),
    "POST /v1/conversation/message/list": Source(COMBINED, "/v1/conversation/message/list", "post", COMBINED_FIRST),
    "POST /v3/chat": Source(
        COMBINED,
        "/v3/chat",
        "post",
        "The combined file: the per-API chat_v3.yaml has no response schema at all. Its stream schema "
        "gives every event's data as a message (ChatV3MessageDetail); the chat events carry the chat "
        "(ChatV3ChatDetail, the non-streaming answer's data), as the developer guide chat_v3.md shows, "
        "and error carries {code, msg} (LastError). done's data is the guide's [DONE].",
        stream="/responses/200/content/text~1event-stream/schema",
        events={
            "conversation.chat.created": _CHAT_DETAIL,
            "conversation.chat.in_progress": _CHAT_DETAIL,
            "conversation.chat.completed": _CHAT_DETAIL,
            "conversation.chat.failed": _CHAT_DETAIL,
            "conversation.chat.requires_action": _CHAT_DETAIL,
            "conversation.message.delta": _CHAT_MESSAGE,
            "conversation.message.completed": _CHAT_MESSAGE,
            "conversation.audio.delta": _CHAT_MESSAGE,
            "error": Pointer("/components/schemas/LastError"),
            "done": Literal(
                {
                    "$comment": "Hand-written from the developer guide chat_v3.md (event: done, data: [DONE]).",
                    "type": "string",
                    "const": "[DONE]",
                }
            ),
        },
    ),
    "GET /v3/chat/retrieve": Source(COMBINED, "/v3/chat/retrieve", "get", COMBINED_FIRST),
    "GET /v3/chat/message/list": Source(COMBINED, "/v3/chat/message/list", "get", COMBINED_FIRST),
    "POST /v1/workflow/run": Source(COMBINED, "/v1/workflow/run", "post", COMBINED_FIRST),
    "POST /v1/workflow/stream_run": Source(
        COMBINED,
        "/v1/workflow/stream_run",
        "post",
        "The combined file: the per-API workflow_stream_run.yaml has no response schema (its "
        "components are keyed by Chinese descriptions). The combined file gives all events' fields as "
        "one flat object (under application/json); each event's data is the subset the developer "
        "guide workflow_stream_run.md lists for it (PING: empty).",
        stream="/responses/200/content/application~1json/schema",
        events={
            "Message": _WORKFLOW_MESSAGE,
            "Error": Pick(("error_code", "error_message")),
            "Interrupt": Pick(("interrupt_data", "node_title")),
            "Done": Pick(("debug_url",)),
            "PING": Pick(()),
        },
    ),
    "GET /v1/workflows/{workflow_id}/run_histories/{execute_id}": Source(
        COMBINED, "/v1/workflows/{workflow_id}/run_histories/{execute_id}", "get", COMBINED_FIRST
    ),
}
ABSENT = {
    "GET /v1/users/me": "Neither the combined file nor a per-API file describes it; the golden files "
    "follow the Go and JS SDKs (coze-go users.go, coze-js resources/users).",
}


def resolve(document: Any, pointer: str) -> Any:
    """The node at a JSON pointer (``/a/b``, RFC 6901) of ``document``."""
    node = document
    for token in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
        key = token.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def _optional(document: Any, pointer: str) -> Any:
    try:
        return resolve(document, pointer)
    except (KeyError, IndexError):
        return None


def _json_string(text: str) -> str | None:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            decoded = json.loads(text)
        except ValueError:
            return None
        return decoded if isinstance(decoded, str) else None
    return None


def example(value: Any, kind: str | None) -> list[Any]:
    r"""The documented example as a value of the property's type, or nothing when it is not one.

    The description writes examples loosely: integers as floats (``1715689059.0``) or strings
    (``'2'``), booleans as ``'true'``, an empty string as ``'""'``. Those are normalized; an example
    that is no value of the type (``'\'`` for an integer, ``'-'`` for an array) is dropped. An object's
    or array's example given as JSON text is kept when it parses to that type (a map's
    ``'{ "uuid": "newid1234" }'``); a body is built from the items' examples first.
    """
    if kind == "integer":
        if isinstance(value, bool):
            return []
        if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
            return [int(value)]
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return [int(value)]
        return []
    if kind == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return [value]
        return []
    if kind == "boolean":
        if isinstance(value, bool):
            return [value]
        return [value == "true"] if value in ("true", "false") else []
    if kind in ("object", "array") and isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return []
        return [parsed] if isinstance(parsed, dict if kind == "object" else list) else []
    if kind == "string":
        if value in PLACEHOLDERS:
            return []
        if isinstance(value, str):
            decoded = _json_string(value)
            return [decoded if decoded is not None else value]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return [str(int(value)) if float(value).is_integer() else str(value)]
    return []


class Converter:
    """Turns one OpenAPI schema of a file into a self-contained JSON Schema.

    ``$ref`` is resolved inline; a schema that refers to itself (a parameter's ``items``) goes into
    ``$defs`` once and is referred to there.
    """

    def __init__(self, document: Any) -> None:
        self.document = document
        self.guide_examples = {
            id(node): value
            for pointer, value in GUIDE_EXAMPLES.items()
            if isinstance(node := _optional(document, pointer), dict)
        }
        self.active: list[str] = []
        self.recursive: set[str] = set()
        self.defs: dict[str, Any] = {}

    def root(self, node: Any) -> dict[str, Any]:
        schema = self.convert(node)
        if self.defs:
            schema["$defs"] = dict(sorted(self.defs.items()))
        return schema

    def convert(self, node: Any) -> dict[str, Any]:
        if "$ref" in node:
            return self._reference(node["$ref"])
        kind = node.get("type")
        schema: dict[str, Any] = {}
        if kind is not None:
            schema["type"] = [kind, "null"] if node.get("nullable") else kind
        if kind == "integer" and node.get("format") in INTEGER_FORMATS:
            schema["format"] = node["format"]
        if "enum" in node:
            schema["enum"] = list(node["enum"])
        if "properties" in node:
            schema["properties"] = {name: self.convert(sub) for name, sub in sorted(node["properties"].items())}
        if node.get("required"):
            schema["required"] = list(node["required"])
        if "items" in node:
            schema["items"] = self.convert(node["items"])
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            schema["additionalProperties"] = self.convert(extra)
        elif isinstance(extra, bool):
            schema["additionalProperties"] = extra
        for keyword in COMBINATORS:
            if keyword in node:
                schema[keyword] = [self.convert(sub) for sub in node[keyword]]
        if id(node) in self.guide_examples:
            schema["examples"] = [self.guide_examples[id(node)]]
        elif "x-coze-example" in node and kind is not None:
            schema_examples = example(node["x-coze-example"], kind)
            if schema_examples:
                schema["examples"] = schema_examples
        return schema

    def _reference(self, ref: str) -> dict[str, Any]:
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, not {ref!r}")
        name = ref.rsplit("/", 1)[-1]
        if name in self.active:
            self.recursive.add(name)
            return {"$ref": f"#/$defs/{name}"}
        self.active.append(name)
        try:
            schema = self.convert(resolve(self.document, ref[1:]))
        finally:
            self.active.pop()
        if name in self.recursive:
            self.defs[name] = schema
            return {"$ref": f"#/$defs/{name}"}
        return schema


def _event_schema(document: Any, source: Source, rule: Pick | Pointer | Literal) -> dict[str, Any]:
    converter = Converter(document)
    if isinstance(rule, Literal):
        return dict(rule.schema)
    if isinstance(rule, Pointer):
        return {"$comment": f"{source.file}#{rule.pointer}", **converter.root(resolve(document, rule.pointer))}
    assert source.stream is not None
    flat_pointer = source.operation_pointer + source.stream
    flat = resolve(document, flat_pointer)["properties"]
    picked = {"type": "object", "properties": {name: flat[name] for name in rule.names}}
    names = ", ".join(rule.names) or "no field"
    return {"$comment": f"{source.file}#{flat_pointer}: {names}", **converter.root(picked)}


def transcribe(combined: Path, swagger: Path, commit: str) -> dict[str, Any]:
    """The whole transcription from a copy of the description (``combined`` and its per-API folder)."""
    documents: dict[str, Any] = {}

    def document(file: str) -> Any:
        if file not in documents:
            path = combined if file == COMBINED else swagger / Path(file).relative_to(SWAGGER)
            documents[file] = yaml.safe_load(path.read_text(encoding="utf-8"))
        return documents[file]

    operations: dict[str, Any] = {}
    for endpoint, source in OPERATIONS.items():
        doc = document(source.file)
        entry: dict[str, Any] = {
            "source": f"{source.file}#{source.response_pointer}",
            "why": source.why,
            "response": {"$schema": SCHEMA_DIALECT, **Converter(doc).root(resolve(doc, source.response_pointer))},
        }
        if source.events:
            # The flat union of the events' fields, under application/json: a schema, but no answer's body.
            entry["stream_only"] = source.operation_pointer + (source.stream or "") == source.response_pointer
            entry["events"] = {
                name: {"$schema": SCHEMA_DIALECT, **_event_schema(doc, source, rule)}
                for name, rule in source.events.items()
            }
        operations[endpoint] = entry
    return {
        "source": {"repository": REPOSITORY, "commit": commit, "files": sorted(documents)},
        "absent": dict(ABSENT),
        "operations": operations,
    }


def differences(old: Any, new: Any, path: str = "") -> Iterator[str]:
    """Every JSON path where ``old`` and ``new`` differ, with both values for a leaf."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            where = f"{path}/{escape(str(key))}"
            if key not in new:
                yield f"{where}: removed"
            elif key not in old:
                yield f"{where}: added {json.dumps(new[key], ensure_ascii=False)[:120]}"
            else:
                yield from differences(old[key], new[key], where)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for n, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from differences(a, b, f"{path}/{n}")
    elif old != new:
        before, after = (json.dumps(value, ensure_ascii=False)[:120] for value in (old, new))
        yield f"{path or '/'}: {before} -> {after}"


def render(transcription: Mapping[str, Any]) -> str:
    """The transcription as committed: sorted keys, two-space indent, UTF-8 text."""
    return json.dumps(transcription, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def check(committed: Mapping[str, Any], fresh: Mapping[str, Any]) -> list[str]:
    """Per operation (and for the source block), the lines that say what differs."""
    lines: list[str] = []
    for endpoint in sorted(set(committed["operations"]) | set(fresh["operations"])):
        old = committed["operations"].get(endpoint)
        new = fresh["operations"].get(endpoint)
        found = list(differences(old, new)) if old is not None and new is not None else ["missing on one side"]
        if found:
            lines.append(endpoint)
            lines.extend(f"  {line}" for line in found)
    for key in ("source", "absent"):
        found = [line for line in differences(committed.get(key), fresh.get(key)) if "/commit" not in line]
        if found:
            lines.append(key)
            lines.extend(f"  {line}" for line in found)
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="a local copy of coze-openapi.yaml")
    parser.add_argument(
        "--swagger-dir", type=Path, help="its per-API files (default: docs/api-swagger next to --source)"
    )
    parser.add_argument("--commit", help="the coze-sdk-gen commit of that copy (recorded by --write)")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="print what differs from the transcription; exit 1 if any")
    mode.add_argument("--write", action="store_true", help="rewrite the transcription from the copy")
    args = parser.parse_args(argv)
    swagger = args.swagger_dir or args.source.parent / SWAGGER
    committed = json.loads(TRANSCRIPTION.read_text(encoding="utf-8")) if TRANSCRIPTION.exists() else None
    commit = args.commit or (committed["source"]["commit"] if committed else None)
    if commit is None:
        parser.error("--commit is required for a first transcription")
    fresh = transcribe(args.source, swagger, commit)
    if args.write:
        TRANSCRIPTION.write_text(render(fresh), encoding="utf-8")
        print(f"wrote {len(fresh['operations'])} operations to {TRANSCRIPTION.relative_to(ROOT)}")
        return 0
    if committed is None:
        print(f"{TRANSCRIPTION.relative_to(ROOT)} does not exist yet: run --write")
        return 1
    lines = check(committed, fresh)
    print("\n".join(lines) if lines else f"no difference ({len(fresh['operations'])} operations)")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
