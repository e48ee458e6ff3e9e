"""The writer's stream: thousands of small slices reach write_deltalake as few batches, rows unchanged."""

from __future__ import annotations

import pyarrow as pa

from adops.warehouse import delta


def _table(sizes: list[int]) -> pa.Table:
    start, batches = 0, []
    for n in sizes:
        batches.append(pa.record_batch({"n": pa.array(range(start, start + n), pa.int64())}))
        start += n
    return pa.Table.from_batches(batches, schema=pa.schema([("n", pa.int64())]))


def test_small_slices_are_coalesced_in_order() -> None:
    table = _table([7] * 1000)
    out = list(delta._batched(table, rows=1000))
    assert [b.num_rows for b in out] == [1001] * 6 + [994]
    assert pa.Table.from_batches(out).equals(table)


def test_big_batches_pass_as_they_are_and_flush_the_run_before_them() -> None:
    table = _table([3, 4, 5000, 2, 6000, 1])
    out = list(delta._batched(table, rows=1000))
    assert [b.num_rows for b in out] == [7, 5000, 2, 6000, 1]
    assert pa.Table.from_batches(out).equals(table)


def test_empty_table_gives_no_batches_and_keeps_its_schema() -> None:
    table = _table([])
    reader = delta._batched(table)
    assert reader.schema == table.schema
    assert list(reader) == []
