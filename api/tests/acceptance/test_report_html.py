"""The HTML page: one offline file, failures open and in plain sight, links that land."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

from coze_acceptance.render import html
from tests.acceptance.demo import DemoRun
from tests.acceptance.test_report import FAILING_UNIT

pytest_plugins = ["pytester"]


class _Page(HTMLParser):
    """The ids, links, resource attributes and open ``<details>`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.sources: list[str] = []
        self.open_details: set[str] = set()
        self.closed_details: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if values.get("href") is not None:
            self.hrefs.append(str(values["href"]))
        self.sources += [str(values[name]) for name in ("src", "srcset", "data") if values.get(name)]
        if tag == "details" and values.get("id"):
            (self.open_details if "open" in values else self.closed_details).add(str(values["id"]))


# The demo's page, rendered and parsed once per demo run: the tests only read it.
_PAGES: dict[Path, tuple[str, _Page]] = {}


def _page(demo: DemoRun) -> tuple[str, _Page]:
    if demo.root not in _PAGES:
        text = html(demo.report)
        parser = _Page()
        parser.feed(text)
        _PAGES[demo.root] = text, parser
    return _PAGES[demo.root]


class TestReportHtml:
    """What a product owner sees without clicking, and what every click reaches."""

    def test_single_offline_file(self, demo: DemoRun) -> None:
        """No external script, stylesheet, font or image: every link is an anchor within the page."""
        text, page = _page(demo)
        assert text.startswith("<!doctype html>")
        assert page.sources == []
        assert all(href.startswith("#") for href in page.hrefs)
        for forbidden in ("<link", "@import", "url(", "<img", "<iframe"):
            assert forbidden not in text

    def test_failing_scenarios_open_passing_closed(self, demo: DemoRun) -> None:
        """Failed and undefined scenarios are expanded; passing ones stay collapsed."""
        _, page = _page(demo)
        assert {"scenario-demo-22", "scenario-demo-10", "scenario-async-7"} <= page.open_details
        assert "scenario-demo-4" in page.closed_details

    def test_links_land_on_their_targets(self, demo: DemoRun) -> None:
        """Requirement ids link to scenarios and scenarios to requirements, both existing on the page."""
        _, page = _page(demo)
        anchors = {href[1:] for href in page.hrefs}
        assert {"requirement-FR-001", "scenario-demo-4"} <= anchors
        assert anchors <= page.ids

    def test_failure_shows_message_lines_and_locations(self, demo: DemoRun) -> None:
        """The failing step's message keeps its line breaks; both file:line locations are shown."""
        text, _ = _page(demo)
        # pytest prints the full diff when CI is set and cuts it with a "-v" hint otherwise: either way
        # the lines keep their breaks and the hint is dropped.
        assert "assert [1, 2, 3] == [1, 2, 4]\n  \n  At index 2 diff: 3 != 4" in text
        assert "Use -v to get more diff" not in text
        assert "features/demo.feature:24" in text
        assert re.search(r"test_demo_steps\.py:\d+", text)

    def test_steps_show_status_and_duration(self, demo: DemoRun) -> None:
        """Each step row carries its own status badge and duration."""
        text, _ = _page(demo)
        assert '<span class="s not-reached">not reached</span>' in text
        assert re.search(r'<span class="s failed">failed</span></td><td>\d+\.\d{3} s</td>', text)

    def test_filter_controls_are_inline(self, demo: DemoRun) -> None:
        """The status, story and tag filters and their script are part of the page."""
        text, page = _page(demo)
        assert {"f-status", "f-story", "f-tag"} <= page.ids
        assert text.count("<script>") == 1
        assert "data-status='failed' data-story='US1'" in text

    def test_story_row_links_each_failure(self, demo: DemoRun) -> None:
        """The story row links each failure that turns it red, saying how it reaches the story."""
        text, page = _page(demo)
        found = re.search(r"<tr><td><a href='#US1'>.*?</tr>", text)
        assert found is not None
        row = unescape(found.group())
        anchor = next(f["anchor"] for f in demo.report["failures"] if f["name"] == FAILING_UNIT)
        assert (
            f"<a href='#{anchor}'>unit test {FAILING_UNIT} [FR-001]</a> <span class='muted'>(via FR-001)</span>" in row
        )
        assert "<a href='#failure-scenario-US1-AS2'>scenario US1-AS2 [FR-001]</a>" in row
        assert anchor in page.ids
