"""Every notebook runs top to bottom in a real Jupyter kernel (nbclient) against a fresh demo workspace;
notebooks are committed without outputs; and a notebook's open warehouse connection never blocks a sync."""

from __future__ import annotations

import json
import os
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: a cell may take this long before the run is called stuck (a kernel start and a forecast fit included)
CELL_TIMEOUT_S = 300


def test_there_are_notebooks() -> None:
    names = {p.name for p in NOTEBOOKS}
    wanted = {"warehouse", "deep_dive", "forecast", "experiment", "budget", "recommendations"}
    assert {f"{n}.ipynb" for n in wanted} <= names, names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_have_no_outputs(path: Path) -> None:
    """Outputs stay out of git (they hold data and make diffs unreadable): clear them before committing."""
    cells = json.loads(path.read_text())["cells"]
    dirty = [
        i
        for i, c in enumerate(cells)
        if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; clear them (Jupyter: Edit > Clear outputs)"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path: Path, demo: Path, tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    assert any(c.cell_type == "code" for c in notebook.cells), f"{path.name} has no code"
    # the kernel inherits this environment: the demo workspace, the frozen clock, no network
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # a failing cell raises CellExecutionError naming the notebook's cell and traceback
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    results = [
        o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "execute_result"
    ]
    assert results, f"{path.name} shows nothing"


@pytest.mark.slow
def test_a_connection_held_open_in_a_notebook_never_blocks_a_sync(workspace: Path) -> None:
    """A kernel holds `warehouse.connect()` open across a sync: the sync finishes, the held connection still
    reads the snapshot it opened on (whole, unchanged), and a new connection reads the sync's rows."""
    from jupyter_client.manager import start_new_kernel

    from adops import warehouse
    from adops.ingest import build_demo, sync

    today = date.fromisoformat(os.environ["ADOPS_TODAY"])
    os.environ["ADOPS_TODAY"] = str(today - timedelta(days=5))
    try:
        assert build_demo(days=20, seed=3, campaigns_per_account=(1, 2)).status == "success"
    finally:
        os.environ["ADOPS_TODAY"] = str(today)
    before = int(warehouse.query("SELECT count(*) AS n FROM campaign_daily")["n"].iloc[0])

    manager, kernel = start_new_kernel(kernel_name="python3", env=dict(os.environ))
    try:

        def run(code: str) -> str:
            reply = kernel.execute_interactive(code, timeout=120, output_hook=out.append)
            assert reply["content"]["status"] == "ok", reply["content"]
            return "".join(m["content"].get("text", "") for m in out if m["msg_type"] == "stream")

        out: list[dict] = []
        run("from adops import warehouse\ncon = warehouse.connect()\n")
        out.clear()
        held = run("print(con.execute('SELECT count(*) FROM campaign_daily').fetchone()[0])")
        assert int(held) == before

        finished: list[object] = []
        syncing = threading.Thread(target=lambda: finished.append(sync(trigger="test")), daemon=True)
        syncing.start()
        syncing.join(timeout=300)
        assert finished, "the sync did not finish while a notebook held a warehouse connection"
        assert getattr(finished[0], "status", None) == "success", finished[0]

        after = int(warehouse.query("SELECT count(*) AS n FROM campaign_daily")["n"].iloc[0])
        assert after > before  # five more days landed
        out.clear()
        assert int(run("print(con.execute('SELECT count(*) FROM campaign_daily').fetchone()[0])")) == before
        out.clear()
        fresh = run("print(warehouse.connect().execute('SELECT count(*) FROM campaign_daily').fetchone()[0])")
        assert int(fresh) == after
    finally:
        kernel.stop_channels()
        manager.shutdown_kernel(now=True)
