"""The Recommendations page: empty state, the ranked list with its chart, evidence and track record,
Dismiss with a reason (stored) and Apply (the dry run started through adops.intelligence.memory)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from adops.intelligence import memory

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "recommendations.py")


def run_page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=120).run()


@pytest.fixture
def demo_copy(demo_home: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared demo's warehouse read from a workspace of this test's own (its store is fresh)."""
    from adops import store

    monkeypatch.setenv("ADOPS_WAREHOUSE_URI", str(demo_home / "warehouse"))
    store.reset()
    return workspace


def test_empty_workspace(workspace: Path) -> None:
    at = run_page()
    assert not at.exception and at.title[0].value == "Recommendations"
    assert "No recommendation" in at.info[0].value and not at.button


def test_ranked_list_evidence_dismiss_and_apply(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page()
    assert not at.exception
    assert at.dataframe and len(at.dataframe[0].value) > 0
    ranked = at.dataframe[0].value  # account names and metric labels, not ids and column names
    from adops import warehouse

    names = set(warehouse.query("SELECT account_name FROM accounts")["account_name"])
    assert set(ranked["account"]) <= names | {"All accounts"} and not set(ranked["metric"]) & {
        "conversions",
        "clicks",
        "cpa",
    }
    first = at.selectbox(key="rec-picked").value
    assert first.startswith("rec_")
    assert "Track record: no outcome yet" in at.caption[0].value
    at.text_input(key="rec-reason").input("a seasonal campaign, on purpose").run()
    at.button(key="rec-dismiss").click().run()
    assert not at.exception and "Dismissed" in at.success[0].value
    assert at.selectbox(key="rec-picked").value != first  # hidden now
    assert memory._dismissed() == {first}

    started: list[tuple[str, Any]] = []
    monkeypatch.setattr(
        memory, "apply", lambda rec_id, by="": started.append((rec_id, by)) or {"run_id": "bulk-1"}
    )
    picked = at.selectbox(key="rec-picked").value
    at.button(key="rec-apply").click().run()
    assert not at.exception and "Dry run bulk-1 started" in at.success[0].value
    assert started == [(picked, "recommendations page")]


def test_dismiss_without_a_reason_says_what_to_fix(demo_copy: Path) -> None:
    at = run_page()
    at.button(key="rec-dismiss").click().run()
    assert not at.exception and "reason is required" in at.error[0].value
