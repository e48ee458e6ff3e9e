"""The Jobs page in headless chromium, with both servers as `make run` starts them: a sync the
sidecar finished is listed with its steps, and nothing else is running."""

from __future__ import annotations

import re
import time
from pathlib import Path

from adops import jobs
from tests.browser import MARKS, command_center, launch

pytestmark = MARKS


def test_the_jobs_page_shows_a_finished_sync(workspace: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with command_center(tmp_path / "launcher.log") as (app_port, _):
        job_id = jobs.enqueue("sync", {"since": "2026-11-10", "trigger": "test"})
        deadline = time.monotonic() + 120
        while (job := jobs.get(job_id)) is None or job.active:
            assert time.monotonic() < deadline, "the sidecar did not finish the sync"
            time.sleep(0.2)
        assert job.status == "done", job.error
        while any(j.active for j in jobs.recent(20)):  # and its follow-ups (a fit, the winner rule)
            assert time.monotonic() < deadline, "the follow-ups did not finish"
            time.sleep(0.2)
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            page.goto(f"http://127.0.0.1:{app_port}/jobs")
            expect(page.get_by_role("heading", name="Jobs")).to_be_visible(timeout=60_000)
            expect(page.get_by_text("Nothing is running or queued.")).to_be_visible(timeout=30_000)
            finished = page.get_by_role("combobox", name="Finished job")
            expect(finished).to_have_value(
                re.compile(r"^(sync|optimize\.fit|experiments\.decide)-"), timeout=30_000
            )
            expect(page.get_by_role("heading", name="Scheduled")).to_be_visible()
            expect(page.get_by_test_id("stException")).to_have_count(0)
            expect(page.get_by_text("The sidecar is not answering")).to_have_count(0)
            finished.click()
            page.get_by_role("option", name=job_id).click()
            expect(finished).to_have_value(job_id)
            expect(page.get_by_role("button", name="Retry")).to_be_visible()
            page.screenshot(path=str(tmp_path / "jobs.png"), full_page=True)
            browser.close()
