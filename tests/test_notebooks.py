"""Every notebook's code cells run, in order, against the demo workspace."""

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, demo: Path) -> None:
    cells = json.loads(path.read_text())["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert code, f"{path.name} has no code"
    namespace: dict[str, object] = {}
    for cell in code:  # a failing cell raises here, naming the notebook and cell
        exec(compile("".join(cell["source"]), f"{path.name}:{cell['id']}", "exec"), namespace)
