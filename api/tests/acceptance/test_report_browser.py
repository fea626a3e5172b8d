"""The HTML report in a real browser: headless Chromium through Playwright, the system's own binary.

It runs when selected with ``-m browser`` (``.ci/run`` does, with ``CI=true``). Locally it skips with
a message when no Chromium is installed; in CI a missing Chromium fails it. Playwright's own browser
download is never used: Chromium comes from the Debian package ``chromium``. Screenshots go to
``reports/screens/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from coze_acceptance.render import html
from tests.acceptance.demo import DemoRun

if TYPE_CHECKING:  # Playwright is imported only when the browser test runs: it is a large import.
    from playwright.sync_api import Browser, Page

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
SCREENS = ROOT / "reports" / "screens"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTHS = (1280, 390)

# Elements wider than the window that are not inside a container meant to scroll sideways.
_OVERFLOWING = """() => {
  const limit = document.documentElement.clientWidth + 1;
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.scroll') || el.closest('.hidden') || el.closest('details:not([open]) > :not(summary)')) continue;
    const box = el.getBoundingClientRect();
    if (box.width && box.right > limit) found.push(el.tagName + '.' + el.className + ' ' + Math.round(box.right));
  }
  if (document.documentElement.scrollWidth > limit) found.push('page ' + document.documentElement.scrollWidth);
  return found;
}"""


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = "no Chromium found: install the Debian package `chromium` (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must run the browser test")
    pytest.skip(message)


@pytest.fixture
def browser(request: pytest.FixtureRequest) -> Iterator[Browser]:
    """The system Chromium, headless; the test runs only when ``-m browser`` selects it."""
    if "browser" not in str(request.config.getoption("markexpr")):
        pytest.skip("the browser test runs when selected: uv run pytest -m browser (CI runs it)")
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def report_page(demo: DemoRun, browser: Browser, tmp_path: Path) -> Iterator[Page]:
    """The demo report (a failing scenario, a failing unit test, a drifted spec line) opened at 1280 px."""
    page_file = tmp_path / "traceability.html"
    page_file.write_text(html(demo.report), encoding="utf-8")
    page = browser.new_page(viewport={"width": WIDTHS[0], "height": 900})
    page.set_default_timeout(5000)  # a local file: anything slower is a failure, not a wait
    page.goto(page_file.as_uri())
    yield page
    page.close()


class TestReportBrowser:
    """What a product owner sees and can do on the page."""

    def test_failures_visible_without_clicking(self, report_page: Page) -> None:
        """The failing step, the failing unit test and the spec drift are on screen as the page opens."""
        failing_step = report_page.locator("#scenario-demo-22 .failure")
        assert failing_step.is_visible()
        assert "At index 2 diff: 3 != 4" in failing_step.inner_text()
        unit = report_page.locator(".failure", has_text="test_coze_demo.py::TestCozeDemoChecks::test_declared_range")
        assert unit.first.is_visible()
        assert report_page.locator("#scenario-unbound-4 .DIFFERS").is_visible()

    @pytest.mark.parametrize("width", WIDTHS)
    def test_nothing_overflows(self, report_page: Page, width: int) -> None:
        """At desktop and phone widths no element sticks out of the page; wide tables scroll in place."""
        report_page.set_viewport_size({"width": width, "height": 900})
        report_page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        assert report_page.evaluate(_OVERFLOWING) == []
        SCREENS.mkdir(parents=True, exist_ok=True)
        report_page.screenshot(path=str(SCREENS / f"report-{width}.png"), full_page=True)

    def test_links_land_on_their_targets(self, report_page: Page) -> None:
        """A scenario's requirement link lands on the requirement row; its scenario link opens the scenario."""
        report_page.locator("#scenario-demo-4 a[href='#requirement-FR-001']").click()
        assert report_page.evaluate("location.hash") == "#requirement-FR-001"
        assert report_page.locator("#requirement-FR-001").is_visible()
        report_page.locator("#requirement-FR-001 summary", has_text="scenarios").click()
        report_page.locator("#requirement-FR-001 a[href='#scenario-demo-4']").click()
        # The page opens the target in its hashchange handler, which runs after the click returns.
        report_page.wait_for_function("document.getElementById('scenario-demo-4').open", timeout=5000)
        scenario = report_page.locator("#scenario-demo-4")
        assert scenario.get_attribute("open") is not None
        assert scenario.locator("summary").is_visible()

    def test_filter_hides_and_shows(self, report_page: Page) -> None:
        """Filtering by status, story and tag hides the other scenarios; clearing shows them again."""
        passing, failing = report_page.locator("#scenario-demo-4"), report_page.locator("#scenario-demo-22")
        report_page.select_option("#f-status", "failed")
        assert (passing.is_visible(), failing.is_visible()) == (False, True)
        report_page.select_option("#f-status", "")
        report_page.select_option("#f-story", "US2")
        assert (passing.is_visible(), report_page.locator("#scenario-unbound-4").is_visible()) == (False, True)
        report_page.select_option("#f-story", "")
        report_page.fill("#f-tag", "acceptance:US1-AS1")
        assert (passing.is_visible(), failing.is_visible()) == (True, False)
        report_page.fill("#f-tag", "")
        assert passing.is_visible()
        assert failing.is_visible()

    def test_contents_and_legend_come_first(self, report_page: Page) -> None:
        """The contents list every section and land on it; the legend explains the status words before the stories."""
        toc = report_page.locator("nav.toc")
        assert toc.is_visible()
        targets = toc.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert targets == [
            "#legend",
            "#stories",
            "#failures",
            "#requirements",
            "#criteria",
            "#gates",
            "#wire",
            "#environment",
        ]
        legend = report_page.locator("#legend")
        assert legend.is_visible()
        for word in ("unbound", "not run in this selection", "not judged", "parity", "golden file", "lossless"):
            assert word in legend.inner_text()
        assert legend.bounding_box()["y"] < report_page.locator("#stories").bounding_box()["y"]  # type: ignore[index]
        wire = report_page.locator("details#wire")
        assert wire.get_attribute("open") is None
        assert report_page.locator("#gates").bounding_box()["y"] < wire.bounding_box()["y"]  # type: ignore[index]
        toc.locator("a[href='#wire']").click()
        report_page.wait_for_function("document.getElementById('wire').open", timeout=5000)  # the hashchange handler
        assert wire.get_attribute("open") is not None

    @pytest.mark.parametrize("width", WIDTHS)
    def test_badges_never_wrap_and_the_result_stays_in_view(self, report_page: Page, width: int) -> None:
        """Every badge is one line; at phone width the story table scrolls in its box with its result column shown."""
        report_page.set_viewport_size({"width": width, "height": 900})
        wrapped = report_page.evaluate(
            """() => [...document.querySelectorAll('.s')].filter(b => b.offsetParent !== null)
                 .filter(b => b.getClientRects().length > 1
                   || b.offsetHeight > 2 * parseFloat(getComputedStyle(b).lineHeight))
                 .map(b => b.textContent)"""
        )
        assert wrapped == []
        result = report_page.locator("table.stories tr:nth-child(2) td:nth-child(2)")
        box, window = result.bounding_box(), report_page.viewport_size
        assert box is not None
        assert window is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= window["width"]
        assert result.inner_text() == "FAIL"
