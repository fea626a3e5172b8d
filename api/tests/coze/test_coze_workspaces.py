"""Workspaces: ``workspaces.list`` with pagination (GET /v1/workspaces, query ``page_num``/``page_size``)."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
import respx

from coze_integration.calls import CozeCalls
from coze_integration.errors import CozeServerError
from tests.coze.parity import AnyCoze, collect, read_items_into, resolve
from tests.coze.wire import LOGID, golden, golden_response

# Every test below checks the workspace query, the token it was sent with and the logid it came back with.
pytestmark = [pytest.mark.asyncio, pytest.mark.parity, pytest.mark.covers("FR-006")]

PAGES = ["workspaces/list_page1_of_2.json", "workspaces/list_page2_of_2.json"]
ONE_PAGE = "workspaces/list_one_page.json"
#: The logid of the failing page-2 answer, distinct from page 1's, so the error shows which page failed.
PAGE_2_LOGID = "20261126093001B2C3D4E5F6A7"


class TestCozeWorkspacesList:
    """``workspaces.list`` pages through the caller's workspaces."""

    async def test_lists_typed_workspaces(
        self, coze_client: AnyCoze, coze_router: respx.MockRouter, mock_coze_api_token: str
    ) -> None:
        """The request carries ``page_num``/``page_size``; items are typed with role and kind."""
        route = coze_router.get("/v1/workspaces").mock(return_value=golden_response(ONE_PAGE))
        page: Any = await resolve(coze_client.workspaces.list(page_size=10))
        wire = golden(ONE_PAGE)["data"]["workspaces"]
        assert [(w.id, w.name, w.icon_url, w.enterprise_id) for w in page.items] == [
            (w["id"], w["name"], w["icon_url"], w["enterprise_id"]) for w in wire
        ]
        assert [(w.role_type.value, w.workspace_type.value) for w in page.items] == [
            (w["role_type"], w["workspace_type"]) for w in wire
        ]
        assert (page.total, page.has_more) == (golden(ONE_PAGE)["data"]["total_count"], False)
        assert page.response.logid == LOGID
        request = route.calls.last.request
        assert dict(request.url.params) == {"page_num": "1", "page_size": "10"}
        assert request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"

    async def test_pages_through_all_workspaces(
        self, coze_client: AnyCoze, coze_router: respx.MockRouter, mock_coze_api_token: str
    ) -> None:
        """With ``total_count`` above one page, iteration requests ``page_num=2``."""
        route = coze_router.get("/v1/workspaces").mock(side_effect=[golden_response(page) for page in PAGES])
        first: Any = await resolve(coze_client.workspaces.list(page_size=2))
        assert first.has_more is True
        assert [w.id for w in await collect(first)] == [
            w["id"] for page in PAGES for w in golden(page)["data"]["workspaces"]
        ]
        assert [call.request.url.params["page_num"] for call in route.calls] == ["1", "2"]
        assert first.response.logid == LOGID
        assert {call.request.headers["Authorization"] for call in route.calls} == {f"Bearer {mock_coze_api_token}"}


class TestCozeWorkspacesLaterPages:
    """A failure on page 2 of ``workspaces.list`` is typed and retried like a failure on page 1."""

    PAGE_1, PAGE_2 = PAGES
    FAILED = "errors/internal_5000.json"

    def _ids(self, *names: str) -> list[str]:
        return [w["id"] for name in names for w in golden(name)["data"]["workspaces"]]

    @pytest.mark.covers("FR-017")
    async def test_server_error_on_page_two_is_retried(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        recorded_sleeps: list[float],
        mock_coze_api_token: str,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Page 2 answered HTTP 500 / code 5000 is fetched again after a backoff, and every workspace arrives.

        The retry's log line names page 2's logid, so the failed request can be traced.
        """
        route = coze_router.get("/v1/workspaces").mock(
            side_effect=[
                golden_response(self.PAGE_1),
                golden_response(self.FAILED, status=500, logid=PAGE_2_LOGID),
                golden_response(self.PAGE_2),
            ]
        )
        workspaces: list[Any] = []
        await read_items_into(coze_client, coze_calls, partial(coze_client.workspaces.list, page_size=2), workspaces)
        assert [w.id for w in workspaces] == self._ids(self.PAGE_1, self.PAGE_2)
        assert [dict(call.request.url.params) for call in route.calls] == [
            {"page_num": page, "page_size": "2"} for page in ("1", "2", "2")
        ]
        [delay] = recorded_sleeps
        assert 0.5 <= delay <= 1.0
        assert {call.request.headers["Authorization"] for call in route.calls} == {f"Bearer {mock_coze_api_token}"}
        assert f"logid={PAGE_2_LOGID}" in caplog.text

    @pytest.mark.covers("FR-017")
    async def test_server_error_on_page_two_is_typed(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter, mock_coze_api_token: str
    ) -> None:
        """A page 2 that keeps failing raises the typed server error with page 2's logid, after page 1's workspaces."""
        failed = golden_response(self.FAILED, status=500, logid=PAGE_2_LOGID)
        route = coze_router.get("/v1/workspaces").mock(
            side_effect=[golden_response(self.PAGE_1), failed, failed, failed]
        )
        workspaces: list[Any] = []
        with pytest.raises(CozeServerError) as caught:
            await read_items_into(
                coze_client, coze_calls, partial(coze_client.workspaces.list, page_size=2), workspaces
            )
        assert [w.id for w in workspaces] == self._ids(self.PAGE_1)
        assert (caught.value.code, caught.value.http_status, caught.value.logid) == (5000, 500, PAGE_2_LOGID)
        assert caught.value.target == "GET /v1/workspaces?page_size=2&page_num=2"
        assert route.call_count == 4, "page 1 once, page 2 on each of the three attempts"
        assert route.calls.last.request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"
