"""A page render never writes: every page, drawn on a demo workspace, leaves the operational store,
the warehouse and adops.toml exactly as they were (row counts per table, files and their mtimes)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from adops.experiments import store as experiments

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "overview",
    "monitor",
    "analysis",
    "ab_testing",
    "forecast",
    "budget",
    "settings",
    "deliveries",
    "recommendations",
    "prd",
]


def state(home: Path) -> dict[str, object]:
    """Every table's rows in each SQLite database of the workspace (the store, the job system), and
    every other workspace file with its size and mtime."""
    databases = {}
    for path in sorted(home.glob("*.sqlite")):
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = [r[0] for r in db.execute("select name from sqlite_master where type = 'table'")]
            databases[path.name] = {t: db.execute(f'select * from "{t}"').fetchall() for t in tables}
        finally:
            db.close()
    files = {
        str(p.relative_to(home)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(home.rglob("*"))
        if p.is_file() and ".sqlite" not in p.name  # databases are compared by their rows
    }
    return {"databases": databases, "files": files}


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_drawing_a_page_changes_nothing(demo: Path, page: str) -> None:
    before = state(demo)
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    if page == "ab_testing":  # every experiment's readout, where the winner rule may hold
        for exp in experiments.list_experiments():
            at.selectbox(key="ab-experiment").set_value(exp.id).run()
            assert not at.exception, at.exception
    assert state(demo) == before


def test_the_whole_app_through_its_menu_changes_nothing(demo: Path) -> None:
    """app.py with st.navigation, every page switched to in one session."""
    before = state(demo)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    for page in PAGES:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, at.exception)
        assert at.title and at.title[0].value, page
    assert state(demo) == before
