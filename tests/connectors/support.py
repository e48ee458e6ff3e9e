"""Assertions and a fake clock the connector tests share."""

from __future__ import annotations

import pandas as pd

COUNTS = ["impressions", "clicks"]
MONEY = ["spend", "conversions", "conversion_value"]


def assert_daily_matches(got: pd.DataFrame, truth: pd.DataFrame, keys: list[str], decimals: int = 6) -> None:
    """Daily rows equal the fake's truth: same keys, exact counts, money to `decimals` places."""

    def tidy(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.assign(date=pd.to_datetime(frame["date"]).dt.date)
        return frame.sort_values(keys).reset_index(drop=True)

    got, truth = tidy(got), tidy(truth)
    assert len(got) == len(truth) and len(got) > 0
    assert got[keys].astype(str).values.tolist() == truth[keys].astype(str).values.tolist()
    for col in COUNTS:
        assert got[col].astype(int).tolist() == truth[col].astype(int).tolist(), col
    for col in MONEY:
        assert got[col].round(decimals).tolist() == truth[col].round(decimals).tolist(), col


class FakeTime:
    """A clock that moves only when the code under test sleeps: budgets run without waiting them out."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
