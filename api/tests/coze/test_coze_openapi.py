"""Coze's OpenAPI description as the contract: our transcription of it covers what the backend calls."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

import httpx
import pytest
import respx
from cozepy import ChatStatus
from jsonschema import Draft202012Validator

from coze_integration.calls import CozeCalls
from coze_integration.polling import PollPolicy
from coze_integration.workflow_logs import WorkflowLogFilter
from tests.coze.parity import (
    AnyCoze,
    blocking_chat,
    streamed_transcript,
    workflow_logs,
    workflow_progress,
    workflow_run,
    workflow_until_done,
    write,
)
from tests.coze.parity import read as parity_read
from tests.coze.test_coze_wire_contract import asserted_paths
from tests.coze.wire import LOGID, catalogue, event_stream, golden, golden_events, golden_response, with_changes
from tests.coze.wire.openapi import (
    OPENAPI_DIR,
    absent_endpoints,
    described_endpoints,
    event_names,
    event_schema,
    operation,
    operation_schema,
    source,
)
from tests.coze.wire.openapi.examples import documented_event, documented_example
from tests.coze.wire.openapi.fields import covers, documented_paths, stream_paths, value_paths
from tests.coze.wire.openapi.validation import (
    Departure,
    departures,
    is_error_envelope,
    listed_departures,
    validated,
)


def _schemas() -> list[tuple[str, dict[str, Any]]]:
    """Every schema of the transcription, named by endpoint (and event)."""
    found: list[tuple[str, dict[str, Any]]] = []
    for endpoint in described_endpoints():
        found.append((endpoint, operation_schema(endpoint)))
        found.extend((f"{endpoint} {event}", event_schema(endpoint, event)) for event in event_names(endpoint))
    return found


KEYWORDS = {
    "$schema", "$comment", "$defs", "$ref", "type", "format", "enum", "const", "properties", "required", "items",
    "additionalProperties", "examples", "allOf", "anyOf", "oneOf",
}  # fmt: skip
JSON_TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}


def _nodes(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Every subschema of ``schema``, itself included (property maps and ``$defs`` are walked, not returned)."""
    found = [schema]
    children: list[Any] = [*schema.get("properties", {}).values(), *schema.get("$defs", {}).values()]
    children += [schema[key] for key in ("items", "additionalProperties") if isinstance(schema.get(key), dict)]
    children += [sub for key in ("allOf", "anyOf", "oneOf") for sub in schema.get(key, [])]
    for child in children:
        found.extend(_nodes(child))
    return found


class TestCozeOpenapiTranscription:
    """``wire/openapi/operations.json`` is complete for the backend, well-formed and traceable to its source."""

    def test_every_used_endpoint_is_described_or_listed_absent(self) -> None:
        """Each endpoint of the golden catalogue has an operation, or is listed as missing from the description."""
        used = {entry.endpoint for entry in catalogue()}
        described, absent = set(described_endpoints()), set(absent_endpoints())
        assert used == described | absent
        assert not described & absent
        assert absent == {"GET /v1/users/me"}

    def test_every_schema_uses_only_the_transcribed_keywords(self) -> None:
        """Each schema is draft 2020-12 built from the few keywords the script writes, every ``$ref`` resolving.

        (The meta-schema check costs half a second per run; this walk checks what the script can produce.)
        """
        for name, schema in _schemas():
            assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", name
            for node in _nodes(schema):
                assert set(node) <= KEYWORDS, (name, set(node) - KEYWORDS)
                kinds = node.get("type", [])
                assert set(kinds if isinstance(kinds, list) else [kinds]) <= JSON_TYPES, (name, kinds)
                if "$ref" in node:
                    assert node["$ref"].removeprefix("#/$defs/") in schema["$defs"], (name, node["$ref"])

    def test_a_sample_schema_passes_the_meta_schema(self) -> None:
        """The richest schema (run histories: a map, a recursive ``$defs``, enums) is valid against the meta-schema."""
        Draft202012Validator.check_schema(
            operation_schema("GET /v1/workflows/{workflow_id}/run_histories/{execute_id}")
        )

    def test_streams_have_event_schemas(self) -> None:
        """The two streams the backend reads give a data schema for each event they document."""
        assert set(event_names("POST /v3/chat")) >= {
            "conversation.chat.created",
            "conversation.message.delta",
            "conversation.chat.completed",
            "error",
            "done",
        }
        assert set(event_names("POST /v1/workflow/stream_run")) == {"Message", "Error", "Interrupt", "Done", "PING"}

    def test_every_operation_names_its_source_and_why(self) -> None:
        """Each operation points into a file of the pinned commit and says why that file."""
        pinned = source()
        assert pinned["repository"] == "coze-dev/coze-sdk-gen"
        assert re.fullmatch(r"[0-9a-f]{40}", pinned["commit"])
        for endpoint in described_endpoints():
            entry = operation(endpoint)
            file, _, pointer = entry["source"].partition("#")
            assert file in pinned["files"], endpoint
            assert re.fullmatch(
                r"/paths/[^/]+/(get|post|delete)/responses/200/content/application~1json/schema", pointer
            ), endpoint
            assert entry["why"], endpoint

    def test_licence_and_readme_travel_with_it(self) -> None:
        """The MIT notice of coze-sdk-gen and the README that says how to refresh sit next to the transcription."""
        assert (OPENAPI_DIR / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
        readme = (OPENAPI_DIR / "README.md").read_text(encoding="utf-8")
        assert source()["commit"] in readme
        assert all(f"`{endpoint}`" in readme for endpoint in [*described_endpoints(), *absent_endpoints()])


def _files_of(endpoint: str) -> list[str]:
    """The golden files of ``endpoint`` that the description validates (error envelopes have their own test)."""
    return [
        entry.file
        for entry in catalogue()
        if entry.endpoint == endpoint and validated(entry.file) and not is_error_envelope(entry.file)
    ]


def _listed(files: list[str]) -> dict[tuple[str, str], Departure]:
    return {(d.file, path): d for d in listed_departures() if d.file in files for path in d.paths}


class TestCozeOpenapiGoldenFiles:
    """Every golden file obeys its operation's schema in the description, or its departure is listed."""

    @pytest.mark.parametrize("endpoint", described_endpoints())
    def test_golden_files_obey_the_description(self, endpoint: str) -> None:
        """Each body (each event's data) validates; a departure is listed, and a listed one still departs."""
        files = _files_of(endpoint)
        found = {(name, path): what for name in files for path, what in departures(name).items()}
        listed = _listed(files)
        unlisted = {where: what for where, what in found.items() if where not in listed}
        assert not unlisted, f"departures not in departures.toml: {unlisted}"
        assert not listed.keys() - found.keys(), f"listed departures that no longer depart: {listed.keys() - found}"

    def test_error_envelopes_obey_the_envelope(self) -> None:
        """Every error answer, on any endpoint, has the description's envelope: code, msg, detail.logid."""
        errors = [entry.file for entry in catalogue() if is_error_envelope(entry.file)]
        assert errors
        for name in errors:
            assert departures(name) == {}, name
            assert not _listed([name]), name

    def test_only_undescribed_files_go_unvalidated(self) -> None:
        """A file escapes validation only as a gateway's page or a success of an operation the description lacks."""
        skipped = {entry.file for entry in catalogue() if not validated(entry.file)}
        assert skipped == {
            entry.file
            for entry in catalogue()
            if entry.file.endswith(".html")
            or (entry.endpoint in absent_endpoints() and not is_error_envelope(entry.file))
        }
        assert "users/me_ok.json" in skipped

    def test_every_listed_departure_names_a_golden_file_reason_and_source(self) -> None:
        """Each entry of ``departures.toml`` is about an indexed file and says why and what shows it."""
        indexed = {entry.file for entry in catalogue()}
        for departure in listed_departures():
            assert departure.file in indexed, departure
            assert departure.paths, departure
            assert departure.reason, departure
            assert departure.source, departure

    @pytest.mark.parametrize(
        ("change", "where"),
        [
            ({"data.bot_mode": 2}, "$.data.bot_mode"),
            ({"data.create_time": "1715689059"}, "$.data.create_time"),
            ({"data.plugin_info_list.0.plugin_id": 7}, "$.data.plugin_info_list[0].plugin_id"),
        ],
        ids=["enum", "type", "nested"],
    )
    def test_a_departing_body_is_found(self, change: dict[str, Any], where: str) -> None:
        """An enum value, a type or a nested field that breaks the schema is reported at its path."""
        name = "bots/get_online_info_ok.json"
        assert departures(name) == {}
        assert where in departures(name, with_changes(golden(name), change))

    def test_a_missing_required_key_is_found_at_its_path(self) -> None:
        """A body without a required key departs at that key's own path."""
        body = golden("bots/get_online_info_ok.json")
        del body["msg"]
        assert set(departures("bots/get_online_info_ok.json", body)) == {"$.msg"}


# --- documented examples through the runtime's own paths ---------------------------------------------

BOT, CONVERSATION, CHAT = "7484523878849822002", "7484523878849822003", "7484523878849822004"
WORKFLOW, WORKSPACE = "7484523878849822005", "7484523878849822001"
CHAT_STREAM, WORKFLOW_STREAM = "POST /v3/chat", "POST /v1/workflow/stream_run"
RUN, HISTORY = "POST /v1/workflow/run", "GET /v1/workflows/{workflow_id}/run_histories/{execute_id}"
MESSAGES = "GET /v3/chat/message/list"
# Described by a per-API file, which documents no example: there is no documented answer to build.
WITHOUT_EXAMPLES = {"GET /v1/workspaces", "DELETE /v1/conversations/{conversation_id}"}


def _answer(body: Any) -> httpx.Response:
    """``body`` as Coze's JSON answer, with the logid header."""
    return event_stream(json.dumps(body, ensure_ascii=False), content_type="application/json")


def _serve(router: respx.MockRouter, endpoint: str, response: httpx.Response) -> respx.Route:
    """Answer ``endpoint`` (any id in its path) with ``response``; the route, to check the request."""
    method, _, path = endpoint.partition(" ")
    pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path))
    # cozepy 0.20.0 asks chat retrieve with POST (a known disagreement): match that path by any method.
    methods = {} if endpoint == "GET /v3/chat/retrieve" else {"method": method}
    return router.route(path__regex=f"^{pattern}$", **methods).mock(return_value=response)


@dataclass(frozen=True)
class Read:
    """How the backend reads one operation (through ``CozeCalls``) and which documented values it must give."""

    call: Callable[[AnyCoze], Callable[[], Any]]
    got: Callable[[Any], tuple[Any, ...]]
    documented: Callable[[Any], tuple[Any, ...]]
    write: bool = False


READS: dict[str, Read] = {
    "GET /v1/bot/get_online_info": Read(
        lambda c: partial(c.bots.retrieve, bot_id=BOT),
        lambda bot: (bot.bot_id, bot.name, bot.prompt_info.prompt, bot.onboarding_info.prologue),
        lambda body: (
            body["data"]["bot_id"],
            body["data"]["name"],
            body["data"]["prompt_info"]["prompt"],
            body["data"]["onboarding_info"]["prologue"],
        ),
    ),
    "GET /v1/space/published_bots_list": Read(
        lambda c: partial(c.bots.list, space_id=WORKSPACE),
        lambda page: (page.items[0].bot_id, page.items[0].bot_name, page.items[0].publish_time, page.total),
        lambda body: (
            *(body["data"]["space_bots"][0][key] for key in ("bot_id", "bot_name", "publish_time")),
            body["data"]["total"],
        ),
    ),
    "POST /v1/conversation/create": Read(
        lambda c: partial(c.conversations.create, bot_id=BOT),
        lambda conversation: (conversation.id, conversation.created_at, conversation.last_section_id),
        lambda body: (body["data"]["id"], body["data"]["created_at"], body["data"]["last_section_id"]),
        write=True,
    ),
    "GET /v1/conversation/retrieve": Read(
        lambda c: partial(c.conversations.retrieve, conversation_id=CONVERSATION),
        lambda conversation: (conversation.id, conversation.created_at),
        lambda body: (body["data"]["id"], body["data"]["created_at"]),
    ),
    "GET /v1/conversations": Read(
        lambda c: partial(c.conversations.list, bot_id=BOT),
        lambda page: (page.items[0].id, page.items[0].created_at, page.has_more),
        lambda body: (
            *(body["data"]["conversations"][0][key] for key in ("id", "created_at")),
            body["data"]["has_more"],
        ),
    ),
    "POST /v1/conversation/message/list": Read(
        lambda c: partial(c.conversations.messages.list, conversation_id=CONVERSATION),
        lambda page: (page.items[0].id, page.items[0].content, page.items[0].type.value, page.has_more),
        lambda body: (*(body["data"][0][key] for key in ("id", "content", "type")), body["has_more"]),
    ),
    "GET /v3/chat/retrieve": Read(
        lambda c: partial(c.chat.retrieve, conversation_id=CONVERSATION, chat_id=CHAT),
        lambda chat: (chat.id, chat.conversation_id, chat.status.value, chat.created_at),
        lambda body: tuple(body["data"][key] for key in ("id", "conversation_id", "status", "created_at")),
    ),
    MESSAGES: Read(
        lambda c: partial(c.chat.messages.list, conversation_id=CONVERSATION, chat_id=CHAT),
        lambda messages: (messages[0].id, messages[0].content, messages[0].role.value),
        lambda body: tuple(body["data"][0][key] for key in ("id", "content", "role")),
    ),
}


def _sse(endpoint: str, events: list[str]) -> str:
    """A stream of ``events`` with their documented data, framed like the golden streams of ``endpoint``."""
    frames = []
    for n, name in enumerate(events):
        data = json.dumps(documented_event(endpoint, name), ensure_ascii=False)
        frames.append(
            f"event:{name}\ndata:{data}\n" if endpoint == CHAT_STREAM else f"id: {n}\nevent: {name}\ndata: {data}\n"
        )
    return "\n".join(frames) + "\n"


def _for(endpoint: str) -> pytest.MarkDecorator:
    """The operation a documented-example test exercises, in its id: the report reads it there."""
    return pytest.mark.parametrize("endpoint", [endpoint], ids=str)


@pytest.mark.asyncio
@pytest.mark.parity
class TestCozeOpenapiDocumentedExamples:
    """An answer built from the description's documented examples gives the documented values, sync and async."""

    @pytest.mark.parametrize(
        "endpoint",
        list(READS),
        ids=list(READS),
    )
    async def test_documented_answer_is_read(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        mock_coze_api_token: str,
        endpoint: str,
    ) -> None:
        """The backend's read (or write) of the documented answer gives its documented values and the logid."""
        read = READS[endpoint]
        body = documented_example(endpoint)
        route = _serve(coze_router, endpoint, _answer(body))
        result = await (write if read.write else parity_read)(coze_client, coze_calls, read.call(coze_client))
        assert read.got(result) == read.documented(body)
        assert result.response.logid == LOGID
        assert route.calls.last.request.headers["authorization"] == f"Bearer {mock_coze_api_token}"

    @_for(CHAT_STREAM)
    async def test_documented_chat_is_answered(
        self,
        endpoint: str,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        poll_policy: PollPolicy,
    ) -> None:
        """A blocking chat whose create and message list answer as documented gives the chat and its messages."""
        chat, messages = documented_example(endpoint), documented_example(MESSAGES)
        created = _serve(coze_router, endpoint, _answer(chat))
        _serve(coze_router, MESSAGES, _answer(messages))
        result = await blocking_chat(
            coze_client, coze_calls, poll_policy, bot_id=BOT, user_id="user-42", question="Hello?"
        )
        assert (result.chat.id, result.chat.status.value) == (chat["data"]["id"], chat["data"]["status"])
        assert [m.id for m in result.messages] == [messages["data"][0]["id"]]
        assert json.loads(created.calls.last.request.content)["bot_id"] == BOT

    @pytest.mark.parametrize("is_async", [False, True], ids=["blocking", "async"])
    @_for(RUN)
    async def test_documented_run_is_an_outcome(
        self, endpoint: str, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter, is_async: bool
    ) -> None:
        """A run answered as documented gives its execute id, debug URL and raw output (plain text, not JSON)."""
        body = documented_example(endpoint)
        route = _serve(coze_router, endpoint, _answer(body))
        outcome = await workflow_run(coze_client, coze_calls, workflow_id=WORKFLOW, parameters={}, is_async=is_async)
        assert (outcome.execute_id, outcome.debug_url, outcome.raw_output) == (
            body["execute_id"],
            body["debug_url"],
            body["data"],
        )
        assert (outcome.output_is_json, outcome.output, outcome.logid) == (False, None, LOGID)
        assert json.loads(route.calls.last.request.content)["workflow_id"] == WORKFLOW

    @_for(HISTORY)
    async def test_documented_run_is_waited_for(
        self,
        endpoint: str,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        poll_policy: PollPolicy,
    ) -> None:
        """An async run, then its documented run history, gives the history's output (the run history's path)."""
        history = documented_example(endpoint)
        _serve(coze_router, RUN, golden_response("workflows/run_async.json"))
        _serve(coze_router, endpoint, _answer(history))
        finished = await workflow_until_done(coze_client, coze_calls, poll_policy, workflow_id=WORKFLOW, parameters={})
        assert (finished.execute_id, finished.output) == (
            history["data"][0]["execute_id"],
            history["data"][0]["output"],
        )

    @_for(HISTORY)
    async def test_documented_run_history_is_logged(
        self, endpoint: str, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter
    ) -> None:
        """A workflow-log query over the documented run history finds the run with its documented values."""
        body = documented_example(endpoint)
        [run] = body["data"]
        route = _serve(coze_router, endpoint, _answer(body))
        result = await workflow_logs(
            coze_client,
            coze_calls,
            workflow_id=WORKFLOW,
            execute_ids=[run["execute_id"]],
            log_filter=WorkflowLogFilter(),
        )
        [entry] = result.entries
        assert (entry.execute_id, entry.status.value, entry.output) == (
            run["execute_id"],
            run["execute_status"],
            run["output"],
        )
        assert route.calls.last.request.url.path.startswith(f"/v1/workflows/{WORKFLOW}/run_histories/")

    @_for(CHAT_STREAM)
    async def test_documented_chat_stream_is_transcribed(
        self, endpoint: str, coze_client: AnyCoze, coze_router: respx.MockRouter
    ) -> None:
        """A chat stream of documented events gives the documented chat, conversation and status."""
        events = [
            "conversation.chat.created",
            "conversation.chat.in_progress",
            "conversation.message.delta",
            "conversation.message.completed",
            "conversation.chat.completed",
            "done",
        ]
        _serve(coze_router, endpoint, event_stream(_sse(endpoint, events)))
        transcript = await streamed_transcript(coze_client, bot_id=BOT, user_id="user-42")
        chat = documented_event(endpoint, "conversation.chat.completed")
        assert (transcript.chat_id, transcript.conversation_id, transcript.status) == (
            chat["id"],
            chat["conversation_id"],
            ChatStatus(chat["status"]),
        )
        assert transcript.logid == LOGID

    @_for(WORKFLOW_STREAM)
    async def test_documented_workflow_stream_is_followed(
        self, endpoint: str, coze_client: AnyCoze, coze_router: respx.MockRouter
    ) -> None:
        """A workflow stream of a documented message and Done gives the message's documented content and node."""
        _serve(coze_router, endpoint, event_stream(_sse(endpoint, ["Message", "Done"])))
        progress = await workflow_progress(coze_client, workflow_id=WORKFLOW)
        message = documented_event(endpoint, "Message")
        [got] = progress.messages
        assert (got.content, got.node_title, got.node_seq_id, got.node_is_finish) == (
            message["content"],
            message["node_title"],
            message["node_seq_id"],
            message["node_is_finish"],
        )
        assert progress.complete


class TestCozeOpenapiDocumentedExampleCoverage:
    """The documented-example tests leave no described operation out."""

    def test_every_described_operation_with_examples_is_exercised(self) -> None:
        """Each described operation has a documented-example test here, or its source documents no example."""
        assert {RUN, HISTORY, CHAT_STREAM, WORKFLOW_STREAM, *READS} | WITHOUT_EXAMPLES == set(described_endpoints())
        assert all(documented_example(endpoint) is None for endpoint in WITHOUT_EXAMPLES)


# --- every documented field is asserted --------------------------------------------------------------


@cache
def _unasserted() -> tuple[dict[str, Any], ...]:
    return tuple(tomllib.loads((OPENAPI_DIR / "unasserted.toml").read_text(encoding="utf-8"))["unasserted"])


def _below(path: str, listed: str) -> bool:
    return path == listed or path.startswith((f"{listed}.", f"{listed}[]", f"{listed}{{}}"))


def _asserted(endpoint: str, documented: set[str]) -> set[str]:
    """What the lossless contract tests assert, over every golden file of ``endpoint``."""
    return {
        path for entry in catalogue() if entry.endpoint == endpoint for path in asserted_paths(entry.file, documented)
    }


def _present(endpoint: str, documented: set[str]) -> set[str]:
    """Every documented-style path that some golden file of ``endpoint`` holds, known to cozepy or not."""
    found: set[str] = set()
    for entry in catalogue():
        if entry.endpoint != endpoint:
            continue
        if entry.file.endswith(".sse"):
            events = [sent for sent in golden_events(entry.file) if sent.event in event_names(endpoint)]
            found |= {path for sent in events for path in stream_paths(endpoint, sent.event, sent.json(), documented)}
        else:
            found |= value_paths(golden(entry.file), documented)
    return found


class TestCozeOpenapiDocumentedFields:
    """Every documented property is in a golden file and reaches a typed result a test asserts, or is listed."""

    @pytest.mark.parametrize("endpoint", described_endpoints())
    def test_every_documented_field_is_asserted_or_listed(self, endpoint: str) -> None:
        """Each documented property is in a golden file and compared by the lossless tests, or listed with why."""
        documented = documented_paths(endpoint)
        entries = [entry for entry in _unasserted() if entry["endpoint"] == endpoint]
        own = [path for entry in entries for path in entry["paths"]]
        shared = [path for entry in _unasserted() if entry["endpoint"] == "*" for path in entry["paths"]]
        # Only a property the backend does not read may be missing from every golden file; one that
        # cozepy loses is still shown, in the disagreement file its strict xfail serves.
        unread = [path for entry in entries if entry["kind"] == "not-read" for path in entry["paths"]]
        present = _present(endpoint, documented)
        unseen = sorted(p for p in documented if not covers(p, present) and not any(_below(p, x) for x in unread))
        assert not unseen, f"documented, in no golden file and not listed as not-read in unasserted.toml: {unseen}"
        asserted = _asserted(endpoint, documented)
        listed = [*own, *(path for path in shared if path in documented)]
        gaps = sorted(p for p in documented if not covers(p, asserted) and not any(_below(p, x) for x in listed))
        assert not gaps, f"documented, asserted nowhere and not listed in unasserted.toml: {gaps}"
        assert not [path for path in own if path not in documented], "listed paths the description does not have"
        stale = [path for path in listed if covers(path, asserted)]
        assert not stale, f"listed in unasserted.toml but asserted now: {stale}"

    def test_every_listed_entry_says_why(self) -> None:
        """Each entry names a described operation (or all), a kind and a reason."""
        for entry in _unasserted():
            assert entry["endpoint"] in {"*", *described_endpoints()}, entry
            assert entry["kind"] in {"envelope", "cozepy-loses", "not-read"}, entry
            assert entry["paths"], entry
            assert entry["reason"], entry

    def test_asserted_paths_follow_the_lossless_tests(self) -> None:
        """A file the lossless tests read, repaired or not, gives its fields (maps as ``{}``); a disagreement none."""
        endpoint = "POST /v1/conversation/create"
        paths = asserted_paths("conversations/create_named.json", documented_paths(endpoint))
        assert {"data.name", "data.updated_at", "data.creator_id", "data.connector_id", "data.meta_data{}"} <= paths
        bot = documented_paths("GET /v1/bot/get_online_info")
        assert "data.variables[].channel" in asserted_paths("bots/get_online_info_variables.json", bot)
        assert asserted_paths("bots/get_online_info_knowledge.json", bot) == set()
