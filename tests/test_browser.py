"""`make run` as a user sees it: both servers up, the Overview in headless chromium, Sync now, Ctrl-C."""

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from adops.ingest import build_demo
from tests.browser import MARKS, command_center, free_port, launch, wait_for

pytestmark = MARKS
ROOT = Path(__file__).resolve().parents[1]
LOCAL = ("127.0.0.1", "localhost", None)
PLATFORMS = ["Google Ads", "Meta", "Pinterest", "LinkedIn", "TikTok", "Microsoft Ads"]


def test_command_center_in_a_real_browser(workspace: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    build_demo(days=60, seed=7, campaigns_per_account=(3, 5))
    with command_center(tmp_path / "launcher.log") as (app_port, sidecar_port), sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(f"http://127.0.0.1:{app_port}/")
        expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=60_000)
        table = page.get_by_test_id("stDataFrame").last
        expect(table).to_be_visible(timeout=30_000)
        for name in ("Spend", "Conversions", "CPA", "ROAS", "CTR"):
            expect(page.get_by_test_id("stMetricLabel").filter(has_text=name).first).to_be_visible()
        expect(page.locator(".legendtext").first).to_be_visible(timeout=30_000)  # charts draw last
        legend = page.locator(".legendtext").all_text_contents()
        assert set(PLATFORMS) <= set(legend), legend
        page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)

        page.get_by_role("button", name="Sync now").click()
        expect(page.get_by_text("Last sync #2")).to_be_visible(timeout=90_000)  # the sidecar ran the job

        # Settings: the accounts with their sync health, and the connection check run by the sidecar
        page.get_by_role("link", name="Settings").click()
        expect(page.get_by_role("heading", name="Check the connections")).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="Run the check").click()
        expect(page.get_by_text("All 14 accounts answer.")).to_be_visible(timeout=90_000)
        page.screenshot(path=str(tmp_path / "settings.png"), full_page=True)

        # every other page opens from the menu and from its own URL, without an exception
        for title in ("A/B testing", "Forecast", "Budget"):
            page.get_by_role("link", name=title).click()
            expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=30_000)
            expect(page.get_by_test_id("stException")).to_have_count(0)
        page.goto(f"http://127.0.0.1:{app_port}/settings")
        expect(page.get_by_role("link", name="Overview")).to_be_visible(timeout=30_000)  # app.py's menu
        browser.close()
    for port in (app_port, sidecar_port):
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)


PAGES = {
    "": "Overview",
    "ab_testing": "A/B testing",
    "forecast": "Forecast",
    "budget": "Budget",
    "settings": "Settings",
}


def test_pages_load_nothing_from_outside_and_any_url_runs_through_app_py(
    workspace: Path, tmp_path: Path
) -> None:
    """Every page, opened by its URL and from the menu, requests only the app's own host; and a page's
    URL opened first on a fresh server is served through app.py (its menu), not as a lone script."""
    from urllib.parse import urlsplit

    from playwright.sync_api import expect, sync_playwright

    build_demo(days=30, seed=7, campaigns_per_account=(2, 3))
    port = free_port()
    app = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "streamlit"),
            "run",
            str(ROOT / "app.py"),
            "--server.port",
            str(port),
        ],
        cwd=ROOT,
        env=dict(os.environ),
        start_new_session=True,
        stdout=(tmp_path / "streamlit.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    outside: list[str] = []

    def local_only(route: Any) -> None:
        """Record and refuse any request that would leave the machine (no network is used here)."""
        url = route.request.url
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).hostname not in LOCAL:
            outside.append(url)
            route.abort()
        else:
            route.continue_()

    try:
        wait_for(f"http://127.0.0.1:{port}/_stcore/health")
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route("**/*", local_only)
            page.goto(f"http://127.0.0.1:{port}/settings")  # the first request this server sees
            expect(page.get_by_role("heading", name="Settings")).to_be_visible(timeout=60_000)
            nav = page.get_by_test_id("stSidebarNav")
            expect(nav.get_by_role("link", name="Overview")).to_be_visible(timeout=30_000)  # app.py's menu,
            expect(nav.get_by_role("link", name="app")).to_have_count(0)  # not Streamlit's folder menu
            for path, title in PAGES.items():
                page.goto(f"http://127.0.0.1:{port}/{path}")
                expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=60_000)
                expect(page.get_by_test_id("stException")).to_have_count(0)
                page.wait_for_load_state("networkidle")
            for title in PAGES.values():
                page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
                expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=60_000)
                page.wait_for_load_state("networkidle")
            browser.close()
    finally:
        os.killpg(app.pid, signal.SIGTERM)
        app.wait(timeout=30)
    assert outside == []
