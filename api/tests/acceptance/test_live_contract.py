"""``coze-acceptance --live`` against a fake Coze on 127.0.0.1 that serves the golden files.

Real sockets, so the tier is left out of the default run (``-m live_contract``; CI runs it). The
fake Coze serves the documented wire, or a copy with one drift of each kind; every case runs with
the sync and the async client, through the runtime's own factories and helpers.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request

from coze_acceptance.cli import main
from coze_acceptance.live.command import LiveResult, run_check
from coze_acceptance.live.inputs import read_inputs
from tests.acceptance.live_coze import Drifted, FakeCoze, json_change, live_environment
from tests.coze.real_socket.conftest import (  # noqa: F401  (the loopback server and its socket guard)
    _module_server,
    coze_server,
    loopback_network,
    loopback_passthrough,
    stall,
)
from tests.coze.wire import LOGID, golden, golden_text, with_changes

pytestmark = pytest.mark.live_contract

ROOT = Path(__file__).resolve().parents[3]
#: A token that must never be written or printed anywhere.
CANARY = "pat_canary_NeverWriteMe_7d1f0c"
READS = {
    "GET /v1/users/me",
    "GET /v1/workspaces",
    "GET /v1/space/published_bots_list",
    "GET /v1/bot/get_online_info",
    "GET /v1/conversations",
    "GET /v1/workflows/{workflow_id}/run_histories/{execute_id}",
}
WRITES = {
    "POST /v1/conversation/create",
    "POST /v3/chat",
    "POST /v3/chat/retrieve",  # cozepy 0.20's method; the golden files document GET
    "GET /v3/chat/message/list",
    "POST /v1/workflow/run",
    "POST /v1/workflow/stream_run",
}


@pytest.fixture
def fake_coze(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> FakeCoze:
    """The fake Coze, and the environment a team sets to check it (the canary as token)."""
    server: HTTPServer = request.getfixturevalue("coze_server")
    fake = FakeCoze(server)
    monkeypatch.chdir(ROOT)
    live_environment(fake, monkeypatch, CANARY)
    return fake


@pytest.fixture(params=["sync", "async"])
def client_kind(request: pytest.FixtureRequest) -> str:
    """Each case runs with the sync and the async client."""
    return str(request.param)


def _operations(result: LiveResult) -> set[str]:
    return {checked.operation for step in result.steps for _, checked in step.exchanges}


def _drift(result: LiveResult) -> set[tuple[str, str, str]]:
    return {(d.operation, d.path, d.kind) for d in result.drifts}


class TestLiveContractDocumentedWire:
    """Against the documented wire, the check passes and reports every operation."""

    def test_reads_pass_and_report_every_operation(self, fake_coze: FakeCoze, client_kind: str) -> None:
        """Every read step runs once per page, every exchange is reported with its logid, and nothing drifts."""
        result = run_check(read_inputs(), ROOT, client=client_kind)
        assert result.exit_code == 0
        assert [(s.name, s.outcome) for s in result.steps] == [
            ("users.me", "ok"),
            ("workspaces.list", "ok"),
            ("bots.list", "ok"),
            ("bots.retrieve", "ok"),
            ("conversations.list", "ok"),
            ("workflow run history", "ok"),
        ]
        assert _operations(result) == READS
        assert result.drifts == []
        exchanges = [exchange for step in result.steps for exchange, _ in step.exchanges]
        assert {(e.status, e.logid) for e in exchanges} == {(200, LOGID)}
        assert result.sent == len(fake_coze.server.log) == len(exchanges)
        assert "conversations/list_page2_last.json" in fake_coze.served  # a second page is read

    def test_writes_are_sent_once_and_streams_are_checked(self, fake_coze: FakeCoze, client_kind: str) -> None:
        """``--live-writes`` adds the conversation, both chats and both workflow runs, each sent once."""
        result = run_check(read_inputs(), ROOT, client=client_kind, writes=True)
        assert [(s.name, s.outcome, s.detail) for s in result.steps if s.outcome != "ok"] == []
        assert _operations(result) == READS | WRITES
        assert result.drifts == []
        posts = [request.path for request, _ in fake_coze.server.log if request.method == "POST"]
        assert sorted(posts) == sorted(
            [
                "/v1/conversation/create",
                "/v3/chat",
                "/v3/chat",
                "/v3/chat/retrieve",
                "/v1/workflow/run",
                "/v1/workflow/stream_run",
            ]
        )
        run = json.loads(next(r.data for r, _ in fake_coze.server.log if r.path == "/v1/workflow/run"))
        assert run["parameters"] == {"city": "Paris"}
        assert result.sent <= 30

    def test_checks_see_the_wire_before_the_runtimes_repairs(self, fake_coze: FakeCoze, client_kind: str) -> None:
        """A run answered without ``debug_url`` is checked as sent, while the runtime still reads it (its repair)."""
        fake_coze.drifted["workflows/run_ok.json"] = lambda _text, _request: golden_text(
            "workflows/run_without_debug_url.json"
        )
        result = run_check(read_inputs(), ROOT, client=client_kind, writes=True)
        run = next(s for s in result.steps if s.name == "workflow run (blocking)")
        assert run.outcome == "ok"
        assert [json.loads(checked.text or "") for _, checked in run.exchanges] == [
            golden("workflows/run_without_debug_url.json")
        ]
        assert result.drifts == []

    def test_command_prints_a_line_per_operation_and_writes_the_reports(
        self, fake_coze: FakeCoze, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The terminal, ``contract.json`` and the HTML page name every operation, status, logid and duration."""
        assert main(["--live", "--output", str(tmp_path)]) == 0
        out = capsys.readouterr().out
        lines = [line for line in out.splitlines() if line.startswith("  OK ")]
        assert len(lines) == len(fake_coze.server.log)
        assert all(f"200  logid {LOGID}" in line and " ms " in line for line in lines)
        assert f"requests: {len(fake_coze.server.log)} sent (at most 30)" in out
        assert out.rstrip().endswith("PASSED: no breaking drift (0 addition(s) reported)")
        report = json.loads((tmp_path / "contract.json").read_text(encoding="utf-8"))
        assert report["exit_code"] == 0
        assert report["requests"] == {"sent": len(fake_coze.server.log), "limit": 30}
        reported = {e["operation"] for s in report["steps"] for e in s["exchanges"]}
        assert reported == READS
        assert all(e["duration_ms"] is not None for s in report["steps"] for e in s["exchanges"])
        page = (tmp_path / "contract.html").read_text(encoding="utf-8")
        assert all(f"<td>{operation}</td>" in page for operation in READS)


def _bot(change: Any) -> dict[str, Drifted]:
    return json_change("bots/get_online_info_ok.json", change)


BOT = "GET /v1/bot/get_online_info"
DRIFTED: dict[str, tuple[dict[str, Drifted], set[tuple[str, str, str]], int]] = {
    "removed": (_bot(lambda b: b["data"].pop("description")), {(BOT, "data.description", "removed")}, 1),
    "renamed": (
        _bot(lambda b: b["data"].update(icon=b["data"].pop("icon_url"))),
        {(BOT, "data.icon_url", "removed"), (BOT, "data.icon", "added")},
        1,
    ),
    "type": (_bot(lambda b: b["data"].update(create_time="1764100000")), {(BOT, "data.create_time", "type")}, 1),
    "enum value": (_bot(lambda b: b["data"].update(bot_mode=2)), {(BOT, "data.bot_mode", "value")}, 1),
    "unparsable": (
        json_change("users/me_ok.json", lambda b: b["data"].update(user_id={"id": 1})),
        {("GET /v1/users/me", "(body)", "unparsable"), ("GET /v1/users/me", "data.user_id", "type")},
        1,
    ),
    "added": (_bot(lambda b: b["data"].update(launch_channel="web")), {(BOT, "data.launch_channel", "added")}, 0),
}


class TestLiveContractDrift:
    """A drifted copy of the wire: each drift is reported with its operation and path."""

    @pytest.mark.parametrize("case", list(DRIFTED))
    def test_each_drift_is_reported(self, fake_coze: FakeCoze, client_kind: str, case: str) -> None:
        """Removed, renamed, retyped, a new enum value, an unparsable body: exit 1; an addition alone: exit 0."""
        drifted, expected, exit_code = DRIFTED[case]
        fake_coze.drifted.update(drifted)
        result = run_check(read_inputs(), ROOT, client=client_kind)
        assert _drift(result) == expected
        assert result.exit_code == exit_code
        assert {d.logid for d in result.drifts} == {LOGID}

    def test_schema_drift_is_reported_when_the_description_describes_the_operation(
        self, fake_coze: FakeCoze, tmp_path: Path
    ) -> None:
        """An operation the description has is checked against its schema; the others say "no schema"."""
        operations = tmp_path / "operations.json"
        schema = {
            "type": "object",
            "required": ["code", "data"],
            "properties": {
                "code": {"type": "integer"},
                "data": {
                    "type": "object",
                    "required": ["user_id", "user_name", "nick_name", "avatar_url", "locale"],
                    "properties": {"user_id": {"type": "string"}, "nick_name": {"type": "integer"}},
                },
            },
        }
        operations.write_text(json.dumps({"source": {}, "operations": {"GET /v1/users/me": {"response": schema}}}))
        result = run_check(read_inputs(), ROOT, operations=operations)
        me = next(checked for step in result.steps for _, checked in step.exchanges if checked.operation.endswith("me"))
        assert me.schema == "checked"
        assert {(d.path, d.kind, d.check) for d in me.drifts} == {
            ("data.locale", "removed", "schema"),
            ("data.nick_name", "type", "schema"),
        }
        others = {checked.schema for step in result.steps for _, checked in step.exchanges if checked is not me}
        assert others == {"no schema"}
        assert result.exit_code == 1

    def test_the_request_budget_stops_the_check(self, fake_coze: FakeCoze) -> None:
        """No more requests than the budget leave; the steps left are reported as not sent."""
        result = run_check(read_inputs(), ROOT, limit=3)
        assert result.sent == len(fake_coze.server.log) == 3
        assert [s.outcome for s in result.steps][-2:] == ["not sent", "not sent"]
        assert result.exit_code == 1


MASKED = {
    "users/me_live.json": (
        "users/me_ok.json",
        {
            "data.user_id": "7000000000000000001",
            "data.user_name": "recorded-user",
            "data.nick_name": "Recorded user",
            "data.avatar_url": "https://example.test/avatar.png",
        },
    ),
    "bots/get_online_info_live.json": ("bots/get_online_info_ok.json", {"data.owner_user_id": "7000000000000000001"}),
}


def _serve(path: Path) -> Drifted:
    """Serve ``path``'s text instead of a golden file."""
    return lambda _text, _request: path.read_text(encoding="utf-8")


class TestLiveContractRecord:
    """``--record DIR`` writes the real responses in the golden catalogue's format."""

    def test_recorded_files_equal_the_served_ones_after_masking(
        self, fake_coze: FakeCoze, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Each file is the served body (masked) or stream (byte for byte), indexed as recorded live."""
        record = tmp_path / "recorded"
        assert main(["--live", "--live-writes", "--record", str(record), "--output", str(tmp_path / "out")]) == 0
        entries = tomllib.loads((record / "index.toml").read_text(encoding="utf-8"))["golden"]
        served = list(dict.fromkeys(fake_coze.served))
        assert len(entries) == len(fake_coze.served)
        for entry, name in zip(entries, fake_coze.served, strict=True):
            assert set(entry) == {"file", "endpoint", "case", "sources"}
            assert entry["sources"][0].startswith("LIVE recorded live 20")
            recorded = (record / entry["file"]).read_text(encoding="utf-8")
            if name.endswith(".sse"):
                assert recorded == golden_text(name)
            else:
                source, changes = MASKED.get(entry["file"], (name, {}))
                assert source == name
                assert json.loads(recorded) == with_changes(golden(name), changes)
        assert "users/me_ok.json" in served
        # The recorded files are a catalogue the check accepts: served again, nothing drifts.
        by_golden = dict(zip(fake_coze.served, [e["file"] for e in entries], strict=True))
        fake_coze.drifted.update({name: _serve(record / file) for name, file in by_golden.items()})
        result = run_check(read_inputs(), ROOT, writes=True)
        assert result.exit_code == 0
        assert result.drifts == []

    def test_record_raw_keeps_personal_data(self, fake_coze: FakeCoze, tmp_path: Path) -> None:
        """``--record-raw`` writes the bodies as served."""
        record = tmp_path / "raw"
        assert main(["--live", "--record", str(record), "--record-raw", "--output", str(tmp_path)]) == 0
        assert json.loads((record / "users/me_live.json").read_text(encoding="utf-8")) == golden("users/me_ok.json")


def _echo_token(text: str, request: Request) -> str:
    body = json.loads(text)
    body["data"]["nick_name"] = request.headers["Authorization"].removeprefix("Bearer ")
    return json.dumps(body)


class TestLiveContractSafety:
    """The token stays secret, bad inputs send nothing, and plain http is for loopback only."""

    def test_the_token_never_reaches_the_terminal_reports_or_records(
        self, fake_coze: FakeCoze, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Even a response that echoes the token leaves no trace of it in any output."""
        fake_coze.drifted["users/me_ok.json"] = _echo_token
        code = main(["--live", "--record", str(tmp_path / "rec"), "--record-raw", "--output", str(tmp_path / "out")])
        assert code == 0
        assert fake_coze.server.log[0][0].headers["Authorization"] == f"Bearer {CANARY}"
        printed = capsys.readouterr()
        assert CANARY not in printed.out + printed.err
        files = [path for path in tmp_path.rglob("*") if path.is_file()]
        assert len(files) > 3
        assert not [path for path in files if CANARY in path.read_text(encoding="utf-8")]

    @pytest.mark.parametrize(
        ("unset", "named"),
        [
            (["COZE_LIVE_WORKSPACE_ID", "COZE_LIVE_BOT_ID"], ["COZE_LIVE_WORKSPACE_ID", "COZE_LIVE_BOT_ID"]),
            (["COZE_API_TOKEN", "COZE_LIVE_BOT_ID"], ["COZE_API_TOKEN", "COZE_LIVE_BOT_ID"]),
        ],
    )
    def test_missing_inputs_exit_2_before_any_request(
        self,
        fake_coze: FakeCoze,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        unset: list[str],
        named: list[str],
        tmp_path: Path,
    ) -> None:
        """Each missing variable is named, and the server sees nothing."""
        for name in unset:
            monkeypatch.delenv(name)
        assert main(["--live", "--output", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert all(f"{name} is required" in err for name in named)
        assert fake_coze.server.log == []
        assert list(tmp_path.iterdir()) == []
