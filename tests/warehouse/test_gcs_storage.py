"""The warehouse on Google Cloud Storage (`ADOPS_WAREHOUSE_URI=gs://bucket/path`), against the local
fake in tests/warehouse/gcs_fake.py (GCS's XML API as delta-rs's `object_store` client calls it),
started by the tests on a loopback port in its own process; never the internet. The fake itself first
(it refuses what GCS refuses), then the demo, a sync, queries, the CLI, a page, a notebook connection, a lost
manifest, concurrent writers, and bad settings as one line.

delta-rs is pointed at the fake the way `object_store` documents for an emulator: a service-account
key file (`GOOGLE_SERVICE_ACCOUNT`) with `gcs_base_url` (the fake's URL) and `disable_oauth: true`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from adops import store
from adops.warehouse import delta, storage
from tests.warehouse.gcs_fake import STATS_PATH, gcs_fake
from tests.warehouse.remote_checks import demo_sync_and_queries, eight_writers_race

BUCKET = "adops-warehouse"
ROOT = Path(__file__).resolve().parents[2]


def _call(
    url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


# -- the fake refuses what GCS refuses ----------------------------------------------------------


def test_the_fake_answers_like_gcs_objects_preconditions_and_ranges() -> None:
    with gcs_fake() as (url, state):
        state.create_bucket("b")
        status, body, _ = _call(f"{url}/nope/k", "PUT", b"x")
        assert status == 404 and b"<Code>NoSuchBucket</Code>" in body
        status, body, _ = _call(f"{url}/b/missing")
        assert status == 404 and b"<Code>NoSuchKey</Code>" in body

        create = {"x-goog-if-generation-match": "0"}
        status, _, headers = _call(f"{url}/b/_delta_log%2F0.json", "PUT", b"first", create)
        assert status == 200 and headers["ETag"].startswith('"')
        generation = headers["x-goog-generation"]
        status, body, _ = _call(f"{url}/b/_delta_log%2F0.json", "PUT", b"second", create)  # replayed
        assert status == 412 and b"<Code>PreconditionFailed</Code>" in body
        assert _call(f"{url}/b/_delta_log/0.json")[1] == b"first"  # the loser wrote nothing
        stale = {"x-goog-if-generation-match": str(int(generation) + 1)}
        assert _call(f"{url}/b/_delta_log/0.json", "PUT", b"x", stale)[0] == 412
        assert (
            _call(f"{url}/b/_delta_log/0.json", "PUT", b"x", {"x-goog-if-generation-match": "abc"})[0] == 400
        )

        assert _call(f"{url}/b/_delta_log/0.json", headers={"Range": "bytes=1-3"})[:2] == (206, b"irs")
        assert _call(f"{url}/b/_delta_log/0.json", headers={"Range": "bytes=-2"})[1] == b"st"
        status, body, _ = _call(f"{url}/b/_delta_log/0.json", headers={"Range": "bytes=99-"})
        assert status == 416 and b"<Code>InvalidRange</Code>" in body
        assert _call(f"{url}/b/_delta_log/0.json", headers={"Range": "bytes=z-"})[:2] == (200, b"first")

        status, _, headers = _call(f"{url}/b/copy", "PUT", b"", {"x-goog-copy-source": "b/_delta_log/0.json"})
        assert status == 200 and _call(f"{url}/b/copy")[1] == b"first"
        assert _call(f"{url}/b/c2", "PUT", b"", {"x-goog-copy-source": "b/none"})[0] == 404
        assert _call(f"{url}/b/copy", "DELETE")[0] == 204
        assert _call(f"{url}/b/copy", "DELETE")[0] == 404
        assert _call(f"{url}/b/big", "PUT", None, {"Content-Length": str(64 * 1024 * 1024 + 1)})[0] == 413


def test_the_fake_lists_pages_prefixes_and_multipart_uploads() -> None:
    with gcs_fake() as (url, state):
        state.create_bucket("b")
        for name in ("t/_delta_log/0.json", "t/_delta_log/1.json", "t/a.parquet", "t/p=1/b.parquet", "u/x"):
            assert _call(f"{url}/b/{name}", "PUT", b"data")[0] == 200
        status, body, _ = _call(f"{url}/nope?list-type=2")
        assert status == 404 and b"NoSuchBucket" in body

        keys: list[str] = []
        token = ""
        while True:
            query = "list-type=2&prefix=t/&max-keys=2" + (f"&continuation-token={token}" if token else "")
            page = _call(f"{url}/b?{query}")[1].decode()
            keys += [k.split("</Key>")[0] for k in page.split("<Key>")[1:]]
            if "<NextContinuationToken>" not in page:
                break
            token = page.split("<NextContinuationToken>")[1].split("<")[0]
        assert keys == ["t/_delta_log/0.json", "t/_delta_log/1.json", "t/a.parquet", "t/p=1/b.parquet"]

        page = _call(f"{url}/b?list-type=2&prefix=t/&delimiter=/")[1].decode()
        assert "<Key>t/a.parquet</Key>" in page and "<Prefix>t/_delta_log/</Prefix>" in page
        assert "<Prefix>t/p=1/</Prefix>" in page and "0.json" not in page
        page = _call(f"{url}/b?list-type=2&prefix=t/_delta_log/&start-after=t/_delta_log/0.json")[1].decode()
        assert "<Key>t/_delta_log/1.json</Key>" in page and "0.json</Key>" not in page
        assert _call(f"{url}/b?list-type=2&max-keys=-1")[0] == 400
        assert _call(f"{url}/b?list-type=2&continuation-token=%%%")[0] == 400

        initiated = _call(f"{url}/b/m?uploads", "POST", b"")[1].decode()
        upload = initiated.split("<UploadId>")[1].split("<")[0]
        assert _call(f"{url}/b/m?partNumber=1&uploadId={upload}", "PUT", b"ab")[0] == 200
        assert _call(f"{url}/b/m?partNumber=2&uploadId={upload}", "PUT", b"cd")[0] == 200
        assert _call(f"{url}/b/m?partNumber=0&uploadId={upload}", "PUT", b"x")[0] == 400
        assert _call(f"{url}/b/m?uploadId={upload}", "POST", b"<not xml")[0] == 400
        done = b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part><Part><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>"
        assert _call(f"{url}/b/m?uploadId={upload}", "POST", done)[0] == 200
        assert _call(f"{url}/b/m")[1] == b"abcd"
        assert _call(f"{url}/b/m?uploadId={upload}", "POST", done)[0] == 404  # replayed: NoSuchUpload


# -- the warehouse on the fake ------------------------------------------------------------------


@pytest.fixture(scope="module")
def gcs_url() -> Iterator[str]:
    """The fake in its own process (delta-rs's pyarrow file-system handler keeps the GIL while it
    waits for an answer), the warehouse bucket created; its base URL."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.warehouse.gcs_fake", BUCKET],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), "the GCS fake did not start"
        yield url
    finally:
        assert server.stdin is not None
        server.stdin.close()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


@pytest.fixture
def gs_warehouse(
    gcs_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> str:
    """A fresh prefix in the fake's bucket as the warehouse; the settings in the environment only."""
    for var in ("GOOGLE_SERVICE_ACCOUNT_KEY", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_BUCKET"):
        monkeypatch.delenv(var, raising=False)
    key = tmp_path / "service-account.json"
    key.write_text(
        json.dumps(
            {
                "gcs_base_url": gcs_url,
                "disable_oauth": True,
                "client_email": "",
                "private_key": "",
                "private_key_id": "",
            }
        )
    )
    monkeypatch.setenv("GOOGLE_SERVICE_ACCOUNT", str(key))
    name = request.node.name[:40].replace("[", "-").replace("]", "").replace("_", "-")
    uri = f"gs://{BUCKET}/{name}/warehouse"
    monkeypatch.setenv("ADOPS_WAREHOUSE_URI", uri)
    storage.reachable.cache_clear()
    store.reset()
    return uri


def _base_url() -> str:
    """The fake's URL, from the key file that points delta-rs at it."""
    return str(json.loads(Path(os.environ["GOOGLE_SERVICE_ACCOUNT"]).read_text())["gcs_base_url"])


@pytest.mark.slow
def test_demo_sync_and_queries_on_gcs(gs_warehouse: str) -> None:
    demo_sync_and_queries(gs_warehouse)

    from streamlit.testing.v1 import AppTest  # a page reads the same warehouse

    at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=120).run()
    assert not at.exception and not at.error, [e.value for e in at.error] + [e.value for e in at.exception]
    assert [m.label for m in at.metric][:2] == ["Spend", "Conversions"]
    assert all(m.value not in ("", "–") for m in at.metric)
    assert "All platforms" in set(at.dataframe[-1].value["platform"])


def test_a_lost_manifest_on_gcs_is_rebuilt_from_the_delta_logs(gs_warehouse: str) -> None:
    from adops.ingest import build_demo

    assert build_demo(days=7, seed=3, campaigns_per_account=(1, 2)).status == "success"
    published = delta.snapshot()
    fs, path = storage._fs(storage.join(gs_warehouse, "_snapshot.json"))
    fs.delete_file(path)
    recovered = delta.snapshot()
    assert recovered.recovered and recovered.versions == published.versions
    storage.write_text(storage.join(gs_warehouse, "_snapshot.json"), "{not json")  # damaged: the logs again
    assert delta.snapshot().versions == published.versions


def test_concurrent_writers_on_gcs_lose_no_commit(gs_warehouse: str) -> None:
    """Eight writers append to one table at once: every commit lands (GCS's conditional create,
    `x-goog-if-generation-match: 0`, lets exactly one writer win each commit number; the others get
    412 and retry)."""

    def refused_preconditions() -> int:
        stats = json.loads(_call(base + STATS_PATH)[1])
        return int(stats["refusals"].get("412", 0))

    base = _base_url()
    lost_races = refused_preconditions()
    eight_writers_race(gs_warehouse)
    assert refused_preconditions() > lost_races  # writers did race, and the losers were refused


def test_staged_files_round_trip_on_gcs(gs_warehouse: str) -> None:
    """What a big sync's parts stage (adops.ingest.parts) is written, read and removed on GCS too."""
    uri = storage.join(gs_warehouse, "_staging", "job", "part", "t.arrow")
    storage.write_bytes(uri, b"\x00rows\xff")
    assert storage.read_bytes(uri) == b"\x00rows\xff"
    stats = json.loads(_call(_base_url() + STATS_PATH)[1])
    assert stats["completed_uploads"] >= 1  # written as an XML multipart upload
    assert storage.names(storage.join(gs_warehouse, "_staging", "job", "part")) == ["t.arrow"]
    storage.remove_tree(storage.join(gs_warehouse, "_staging", "job"))
    with pytest.raises(FileNotFoundError):
        storage.read_bytes(uri)
    with pytest.raises(FileNotFoundError):
        storage.read_text(uri)
    storage.remove_tree(storage.join(gs_warehouse, "_staging", "job"))  # twice: nothing to do


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("gs://no-such-bucket/w", "does not exist"),
        ("gs:///w", "bucket"),
        (f"gcs://{BUCKET}/w", "gs://<bucket>"),
        ("gs://" + "b" * 5000 + "/w", "warehouse gs://bbb"),  # oversized
        ("gs://bad\nbucket/w", "warehouse"),  # hostile: a newline stays out of the one line
        ("gs://Bad_Bucket!/w", "warehouse"),
    ],
)
def test_a_bad_gcs_warehouse_is_one_line_exit_2(
    gs_warehouse: str, monkeypatch: pytest.MonkeyPatch, uri: str, words: str
) -> None:
    from typer.testing import CliRunner

    from adops.cli import app

    storage.reachable.cache_clear()
    monkeypatch.setenv("ADOPS_WAREHOUSE_URI", uri)
    out = CliRunner().invoke(app, ["query", "select count(*) as n from accounts"])
    assert out.exit_code == 2, out.output
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], out.stderr
    assert len(lines[0]) < 600


def test_a_gcs_scheme_write_is_refused_before_it_reaches_another_client() -> None:
    """delta-rs sends `gcs://` to OpenDAL, which ignores the GOOGLE_SERVICE_ACCOUNT settings (and asks the
    cloud's metadata server for a token): adops names gs:// instead of writing with other credentials."""
    from adops.errors import ConfigError

    with pytest.raises(ConfigError, match="gs://<bucket>"):
        storage.check("gcs://bucket/w/campaign_daily")
    storage.check("gs://bucket/w/campaign_daily")  # the supported scheme passes
