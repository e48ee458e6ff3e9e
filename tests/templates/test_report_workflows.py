"""`performance-report` and `scheduled-report` as workflow runs: dry run renders only, a run sends once."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adops import store, workflows
from adops.errors import InputError
from adops.notify import channels
from tests.jobs import support

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_copy(demo_home: Path, workspace: Path) -> Iterator[Path]:
    shutil.copytree(demo_home, workspace, dirs_exist_ok=True)
    store.reset()
    support.launch()
    yield workspace
    support.stop()


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    sent: list[Any] = []

    async def fake(cfg: Any, channel: str, message: Any) -> channels.Sent:
        sent.append((channel, message))
        return channels.Sent(True, 200)

    monkeypatch.setattr(channels, "send", fake)
    return sent


def _run(name: str, params: dict[str, Any], dry_run: bool = False) -> dict[str, Any]:
    run_id = workflows.start(name, params, dry_run=dry_run, by="tester")
    support.run(run_id)
    for _ in range(3):  # a follow-up job, if the engine queued one
        if support.run_next() is None:
            break
    return workflows.wait(run_id, until=("succeeded", "failed"))


def test_dry_run_renders_the_files_and_sends_nothing(demo_copy: Path, slack: list[Any]) -> None:
    run = _run(
        "performance-report", {"days": 14, "channel": "slack", "formats": ["html", "csv"]}, dry_run=True
    )
    assert run["status"] == "succeeded" and run["changes"] == []
    steps = {s["name"]: s for s in run["steps"]}
    assert "deliver" not in steps or steps["deliver"]["status"] != "succeeded"
    written = steps["render"]["output"]["files"]
    assert [Path(f["file"]).suffix for f in written] == [".html", ".csv"]
    html = (demo_copy / written[0]["file"]).read_text()
    assert "Daily spend by platform" in html
    assert (demo_copy / written[0]["file"]).stat().st_mode & 0o077 == 0
    assert slack == []


def test_dry_run_leaves_the_pdf_to_the_applied_run(demo_copy: Path, slack: list[Any]) -> None:
    """The PDF (every chart rasterised) is the slow part: a dry run shows the HTML preview instead,
    even when only a PDF was asked for; the applied run renders the PDF of the same report."""
    dry = _run("performance-report", {"days": 7, "formats": ["pdf", "csv"]}, dry_run=True)
    render = next(s for s in dry["steps"] if s["name"] == "render")["output"]
    assert [Path(f["file"]).suffix for f in render["files"]] == [".html", ".csv"]
    assert render["rendered_when_applied"] == ["pdf"]
    assert any("PDF is rendered when the run is applied" in n for n in dry["notes"]), dry["notes"]
    real = _run("performance-report", {"days": 7, "formats": ["pdf", "csv"]})
    done = next(s for s in real["steps"] if s["name"] == "render")["output"]
    assert [Path(f["file"]).suffix for f in done["files"]] == [".pdf", ".csv"]
    assert "rendered_when_applied" not in done
    assert (demo_copy / done["files"][0]["file"]).read_bytes().startswith(b"%PDF")
    dry_csv = (demo_copy / render["files"][1]["file"]).read_text()
    assert (demo_copy / done["files"][1]["file"]).read_text() == dry_csv  # the same numbers
    assert slack == []


def test_an_email_attaches_the_files_the_run_saved(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The applied run renders once: its e-mail attaches the files `render` saved, byte for byte,
    without drawing the charts or the PDF again."""
    import importlib

    import aiosmtplib

    delivery = importlib.import_module(
        "adops.reports.deliver"
    )  # the module (the package exports the function)

    toml = demo_copy / "adops.toml"
    previous = toml.read_text() if toml.exists() else ""
    toml.write_text(
        previous + '\n[notifications.email]\nhost = "127.0.0.1"\nport = 2525\nstarttls = false\n'
        'from = "adops@example.com"\nto = ["team@example.com"]\n'
    )
    sent: list[Any] = []

    async def fake_send(message: Any, **_: Any) -> None:
        sent.append(message)

    def no_second_render(*_: Any, **__: Any) -> Any:
        raise AssertionError("the delivery rendered the report again")

    monkeypatch.setattr(aiosmtplib, "send", fake_send)
    monkeypatch.setattr(delivery, "render", no_second_render)
    monkeypatch.setattr(delivery, "draw", no_second_render)
    run = _run("performance-report", {"days": 7, "channel": "email", "formats": ["pdf", "csv"]})
    assert run["status"] == "succeeded", run
    saved = next(s for s in run["steps"] if s["name"] == "render")["output"]["files"]
    [mail] = sent
    attached = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
    assert list(attached) == [Path(f["file"]).name for f in saved]
    for f in saved:
        content = attached[Path(f["file"]).name]
        data = content if isinstance(content, bytes) else content.encode()
        assert data == (demo_copy / f["file"]).read_bytes()


def test_a_run_sends_once_without_approval(demo_copy: Path, slack: list[Any]) -> None:
    run = _run("scheduled-report", {"days": 7, "channel": "slack", "title": "Weekly <b>report</b>"})
    assert run["status"] == "succeeded", run
    assert len(slack) == 1 and slack[0][1].title == "Weekly <b>report</b>"
    deliver = next(s for s in run["steps"] if s["name"] == "deliver")
    assert deliver["output"]["sent"] is True and deliver["output"]["channel"] == "slack"


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("scheduled-report", {"days": 7}),  # a schedule must say where to send
        ("performance-report", {"days": 0}),
        ("performance-report", {"days": 5000}),
        ("performance-report", {"start": "2026-11-01"}),
        ("performance-report", {"start": "2026-11-10", "end": "2026-11-01"}),
        ("performance-report", {"formats": ["docx"]}),
        ("performance-report", {"channel": "fax"}),
        ("performance-report", {"title": "x" * 500}),
        ("performance-report", {"platforms": ["myspace"]}),
    ],
)
def test_bad_report_params_are_refused(name: str, params: dict[str, Any]) -> None:
    with pytest.raises(InputError):
        workflows.start(name, params, by="tester")
