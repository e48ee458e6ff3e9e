"""The A/B testing page in headless chromium with the sidecar: readout chart, declare, rehearse and
approve (as sidecar jobs), calculator."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from adops.connectors.sandbox import SandboxConnector, load_world
from adops.experiments import store
from adops.ingest import build_demo
from tests.browser import MARKS, free_port, launch, wait_for

ROOT = Path(__file__).resolve().parents[2]
pytestmark = MARKS


def test_ab_page_in_a_real_browser(workspace: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    build_demo(days=60, seed=7, campaigns_per_account=(3, 5))
    planted = load_world().experiments[0]
    port, sidecar_port = free_port(), free_port()
    log = (tmp_path / "launcher.log").open("w")  # a file, not a pipe nobody reads: a full pipe blocks it
    app = subprocess.Popen(  # both servers, as `make run`: the rollout runs as sidecar jobs
        [sys.executable, "-m", "adops.launcher", "--port", str(port), "--sidecar-port", str(sidecar_port)],
        cwd=ROOT,
        env=dict(os.environ),
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(f"http://127.0.0.1:{sidecar_port}/health")
        wait_for(f"http://127.0.0.1:{port}/_stcore/health")
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1400, "height": 3000})
            page.goto(f"http://127.0.0.1:{port}/")
            expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=60_000)
            page.get_by_test_id("stSidebarNav").get_by_text("A/B testing").click()
            expect(page.get_by_role("heading", name="A/B testing")).to_be_visible(timeout=60_000)
            expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=60_000)
            expect(page.get_by_text("Sequential boundary (safe to peek)").first).to_be_visible()
            expect(page.get_by_text("Split on plan").first).to_be_visible()
            for label in ("Lift", "Chance to win", "Power now"):
                expect(page.get_by_test_id("stMetricLabel").filter(has_text=label).first).to_be_visible()

            page.get_by_test_id("stSelectbox").first.click()
            page.get_by_role("option", name=planted.name).click()
            expect(page.get_by_role("heading", name=planted.name)).to_be_visible(timeout=30_000)
            page.wait_for_load_state("networkidle")
            (exp,) = [e for e in store.list_experiments() if e.name == planted.name]
            if exp.status == "running":  # the winner rule has not called it: the analyst does
                winner = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text("Winner", exact=True))
                winner.click()
                page.get_by_role("option", name="new headline").click()
                page.get_by_role("button", name="Declare winner").click()
            else:
                assert exp.status == "winner: new headline"  # the true +15% lift, called by the rule
            expect(page.get_by_role("button", name="Rehearse (dry run)")).to_be_visible(timeout=30_000)
            page.get_by_role("button", name="Rehearse (dry run)").click()
            expect(page.get_by_text("nothing was sent")).to_be_visible(timeout=30_000)
            page.get_by_text("I reviewed this plan").click()
            approve = page.get_by_role("button", name="Approve and apply")
            expect(approve).to_be_enabled(timeout=30_000)
            approve.click()
            expect(page.get_by_text("Rolled out new headline")).to_be_visible(timeout=30_000)
            page.screenshot(path=str(tmp_path / "ab_rollout.png"))

            page.get_by_role("tab", name="Calculator").click()
            csv = page.get_by_role("textbox", name="CSV")
            csv.fill("variant,users,conversions\nA,100,10\nB,100,120\n")
            csv.press("Control+Enter")
            expect(page.get_by_text("row 3: conversions (120) exceed users (100)")).to_be_visible(
                timeout=30_000
            )
            assert page.get_by_test_id("stException").count() == 0
            browser.close()
    finally:
        os.killpg(app.pid, signal.SIGINT)  # the launcher stops both servers on Ctrl-C
        app.wait(timeout=30)
        log.close()
    ads = SandboxConnector(planted.platform).ads(planted.account_id)
    assert ads.loc[ads.ad_id == planted.control_ad, "status"].iloc[0] == "PAUSED"
    assert store.get(exp.id).status == "rolled out"  # type: ignore[union-attr]
