"""adops.jobs.board: the Jobs page's schedule table reads as times and labels, not stored values."""

from __future__ import annotations

from types import SimpleNamespace

from adops.jobs.board import Board


def _state(last: str | None, status: str) -> SimpleNamespace:
    spec = SimpleNamespace(name="sync-1", title="Sync every platform", cron="0 * * * *")
    return SimpleNamespace(spec=spec, next_run=None, last_fired_at=last, status=status)


def test_schedule_times_are_utc_text_and_states_are_labels() -> None:
    board = Board([], [], {}, [_state("2026-12-07T20:00:00+00:00", "ACTIVE")])  # type: ignore[list-item]
    row = board.schedules_frame().iloc[0]
    assert row["last run"] == "2026-12-07 20:00:00 UTC" and row["state"] == "Active"
    local = Board([], [], {}, [_state("2026-12-07T21:00:00+01:00", "not_applied")])  # type: ignore[list-item]
    assert local.schedules_frame().iloc[0]["last run"] == "2026-12-07 20:00:00 UTC"  # in UTC, as "next run"
    assert local.schedules_frame().iloc[0]["state"] == "Not applied"
    for bad in (None, "", "yesterday-ish"):  # missing or malformed: an empty cell, never an error
        assert Board([], [], {}, [_state(bad, "PAUSED")]).schedules_frame().iloc[0]["last run"] == ""  # type: ignore[list-item]
