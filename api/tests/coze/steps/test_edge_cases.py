"""The spec's edge cases, answered (features/edge_cases.feature)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import partial
from importlib import metadata
from typing import Any

import httpx
import pytest
import respx
from cozepy import WorkflowExecuteStatus
from pytest_bdd import given, parsers, scenarios, then, when

from coze_integration import clients
from coze_integration.calls import CozeCalls
from coze_integration.chat import ChatTranscript
from coze_integration.errors import (
    CozeAuthenticationError,
    CozeDeadlineExceededError,
    CozeIntegrationError,
    CozeMalformedEventError,
    CozeNotFoundError,
    CozePermissionError,
    CozeRateLimitError,
    CozeStreamEventError,
    CozeStreamInterruptedError,
    CozeTimeoutError,
    CozeVersionConflictError,
)
from coze_integration.polling import PollPolicy
from coze_integration.settings import LOGGER_NAME, CozeSettings, configure_logging
from coze_integration.workflows import WorkflowProgress
from tests.coze.golden_workflows import done_data, end_node_text, message_data
from tests.coze.parity import (
    AnyCoze,
    authenticate,
    build_client,
    read,
    read_items_into,
    streamed_transcript,
    workflow_progress,
    workflow_run,
    workflow_until_done,
    write,
)
from tests.coze.steps.async_steps import async_step
from tests.coze.steps.shared import ChatRequest, route_chat_create, route_users_me, serve_workflow_stream
from tests.coze.wire import (
    LOGID,
    event_stream,
    golden,
    golden_events,
    golden_response,
    golden_stream,
    golden_text,
    request_json,
)

scenarios("edge_cases.feature")

OK_STREAM = golden_text("chat/stream_ok.sse")
ANSWER = golden_events("chat/stream_ok.sse")[5].json()["content"]
UNAUTHENTICATED = "errors/unauthenticated_4100.json"
MESSAGE_COMPLETED = "event:conversation.message.completed\n"


class Outcomes(dict[str, Any]):
    """What each action of a scenario returned or raised, by name."""

    async def capture(self, name: str, action: Any) -> None:
        """Await ``action`` and store its result, or the integration error it raised."""
        try:
            self[name] = await action
        except CozeIntegrationError as error:
            self[name] = error


@pytest.fixture
def outcomes() -> Outcomes:
    """Results and errors of the scenario's actions."""
    return Outcomes()


# --- EC-1: invalid or expired token --------------------------------------------------------------


@given("a client whose token Coze rejects as invalid or expired")
def _rejected_token(coze_router: respx.MockRouter) -> None:
    route_users_me(coze_router, golden_response(UNAUTHENTICATED, status=401))


@when("the client checks its credentials")
@async_step
async def _check_credentials(coze_client: AnyCoze, coze_calls: CozeCalls, outcomes: Outcomes) -> None:
    await outcomes.capture("auth", authenticate(coze_client, coze_calls))


@then("an authentication error carries the Coze code, message and logid")
def _auth_error(outcomes: Outcomes, coze_router: respx.MockRouter) -> None:
    error = outcomes["auth"]
    assert isinstance(error, CozeAuthenticationError)
    wire = golden(UNAUTHENTICATED)
    assert (error.code, error.msg, error.logid, error.http_status) == (wire["code"], wire["msg"], LOGID, 401)
    assert coze_router["users.me"].call_count == 1


@then("the error tells the developer to check COZE_API_TOKEN without showing the token")
def _auth_hint(outcomes: Outcomes, mock_coze_api_token: str) -> None:
    error = outcomes["auth"]
    assert "check COZE_API_TOKEN" in str(error)
    assert mock_coze_api_token not in f"{error!s} {error!r} {error.__cause__!r}"


# --- EC-2: network errors and timeouts -----------------------------------------------------------


@given("the connection to Coze fails twice before a bot lookup succeeds")
def _flaky_network(coze_router: respx.MockRouter, sample_bot_id: str) -> None:
    coze_router.get("/v1/bot/get_online_info", name="bots.retrieve").mock(
        side_effect=[
            httpx.ConnectError("connection refused"),
            httpx.ReadTimeout("read timed out"),
            golden_response("bots/get_online_info_ok.json"),
        ]
    )


@given("a chat request that times out")
def _chat_times_out(coze_router: respx.MockRouter) -> None:
    coze_router.post("/v3/chat", name="chat.create").mock(side_effect=httpx.ReadTimeout("read timed out"))


@when("the backend retrieves the bot and then creates the chat")
@async_step
async def _bot_then_chat(coze_client: AnyCoze, coze_calls: CozeCalls, outcomes: Outcomes, sample_bot_id: str) -> None:
    await outcomes.capture(
        "bot", read(coze_client, coze_calls, partial(coze_client.bots.retrieve, bot_id=sample_bot_id))
    )
    await outcomes.capture(
        "chat", write(coze_client, coze_calls, partial(coze_client.chat.create, bot_id=sample_bot_id, user_id="u"))
    )


@then("the bot is returned after two retries with growing delays")
def _bot_after_retries(
    outcomes: Outcomes, recorded_sleeps: list[float], coze_router: respx.MockRouter, sample_bot_id: str
) -> None:
    assert outcomes["bot"].bot_id == sample_bot_id
    assert coze_router["bots.retrieve"].call_count == 3
    first, second = recorded_sleeps
    # Exponential backoff with jitter: base 0.5 s then 1 s, each plus up to 0.5 s of jitter.
    assert 0.5 <= first <= 1.0 <= second <= 1.5


@then("the chat fails with a timeout error naming the request, sent only once")
def _chat_timeout(outcomes: Outcomes, coze_router: respx.MockRouter) -> None:
    error = outcomes["chat"]
    assert isinstance(error, CozeTimeoutError)
    assert error.target.startswith("POST /v3/chat")
    assert coze_router["chat.create"].call_count == 1


# --- EC-3: SDK version conflicts -----------------------------------------------------------------


@given("cozepy 0.19.0 and httpx 0.27.2 are installed instead of the locked versions")
def _old_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = {"cozepy": "0.19.0", "httpx": "0.27.2"}
    monkeypatch.setattr(clients, "installed_version", installed.get)
    clients.ensure_supported_versions.cache_clear()


@when("a client factory checks the installed SDK versions", target_fixture="version_errors")
def _factories_check(mock_settings: CozeSettings) -> list[str]:
    messages = []
    for kind in ("sync", "async"):
        with pytest.raises(CozeVersionConflictError) as caught:
            build_client(kind, mock_settings)
        # The message, not the error: pytest-bdd keeps a target fixture's value for the rest of the
        # session, and the error's traceback would keep every frame of this scenario with it.
        messages.append(str(caught.value))
    return messages


@then("a version conflict error names each package with the version found and the range required")
def _conflict_named(version_errors: list[str]) -> None:
    for message in version_errors:
        assert "cozepy 0.19.0 is installed but coze_integration supports cozepy<0.21,>=0.20" in message
        assert "httpx 0.27.2 is installed but coze_integration supports httpx<0.29,>=0.28" in message


# --- EC-4: rate limiting -------------------------------------------------------------------------

RATE_LIMITED = "errors/rate_limited_4013.json"


@given(
    parsers.parse("Coze rate-limits every bot list request with code {code:d} and Retry-After of {seconds:d} seconds")
)
def _rate_limited(coze_router: respx.MockRouter, code: int, seconds: int) -> None:
    # The scenario's code must be the one Coze documents for rate limits, not one written into the body.
    assert code == golden(RATE_LIMITED)["code"]
    limited = golden_response(RATE_LIMITED, status=429, headers={"Retry-After": str(seconds)})
    coze_router.get("/v1/space/published_bots_list", name="bots.list").mock(return_value=limited)


@when("the backend lists the bots")
@async_step
async def _list_bots(coze_client: AnyCoze, coze_calls: CozeCalls, outcomes: Outcomes, sample_workspace_id: str) -> None:
    await outcomes.capture(
        "bots", read(coze_client, coze_calls, partial(coze_client.bots.list, space_id=sample_workspace_id))
    )


@then(parsers.parse("the backend waits {seconds:d} seconds between its {attempts:d} attempts, as Coze asked"))
def _waited(recorded_sleeps: list[float], coze_router: respx.MockRouter, seconds: int, attempts: int) -> None:
    assert coze_router["bots.list"].call_count == attempts
    assert recorded_sleeps == [float(seconds)] * (attempts - 1)


@then(parsers.parse("a rate-limit error with code {code:d} and the logid surfaces"))
def _rate_limit_error(outcomes: Outcomes, code: int) -> None:
    error = outcomes["bots"]
    assert isinstance(error, CozeRateLimitError)
    assert (error.code, error.http_status, error.retry_after, error.logid) == (code, 429, 2.0, LOGID)


# --- EC-5: missing or inaccessible ids -----------------------------------------------------------


@given("a bot ID that does not exist and a workspace ID the token may not access")
def _missing_ids(coze_router: respx.MockRouter) -> None:
    coze_router.get("/v1/bot/get_online_info").mock(return_value=golden_response("errors/not_found_4200.json"))
    coze_router.get("/v1/space/published_bots_list").mock(
        return_value=golden_response("errors/permission_4101.json", status=403)
    )


@when("the backend retrieves the bot and lists the workspace's bots")
@async_step
async def _bot_and_workspace(
    coze_client: AnyCoze, coze_calls: CozeCalls, outcomes: Outcomes, sample_bot_id: str, sample_workspace_id: str
) -> None:
    await outcomes.capture(
        "bot", read(coze_client, coze_calls, partial(coze_client.bots.retrieve, bot_id=sample_bot_id))
    )
    await outcomes.capture(
        "bots", read(coze_client, coze_calls, partial(coze_client.bots.list, space_id=sample_workspace_id))
    )


@then("a not-found error names the bot ID and carries the logid")
def _bot_not_found(outcomes: Outcomes, sample_bot_id: str) -> None:
    error = outcomes["bot"]
    assert isinstance(error, CozeNotFoundError)
    assert sample_bot_id in str(error)
    assert (error.code, error.logid) == (4200, LOGID)


@then("a permission error names the workspace ID and carries the logid")
def _workspace_forbidden(outcomes: Outcomes, sample_workspace_id: str) -> None:
    error = outcomes["bots"]
    assert isinstance(error, CozePermissionError)
    assert sample_workspace_id in str(error)
    assert (error.code, error.http_status, error.logid) == (4101, 403, LOGID)


# --- EC-6 and EC-8: broken and malformed streams -------------------------------------------------


@given("a chat stream that loses its connection in the middle of an event, after three answer deltas")
def _broken_stream(coze_router: respx.MockRouter) -> None:
    cut = OK_STREAM[: OK_STREAM.index(MESSAGE_COMPLETED) + len(MESSAGE_COMPLETED)]
    coze_router.post("/v3/chat").mock(return_value=event_stream(cut, cut=True))


@given("a chat stream in which an event after three answer deltas carries invalid JSON data")
def _malformed_stream(coze_router: respx.MockRouter) -> None:
    head = OK_STREAM[: OK_STREAM.index(MESSAGE_COMPLETED)]
    coze_router.post("/v3/chat").mock(
        return_value=event_stream(head + MESSAGE_COMPLETED + 'data:{"role":"assistant","content":"Par\n\n')
    )


@when("the backend consumes the stream")
@async_step
async def _consume(coze_client: AnyCoze, outcomes: Outcomes) -> None:
    await outcomes.capture("stream", streamed_transcript(coze_client, bot_id="b", user_id="u"))


@then("a stream-interrupted error is raised")
def _interrupted(outcomes: Outcomes) -> None:
    assert isinstance(outcomes["stream"], CozeStreamInterruptedError)
    assert "ReadError" in str(outcomes["stream"])


@then("the error keeps the answer text received so far, the chat ID and the logid")
def _partial_kept(outcomes: Outcomes, sample_chat_id: str) -> None:
    partial_transcript = outcomes["stream"].partial
    assert isinstance(partial_transcript, ChatTranscript)
    assert (partial_transcript.text, partial_transcript.chat_id) == (ANSWER, sample_chat_id)
    assert partial_transcript.complete is False
    assert outcomes["stream"].logid == LOGID


@then("a malformed-event error carries the offending data and the logid")
def _malformed(outcomes: Outcomes) -> None:
    error = outcomes["stream"]
    assert isinstance(error, CozeMalformedEventError)
    assert error.line == '{"role":"assistant","content":"Par'
    assert error.logid == LOGID


@then("the answer text received before it is kept")
def _text_before_kept(outcomes: Outcomes) -> None:
    assert outcomes["stream"].partial.text == ANSWER


# --- EC-7: workflows past their time limit -------------------------------------------------------


@given("a workflow that is still running when the backend's deadline passes")
def _slow_workflow(coze_router: respx.MockRouter, sample_workflow_id: str, sample_execute_id: str) -> None:
    coze_router.get(f"/v1/workflows/{sample_workflow_id}/run_histories/{sample_execute_id}").mock(
        return_value=golden_response("workflows/run_history_running.json")
    )


@given("a blocking workflow run whose request times out")
def _blocking_times_out(coze_router: respx.MockRouter, sample_execute_id: str) -> None:
    coze_router.post("/v1/workflow/run", name="workflow.run").mock(
        side_effect=[golden_response("workflows/run_async.json"), httpx.ReadTimeout("read timed out")]
    )


@when("the backend waits for the first and runs the second")
@async_step
async def _wait_and_run(
    coze_client: AnyCoze, coze_calls: CozeCalls, poll_policy: PollPolicy, outcomes: Outcomes, sample_workflow_id: str
) -> None:
    await outcomes.capture(
        "waited",
        workflow_until_done(coze_client, coze_calls, poll_policy, workflow_id=sample_workflow_id, parameters={}),
    )
    await outcomes.capture(
        "blocking", workflow_run(coze_client, coze_calls, workflow_id=sample_workflow_id, parameters={})
    )


@then("the first fails with a timeout error carrying its execute ID, so the result can be fetched later")
def _resumable_timeout(outcomes: Outcomes, sample_execute_id: str) -> None:
    error = outcomes["waited"]
    assert isinstance(error, CozeTimeoutError)
    assert error.execute_id == sample_execute_id


@then("the second fails with a timeout error naming the request, sent only once")
def _blocking_timeout(outcomes: Outcomes, coze_router: respx.MockRouter) -> None:
    error = outcomes["blocking"]
    assert isinstance(error, CozeTimeoutError)
    assert (error.target, error.execute_id) == ("POST /v1/workflow/run", None)
    assert coze_router["workflow.run"].call_count == 2  # one async start, one blocking run: no retry


# --- Logging is the backend's decision -----------------------------------------------------------

INTEGRATION_LOGGERS = ("cozepy", LOGGER_NAME)


@pytest.fixture
def kept_log_levels() -> Iterator[None]:
    """Put cozepy's and the integration's logger levels back after the scenario."""
    levels = {name: logging.getLogger(name).level for name in INTEGRATION_LOGGERS}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@given("COZE_DEBUG is true and the application keeps cozepy's logger at ERROR")
def _debug_requested(mock_env: None, monkeypatch: pytest.MonkeyPatch, kept_log_levels: None) -> None:
    monkeypatch.setenv("COZE_DEBUG", "true")
    for name in INTEGRATION_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


@when("the backend builds a client from the environment", target_fixture="env_settings")
def _build_from_env(coze_kind: str) -> CozeSettings:
    settings = CozeSettings.from_env()
    build_client(coze_kind, settings)
    return settings


@then("cozepy's logger is still at ERROR")
def _level_untouched() -> None:
    assert {name: logging.getLogger(name).level for name in INTEGRATION_LOGGERS} == dict.fromkeys(
        INTEGRATION_LOGGERS, logging.ERROR
    )


@then("the backend's startup call applies DEBUG to cozepy's and the integration's loggers")
def _startup_applies(env_settings: CozeSettings) -> None:
    configure_logging(env_settings)
    assert {name: logging.getLogger(name).level for name in INTEGRATION_LOGGERS} == dict.fromkeys(
        INTEGRATION_LOGGERS, logging.DEBUG
    )


# --- Vendored code: no distribution metadata -----------------------------------------------------


@pytest.fixture
def version_check_cache_cleared() -> Iterator[None]:
    """A fresh once-per-process version check before and after the scenario."""
    clients.ensure_supported_versions.cache_clear()
    yield
    clients.ensure_supported_versions.cache_clear()


@given("no installed distribution's metadata can be found, as when the code is vendored into the backend")
def _no_metadata(monkeypatch: pytest.MonkeyPatch, version_check_cache_cleared: None) -> None:
    def no_distribution(name: str) -> Any:
        raise metadata.PackageNotFoundError(name)

    for lookup in ("distribution", "metadata", "requires", "version"):
        monkeypatch.setattr(metadata, lookup, no_distribution)


@when("the backend builds its client", target_fixture="built_client")
def _build_client(coze_kind: str, mock_settings: CozeSettings) -> AnyCoze:
    return build_client(coze_kind, mock_settings)


@then("the client is built with the configured base URL")
def _client_built(built_client: AnyCoze, mock_settings: CozeSettings) -> None:
    assert built_client._base_url == mock_settings.api_base


# --- Permission, Retry-After cap and later pages -------------------------------------------------

BOTS_LIST = "/v1/space/published_bots_list"
BOTS_PAGE_1 = "bots/published_bots_list_page1_of_2.json"
BOTS_LIMITED = "errors/rate_limited_4013.json"
#: The logid of the failing second page, distinct from the first page's.
PAGE_2_LOGID = "20261126093001B2C3D4E5F6A7"


@given("Coze answers the bot list with code 4101 because the token may not access the workspace")
def _workspace_not_accessible(coze_router: respx.MockRouter) -> None:
    coze_router.get(BOTS_LIST, name="bots.list").mock(
        return_value=golden_response("errors/permission_4101.json", status=403)
    )


@then("a permission error with code 4101 and the logid surfaces, sent only once")
def _permission_error(outcomes: Outcomes, coze_router: respx.MockRouter, sample_workspace_id: str) -> None:
    error = outcomes["bots"]
    assert isinstance(error, CozePermissionError)
    assert (error.code, error.http_status, error.logid) == (4101, 403, LOGID)
    assert coze_router["bots.list"].call_count == 1
    assert coze_router["bots.list"].calls.last.request.url.params["space_id"] == sample_workspace_id


@then("it is not an authentication error and does not tell the developer to check COZE_API_TOKEN")
def _not_authentication(outcomes: Outcomes) -> None:
    assert not isinstance(outcomes["bots"], CozeAuthenticationError)
    assert "COZE_API_TOKEN" not in str(outcomes["bots"])


@given("Coze rate-limits the bot list with code 4013 and asks to wait an hour")
def _asks_for_an_hour(coze_router: respx.MockRouter) -> None:
    coze_router.get(BOTS_LIST, name="bots.list").mock(
        return_value=golden_response(BOTS_LIMITED, status=429, headers={"Retry-After": "3600"})
    )


@then("a rate-limit error with code 4013, the logid and the hour Coze asked for surfaces")
def _hour_in_error(outcomes: Outcomes) -> None:
    error = outcomes["bots"]
    assert isinstance(error, CozeRateLimitError)
    assert (error.code, error.http_status, error.retry_after, error.logid) == (4013, 429, 3600.0, LOGID)


@then("the backend neither waited nor sent the request again")
def _no_wait(recorded_sleeps: list[float], coze_router: respx.MockRouter) -> None:
    assert (recorded_sleeps, coze_router["bots.list"].call_count) == ([], 1)


@given(
    "a workspace with three bots listed two per page, whose second page Coze keeps rate-limiting "
    "with Retry-After of 1 second"
)
def _second_page_limited(coze_router: respx.MockRouter) -> None:
    limited = golden_response(BOTS_LIMITED, status=429, headers={"Retry-After": "1"}, logid=PAGE_2_LOGID)
    coze_router.get(BOTS_LIST, name="bots.list").mock(
        side_effect=[golden_response(BOTS_PAGE_1), limited, limited, limited]
    )


@when("the backend lists every bot of the workspace")
@async_step
async def _list_every_bot(
    coze_client: AnyCoze, coze_calls: CozeCalls, outcomes: Outcomes, sample_workspace_id: str
) -> None:
    outcomes["listed"] = []
    listing = partial(coze_client.bots.list, space_id=sample_workspace_id, page_size=2)
    await outcomes.capture("bots", read_items_into(coze_client, coze_calls, listing, outcomes["listed"]))


@then("the first page's bots arrive before a rate-limit error carrying the second page's logid")
def _page_one_then_error(outcomes: Outcomes) -> None:
    assert [bot.bot_id for bot in outcomes["listed"]] == [
        b["bot_id"] for b in golden(BOTS_PAGE_1)["data"]["space_bots"]
    ]
    error = outcomes["bots"]
    assert isinstance(error, CozeRateLimitError)
    assert (error.code, error.retry_after, error.logid) == (4013, 1.0, PAGE_2_LOGID)


@then(parsers.parse("the second page was requested {attempts:d} times with page_index 2, {seconds:d} second apart"))
def _page_two_retried(coze_router: respx.MockRouter, recorded_sleeps: list[float], attempts: int, seconds: int) -> None:
    pages = [call.request.url.params["page_index"] for call in coze_router["bots.list"].calls]
    assert pages == ["1", *["2"] * attempts]
    assert recorded_sleeps == [float(seconds)] * (attempts - 1)


# --- workflow streams: the End node's output, Error, Interrupt, a missing Done --------------------

END_CHUNKS = "workflows/stream_run_end_chunks.sse"
ERROR_EVENT = "workflows/stream_run_error_event.sse"
INTERRUPT = "workflows/stream_interrupt.sse"
NO_DONE = "workflows/stream_run_no_done.sse"
RUN_EMPTY_OUTPUT = "workflows/run_sync_empty_output.json"


@given(
    "a workflow stream whose End node sends its output in several chunks, then Done",
    target_fixture="workflow_stream",
)
def _end_chunks_stream(coze_router: respx.MockRouter) -> str:
    return serve_workflow_stream(coze_router, END_CHUNKS)


@given("a workflow stream that sends an Error event after the End node's first chunk", target_fixture="workflow_stream")
def _error_event_stream(coze_router: respx.MockRouter) -> str:
    return serve_workflow_stream(coze_router, ERROR_EVENT)


@given(
    "a workflow stream whose question node asks the user and then interrupts the run", target_fixture="workflow_stream"
)
def _interrupt_stream(coze_router: respx.MockRouter) -> str:
    return serve_workflow_stream(coze_router, INTERRUPT)


@given(
    "a workflow stream whose connection closes cleanly after two End-node chunks, before Done",
    target_fixture="workflow_stream",
)
def _no_done_stream(coze_router: respx.MockRouter) -> str:
    return serve_workflow_stream(coze_router, NO_DONE)


@when("the backend consumes the workflow stream")
@async_step
async def _consume_workflow_stream(
    coze_client: AnyCoze,
    outcomes: Outcomes,
    coze_router: respx.MockRouter,
    sample_workflow_id: str,
    sample_workflow_inputs: dict[str, Any],
) -> None:
    await outcomes.capture(
        "workflow", workflow_progress(coze_client, workflow_id=sample_workflow_id, parameters=sample_workflow_inputs)
    )
    request = coze_router["workflow.stream"].calls.last.request
    assert request_json(request) == {"workflow_id": sample_workflow_id, "parameters": sample_workflow_inputs}


def _message_contents(progress: WorkflowProgress) -> list[str]:
    return [m.content for m in progress.messages]


@then("the run is complete and its output is every End-node chunk joined in node_seq_id order")
def _complete_output(outcomes: Outcomes, workflow_stream: str) -> None:
    progress = outcomes["workflow"]
    assert isinstance(progress, WorkflowProgress)
    assert (progress.complete, progress.waiting) == (True, False)
    assert progress.output == end_node_text(workflow_stream)
    assert _message_contents(progress) == [m["content"] for m in message_data(workflow_stream)]


@then("the result carries the debug URL sent with Done and the logid")
def _done_debug_url(outcomes: Outcomes, workflow_stream: str) -> None:
    progress = outcomes["workflow"]
    assert (progress.debug_url, progress.logid) == (done_data(workflow_stream)["debug_url"], LOGID)


@then("a stream error carries the Error event's code and message and the logid")
def _error_event_error(outcomes: Outcomes, workflow_stream: str) -> None:
    error = outcomes["workflow"]
    assert isinstance(error, CozeStreamEventError)
    [sent] = [e.json() for e in golden_events(workflow_stream) if e.event == "Error"]
    assert (error.code, error.msg, error.logid) == (sent["error_code"], sent["error_message"], LOGID)


@then("the error keeps the messages received before it, and no output")
def _error_event_partial(outcomes: Outcomes, workflow_stream: str) -> None:
    partial = outcomes["workflow"].partial
    assert isinstance(partial, WorkflowProgress)
    assert _message_contents(partial) == [m["content"] for m in message_data(workflow_stream)]
    assert (partial.complete, partial.output) == (False, None)


@then("the run is waiting, not complete, and has no output")
def _waiting(outcomes: Outcomes) -> None:
    progress = outcomes["workflow"]
    assert isinstance(progress, WorkflowProgress)
    assert (progress.waiting, progress.complete, progress.output) == (True, False, None)


@then("the result carries the interrupt's event ID and type needed to resume the run")
def _resume_ids(outcomes: Outcomes, workflow_stream: str) -> None:
    interrupt = outcomes["workflow"].interrupt
    [sent] = [e.json() for e in golden_events(workflow_stream) if e.event == "Interrupt"]
    assert (interrupt.interrupt_data.event_id, interrupt.interrupt_data.type, interrupt.node_title) == (
        sent["interrupt_data"]["event_id"],
        sent["interrupt_data"]["type"],
        sent["node_title"],
    )


@then("a stream-interrupted error says the stream ended before Done")
def _ended_before_done(outcomes: Outcomes) -> None:
    error = outcomes["workflow"]
    assert isinstance(error, CozeStreamInterruptedError)
    assert "before Done" in str(error)


@then("the error keeps every message received so far and the logid")
def _no_done_partial(outcomes: Outcomes, workflow_stream: str) -> None:
    error = outcomes["workflow"]
    assert isinstance(error.partial, WorkflowProgress)
    assert _message_contents(error.partial) == [m["content"] for m in message_data(workflow_stream)]
    assert (error.partial.complete, error.partial.output, error.logid) == (False, None, LOGID)


@given("a blocking workflow run that Coze answers with code 0, an empty output and an execute ID")
def _empty_output_run(coze_router: respx.MockRouter) -> None:
    coze_router.post("/v1/workflow/run", name="workflow.run").mock(return_value=golden_response(RUN_EMPTY_OUTPUT))


@when("the backend runs the workflow in blocking mode")
@async_step
async def _run_blocking_workflow(
    coze_client: AnyCoze, coze_calls: CozeCalls, outcomes: Outcomes, sample_workflow_id: str
) -> None:
    await outcomes.capture(
        "blocking", workflow_run(coze_client, coze_calls, workflow_id=sample_workflow_id, parameters={})
    )


@then("the run's status is Success, not Running")
def _finished_status(outcomes: Outcomes, coze_router: respx.MockRouter) -> None:
    assert outcomes["blocking"].status == WorkflowExecuteStatus.SUCCESS
    assert request_json(coze_router["workflow.run"].calls.last.request)["is_async"] is False


@then("the outcome keeps the empty output, the execute ID, the debug URL and the logid")
def _empty_output_kept(outcomes: Outcomes) -> None:
    answer = golden(RUN_EMPTY_OUTPUT)
    outcome = outcomes["blocking"]
    assert (outcome.raw_output, outcome.output) == (answer["data"], None)
    assert (outcome.execute_id, outcome.debug_url, outcome.logid) == (answer["execute_id"], answer["debug_url"], LOGID)


# --- a blocking chat past its deadline --------------------------------------------------------------


@given("a blocking chat that is still in progress when the backend's deadline passes")
def _chat_past_deadline(coze_router: respx.MockRouter) -> None:
    route_chat_create(coze_router)
    coze_router.route(path="/v3/chat/retrieve", name="chat.retrieve").mock(
        return_value=golden_response("chat/retrieve_in_progress.json")
    )


@when("the backend asks the question and waits for the answer")
@async_step
async def _ask_and_wait(
    coze_client: AnyCoze,
    coze_calls: CozeCalls,
    poll_policy: PollPolicy,
    outcomes: Outcomes,
    sample_bot_id: str,
    sample_user_id: str,
    sample_user_message: str,
) -> None:
    chat_request = ChatRequest(sample_bot_id, sample_user_id, sample_user_message)
    await outcomes.capture("chat", chat_request.ask_and_wait(coze_client, coze_calls, poll_policy))


@then("a deadline error carries the chat ID and the conversation ID as attributes")
def _deadline_ids(
    outcomes: Outcomes,
    coze_router: respx.MockRouter,
    sample_bot_id: str,
    sample_user_id: str,
    sample_user_message: str,
) -> None:
    error = outcomes["chat"]
    assert isinstance(error, CozeDeadlineExceededError)
    chat = golden("chat/retrieve_in_progress.json")["data"]
    assert (error.chat_id, error.conversation_id) == (chat["id"], chat["conversation_id"])
    asked = request_json(coze_router["chat.create"].calls.last.request)
    ChatRequest(sample_bot_id, sample_user_id, sample_user_message).assert_sent(asked, stream=False)
    polled = coze_router["chat.retrieve"].calls.last.request.url.params
    assert (polled["chat_id"], polled["conversation_id"]) == (chat["id"], chat["conversation_id"])


@then("the error is not retryable, so no retry overruns the deadline")
def _deadline_not_retryable(outcomes: Outcomes, coze_router: respx.MockRouter, recorded_sleeps: list[float]) -> None:
    assert outcomes["chat"].retryable is False
    # Polls every 2 s for at most 5 s: created at 0, retrieved at 2 and 4, then the deadline.
    assert (coze_router["chat.create"].call_count, coze_router["chat.retrieve"].call_count) == (1, 2)
    assert recorded_sleeps == [2.0, 2.0]


# --- a chat answered in several messages ------------------------------------------------------------

MULTI_STREAM, MULTI_LISTED = "chat/stream_multi_answer.sse", "chat/message_list_multi_answer.json"


@given("a chat whose bot answers with a card sent whole and two texts sent in deltas")
def _multi_answer_chat(coze_router: respx.MockRouter) -> None:
    coze_router.post("/v3/chat", json__stream=True, name="chat.stream").mock(return_value=golden_stream(MULTI_STREAM))
    coze_router.post("/v3/chat", json__stream=False, name="chat.create").mock(
        return_value=golden_response("chat/create_created.json")
    )
    coze_router.route(path="/v3/chat/retrieve").mock(return_value=golden_response("chat/retrieve_completed.json"))
    coze_router.get("/v3/chat/message/list").mock(return_value=golden_response(MULTI_LISTED))


@when("the backend streams the chat and then asks the same question in blocking mode")
@async_step
async def _stream_then_block(
    coze_client: AnyCoze,
    coze_calls: CozeCalls,
    poll_policy: PollPolicy,
    outcomes: Outcomes,
    sample_bot_id: str,
    sample_user_id: str,
    sample_user_message: str,
) -> None:
    chat_request = ChatRequest(sample_bot_id, sample_user_id, sample_user_message)
    await outcomes.capture("stream", streamed_transcript(coze_client, bot_id=sample_bot_id, user_id=sample_user_id))
    await outcomes.capture("blocking", chat_request.ask_and_wait(coze_client, coze_calls, poll_policy))


@then("the transcript keeps the three answers in order, each with its ID, content type and full content")
def _three_answers(outcomes: Outcomes, coze_router: respx.MockRouter) -> None:
    transcript = outcomes["stream"]
    assert isinstance(transcript, ChatTranscript)
    completed = [e.json() for e in golden_events(MULTI_STREAM) if e.event == "conversation.message.completed"]
    answers = [(m["id"], m["content_type"], m["content"]) for m in completed if m["type"] == "answer"]
    assert [(a.id, a.content_type, a.content) for a in transcript.answers] == answers
    assert [content_type for _, content_type, _ in answers] == ["card", "text", "text"]
    assert (transcript.complete, transcript.logid) == (True, LOGID)
    assert request_json(coze_router["chat.stream"].calls.last.request)["stream"] is True


@then("the streamed answer text is the blocking answer text")
def _same_answer_text(outcomes: Outcomes) -> None:
    listed = [m["content"] for m in golden(MULTI_LISTED)["data"] if m["type"] == "answer"]
    assert outcomes["stream"].text == outcomes["blocking"].answer == "".join(listed)
    assert outcomes["stream"].answers == outcomes["blocking"].answers


# --- a blocking workflow run stopped at an input node -------------------------------------------------

RUN_INTERRUPTED = "workflows/run_interrupted.json"


@given("a blocking workflow run that Coze answers with an input node's interrupt")
def _interrupted_run(coze_router: respx.MockRouter) -> None:
    coze_router.post("/v1/workflow/run", name="workflow.run").mock(return_value=golden_response(RUN_INTERRUPTED))


@then("the run is waiting and Running, not Success, with no output")
def _waiting_run(outcomes: Outcomes, coze_router: respx.MockRouter) -> None:
    outcome = outcomes["blocking"]
    assert (outcome.waiting, outcome.status) == (True, WorkflowExecuteStatus.RUNNING)
    assert (outcome.output, outcome.raw_output, outcome.output_is_json) == (None, "", False)
    assert request_json(coze_router["workflow.run"].calls.last.request)["is_async"] is False


@then("the outcome carries the interrupt's event ID, type and data needed to resume the run, and the logid")
def _interrupt_kept(outcomes: Outcomes) -> None:
    outcome = outcomes["blocking"]
    sent = golden(RUN_INTERRUPTED)["interrupt_data"]
    assert (outcome.interrupt.event_id, outcome.interrupt.type, outcome.interrupt.data) == (
        sent["event_id"],
        sent["type"],
        sent["data"],
    )
    assert (outcome.interrupt.required_parameters, outcome.logid) == (sent["required_parameters"], LOGID)
