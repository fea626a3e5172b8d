"""Wire repairs at the edges: escapes, content encodings and long lines reach cozepy as Coze sent them.

``coze_integration.wire_repairs`` rewrites a few endpoints' bodies before cozepy reads them
(``test_coze_wire_contract.py`` shows why). These tests hold it to what a plain httpx client does
with the same bytes: nothing readable is lost, and what does not decode is a typed error.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import respx
from cozepy import WorkflowEventType

from coze_integration.calls import CozeCalls
from coze_integration.errors import CozeMalformedResponseError
from coze_integration.wire_repairs import _EventFilter, repair
from coze_integration.workflows import run_history_call
from tests.coze.golden_workflows import done_data, end_node_text
from tests.coze.parity import AnyCoze, read, streamed_transcript, workflow_progress
from tests.coze.wire import LOGID, golden, golden_events, golden_text

TRIMMED = "workflows/run_history_trimmed_surrogate.json"
SUCCESS = "workflows/run_history_success.json"
PING = "workflows/stream_ping.sse"
END_CHUNKS = "workflows/stream_run_end_chunks.sse"


CHAT_OK = "chat/stream_ok.sse"
VARIABLES = "bots/get_online_info_variables.json"


def _history_path(workflow_id: str, execute_id: str) -> str:
    return f"/v1/workflows/{workflow_id}/run_histories/{execute_id}"


class _Chunked(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that arrives in pieces of ``size`` bytes, as a slow connection delivers it."""

    def __init__(self, data: bytes, size: int) -> None:
        self.parts = [data[i : i + size] for i in range(0, len(data), size)]

    def __iter__(self) -> Iterator[bytes]:
        yield from self.parts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part


def _repaired(request: httpx.Request, body: bytes, headers: dict[str, str]) -> bytes:
    """What cozepy reads of ``body`` once the client's repair hook has run."""
    response = httpx.Response(200, headers=headers, stream=_Chunked(body, 64), request=request)
    repair(response, {})
    return response.read()


class TestCozeWireRepairsJson:
    """JSON bodies the repair does not need to change pass byte for byte; changed ones keep every escape.

    (``test_coze_workflows.py`` reads the trimmed-output golden file through both clients.)
    """

    @pytest.mark.golden(SUCCESS)
    @pytest.mark.covers("FR-010")
    def test_unchanged_body_passes_byte_for_byte(self, sample_workflow_id: str, sample_execute_id: str) -> None:
        """A run history that needs no repair reaches cozepy exactly as Coze sent it."""
        request = httpx.Request("GET", f"https://api.coze.cn{_history_path(sample_workflow_id, sample_execute_id)}")
        sent = golden_text(SUCCESS).encode()
        assert _repaired(request, sent, {"content-type": "application/json"}) == sent

    @pytest.mark.parametrize(
        "name",
        [
            "workflows/run_ok.json",
            "workflows/run_async.json",
            "errors/bad_request_4000.json",
            "conversations/delete_ok.json",  # a bare code-0 envelope: no run answer, so nothing to repair
        ],
        ids=str,
    )
    def test_run_answer_that_needs_no_repair_passes_byte_for_byte(self, name: str) -> None:
        """Run answers with their ``debug_url``, error answers and bare envelopes reach cozepy exactly as sent."""
        request = httpx.Request("POST", "https://api.coze.cn/v1/workflow/run")
        sent = golden_text(name).encode()
        assert _repaired(request, sent, {"content-type": "application/json"}) == sent

    @pytest.mark.parametrize(
        "sent",
        [
            golden_text("bots/get_online_info_ok.json").encode(),  # no variables at all
            golden_text("errors/not_found_4200.json").encode(),  # an error envelope has no bot
            golden_text(VARIABLES).replace('"keyword":', '"variable_type": "ListVariable", "keyword":').encode(),
            b"[]",
            b'{"code": 0, "data": "not a bot"}',
            b'{"code": 0, "data": {"variables": {"city": "Paris"}}}',
            b'{"code": 0, "data": {"variables": ["city"]}}',
        ],
        ids=[
            "no-variables",
            "error",
            "typed-variable",
            "not-an-object",
            "data-not-a-bot",
            "variables-not-a-list",
            "variable-not-an-object",
        ],
    )
    def test_bot_answer_that_needs_no_repair_passes_byte_for_byte(self, sent: bytes, sample_bot_id: str) -> None:
        """A bot answer whose variables all have a type, or that has no variables to type, reaches cozepy as sent."""
        request = httpx.Request("GET", f"https://api.coze.cn/v1/bot/get_online_info?bot_id={sample_bot_id}")
        assert _repaired(request, sent, {"content-type": "application/json"}) == sent

    @pytest.mark.golden(VARIABLES)
    def test_untyped_variable_is_read_as_key_value(self, sample_bot_id: str) -> None:
        """Each variable without ``variable_type`` gets ``KVVariable``, and nothing else in the bot changes."""
        request = httpx.Request("GET", f"https://api.coze.cn/v1/bot/get_online_info?bot_id={sample_bot_id}")
        repaired = httpx.Response(
            200, content=_repaired(request, golden_text(VARIABLES).encode(), {"content-type": "application/json"})
        ).json()
        sent = golden(VARIABLES)
        sent["data"]["variables"] = [
            {**variable, "variable_type": "KVVariable"} for variable in sent["data"]["variables"]
        ]
        assert repaired == sent

    @pytest.mark.golden(TRIMMED)
    @pytest.mark.covers("FR-010")
    def test_repaired_body_keeps_a_lone_surrogate(self, sample_workflow_id: str, sample_execute_id: str) -> None:
        """Without ``is_output_trimmed`` (as in the docs' example) the flag is added and the escape survives."""
        request = httpx.Request("GET", f"https://api.coze.cn{_history_path(sample_workflow_id, sample_execute_id)}")
        text = golden_text(TRIMMED)
        without_flag = text.replace(',\n      "is_output_trimmed": true', "")
        assert without_flag != text
        repaired = httpx.Response(
            200, content=_repaired(request, without_flag.encode(), {"content-type": "application/json"})
        ).json()
        [sent] = golden(TRIMMED)["data"]
        assert repaired["data"] == [{**sent, "is_output_trimmed": False}]


@pytest.mark.asyncio
@pytest.mark.parity
class TestCozeWireRepairsEncodings:
    """Content encodings are undone as httpx undoes them; a body that does not decode is a typed error."""

    @pytest.mark.golden(PING)
    @pytest.mark.covers("FR-009")
    @pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib-wrapped", "raw"])
    async def test_deflate_stream_in_either_form(
        self,
        coze_client: AnyCoze,
        coze_router: respx.MockRouter,
        sample_workflow_id: str,
        mock_coze_api_token: str,
        wbits: int,
    ) -> None:
        """A workflow stream sent as ``deflate``, zlib-wrapped or raw, loses its pings and keeps its message."""
        packer = zlib.compressobj(wbits=wbits)
        body = packer.compress(golden_text(PING).encode()) + packer.flush()
        headers = {"content-type": "text/event-stream", "content-encoding": "deflate", "x-tt-logid": LOGID}
        route = coze_router.post("/v1/workflow/stream_run").mock(
            return_value=httpx.Response(200, headers=headers, stream=_Chunked(body, 16))
        )
        progress = await workflow_progress(coze_client, workflow_id=sample_workflow_id)
        [message] = [event.json() for event in golden_events(PING) if event.event == "Message"]
        assert (progress.events, progress.complete) == ((WorkflowEventType.MESSAGE,), True)
        assert [m.content for m in progress.messages] == [message["content"]]
        assert route.calls.last.request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"

    @pytest.mark.covers("FR-017")
    @pytest.mark.parametrize(
        ("path", "golden_name"),
        [
            ("/v1/bot/get_online_info", "bots/get_online_info_ok.json"),
            (_history_path("7484523878849822005", "7484523878849822006"), SUCCESS),
        ],
        ids=["plain-endpoint", "repaired-endpoint"],
    )
    async def test_bad_gzip_body_is_a_malformed_response(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        path: str,
        golden_name: str,
    ) -> None:
        """A body labelled ``gzip`` that does not decode raises the malformed-response error with the logid."""
        # The golden body, its gzip header damaged: no decoder can read it from the first byte on.
        broken = b"\x1f\x8b\xff" + gzip.compress(golden_text(golden_name).encode())[3:]
        headers = {"content-type": "application/json", "content-encoding": "gzip", "x-tt-logid": LOGID}
        route = coze_router.get(path).mock(
            return_value=httpx.Response(200, headers=headers, stream=_Chunked(broken, 64))
        )
        if path.startswith("/v1/bot/"):
            call: Any = lambda: coze_client.bots.retrieve(bot_id="7484523878849822002")  # noqa: E731
        else:
            call = run_history_call(coze_client, "7484523878849822005", "7484523878849822006")
        with pytest.raises(CozeMalformedResponseError) as caught:
            await read(coze_client, coze_calls, call)
        assert caught.value.logid == LOGID
        assert "does not decode" in str(caught.value)
        if not path.startswith("/v1/bot/"):  # the repaired endpoint's own decoder names the encoding
            assert "gzip body does not decode" in caught.value.detail
        assert route.call_count == 1  # a body that does not decode is not retried


@pytest.mark.covers("FR-009")
def _bad_checksum() -> bytes:
    packed = zlib.compress(golden_text(SUCCESS).encode())
    return packed[:-4] + bytes(byte ^ 0xFF for byte in packed[-4:])


def _raw_deflate() -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(golden_text(SUCCESS).encode()) + packer.flush()


class TestCozeWireRepairsBrokenDeflate:
    """A body that goes bad after its first chunk, or carries the wrong label, is a typed error, as in httpx."""

    @pytest.mark.asyncio
    @pytest.mark.parity
    @pytest.mark.covers("FR-017")
    @pytest.mark.parametrize(
        ("body", "encoding"),
        [(_bad_checksum, "deflate"), (_raw_deflate, "gzip")],
        ids=["deflate-with-bad-checksum", "raw-deflate-labelled-gzip"],
    )
    async def test_body_that_does_not_decode_is_a_malformed_response(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        sample_workflow_id: str,
        sample_execute_id: str,
        body: Callable[[], bytes],
        encoding: str,
    ) -> None:
        """The error names the encoding and keeps the logid; only a ``deflate`` label allows raw deflate."""
        headers = {"content-type": "application/json", "content-encoding": encoding, "x-tt-logid": LOGID}
        coze_router.get(_history_path(sample_workflow_id, sample_execute_id)).mock(
            return_value=httpx.Response(200, headers=headers, stream=_Chunked(body(), 64))
        )
        with pytest.raises(CozeMalformedResponseError) as caught:
            await read(coze_client, coze_calls, run_history_call(coze_client, sample_workflow_id, sample_execute_id))
        assert caught.value.logid == LOGID
        assert f"{encoding} body does not decode" in caught.value.detail


class TestCozeWireRepairsInvalidText:
    """A byte that is not UTF-8 inside an event does not break the stream filter."""

    @pytest.mark.asyncio
    @pytest.mark.parity
    @pytest.mark.covers("FR-016")
    async def test_invalid_byte_in_a_delta_is_replaced(
        self, coze_client: AnyCoze, coze_router: respx.MockRouter
    ) -> None:
        """The answer arrives whole, the bad byte read as U+FFFD, as any text decoder would read it."""
        body = golden_text(CHAT_OK).encode().replace(b"France", b"Fr\xffnce")  # in a delta and the completed answer
        headers = {"content-type": "text/event-stream", "x-tt-logid": LOGID}
        coze_router.post("/v3/chat").mock(return_value=httpx.Response(200, headers=headers, stream=_Chunked(body, 64)))
        transcript = await streamed_transcript(coze_client, bot_id="b", user_id="u")
        assert (transcript.text, transcript.complete, transcript.logid) == (
            "The capital of Fr\ufffdnce is Paris.",
            True,
            LOGID,
        )


class TestCozeWireRepairsUnterminatedEnd:
    """The last event of a stream that closes without a final newline still reaches cozepy whole."""

    @pytest.mark.asyncio
    @pytest.mark.parity
    @pytest.mark.covers("FR-009")
    async def test_done_without_a_final_newline_completes_the_run(
        self, coze_client: AnyCoze, coze_router: respx.MockRouter
    ) -> None:
        """``Done`` and its data, sent in small pieces with no newline after them, end the run with its debug URL."""
        body = golden_text(END_CHUNKS).rstrip("\n").encode()
        headers = {"content-type": "text/event-stream", "x-tt-logid": LOGID}
        coze_router.post("/v1/workflow/stream_run").mock(
            return_value=httpx.Response(200, headers=headers, stream=_Chunked(body, 16))
        )
        progress = await workflow_progress(coze_client, workflow_id="wf")
        assert (progress.complete, progress.output) == (True, end_node_text(END_CHUNKS))
        assert progress.debug_url == done_data(END_CHUNKS)["debug_url"]


class TestCozeWireRepairsLongLines:
    """A line split over many chunks is reassembled once, whatever its length."""

    def test_long_data_line_in_small_chunks(self) -> None:
        """A 4 MB ``data:`` line fed in 1 KB chunks comes out whole, and the events around it too."""
        big = b"data: " + b"x" * (4 * 1024 * 1024) + b"\n"
        done = b"\nid: 2\nevent: Done\ndata: {}\n\n"
        stream = b"id: 0\nevent: PING\ndata: {}\n\nid: 1\nevent: Message\n" + big + done
        kept = _EventFilter(drop_ids=False, drop_events=frozenset({"PING"}))
        out = [kept.feed(stream[i : i + 1024]) for i in range(0, len(stream), 1024)]
        out.append(kept.flush())
        assert b"".join(out) == b"id: 1\nevent: Message\n" + big + done
