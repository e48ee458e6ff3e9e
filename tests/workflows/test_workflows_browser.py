"""The Workflows page in headless chromium with both servers as `make run` starts them: a run the
sidecar planned waits for approval, is approved on the page with a name and a confirmation, and the
sidecar applies it; nothing is requested from outside the machine."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from adops import workflows
from adops.connectors.sandbox import SandboxConnector, init_state, load_world
from tests.browser import MARKS, command_center, launch

pytestmark = MARKS
LOCAL = {"127.0.0.1", "localhost"}


def wait_status(run_id: str, wanted: tuple[str, ...], timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (run := workflows.show(run_id))["status"] not in wanted:
        assert time.monotonic() < deadline, f"run {run_id} is still {run['status']}"
        time.sleep(0.2)
    return run


def test_approving_a_run_on_the_page(workspace: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    init_state(7, date(2026, 11, 24), (3, 3))
    acc = next(a for a in load_world().accounts if a.platform == "meta")
    frame = SandboxConnector("meta").campaigns(acc.id)
    cid = str(frame[frame.status == "ENABLED"]["campaign_id"].iloc[0])
    outside: list[str] = []

    def local_only(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).hostname not in LOCAL:
            outside.append(url)
            route.abort()
        else:
            route.continue_()

    with command_center(tmp_path / "launcher.log") as (app_port, _):
        ents = [{"platform": "meta", "account_id": acc.id, "entity_id": cid}]
        run_id = workflows.start("bulk", {"action": "pause", "entities": ents}, by="tester")
        wait_status(run_id, ("awaiting_approval",))
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1400, "height": 2000})
            page.route("**/*", local_only)
            page.goto(f"http://127.0.0.1:{app_port}/workflows")
            expect(page.get_by_role("heading", name="Workflows")).to_be_visible(timeout=60_000)
            expect(page.get_by_text(f"Steps of {run_id}")).to_be_visible(timeout=60_000)
            page.get_by_label("Your name (goes into the audit trail)").fill("Dana")
            page.get_by_text("I reviewed the 1 change(s) above").click()
            page.get_by_role("button", name="Approve").click()
            expect(page.get_by_text(f"Approved {run_id} as Dana")).to_be_visible(timeout=60_000)
            expect(page.get_by_test_id("stException")).to_have_count(0)
            browser.close()
        done = wait_status(run_id, ("succeeded", "failed"))
    assert done["status"] == "succeeded" and done["approved_by"] == "Dana"
    frame = SandboxConnector("meta").campaigns(acc.id)
    assert frame.loc[frame.campaign_id == cid, "status"].iloc[0] == "PAUSED"
    assert outside == []
