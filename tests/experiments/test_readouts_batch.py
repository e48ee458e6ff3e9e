"""A batch of readouts reads its experiments in one store query (`store.get_many`)."""

from __future__ import annotations

from datetime import date

import pytest

from adops.experiments import results, store

A = store.Variant("control", "meta", "act_1", "ad", "111")
B = store.Variant("treatment", "meta", "act_1", "ad", "112")


def test_get_many_returns_the_existing_ids_once_each() -> None:
    one = store.create("One", [A, B], start=date(2026, 11, 1), end=date(2026, 11, 28), actor="t")
    two = store.create("Two", [A, B], start=date(2026, 11, 2), end=date(2026, 11, 28), actor="t")
    found = store.get_many([two.id, one.id, two.id, 10**9, -1])
    assert found == {one.id: store.get(one.id), two.id: store.get(two.id)}
    assert store.get_many([]) == {}


def test_a_batch_with_an_unknown_id_is_refused_by_name() -> None:
    exp = store.create("Known", [A, B], start=date(2026, 11, 1), end=date(2026, 11, 28), actor="t")
    with pytest.raises(store.ExperimentError, match="no experiment 424242"):
        results.readouts([exp.id, 424242])
