"""Workflow-log queries: filters by status, creation time and keyword over fetched run histories.

Coze has no log-search endpoint; ``coze_integration.workflow_logs`` fetches each recorded
execute id (GET /v1/workflows/{workflow_id}/run_histories/{execute_id}) and filters locally.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
import respx
from cozepy import Coze, WorkflowExecuteStatus

from coze_integration.calls import CozeCalls
from coze_integration.clients import build_async_coze
from coze_integration.errors import CozeAuthenticationError, CozeInvalidQueryError, CozeMalformedResponseError
from coze_integration.settings import CozeSettings
from coze_integration.workflow_logs import WorkflowLogFilter, aquery_workflow_logs, query_workflow_logs
from coze_integration.workflows import decoded_output
from tests.coze.parity import AnyCoze, workflow_logs
from tests.coze.wire import LOGID, golden, golden_response, golden_run_history

pytestmark = [pytest.mark.covers("FR-010")]

WORKFLOW = "7484523878849822005"
FAILED_RUN = "workflows/run_history_fail.json"
TEXT = "workflows/run_history_not_json.json"
DAY = datetime(2026, 11, 20, tzinfo=UTC)
S, R, F = WorkflowExecuteStatus.SUCCESS, WorkflowExecuteStatus.RUNNING, WorkflowExecuteStatus.FAIL
# execute id: (status, created, output, error message)
RUNS: dict[str, tuple[WorkflowExecuteStatus, datetime, str, str]] = {
    "e1": (S, DAY, '{"city":"Paris"}', ""),
    "e2": (F, DAY + timedelta(days=1), "", "Plugin TIMEOUT"),
    "e3": (R, DAY + timedelta(days=2), "", ""),
    "e4": (F, DAY + timedelta(days=3), "", "quota exceeded"),
    "e5": (S, DAY + timedelta(days=4), '{"note":"paris again"}', ""),
}
NEWEST_FIRST = ["e5", "e4", "e3", "e2", "e1"]


def _path(execute_id: str) -> str:
    return f"/v1/workflows/{WORKFLOW}/run_histories/{execute_id}"


@pytest.fixture
def histories(coze_router: respx.MockRouter) -> dict[str, respx.Route]:
    """One route per recorded run, answering its history."""
    routes = {}
    for execute_id, (status, created, output, error) in RUNS.items():
        answer = golden_run_history(
            execute_id, status, create_time=int(created.timestamp()), output=output, error_message=error
        )
        routes[execute_id] = coze_router.get(_path(execute_id)).mock(return_value=answer)
    return routes


class TestCozeWorkflowLogsFilter:
    """Each criterion alone, combined, empty results and boundary timestamps."""

    @pytest.mark.parametrize(
        ("log_filter", "expected"),
        [
            (WorkflowLogFilter(), NEWEST_FIRST),
            (WorkflowLogFilter.build(statuses=["Fail"]), ["e4", "e2"]),
            (WorkflowLogFilter.build(statuses=["success", "RUNNING"]), ["e5", "e3", "e1"]),
            (WorkflowLogFilter(created_from=DAY + timedelta(days=3)), ["e5", "e4"]),
            (WorkflowLogFilter(created_to=DAY + timedelta(days=1)), ["e2", "e1"]),
            (WorkflowLogFilter(created_from=DAY + timedelta(days=1), created_to=DAY + timedelta(days=1)), ["e2"]),
            (WorkflowLogFilter(created_from=DAY + timedelta(days=1, seconds=1)), ["e5", "e4", "e3"]),
            (WorkflowLogFilter(created_to=DAY - timedelta(seconds=1)), []),
            (
                WorkflowLogFilter(created_from=DAY + timedelta(hours=9), created_to=DAY + timedelta(days=1, hours=9)),
                ["e2"],
            ),
            (
                WorkflowLogFilter(created_from=datetime(2026, 11, 21, 8, tzinfo=timezone(timedelta(hours=8)))),
                ["e5", "e4", "e3", "e2"],
            ),
            (WorkflowLogFilter(keyword="timeout"), ["e2"]),
            (WorkflowLogFilter(keyword="PARIS"), ["e5", "e1"]),
            (WorkflowLogFilter(keyword="nothing like this"), []),
            (WorkflowLogFilter.build(statuses=["Fail"], keyword="quota", created_from=DAY + timedelta(days=2)), ["e4"]),
            (WorkflowLogFilter.build(statuses=["Success"], created_to=DAY + timedelta(days=3)), ["e1"]),
        ],
        ids=[
            "no-filter-newest-first",
            "status-one",
            "status-several-any-case",
            "from-only",
            "to-only",
            "from-equals-to-inclusive",
            "one-second-after-start-excludes",
            "before-everything-empty",
            "range-across-days",
            "other-timezone-same-instant",
            "keyword-in-error-any-case",
            "keyword-in-output-any-case",
            "keyword-matches-nothing",
            "status-keyword-and-date",
            "status-and-date",
        ],
    )
    def test_filter_table(
        self,
        coze_client: Coze,
        coze_calls: CozeCalls,
        histories: dict[str, respx.Route],
        log_filter: WorkflowLogFilter,
        expected: list[str],
    ) -> None:
        """Only runs passing every criterion are returned, newest first, each history fetched once."""
        result = query_workflow_logs(
            coze_client, coze_calls, workflow_id=WORKFLOW, execute_ids=list(RUNS), log_filter=log_filter
        )
        assert [entry.execute_id for entry in result.entries] == expected
        assert result.missing == ()
        assert {name: route.call_count for name, route in histories.items()} == dict.fromkeys(RUNS, 1)


class TestCozeWorkflowLogsValidation:
    """Bad filter input raises a clear, typed error before any request."""

    @pytest.mark.parametrize(
        ("build", "message"),
        [
            (lambda: WorkflowLogFilter(created_from=DAY, created_to=DAY - timedelta(days=1)), "is after"),
            (lambda: WorkflowLogFilter.build(statuses=["Done"]), "unknown status ['Done']"),
            (lambda: WorkflowLogFilter(created_from=datetime(2026, 11, 20)), "created_from must be timezone-aware"),
            (lambda: WorkflowLogFilter(created_to=datetime(2026, 11, 20)), "created_to must be timezone-aware"),
            (lambda: WorkflowLogFilter(keyword="  "), "keyword must not be blank; leave it out to match every run"),
        ],
        ids=["inverted-range", "unknown-status", "naive-start", "naive-end", "blank-keyword"],
    )
    def test_bad_filter(self, build: Callable[[], WorkflowLogFilter], message: str) -> None:
        """Each invalid filter names what is wrong and is also a ``ValueError``."""
        with pytest.raises(CozeInvalidQueryError) as caught:
            build()
        assert message in str(caught.value)
        assert isinstance(caught.value, ValueError)

    def test_blank_keyword_says_how_to_match_everything(self) -> None:
        """A blank keyword is refused with the way to get what the caller probably meant."""
        with pytest.raises(CozeInvalidQueryError) as caught:
            WorkflowLogFilter(keyword="\t")
        assert str(caught.value) == "keyword must not be blank; leave it out to match every run"

    def test_range_of_one_instant_is_valid(self) -> None:
        """``created_from`` equal to ``created_to`` is a valid range: the runs created at that instant."""
        log_filter = WorkflowLogFilter(created_from=DAY, created_to=DAY)
        assert (log_filter.created_from, log_filter.created_to) == (DAY, DAY)


@pytest.mark.asyncio
@pytest.mark.parity
class TestCozeWorkflowLogsQuery:
    """Unknown runs are reported, real failures abort, duplicates are fetched once."""

    @pytest.mark.parametrize(
        "unknown_answer",
        [golden_response("errors/not_found_4200.json"), golden_response("workflows/run_history_empty.json")],
        ids=["not-found-code", "empty-data-list"],
    )
    async def test_unknown_execute_id_is_reported(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        unknown_answer: httpx.Response,
    ) -> None:
        """An execute id Coze does not know lands in ``missing`` and the rest of the query goes on."""
        known = {
            execute_id: coze_router.get(_path(execute_id)).mock(
                return_value=golden_run_history(execute_id, create_time=created)
            )
            for execute_id, created in (("e1", 1764000000), ("e2", 1764100000))
        }
        coze_router.get(_path("gone")).mock(return_value=unknown_answer)
        result = await workflow_logs(
            coze_client,
            coze_calls,
            workflow_id=WORKFLOW,
            execute_ids=["e1", "gone", "e2", "e1"],
            log_filter=WorkflowLogFilter(),
        )
        assert [entry.execute_id for entry in result.entries] == ["e2", "e1"]
        assert result.missing == ("gone",)
        assert (known["e1"].call_count, known["e2"].call_count) == (1, 1)

    async def test_entry_carries_the_run_history(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter, sample_execute_id: str
    ) -> None:
        """An entry keeps what the backend shows of a run: times, output, error, debug URL and the run's logid."""
        coze_router.get(_path(sample_execute_id)).mock(return_value=golden_response(FAILED_RUN))
        result = await workflow_logs(
            coze_client,
            coze_calls,
            workflow_id=WORKFLOW,
            execute_ids=[sample_execute_id],
            log_filter=WorkflowLogFilter(),
        )
        [entry] = result.entries
        [run] = golden(FAILED_RUN)["data"]
        assert (entry.execute_id, entry.status) == (run["execute_id"], WorkflowExecuteStatus.FAIL)
        assert (entry.created_at, entry.updated_at) == (
            datetime.fromtimestamp(run["create_time"], UTC),
            datetime.fromtimestamp(run["update_time"], UTC),
        )
        assert (entry.output, entry.error_code, entry.error_message) == (
            run["output"],
            int(run["error_code"]),
            run["error_message"],
        )
        assert (entry.debug_url, entry.logid) == (run["debug_url"], run["logid"])
        assert result.missing == ()

    @pytest.mark.golden(TEXT)
    async def test_plain_text_output_is_kept_and_searched(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        sample_execute_id: str,
        mock_coze_api_token: str,
    ) -> None:
        """A run whose output is plain text (not JSON) is found by a keyword in that text, its output kept as sent."""
        route = coze_router.get(_path(sample_execute_id)).mock(return_value=golden_response(TEXT))
        result = await workflow_logs(
            coze_client,
            coze_calls,
            workflow_id=WORKFLOW,
            execute_ids=[sample_execute_id],
            log_filter=WorkflowLogFilter(keyword="NICE TRIP"),
        )
        [entry] = result.entries
        [run] = golden(TEXT)["data"]
        assert (entry.execute_id, entry.output, decoded_output(entry.output)) == (
            sample_execute_id,
            run["output"],
            (False, None),
        )
        assert route.calls.last.request.url.path == _path(sample_execute_id)
        assert route.calls.last.request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"
        assert entry.logid == run["logid"]

    async def test_run_without_an_error_message_has_an_empty_one(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter, sample_execute_id: str
    ) -> None:
        """A run history whose ``error_message`` is null gives an entry with an empty error message."""
        coze_router.get(_path(sample_execute_id)).mock(
            return_value=golden_run_history(sample_execute_id, error_message=None)
        )
        result = await workflow_logs(
            coze_client,
            coze_calls,
            workflow_id=WORKFLOW,
            execute_ids=[sample_execute_id],
            log_filter=WorkflowLogFilter(),
        )
        assert [entry.error_message for entry in result.entries] == [""]

    async def test_malformed_history_aborts_the_query(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter
    ) -> None:
        """A history Coze answered with a body of the wrong shape is an error, not a missing run."""
        coze_router.get(_path("e1")).mock(
            return_value=golden_response(FAILED_RUN, changes={"data.0.create_time": "soon"})
        )
        with pytest.raises(CozeMalformedResponseError) as caught:
            await workflow_logs(
                coze_client, coze_calls, workflow_id=WORKFLOW, execute_ids=["e1"], log_filter=WorkflowLogFilter()
            )
        assert caught.value.logid == LOGID

    async def test_rejected_token_aborts_the_query(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter
    ) -> None:
        """An authentication failure is not a missing run: the query raises it."""
        coze_router.get(_path("e1")).mock(return_value=golden_response("errors/unauthenticated_4100.json", status=401))
        with pytest.raises(CozeAuthenticationError):
            await workflow_logs(
                coze_client, coze_calls, workflow_id=WORKFLOW, execute_ids=["e1"], log_filter=WorkflowLogFilter()
            )


@pytest.mark.asyncio
class TestCozeWorkflowLogsConcurrency:
    """The async query fetches concurrently, never more than the bound at once."""

    @pytest.mark.parametrize("concurrency", [1, 2, 5, None], ids=["serial", "two", "five", "default-five"])
    async def test_in_flight_requests_stay_within_bound(
        self,
        mock_settings: CozeSettings,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        concurrency: int | None,
    ) -> None:
        """No more than ``concurrency`` (by default 5) history requests are in flight at any moment."""
        in_flight, peak = 0, 0

        async def answer(request: httpx.Request) -> httpx.Response:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0)
            in_flight -= 1
            execute_id = request.url.path.rsplit("/", 1)[-1]
            return golden_run_history(execute_id)

        coze_router.get(path__regex=rf"^/v1/workflows/{WORKFLOW}/run_histories/[^/]+$").mock(side_effect=answer)
        client = build_async_coze(mock_settings)
        ids = [f"x{n}" for n in range(6)]
        result = await aquery_workflow_logs(
            client,
            coze_calls,
            workflow_id=WORKFLOW,
            execute_ids=ids,
            log_filter=WorkflowLogFilter(),
            **({} if concurrency is None else {"concurrency": concurrency}),
        )
        assert len(result.entries) == 6
        assert peak == (concurrency or 5)

    async def test_concurrency_below_one_is_rejected(self, mock_settings: CozeSettings, coze_calls: CozeCalls) -> None:
        """A bound of zero would never fetch anything, so it is a typed error."""
        with pytest.raises(CozeInvalidQueryError, match=r"^concurrency must be at least 1$"):
            await aquery_workflow_logs(
                build_async_coze(mock_settings),
                coze_calls,
                workflow_id=WORKFLOW,
                execute_ids=["e1"],
                log_filter=WorkflowLogFilter(),
                concurrency=0,
            )


@pytest.mark.parity
class TestCozeWorkflowLogsStatusIterables:
    """Statuses may come as any iterable, a one-shot generator included."""

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        "statuses",
        [
            lambda: (name for name in ["Fail"]),
            lambda: iter(["fail"]),
            lambda: {"FAIL": "from a parsed query string"}.keys(),
            lambda: ("Fail", "fail"),
        ],
        ids=["generator", "iterator", "dict-keys", "tuple-with-repeat"],
    )
    async def test_any_iterable_selects_only_those_statuses(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        histories: dict[str, respx.Route],
        statuses: Callable[[], Iterable[str]],
    ) -> None:
        """A generator of statuses filters like a list: only failed runs come back, not every run."""
        log_filter = WorkflowLogFilter.build(statuses=statuses())
        assert log_filter.statuses == frozenset({F})
        result = await workflow_logs(
            coze_client, coze_calls, workflow_id=WORKFLOW, execute_ids=list(RUNS), log_filter=log_filter
        )
        assert [entry.execute_id for entry in result.entries] == ["e4", "e2"]
        assert [entry.status for entry in result.entries] == [F, F]
        assert all(route.call_count == 1 for route in histories.values())

    @pytest.mark.asyncio
    async def test_generator_given_to_the_filter_itself(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        histories: dict[str, respx.Route],
    ) -> None:
        """A generator passed straight to ``WorkflowLogFilter`` is read once: every entry is matched against it."""
        log_filter = WorkflowLogFilter(statuses=(status for status in [F]))
        assert log_filter.statuses == frozenset({F})
        result = await workflow_logs(
            coze_client, coze_calls, workflow_id=WORKFLOW, execute_ids=list(RUNS), log_filter=log_filter
        )
        assert [entry.execute_id for entry in result.entries] == ["e4", "e2"]
        assert all(route.call_count == 1 for route in histories.values())

    def test_unknown_status_in_a_generator_is_named(self) -> None:
        """An unknown name read from a generator is still reported, and the known ones are not."""
        with pytest.raises(CozeInvalidQueryError, match=r"unknown status \['Done'\]"):
            WorkflowLogFilter.build(statuses=(name for name in ["Fail", "Done"]))
