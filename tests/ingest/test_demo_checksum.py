"""The demo's simulated numbers, pinned bit for bit: ingestion may change how rows are built and
written, never what they are (the optimizer, fatigue, anomaly and forecast tests rely on the truth)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pytest

from adops import store, warehouse
from adops.ingest import build_demo
from tests.conftest import TODAY

#: the columns the simulator and the currency conversion decide (not run ids or timestamps)
AD_COLUMNS = (
    "date, platform, account_id, campaign_id, ad_group_id, ad_id, ad_name, currency, impressions, clicks, "
    "spend, conversions, conversion_value, spend_reporting, conversion_value_reporting, reporting_currency"
)
CAMPAIGN_COLUMNS = (
    "date, platform, account_id, campaign_id, campaign_name, currency, impressions, clicks, spend, "
    "conversions, conversion_value, spend_reporting, conversion_value_reporting, reporting_currency"
)


def digest(table: pa.Table) -> str:
    """sha256 over every column's values in row order (floats by their exact bits)."""
    h = hashlib.sha256()
    for name in table.column_names:
        column = table[name].combine_chunks()
        h.update(name.encode())
        if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
            h.update(column.to_numpy(zero_copy_only=False).tobytes())
        else:
            h.update("\x1f".join(str(v) for v in column.to_pylist()).encode())
    return h.hexdigest()


def rows(sql: str) -> pa.Table:
    con = warehouse.connect()
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


@pytest.fixture(scope="module")
def own_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pinned demo built here, not the session's shared one: another test file on the same xdist
    worker once left the shared demo's campaign_daily different (full suite only), and a pin must not
    depend on which tests ran before it."""
    home = tmp_path_factory.mktemp("pinned-demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ADOPS_HOME", str(home))
        mp.setenv("ADOPS_TODAY", TODAY)
        store.reset()
        assert build_demo(days=120, seed=7, campaigns_per_account=(3, 5)).status == "success"
    store.reset()
    return home


@pytest.fixture
def demo(own_demo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ADOPS_HOME", str(own_demo))
    store.reset()
    return own_demo


def test_demo_ad_daily_is_pinned_bit_for_bit(demo: Path) -> None:
    table = rows(f"SELECT {AD_COLUMNS} FROM ad_daily ORDER BY platform, account_id, ad_id, date")
    assert table.num_rows == 43_028
    assert digest(table) == "cb398a7971b7baada89f3ac5515ad9c2c8dac9c778ffaaaf867b773df37cba0d"


def test_demo_campaign_daily_is_pinned_bit_for_bit(demo: Path) -> None:
    table = rows(
        f"SELECT {CAMPAIGN_COLUMNS} FROM campaign_daily ORDER BY platform, account_id, campaign_id, date"
    )
    assert table.num_rows == 7_045
    assert digest(table) == "528abc0cc23c9bbe8224c261dffdd5e3cac060781f6129b7910273a0f74513e0"
