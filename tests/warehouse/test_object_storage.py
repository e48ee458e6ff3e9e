"""The warehouse on S3 (`ADOPS_WAREHOUSE_URI=s3://bucket/path`), against a local S3 server (moto in
server mode, on a loopback port; never the internet): the demo, a sync, queries, the CLI, a lost
manifest, concurrent writers, and the unsafe setting refused."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date

import pytest

from adops import store, warehouse
from adops.errors import ConfigError
from adops.warehouse import delta, storage
from tests.warehouse.remote_checks import eight_writers_race

pytest.importorskip("moto.server")
BUCKET = "adops-warehouse"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server in a process of its own (in a thread of this one it would wait on the GIL
    that a delta-rs call holds while it waits for the server: a deadlock)."""
    from tests.browser import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the local S3 server (moto) did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(30)


@pytest.fixture
def s3_warehouse(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    """A fresh prefix in the local bucket as the warehouse, credentials in the environment only."""
    import boto3

    for var, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ALLOW_HTTP": "true",
    }.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_S3_ALLOW_UNSAFE_RENAME", raising=False)
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    if BUCKET not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
        client.create_bucket(Bucket=BUCKET)
    uri = f"s3://{BUCKET}/{request.node.name[:40].replace('[', '-').replace(']', '')}/warehouse"
    monkeypatch.setenv("ADOPS_WAREHOUSE_URI", uri)
    store.reset()
    return uri


def _keys(endpoint: str, prefix: str) -> list[str]:
    import boto3

    found = boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return [o["Key"] for o in found.get("Contents", [])]


@pytest.mark.slow
def test_demo_sync_and_queries_on_s3(s3_warehouse: str, s3_endpoint: str) -> None:
    from adops.ingest import build_demo, sync

    assert build_demo(days=30, seed=3, campaigns_per_account=(2, 3)).status == "success"
    prefix = s3_warehouse.removeprefix(f"s3://{BUCKET}/")
    keys = _keys(s3_endpoint, prefix)
    assert f"{prefix}/_snapshot.json" in keys
    assert any(k.startswith(f"{prefix}/campaign_daily/_delta_log/") for k in keys)
    assert any(k.startswith(f"{prefix}/ad_daily/") and k.endswith(".parquet") for k in keys)

    before = warehouse.query("select count(*) as n, sum(clicks) as c from campaign_daily")
    assert before["n"].iloc[0] > 0
    by_platform = warehouse.query(
        "select platform, sum(spend) as s from campaign_daily group by 1 order by 1"
    )
    assert len(by_platform) == 6
    con = warehouse.connect()  # the notebook entry point
    try:
        assert con.execute("select count(*) from campaign_daily").fetchone()[0] == before["n"].iloc[0]  # type: ignore[index]
    finally:
        con.close()

    result = sync(since=date(2026, 11, 20))  # an incremental sync: the last days again, upserted
    assert result.status == "success" and result.rows > 0
    after = warehouse.query("select count(*) as n from campaign_daily")
    assert after["n"].iloc[0] == before["n"].iloc[0]  # restated days replaced, not duplicated
    dup = warehouse.query(
        "select count(*) - count(distinct (platform, account_id, campaign_id, date)) as d from campaign_daily"
    )
    assert dup["d"].iloc[0] == 0


def test_a_lost_manifest_on_s3_is_rebuilt_from_the_delta_logs(s3_warehouse: str, s3_endpoint: str) -> None:
    import boto3

    from adops.ingest import build_demo

    assert build_demo(days=7, seed=3, campaigns_per_account=(1, 2)).status == "success"
    published = delta.snapshot()
    prefix = s3_warehouse.removeprefix(f"s3://{BUCKET}/")
    boto3.client("s3", endpoint_url=s3_endpoint).delete_object(Bucket=BUCKET, Key=f"{prefix}/_snapshot.json")
    recovered = delta.snapshot()
    assert recovered.recovered and recovered.versions == published.versions
    storage.write_text(f"{s3_warehouse}/_snapshot.json", "{not json")  # damaged: the logs again
    assert delta.snapshot().versions == published.versions


def test_concurrent_writers_on_s3_lose_no_commit(s3_warehouse: str) -> None:
    """Eight processes' worth of writers append to one table at once: every commit lands (S3's
    conditional writes make exactly one writer win each commit number; the others retry)."""
    eight_writers_race(s3_warehouse)


def test_unsafe_rename_is_refused_before_any_write(
    s3_warehouse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adops.ingest import build_demo

    monkeypatch.setenv("AWS_S3_ALLOW_UNSAFE_RENAME", "true")
    with pytest.raises(ConfigError, match="AWS_S3_ALLOW_UNSAFE_RENAME"):
        build_demo(days=3, seed=3, campaigns_per_account=(1, 1))


def test_cli_query_reads_the_s3_warehouse(s3_warehouse: str) -> None:
    from typer.testing import CliRunner

    from adops.cli import app
    from adops.ingest import build_demo

    assert build_demo(days=7, seed=5, campaigns_per_account=(1, 2)).status == "success"
    out = CliRunner().invoke(app, ["query", "select count(*) as n from accounts", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)[0]["n"] > 0


def test_storage_paths() -> None:
    assert storage.join("s3://b/w/", "t") == "s3://b/w/t" and storage.join("/x/w", "t") == "/x/w/t"
    assert storage.is_remote("gs://b/w") and storage.is_remote("abfss://c@a.dfs.core.windows.net/w")
    assert not storage.is_remote("/data/warehouse") and not storage.is_remote("file:///x")


@pytest.mark.slow
def test_the_overview_page_reads_the_s3_warehouse(s3_warehouse: str) -> None:
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from adops.ingest import build_demo

    assert build_demo(days=14, seed=3, campaigns_per_account=(1, 2)).status == "success"
    page = str(Path(__file__).resolve().parents[2] / "pages" / "overview.py")
    at = AppTest.from_file(page, default_timeout=120).run()
    assert not at.exception and not at.error, [e.value for e in at.error] + [e.value for e in at.exception]
    assert [m.label for m in at.metric][:2] == ["Spend", "Conversions"]
    assert all(m.value not in ("", "–") for m in at.metric)
    assert "All platforms" in set(at.dataframe[-1].value["platform"])


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("s3://no-such-bucket/w", "does not exist"),
        ("s3://", "bucket"),
        ("s3://Bad_Bucket!/w", "warehouse"),
    ],
)
def test_a_bad_s3_warehouse_is_one_line_exit_2(
    s3_warehouse: str, monkeypatch: pytest.MonkeyPatch, uri: str, words: str
) -> None:
    from typer.testing import CliRunner

    from adops.cli import app

    storage.reachable.cache_clear()
    monkeypatch.setenv("ADOPS_WAREHOUSE_URI", uri)
    out = CliRunner().invoke(app, ["query", "select count(*) as n from accounts"])
    assert out.exit_code == 2, out.output
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], out.stderr
    assert "testing" not in out.stderr  # no credential in the message
