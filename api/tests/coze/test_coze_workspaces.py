"""Workspaces: ``workspaces.list`` with pagination (GET /v1/workspaces, query ``page_num``/``page_size``)."""

from __future__ import annotations

from typing import Any

import pytest
import respx

from tests.coze.coze_clients import AnyCoze, collect, resolve
from tests.coze.wire import LOGID, golden, golden_response

pytestmark = [pytest.mark.asyncio, pytest.mark.parity, pytest.mark.covers("FR-006", "FR-015")]

PAGES = ["workspaces/list_page1.json", "workspaces/list_page2.json"]


class TestCozeWorkspacesList:
    """``workspaces.list`` pages through the caller's workspaces."""

    async def test_lists_typed_workspaces(
        self, coze_client: AnyCoze, coze_router: respx.MockRouter, mock_coze_api_token: str
    ) -> None:
        """The request carries ``page_num``/``page_size``; items are typed with role and kind."""
        route = coze_router.get("/v1/workspaces").mock(
            return_value=golden_response(PAGES[0], changes={"data.total_count": 2})
        )
        page: Any = await resolve(coze_client.workspaces.list(page_size=10))
        wire = golden(PAGES[0])["data"]["workspaces"]
        assert [(w.id, w.name, w.icon_url, w.enterprise_id) for w in page.items] == [
            (w["id"], w["name"], w["icon_url"], w["enterprise_id"]) for w in wire
        ]
        assert [(w.role_type.value, w.workspace_type.value) for w in page.items] == [
            (w["role_type"], w["workspace_type"]) for w in wire
        ]
        assert (page.total, page.has_more) == (2, False)
        assert page.response.logid == LOGID
        request = route.calls.last.request
        assert dict(request.url.params) == {"page_num": "1", "page_size": "10"}
        assert request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"

    async def test_pages_through_all_workspaces(self, coze_client: AnyCoze, coze_router: respx.MockRouter) -> None:
        """With ``total_count`` above one page, iteration requests ``page_num=2``."""
        route = coze_router.get("/v1/workspaces").mock(side_effect=[golden_response(page) for page in PAGES])
        first: Any = await resolve(coze_client.workspaces.list(page_size=2))
        assert first.has_more is True
        assert [w.id for w in await collect(first)] == [
            w["id"] for page in PAGES for w in golden(page)["data"]["workspaces"]
        ]
        assert [call.request.url.params["page_num"] for call in route.calls] == ["1", "2"]
