"""The live check's parts without a server: inputs, the schema and golden-file checks, masking and recording.

The whole command runs against a fake Coze in ``test_live_contract.py`` (the ``live_contract`` tier);
these cases pin each rule on its own, cheaply, in the default run.
"""

from __future__ import annotations

import gzip
import json
import tomllib
import zlib
from pathlib import Path
from typing import Any

import pytest

from coze_acceptance.cli import main
from coze_acceptance.live.capture import Exchange
from coze_acceptance.live.checks import merge, operation_of
from coze_acceptance.live.drift import GOLDEN, SCHEMA, Drift, format_path
from coze_acceptance.live.golden import body_drift, enum_like, stream_drift
from coze_acceptance.live.inputs import LiveUsageError, read_inputs
from coze_acceptance.live.record import Recording, mask, mask_stream, write_recordings
from coze_acceptance.live.schema import NO_SCHEMA, SchemaView, load_description, schema_drift
from coze_acceptance.live.sse import parse_events

OP = "GET /v1/bot/get_online_info"


def _kinds(drifts: list[Drift]) -> set[tuple[str, str]]:
    return {(d.path, d.kind) for d in drifts}


class TestLiveInputs:
    """Every missing or invalid variable is named before anything is sent."""

    def test_missing_variables_are_all_named(self) -> None:
        """Token, workspace and bot: one message names the three."""
        with pytest.raises(LiveUsageError) as raised:
            read_inputs()
        assert str(raised.value) == (
            "COZE_API_TOKEN is required; COZE_LIVE_WORKSPACE_ID is required; COZE_LIVE_BOT_ID is required"
        )

    @pytest.mark.parametrize(
        ("base", "accepted"),
        [
            ("http://127.0.0.1:8080", True),
            ("http://localhost:8080", True),
            ("http://[::1]:8080", True),
            ("https://api.coze.cn", True),
            ("http://api.coze.cn", False),
            ("http://10.0.0.1", False),
        ],
    )
    def test_plain_http_only_for_loopback(self, monkeypatch: pytest.MonkeyPatch, base: str, accepted: bool) -> None:
        """``http://`` reaches a loopback address only; anything else must be https."""
        for name, value in {
            "COZE_API_TOKEN": "pat_x",
            "COZE_API_BASE": base,
            "COZE_LIVE_WORKSPACE_ID": "1",
            "COZE_LIVE_BOT_ID": "2",
        }.items():
            monkeypatch.setenv(name, value)
        if accepted:
            assert read_inputs().settings.api_base == base
        else:
            with pytest.raises(LiveUsageError, match="COZE_API_BASE may use http:// only for a loopback address"):
                read_inputs()

    @pytest.mark.parametrize(
        ("extra", "message"),
        [
            ({"COZE_LIVE_EXECUTE_ID": "9"}, "COZE_LIVE_EXECUTE_ID needs COZE_LIVE_WORKFLOW_ID"),
            ({"COZE_LIVE_WORKFLOW_PARAMETERS": "{city"}, "COZE_LIVE_WORKFLOW_PARAMETERS is not JSON"),
            ({"COZE_LIVE_WORKFLOW_PARAMETERS": "[1]"}, "COZE_LIVE_WORKFLOW_PARAMETERS must be a JSON object"),
        ],
    )
    def test_inconsistent_optional_inputs(
        self, monkeypatch: pytest.MonkeyPatch, extra: dict[str, str], message: str
    ) -> None:
        """A run history without its workflow, or parameters that are not a JSON object, are usage errors."""
        for name, value in {
            "COZE_API_TOKEN": "pat_x",
            "COZE_LIVE_WORKSPACE_ID": "1",
            "COZE_LIVE_BOT_ID": "2",
            **extra,
        }.items():
            monkeypatch.setenv(name, value)
        with pytest.raises(LiveUsageError, match=message):
            read_inputs()

    def test_inputs_are_read(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Ids and parameters arrive as given; the token is redacted from any text."""
        for name, value in {
            "COZE_API_TOKEN": "pat_secret",
            "COZE_LIVE_WORKSPACE_ID": " 1 ",
            "COZE_LIVE_BOT_ID": "2",
            "COZE_LIVE_WORKFLOW_ID": "3",
            "COZE_LIVE_EXECUTE_ID": "4",
            "COZE_LIVE_WORKFLOW_PARAMETERS": '{"city": "Paris"}',
        }.items():
            monkeypatch.setenv(name, value)
        inputs = read_inputs()
        assert (inputs.workspace_id, inputs.bot_id, inputs.workflow_id, inputs.execute_id) == ("1", "2", "3", "4")
        assert inputs.workflow_parameters == {"city": "Paris"}
        assert inputs.redact("Bearer pat_secret") == "Bearer [COZE_API_TOKEN]"

    def test_command_exits_2_naming_the_missing_variables(self, capsys: pytest.CaptureFixture[str]) -> None:
        """``coze-acceptance --live`` without inputs: exit 2, each missing variable named."""
        assert main(["--live"]) == 2
        err = capsys.readouterr().err
        assert all(
            f"{name} is required" in err for name in ("COZE_API_TOKEN", "COZE_LIVE_WORKSPACE_ID", "COZE_LIVE_BOT_ID")
        )

    @pytest.mark.parametrize("argv", [["--record", "x"], ["--live-writes"], ["--live", "--record-raw"]])
    def test_live_options_need_live(self, argv: list[str]) -> None:
        """``--live-writes`` and ``--record`` need ``--live``; ``--record-raw`` needs ``--record``."""
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2


USER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": {
            "type": "object",
            "required": ["user_id", "status"],
            "additionalProperties": False,
            "properties": {
                "user_id": {"type": "string"},
                "status": {"enum": ["active", "banned"]},
                "age": {"type": "integer", "minimum": 0},
                "tags": {"type": "array", "items": {"allOf": [{"properties": {"kind": {"const": "label"}}}]}},
            },
        }
    },
}


class TestLiveSchema:
    """Check 1: each way a body breaks its schema becomes a drift of the matching kind."""

    def test_schema_errors_become_drift(self) -> None:
        """Required → removed, type → type, enum → value, additionalProperties → added, others → value."""
        body = {"data": {"user_id": 7, "status": "gone", "age": -1, "nick": "x"}}
        drifts = schema_drift(USER_SCHEMA, body, "GET /v1/users/me", logid="L")
        assert {(d.path, d.kind, json.dumps(d.expected), json.dumps(d.found)) for d in drifts} == {
            ("data.user_id", "type", '"string"', '"number"'),
            ("data.status", "value", '["active", "banned"]', '"gone"'),
            ("data.age", "value", '"minimum: 0"', "-1"),
            ("data.nick", "added", "null", '"string"'),
        }
        missing = schema_drift(USER_SCHEMA, {"data": {}}, "GET /v1/users/me")
        assert _kinds(missing) == {("data.user_id", "removed"), ("data.status", "removed")}
        assert {(d.check, d.logid) for d in drifts} == {(SCHEMA, "L")}

    def test_view_reads_properties_items_and_combinators(self) -> None:
        """What a schema declares at a path, through ``items`` and ``allOf``."""
        view = SchemaView(USER_SCHEMA)
        assert view.knows(("data", "tags", 0, "kind"))
        assert not view.knows(("data", "nick"))
        assert view.values(("data", "tags", 3, "kind")) == ["label"]
        assert view.values(("data", "status")) == ["active", "banned"]
        assert not NO_SCHEMA.knows(("data",))

    def test_description_without_file_or_operation_says_no_schema(self, tmp_path: Path) -> None:
        """No file: nothing described; a file describes exactly its operations and their events."""
        assert not load_description(tmp_path / "missing.json").describes("GET /v1/users/me")
        path = tmp_path / "operations.json"
        operations = {"POST /v3/chat": {"response": USER_SCHEMA, "events": {"done": {"type": "string"}}}}
        path.write_text(json.dumps({"source": {}, "operations": operations}))
        description = load_description(path)
        assert description.describes("POST /v3/chat")
        assert not description.describes("GET /v1/users/me")
        assert description.response("POST /v3/chat").schema == USER_SCHEMA
        assert description.response("GET /v1/users/me") is NO_SCHEMA
        assert description.event_names("POST /v3/chat") == {"done"}
        assert description.event("POST /v3/chat", "delta") is NO_SCHEMA


BOT_OK = {"code": 0, "data": {"bot_id": "1", "bot_mode": 0, "status": "on", "items": [{"id": "a", "n": 1}]}}
BOT_MULTI = {"code": 0, "data": {"bot_id": "1", "bot_mode": 1, "agents": [], "prompt": "p"}}
ERROR = {"code": 4200, "msg": "not found"}


class TestLiveGolden:
    """Check 2: drift against the golden files of the endpoint."""

    def test_documented_body_has_no_drift(self) -> None:
        """A body equal to one golden case, with nulls and integer/float differences, does not drift."""
        found = {"code": 0, "data": {"bot_id": "1", "bot_mode": 1, "agents": None, "prompt": "q"}}
        assert body_drift(OP, found, [BOT_OK, BOT_MULTI, ERROR], NO_SCHEMA) == []
        assert body_drift(OP, {"code": 0, "data": {"n": 1.5}}, [{"code": 0, "data": {"n": 1}}], NO_SCHEMA) == []

    def test_closest_success_case_decides_what_is_missing(self) -> None:
        """Compared with the closest success (never an error envelope): a missing key and a retyped one."""
        found = {"code": 0, "data": {"bot_id": 1, "bot_mode": 0, "status": "on", "items": [{"id": "a"}]}}
        drifts = body_drift(OP, found, [ERROR, BOT_MULTI, BOT_OK], NO_SCHEMA, logid="L")
        assert _kinds(drifts) == {("data.bot_id", "type"), ("data.items[0].n", "removed")}
        assert {(d.check, d.logid) for d in drifts} == {(GOLDEN, "L")}

    def test_unknown_enum_values_and_keys(self) -> None:
        """An enum-like key with an unknown value is breaking; a new key is an addition, reported at its top."""
        found = {"code": 0, "data": {"bot_id": "1", "bot_mode": 2, "status": "on", "items": [], "extra": {"deep": 1}}}
        drifts = body_drift(OP, found, [BOT_OK, BOT_MULTI], NO_SCHEMA)
        assert {(d.path, d.kind, json.dumps(d.expected)) for d in drifts} == {
            ("data.bot_mode", "value", "[0, 1]"),
            ("data.extra", "added", "null"),
        }
        assert [d.breaking for d in drifts] == [True, False]
        schema = SchemaView(
            {"properties": {"data": {"properties": {"extra": {"additionalProperties": {}}, "bot_mode": {"enum": [2]}}}}}
        )
        assert body_drift(OP, found, [BOT_OK, BOT_MULTI], schema) == []

    def test_enum_like_keys(self) -> None:
        """Status, type, role and names ending in _type, _status or _mode hold enumerations."""
        assert all(map(enum_like, ["status", "type", "role", "content_type", "execute_status", "bot_mode"]))
        assert not any(map(enum_like, ["name", "content", "types"]))

    def test_streams_are_compared_event_by_event(self) -> None:
        """An unknown event name is a value drift; a known event's data is compared with its golden events."""
        golden = parse_events(
            'event:delta\ndata:{"content": "a", "role": "assistant"}\n\nevent:done\ndata:"[DONE]"\n\n'
        )
        found = parse_events('event:delta\ndata:{"content": 1, "role": "assistant"}\n\nevent:surprise\ndata:{}\n\n')
        drifts = stream_drift("POST /v3/chat", found, [golden], set(), lambda name: NO_SCHEMA)
        assert {(d.path, d.kind) for d in drifts} == {
            ("events[0](delta).content", "type"),
            ("events[1].event", "value"),
        }
        assert stream_drift("POST /v3/chat", found[1:], [golden], {"surprise"}, lambda name: NO_SCHEMA) == []

    def test_paths_and_operations(self) -> None:
        """Paths read like ``data.variables[0].variable_type``; requests map onto their templates."""
        assert format_path(["data", "variables", 0, "variable_type"]) == "data.variables[0].variable_type"
        assert format_path([], "events[2](done)") == "events[2](done)"
        assert format_path([]) == "(body)"
        templates = ["GET /v1/workflows/{workflow_id}/run_histories/{execute_id}", "GET /v1/users/me"]
        assert operation_of("GET", "/v1/workflows/1/run_histories/2", templates) == templates[0]
        assert operation_of("POST", "/v1/users/me", templates) == "POST /v1/users/me"

    def test_drift_found_twice_is_reported_once(self) -> None:
        """The schema and the golden files finding the same drift make one entry naming both checks."""
        first = Drift(OP, "data.x", "removed", "required", None, SCHEMA)
        merged = merge([first, Drift(OP, "data.x", "removed", "string", None, GOLDEN), first])
        assert [d.check for d in merged] == ["schema, golden"]


class TestLiveRecordAndCapture:
    """Masking, the recorded catalogue, and bodies as the wire sent them."""

    def test_mask_replaces_personal_data_at_any_depth(self) -> None:
        """User ids, names, nick names and avatars become placeholders; other values stay."""
        body = {"data": {"user_id": "9", "items": [{"nick_name": "N", "avatar_url": "u", "name": "bot"}]}}
        assert mask(body) == {
            "data": {
                "user_id": "7000000000000000001",
                "items": [
                    {"nick_name": "Recorded user", "avatar_url": "https://example.test/avatar.png", "name": "bot"}
                ],
            }
        }

    def test_mask_stream_touches_only_lines_with_personal_data(self) -> None:
        """Framing and data lines without personal data stay byte for byte."""
        text = 'id: 1\r\nevent:a\r\ndata: {"x":1}\r\n\r\nevent:b\ndata:{"user_name": "me"}\n\n'
        assert (
            mask_stream(text)
            == 'id: 1\r\nevent:a\r\ndata: {"x":1}\r\n\r\nevent:b\ndata:{"user_name": "recorded-user"}\n\n'
        )

    def test_recordings_join_the_index_of_the_folder(self, tmp_path: Path) -> None:
        """Files are named by endpoint (a second answer gets ``_2``); entries for other files are kept."""
        (tmp_path / "index.toml").write_text(
            '[[golden]]\nfile = "old.json"\nendpoint = "GET /x"\ncase = "c"\nsources = ["s"]\n'
        )
        body = json.dumps({"code": 0, "data": {"user_name": "me"}})
        recordings = [
            Recording("GET /v1/workspaces", False, body, "page 1", "LIVE recorded live 2026-12-05"),
            Recording("GET /v1/workspaces", False, body, "page 2", "LIVE recorded live 2026-12-05"),
            Recording(
                "POST /v3/chat", True, 'event:done\ndata:"[DONE]"\n\n', "stream", "LIVE recorded live 2026-12-05"
            ),
        ]
        written = write_recordings(tmp_path, recordings, raw=False, redact=lambda text: text)
        names = [path.relative_to(tmp_path).as_posix() for path in written]
        assert names == [
            "workspaces/list_live.json",
            "workspaces/list_live_2.json",
            "chat/stream_live.sse",
            "index.toml",
        ]
        index = tomllib.loads((tmp_path / "index.toml").read_text())["golden"]
        assert [e["file"] for e in index] == ["old.json", *names[:3]]
        assert index[2] == {
            "file": names[1],
            "endpoint": "GET /v1/workspaces",
            "case": "page 2",
            "sources": ["LIVE recorded live 2026-12-05"],
        }
        assert json.loads((tmp_path / names[0]).read_text())["data"]["user_name"] == "recorded-user"
        write_recordings(tmp_path, recordings[:1], raw=True, redact=lambda text: text)
        assert json.loads((tmp_path / names[0]).read_text())["data"]["user_name"] == "me"

    @pytest.mark.parametrize(
        ("encoding", "encode"),
        [
            ("identity", lambda b: b),
            ("gzip", gzip.compress),
            ("deflate", zlib.compress),
            ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, without the zlib header
        ],
    )
    def test_bodies_are_read_as_sent(self, encoding: str, encode: Any) -> None:
        """The copy of the wire undoes gzip and both kinds of deflate."""
        exchange = Exchange("GET", "/v1/users/me", 200, "L", "application/json", encoding, 0.0)
        exchange.raw.extend(encode(b'{"code": 0}'))
        assert exchange.body() == b'{"code": 0}'

    def test_an_encoding_it_cannot_read_is_named(self) -> None:
        """A body in an encoding the standard library cannot undo is reported, not guessed."""
        exchange = Exchange("GET", "/v1/users/me", 200, "L", "application/json", "br", 0.0)
        with pytest.raises(ValueError, match="content-encoding 'br'"):
            exchange.body()
