"""The warehouse on Azure Blob Storage (`ADOPS_WAREHOUSE_URI=az://container/path`), against Azurite
(Microsoft's local emulator, the npm package `azurite`) started by the tests on a loopback port; never
the internet. The demo, a sync, queries, the CLI, a notebook connection, a lost manifest, concurrent
writers, and bad settings as one line.

Azurite must be on PATH (`npm install -g azurite`; `.ci/run` installs it). Without it these tests
skip, unless ADOPS_TEST_AZURITE=required (CI), which makes that a failure."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from adops import store
from adops.warehouse import delta, storage
from tests.warehouse.remote_checks import demo_sync_and_queries, eight_writers_race

CONTAINER = "adops-warehouse"


def _azurite() -> str:
    found = shutil.which("azurite-blob")
    if found:
        return found
    why = "Azurite (npm package azurite) is not installed: `npm install -g azurite`"
    if os.environ.get("ADOPS_TEST_AZURITE") == "required":
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Azurite's blob service on a free loopback port, its data in a temporary folder; its URL."""
    from tests.browser import free_port

    binary = _azurite()
    port = free_port()
    folder = tmp_path_factory.mktemp("azurite")
    server = subprocess.Popen(
        [
            binary,
            "--silent",
            "--skipApiVersionCheck",
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--location",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("Azurite did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()  # Azurite may take its time over a graceful stop: then it is killed
        try:
            server.wait(2)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(30)


@pytest.fixture
def az_warehouse(azurite: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    """A fresh prefix in the emulator's container as the warehouse; the settings in the environment only."""
    for var in ("AZURE_STORAGE_ACCOUNT_NAME", "AZURE_STORAGE_ACCOUNT_KEY", "AZURE_STORAGE_SAS_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AZURE_STORAGE_USE_EMULATOR", "true")
    monkeypatch.setenv("AZURITE_BLOB_STORAGE_URL", azurite)
    monkeypatch.setenv("AZURE_ALLOW_HTTP", "true")
    fs, _ = storage._fs(f"az://{CONTAINER}")
    fs.create_dir(CONTAINER)
    name = request.node.name[:40].replace("[", "-").replace("]", "").replace("_", "-")
    uri = f"az://{CONTAINER}/{name}/warehouse"
    monkeypatch.setenv("ADOPS_WAREHOUSE_URI", uri)
    storage.reachable.cache_clear()
    store.reset()
    return uri


@pytest.mark.slow
def test_demo_sync_and_queries_on_azure(az_warehouse: str) -> None:
    demo_sync_and_queries(az_warehouse)


def test_a_lost_manifest_on_azure_is_rebuilt_from_the_delta_logs(az_warehouse: str) -> None:
    from adops.ingest import build_demo

    assert build_demo(days=7, seed=3, campaigns_per_account=(1, 2)).status == "success"
    published = delta.snapshot()
    fs, path = storage._fs(storage.join(az_warehouse, "_snapshot.json"))
    fs.delete_file(path)
    recovered = delta.snapshot()
    assert recovered.recovered and recovered.versions == published.versions
    storage.write_text(storage.join(az_warehouse, "_snapshot.json"), "{not json")  # damaged: the logs again
    assert delta.snapshot().versions == published.versions


def test_concurrent_writers_on_azure_lose_no_commit(az_warehouse: str) -> None:
    """Eight writers append to one table at once: every commit lands (Azure's conditional create,
    If-None-Match: *, lets exactly one writer win each commit number; the others retry)."""
    eight_writers_race(az_warehouse)


def test_staged_files_round_trip_on_azure(az_warehouse: str) -> None:
    """What a big sync's parts stage (adops.ingest.parts) is written, read and removed on Azure too."""
    uri = storage.join(az_warehouse, "_staging", "job", "part", "t.arrow")
    storage.write_bytes(uri, b"\x00rows\xff")
    assert storage.read_bytes(uri) == b"\x00rows\xff"
    storage.remove_tree(storage.join(az_warehouse, "_staging", "job"))
    with pytest.raises(FileNotFoundError):
        storage.read_bytes(uri)
    storage.remove_tree(storage.join(az_warehouse, "_staging", "job"))  # twice: nothing to do


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("az://no-such-container/w", "does not exist"),
        ("az:///w", "container"),
        ("abfss://@nowhere/w", "container"),
    ],
)
def test_a_bad_azure_warehouse_is_one_line_exit_2(
    az_warehouse: str, monkeypatch: pytest.MonkeyPatch, uri: str, words: str
) -> None:
    from typer.testing import CliRunner

    from adops.cli import app

    storage.reachable.cache_clear()
    monkeypatch.setenv("ADOPS_WAREHOUSE_URI", uri)
    out = CliRunner().invoke(app, ["query", "select count(*) as n from accounts"])
    assert out.exit_code == 2, out.output
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], out.stderr
    assert storage.EMULATOR_KEY not in out.stderr  # no credential in the message


def test_without_an_account_azure_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from adops.errors import ConfigError

    for var in ("AZURE_STORAGE_ACCOUNT_NAME", "AZURE_STORAGE_USE_EMULATOR"):
        monkeypatch.delenv(var, raising=False)
    storage.reachable.cache_clear()
    with pytest.raises(ConfigError, match="AZURE_STORAGE_ACCOUNT_NAME"):
        storage.reachable("az://container/w")
