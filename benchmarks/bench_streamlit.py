"""Streamlit server RSS after a browser visited every page of app.py's navigation on the demo
workspace, beside the floor: a minimal Streamlit app drawing the same kinds of widgets (metrics,
filters, plotly charts, tables, downloads), visited as many times, in the same run.

Needs Debian's chromium (Playwright drives it headless); skipped without it.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from benchmarks._floor import line, load

ROOT = Path(__file__).resolve().parents[1]
RUNS = 3
MINIMAL_APP = """
import datetime as dt
import numpy as np
import pandas as pd
import plotly.express as px
import streamlit as st

st.title("Minimal")
days = pd.date_range("2025-10-01", periods=400)
frame = pd.DataFrame({"date": np.tile(days, 6), "platform": np.repeat(list("abcdef"), 400),
                      "spend": np.random.default_rng(1).gamma(2, 50, 2400)})
st.multiselect("Platforms", list("abcdef"), key="p")
st.date_input("Dates", (dt.date(2026, 10, 1), dt.date(2026, 11, 1)), key="d")
for column, name in zip(st.columns(5), ["Spend", "Conversions", "CPA", "ROAS", "CTR"]):
    column.metric(name, "1.2k", delta="+1.0%")
left, right = st.columns(2)
left.plotly_chart(px.area(frame, x="date", y="spend", color="platform", title="Spend"))
right.plotly_chart(px.line(frame, x="date", y="spend", color="platform", title="Conversions"))
table = frame.groupby("platform", as_index=False)["spend"].sum()
st.dataframe(table, hide_index=True)
st.download_button("Download", table.to_csv(index=False), "t.csv", "text/csv")
"""


def main() -> None:
    from tests.browser import CHROMIUM

    if not Path(CHROMIUM).exists():
        print("   skipped: Debian's chromium is not installed")
        return
    print(f"   ({load()})")
    pages = page_paths()
    project, floor = [], []
    for _ in range(RUNS):
        project.append(command_center_rss(pages))
        floor.append(minimal_app_rss(len(pages)))
    p, f = statistics.median(project), statistics.median(floor)
    print(
        f"   Streamlit server RSS after visiting all {len(pages)} pages, median of {RUNS} (min {min(project):,.0f})"
    )
    print(line("command center, demo workspace", p, f, "MiB") + "  (floor: minimal app, same widgets)")


def page_paths() -> list[str]:
    """The URL path of every page in app.py's navigation (the default page at "/")."""
    text = (ROOT / "app.py").read_text()
    out = []
    for match in re.finditer(r'st\.Page\("pages/(\w+)\.py"(.*?)\)', text):
        out.append("" if "default=True" in match[2] else match[1])
    return out


def server_rss_mib(port: int) -> float:
    """RSS of the process listening on `port` (the Streamlit server)."""
    for conn in psutil.net_connections(kind="tcp"):
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
            return psutil.Process(conn.pid).memory_info().rss / 2**20
    raise RuntimeError(f"nothing listens on port {port}")


def visit(port: int, paths: list[str]) -> None:
    """Open each page in headless chromium and wait until the script run has finished."""
    from playwright.sync_api import sync_playwright

    from tests.browser import launch

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        for path in paths:
            page.goto(f"http://127.0.0.1:{port}/{path}")
            page.get_by_test_id("stApp").wait_for(timeout=120_000)
            page.wait_for_function(
                "() => document.querySelector('[data-testid=stApp]')?.dataset?.testStale !== 'true' && "
                "!document.querySelector('[data-testid=stStatusWidget]')",
                timeout=180_000,
            )
            page.wait_for_timeout(1500)  # charts and tables arrive after the run's last delta
        browser.close()


def command_center_rss(paths: list[str]) -> float:
    from adops.ingest import build_demo
    from benchmarks._workspace import workspace
    from tests.browser import command_center

    with workspace() as home:
        build_demo(days=400, seed=7)
        with command_center(Path(home) / "launcher.log") as (app_port, _):
            visit(app_port, paths)
            time.sleep(2)
            return server_rss_mib(app_port)


def minimal_app_rss(visits: int) -> float:
    from tests.browser import free_port, wait_for

    with tempfile.TemporaryDirectory(prefix="adops-bench-st-") as folder:
        script = Path(folder) / "minimal.py"
        script.write_text(MINIMAL_APP)
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(script),
                "--server.port",
                str(port),
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=folder,
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(f"http://127.0.0.1:{port}/_stcore/health")
            visit(port, [""] * visits)
            time.sleep(2)
            return psutil.Process(server.pid).memory_info().rss / 2**20
        finally:
            server.terminate()
            server.wait(timeout=30)
