"""Instant pages (issue 16): seconds from opening each page of app.py's menu to its content, in headless
chromium, on the demo workspace after a sync's follow-ups have run, against the 3 s target.

"Its content" is what a person came for: the title, the page's first table, chart, KPI, message, form or
button, every plotly chart drawn, and the script run finished (Streamlit's running widget gone). Each
page is opened RUNS times in one browser session (the first visit of a session pays Streamlit's own
start-up once, before the timed visits). The floor is a minimal Streamlit page (a title, a metric and a
plotly chart) opened the same way in the same run.

Needs Debian's chromium (Playwright drives it headless); skipped without it. Takes 2-4 minutes.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._floor import load

ROOT = Path(__file__).resolve().parents[1]
RUNS = 3
TARGET_S = 3.0
MINIMAL_PAGE = """
import plotly.express as px
import streamlit as st

st.title("Minimal")
st.metric("Spend", "1.2k")
st.plotly_chart(px.line(x=[1, 2, 3], y=[1, 3, 2], title="Spend"))
"""


def main() -> None:
    from tests.browser import CHROMIUM

    if not Path(CHROMIUM).exists():
        print("   skipped: Debian's chromium is not installed")
        return
    from tests.test_pages_a11y import menu_pages

    pages = [(p.title, p.url_path) for p in menu_pages()]
    print(f"   ({load()})")
    times = command_center_times(pages)
    floor = minimal_page_times()
    floor_s = statistics.median(floor)
    print(
        f"   seconds to content, median of {RUNS} visits (max), target {TARGET_S:.0f} s; floor {floor_s:.2f} s"
    )
    for title, _ in pages:
        runs = times[title]
        median = statistics.median(runs)
        verdict = "ok" if max(runs) <= TARGET_S else "OVER"
        print(
            f"     {title:28s} {median:6.2f} s  (max {max(runs):5.2f})  {median / floor_s:5.1f}x floor  {verdict}"
        )
    print(f"   ({load()})")


def visit(page: Any, url: str, title: str | None) -> float:
    """Seconds from navigation to the page's content drawn and its script run finished."""
    from playwright.sync_api import expect

    from tests.test_pages_a11y import CONTENT

    started = time.perf_counter()
    page.goto(url)
    heading = (
        page.get_by_role("heading", level=1, name=title) if title else page.get_by_role("heading", level=1)
    )
    expect(heading.first).to_be_visible(timeout=60_000)
    main = page.get_by_test_id("stMain")
    expect(main.locator(CONTENT).first).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=120_000)
    charts = main.get_by_test_id("stPlotlyChart")
    for i in range(charts.count()):
        expect(charts.nth(i).locator(".main-svg").first).to_be_visible(timeout=60_000)
    return time.perf_counter() - started


def command_center_times(pages: list[tuple[str, str]]) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    from adops.ingest import build_demo
    from adops.launcher import warm_up
    from benchmarks._workspace import workspace
    from tests.browser import command_center, launch
    from tests.test_pages_a11y import follow_ups_done

    with workspace() as home:
        build_demo(days=400, seed=7)
        warm_up()  # what `make run` queues after building the demo: a sync's follow-ups
        with command_center(Path(home) / "launcher.log") as (port, _), sync_playwright() as p:
            follow_ups_done(Path(home))
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            base = f"http://127.0.0.1:{port}"
            visit(page, base, None)  # the session's first visit (Streamlit's start-up), not timed
            out: dict[str, list[float]] = {title: [] for title, _ in pages}
            for _ in range(RUNS):
                for title, path in pages:
                    out[title].append(visit(page, f"{base}/{path}", title))
            browser.close()
            return out


def minimal_page_times() -> list[float]:
    from playwright.sync_api import sync_playwright

    from tests.browser import free_port, launch, wait_for

    with tempfile.TemporaryDirectory(prefix="adops-bench-pages-") as folder:
        script = Path(folder) / "minimal.py"
        script.write_text(MINIMAL_PAGE)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=folder, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_for(f"http://127.0.0.1:{port}/_stcore/health")
            with sync_playwright() as p:
                browser = launch(p)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                url = f"http://127.0.0.1:{port}/"
                visit(page, url, None)
                runs = [visit(page, url, "Minimal") for _ in range(RUNS)]
                browser.close()
                return runs
        finally:
            server.terminate()
            server.wait(timeout=30)
