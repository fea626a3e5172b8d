"""Workspaces: ``workspaces.list`` with pagination (GET /v1/workspaces, query ``page_num``/``page_size``)."""

from __future__ import annotations

from typing import Any

import pytest
import respx
from cozepy import WorkspaceRoleType, WorkspaceType

from tests.coze.coze_clients import AnyCoze, collect, resolve
from tests.coze.coze_factories import LOGID, ok, workspaces_page

pytestmark = [pytest.mark.asyncio, pytest.mark.parity, pytest.mark.covers("FR-006", "FR-015")]

IDS = ["7484523878849822301", "7484523878849822302", "7484523878849822303"]


class TestCozeWorkspacesList:
    """``workspaces.list`` pages through the caller's workspaces."""

    async def test_lists_typed_workspaces(
        self, coze_client: AnyCoze, coze_router: respx.MockRouter, mock_coze_api_token: str
    ) -> None:
        """The request carries ``page_num``/``page_size``; items are typed with role and kind."""
        route = coze_router.get("/v1/workspaces").mock(return_value=ok(workspaces_page(IDS[:2], total=2)))
        page: Any = await resolve(coze_client.workspaces.list(page_size=10))
        assert [w.id for w in page.items] == IDS[:2]
        assert {(w.role_type, w.workspace_type) for w in page.items} == {
            (WorkspaceRoleType.OWNER, WorkspaceType.PERSONAL)
        }
        assert (page.total, page.has_more) == (2, False)
        assert page.response.logid == LOGID
        request = route.calls.last.request
        assert dict(request.url.params) == {"page_num": "1", "page_size": "10"}
        assert request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"

    async def test_pages_through_all_workspaces(self, coze_client: AnyCoze, coze_router: respx.MockRouter) -> None:
        """With ``total_count`` above one page, iteration requests ``page_num=2``."""
        route = coze_router.get("/v1/workspaces").mock(
            side_effect=[ok(workspaces_page(IDS[:2], total=3)), ok(workspaces_page(IDS[2:], total=3))]
        )
        first: Any = await resolve(coze_client.workspaces.list(page_size=2))
        assert first.has_more is True
        assert [w.id for w in await collect(first)] == IDS
        assert [call.request.url.params["page_num"] for call in route.calls] == ["1", "2"]
