"""`make run` as a user sees it: both servers up, the Overview in headless chromium, Sync now, Ctrl-C."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from adops.ingest import build_demo
from tests.browser import MARKS, free_port, launch, wait_for

pytestmark = MARKS
PLATFORMS = ["Google Ads", "Meta", "Pinterest", "LinkedIn", "TikTok", "Microsoft Ads"]


def test_command_center_in_a_real_browser(workspace: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    build_demo(days=60, seed=7, campaigns_per_account=(3, 5))
    app_port, sidecar_port = free_port(), free_port()
    launcher = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "adops.launcher",
            "--port",
            str(app_port),
            "--sidecar-port",
            str(sidecar_port),
        ],
        env=dict(os.environ),
        start_new_session=True,
        stdout=(tmp_path / "launcher.log").open("w"),  # a file: an unread pipe would fill and block
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(f"http://127.0.0.1:{sidecar_port}/health")
        wait_for(f"http://127.0.0.1:{app_port}/_stcore/health")
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            page.goto(f"http://127.0.0.1:{app_port}/")
            expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=60_000)
            table = page.get_by_test_id("stDataFrame").last
            expect(table).to_be_visible(timeout=30_000)
            for name in ("Spend", "Conversions", "CPA", "ROAS", "CTR"):
                expect(page.get_by_test_id("stMetricLabel").filter(has_text=name).first).to_be_visible()
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
    finally:
        os.killpg(launcher.pid, signal.SIGTERM)
        launcher.wait(timeout=20)
    assert launcher.returncode == 0
    for port in (app_port, sidecar_port):
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
