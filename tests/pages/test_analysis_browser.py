"""The Cross-platform analysis page in headless chromium on a demo workspace: tiles, charts that draw,
a filter that narrows the table, each tab, no exception; a screenshot is kept beside the test's logs."""

from pathlib import Path

from adops.ingest import build_demo
from tests.browser import MARKS, command_center, launch

pytestmark = MARKS


def test_analysis_page_in_a_real_browser(workspace: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    build_demo(days=60, seed=7, campaigns_per_account=(3, 5))
    with command_center(tmp_path / "launcher.log") as (app_port, _), sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 2400})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"http://127.0.0.1:{app_port}/analysis")
        expect(page.get_by_role("heading", name="Cross-platform analysis")).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stMetricLabel").filter(has_text="ROAS")).to_be_visible(timeout=60_000)
        expect(page.locator(".js-plotly-plot .legend").first).to_be_visible(timeout=60_000)
        expect(page.get_by_text("ROAS by day")).to_be_visible()
        expect(page.locator(".js-plotly-plot").get_by_text("Google Ads").first).to_be_visible()
        grid = page.get_by_test_id("stDataFrame")
        expect(grid).to_be_visible()

        page.get_by_test_id("stMultiSelect").first.click()  # Platforms
        page.get_by_role("option", name="LinkedIn").click()
        page.keyboard.press("Escape")
        expect(page.locator(".js-plotly-plot .legend").first.get_by_text("Meta")).to_have_count(
            0, timeout=30_000
        )
        page.screenshot(path=str(tmp_path / "analysis-breakdown.png"), full_page=True)

        page.get_by_role("tab", name="Creative fatigue").click()
        expect(page.get_by_text("CTR by ad age")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("fatigued of")).to_be_visible()
        # LinkedIn (still filtered) reports no reach: the frequency chart says so instead of drawing
        expect(page.get_by_text("Frequency needs reach")).to_be_visible()
        page.get_by_role("tab", name="Trends").click()
        expect(page.get_by_text("changed for real")).to_be_visible(timeout=60_000)
        page.get_by_role("tab", name="Cohorts").click()
        expect(
            page.get_by_text("No campaign launched").or_(page.get_by_text("Cumulative ROAS by age"))
        ).to_be_visible(timeout=60_000)
        page.screenshot(path=str(tmp_path / "analysis-cohorts.png"), full_page=True)
        assert page.get_by_test_id("stException").count() == 0
        assert not errors, errors
        browser.close()
