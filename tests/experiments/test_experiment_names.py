"""Duplicate experiment names are refused; two live experiments on the same ads are flagged."""

from __future__ import annotations

from datetime import date

import pytest

from adops.experiments import store
from pages.components.experiment_form import overlapping

START, END = date(2026, 11, 1), date(2026, 11, 28)
A = store.Variant("control", "meta", "act_1", "ad", "111")
B = store.Variant("new copy", "meta", "act_1", "ad", "112")
C = store.Variant("other", "meta", "act_1", "ad", "113")


def test_a_second_experiment_with_the_same_name_is_refused(workspace: object) -> None:
    store.create("Headline test", [A, B], start=START, end=END)
    with pytest.raises(store.ExperimentError, match="already exists: pick another name"):
        store.create("  headline TEST ", [A, C], start=START, end=END)  # case and spaces do not matter
    assert [e.name for e in store.list_experiments()] == ["Headline test"]


def test_overlapping_live_experiments_are_named(workspace: object) -> None:
    assert overlapping([A, B]) is None
    store.create("Headline test", [A, B], start=START, end=END)
    assert overlapping([C, B]) == "Headline test (running) already tests 1 of these entities"
    assert overlapping([C]) is None
