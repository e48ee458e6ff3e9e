"""The Live monitoring page in headless chromium: an event POSTed to the sidecar shows in the open
page's feed without a reload, also after the sidecar restarts (EventSource resumes by itself)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from adops.ingest import build_demo
from tests.browser import MARKS, free_port, launch, wait_for

pytestmark = MARKS
ROOT = Path(__file__).resolve().parents[1]
TOKEN = "monitor-browser-test-token-0123456789"


def _start(command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, cwd=ROOT, env=env, start_new_session=True, stdout=log.open("a"), stderr=subprocess.STDOUT
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def _post(sidecar: str, kind: str, data: dict[str, object]) -> int:
    answer = httpx.post(
        f"{sidecar}/events", json={"type": kind, "data": data}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def test_the_feed_shows_posted_events_live_and_after_a_sidecar_restart(
    workspace: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    build_demo(days=45, seed=7, campaigns_per_account=(2, 3))
    app_port, sidecar_port = free_port(), free_port()
    sidecar = f"http://127.0.0.1:{sidecar_port}"
    env = {
        **os.environ,
        "ADOPS_API_TOKEN": TOKEN,
        "ADOPS_SIDECAR_URL": sidecar,
        "ADOPS_APP_ORIGIN": f"http://127.0.0.1:{app_port}",
    }
    serve = [sys.executable, "-m", "adops.cli", "serve", "--port", str(sidecar_port)]
    streamlit = [str(Path(sys.executable).parent / "streamlit"), "run", str(ROOT / "app.py")]
    side = _start(serve, tmp_path / "sidecar.log", env)
    app = _start([*streamlit, "--server.port", str(app_port)], tmp_path / "streamlit.log", env)
    try:
        wait_for(f"{sidecar}/health")
        wait_for(f"http://127.0.0.1:{app_port}/_stcore/health")
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(f"http://127.0.0.1:{app_port}/monitor")
            expect(page.get_by_role("heading", name="Live monitoring")).to_be_visible(timeout=90_000)
            feed = page.frame_locator("iframe[title='st.iframe']").first
            expect(feed.get_by_role("status")).to_have_text("Live", timeout=60_000)
            # the demo's sync events were drawn before the stream opened, each with its stored local time
            clock = re.compile(r"^(\d{1,2} \w{3} )?\d{2}:\d{2}:\d{2}$")
            synced = feed.locator("li[data-type='sync.finished']").first
            expect(synced.locator("time")).to_have_text(clock)
            expect(synced).to_contain_text("Sync finished")

            first = _post(sidecar, "anomaly.detected", {"severity": "critical", "kind": "spike",
                          "metric": "spend", "platform": "meta", "ds": "2026-11-20", "y": 350.0,
                          "expected": 100.0, "title": "<img src=x onerror=alert(1)>"})  # fmt: skip
            item = feed.locator(f"li[data-id='{first}']")
            expect(item).to_contain_text("Anomaly", timeout=10_000)
            expect(item).to_contain_text("Critical spike in Spend · Meta · 2026-11-20: 350 (expected 100)")
            expect(item.locator("time")).to_have_text(clock)  # a live event: the time it arrived
            assert "#" not in item.inner_text()  # no event ids
            assert feed.locator("img").count() == 0  # data is shown as text, never as markup

            _stop(side)  # the sidecar restarts; the page stays open
            expect(feed.get_by_role("status")).to_have_text("Reconnecting…", timeout=30_000)
            side = _start(serve, tmp_path / "sidecar.log", env)
            wait_for(f"{sidecar}/health")
            second = _post(sidecar, "webhook.received", {"source": "shopify"})
            expect(feed.locator(f"li[data-id='{second}']")).to_contain_text(
                "Webhook received", timeout=30_000
            )
            expect(feed.get_by_role("status")).to_have_text("Live")
            assert feed.locator(f"li[data-id='{first}']").count() == 1  # resumed after it: no repeat
            page.screenshot(path=str(tmp_path / "monitor.png"), full_page=True)
            expect(page.get_by_test_id("stException")).to_have_count(0)
            browser.close()
    finally:
        _stop(app)
        _stop(side)
