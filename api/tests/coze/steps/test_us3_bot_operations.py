"""User Story 3: bot operations and workspace queries (features/us3_bot_operations.feature)."""

from __future__ import annotations

from functools import partial
from typing import Any

import respx
from cozepy import Bot
from pytest_bdd import given, scenarios, then, when

from coze_integration.calls import CozeCalls
from tests.coze.parity import AnyCoze, collect, read, resolve
from tests.coze.steps.async_steps import async_step
from tests.coze.wire import LOGID, assert_lossless, golden, golden_response

scenarios("us3_bot_operations.feature")

PAGE_SIZE = 2
BOT_PAGES = ["bots/published_bots_list_page1_of_2.json", "bots/published_bots_list_page2_of_2.json"]
BOT_IDS = [bot["bot_id"] for page in BOT_PAGES for bot in golden(page)["data"]["space_bots"]]
BOT = "bots/get_online_info_ok.json"
WORKSPACES = "workspaces/list_one_page.json"


def _route_bot_pages(router: respx.MockRouter) -> respx.Route:
    return router.get("/v1/space/published_bots_list", name="bots.list").mock(
        side_effect=[golden_response(page) for page in BOT_PAGES]
    )


@given("workspace ID provided", target_fixture="workspace_id")
def _workspace_id(sample_workspace_id: str, coze_router: respx.MockRouter) -> str:
    _route_bot_pages(coze_router)
    return sample_workspace_id


@when("listing bots with pagination", target_fixture="bot_pages")
@async_step
async def _list_bots(coze_client: AnyCoze, workspace_id: str) -> list[Any]:
    first = await resolve(coze_client.bots.list(space_id=workspace_id, page_size=PAGE_SIZE))
    return await collect(first.iter_pages())


@then("returns paginated bot list with correct page numbers and items")
def _paginated(bot_pages: list[Any], workspace_id: str, coze_router: respx.MockRouter) -> None:
    assert [page.page_num for page in bot_pages] == [1, 2]
    assert [[bot.bot_id for bot in page.items] for page in bot_pages] == [BOT_IDS[:2], BOT_IDS[2:]]
    assert [(page.has_more, page.total) for page in bot_pages] == [(True, len(BOT_IDS)), (False, len(BOT_IDS))]
    assert bot_pages[0].response.logid == LOGID
    route = coze_router["bots.list"]
    assert route.call_count == 2
    sent = [dict(call.request.url.params) for call in route.calls]
    assert sent == [
        {"space_id": workspace_id, "page_size": str(PAGE_SIZE), "page_index": "1"},
        {"space_id": workspace_id, "page_size": str(PAGE_SIZE), "page_index": "2"},
    ]


@given("bot ID provided", target_fixture="bot_id")
def _bot_id(sample_bot_id: str, coze_router: respx.MockRouter) -> str:
    coze_router.get("/v1/bot/get_online_info", name="bots.retrieve").mock(return_value=golden_response(BOT))
    return sample_bot_id


@when("retrieving bot details", target_fixture="bot")
@async_step
async def _retrieve_bot(coze_client: AnyCoze, bot_id: str) -> Bot:
    bot: Bot = await resolve(coze_client.bots.retrieve(bot_id=bot_id))
    return bot


@then("returns bot information with metadata and logid for debugging")
def _bot_details(bot: Bot, bot_id: str, coze_router: respx.MockRouter) -> None:
    assert bot.bot_id == bot_id
    # Every metadata field Coze sent arrives: name, times, version, prompt, onboarding, model, plugins.
    wire = golden(BOT)["data"]
    assert (bot.name, bot.description) == (wire["name"], wire["description"])
    assert_lossless(bot, wire)
    assert bot.response.logid == LOGID
    assert dict(coze_router["bots.retrieve"].calls.last.request.url.params) == {"bot_id": bot_id}


@given("mock API responses")
def _mock_api_responses(coze_router: respx.MockRouter, sample_bot_id: str) -> None:
    _route_bot_pages(coze_router)
    coze_router.get("/v1/bot/get_online_info", name="bots.retrieve").mock(return_value=golden_response(BOT))
    coze_router.get("/v1/workspaces", name="workspaces.list").mock(return_value=golden_response(WORKSPACES))


@when("testing bot operations", target_fixture="operation_results")
@async_step
async def _bot_operations(
    coze_client: AnyCoze, coze_calls: CozeCalls, sample_workspace_id: str, sample_bot_id: str
) -> dict[str, Any]:
    # Through CozeCalls, as backend code calls them: typed errors and retries for reads.
    workspaces = await read(coze_client, coze_calls, partial(coze_client.workspaces.list, page_size=10))
    bots = await read(
        coze_client, coze_calls, partial(coze_client.bots.list, space_id=sample_workspace_id, page_size=PAGE_SIZE)
    )
    bot = await read(coze_client, coze_calls, partial(coze_client.bots.retrieve, bot_id=sample_bot_id))
    return {"workspaces": workspaces, "bots": bots, "bot": bot}


@then("all HTTP requests use correct endpoints and authentication headers")
def _endpoints_and_auth(
    operation_results: dict[str, Any],
    coze_router: respx.MockRouter,
    mock_coze_api_token: str,
    mock_coze_base_url: str,
    sample_workspace_id: str,
    sample_bot_id: str,
) -> None:
    assert [w.id for w in operation_results["workspaces"].items] == [
        w["id"] for w in golden(WORKSPACES)["data"]["workspaces"]
    ]
    assert [b.bot_id for b in operation_results["bots"].items] == BOT_IDS[:2]
    assert operation_results["bot"].bot_id == sample_bot_id
    expected = {
        "workspaces.list": ("/v1/workspaces", {"page_num": "1", "page_size": "10"}),
        "bots.list": (
            "/v1/space/published_bots_list",
            {"space_id": sample_workspace_id, "page_size": str(PAGE_SIZE), "page_index": "1"},
        ),
        "bots.retrieve": ("/v1/bot/get_online_info", {"bot_id": sample_bot_id}),
    }
    for name, (path, params) in expected.items():
        route = coze_router[name]
        assert route.call_count == 1, name
        request = route.calls.last.request
        assert (request.method, request.url.host, request.url.path) == ("GET", "api.coze.cn", path)
        assert str(request.url).startswith(mock_coze_base_url)
        assert dict(request.url.params) == params
        assert request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"
        assert request.headers["User-Agent"].startswith("cozepy/")
