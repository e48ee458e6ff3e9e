"""A partial or failed sync is a visible warning saying what to do, not a grey caption."""

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest


def panel() -> None:
    from pages.components.sync_status import sync_panel

    sync_panel()


@pytest.mark.parametrize(("status", "warned"), [("partial", True), ("failed", True), ("success", False)])
def test_the_last_sync_status(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, status: str, warned: bool
) -> None:
    from adops import ingest

    run = SimpleNamespace(
        id=7, status=status, rows=1200, duration_s=3.2, finished_at=datetime.now(UTC), failed_accounts=1
    )
    monkeypatch.setattr(ingest, "last_runs", lambda n: [run])
    at = AppTest.from_function(panel, default_timeout=30).run()
    assert not at.exception, at.exception
    texts = [w.value for w in at.warning]
    assert bool(texts) is warned
    if warned:
        assert f"Last sync #7: **{status.capitalize()}**" in texts[0] and "Sync now" in texts[0]
    else:
        assert any("Last sync #7: **Success**" in c.value for c in at.caption)
