"""The documentation site builds strictly (a broken link or a missing page fails), and its generated
reference pages say what the code says: every command, route, table, event type and job kind."""

from __future__ import annotations

import importlib.util
import json
import os
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "docs_reference_hooks", ROOT / "mkdocs_hooks" / "reference.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = _hooks()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make docs` into a temporary folder, strict, as `make test` runs it."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    out = tmp_path_factory.mktemp("site")
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    config = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(out), strict=True)
    build(config)  # raises on any warning (broken link, page missing from disk, bad anchor)
    return out


def test_the_site_builds_strictly_with_every_generated_page(site: Path) -> None:
    for page in hooks.PAGES:
        assert (site / page.replace(".md", ".html")).stat().st_size > 1000, page
    assert json.loads((site / "reference" / "openapi.json").read_text())["openapi"].startswith("3.1")
    for page in ("index", "getting-started", "deployment", "operations", "security", "cli", "configuration"):
        assert (site / f"{page}.html").exists(), page


def test_the_cli_reference_lists_every_command_and_option(site: Path) -> None:
    from adops import cli
    from tests.test_docs import command_paths

    html = (site / "reference" / "cli.html").read_text()
    names = hooks.command_names()
    assert {f"adops {p}" for p in command_paths(cli.app)} <= set(names)
    for name in names:
        assert f"<code>{name}</code>" in html, name
    assert "--max-rows" in html and "--platform" in html


def test_reference_pages_name_every_route_table_event_and_kind(site: Path) -> None:
    from adops.jobs.kinds import KINDS
    from adops.sidecar.openapi import document
    from adops.store.models import Base
    from adops.warehouse.tables import TABLES

    http = (site / "reference" / "http-api.html").read_text()
    for path, item in document()["paths"].items():
        for method in item:
            assert f"{method.upper()} {path}" in http, (method, path)
    warehouse = (site / "reference" / "warehouse-schema.html").read_text()
    assert all(f"<code>{t}</code>" in warehouse for t in TABLES)
    hooks._import_models()
    store = (site / "reference" / "store-schema.html").read_text()
    assert all(f"<code>{t}</code>" in store for t in Base.metadata.tables)
    events = (site / "reference" / "events.html").read_text()
    catalogue = hooks.event_catalogue()
    for known in ("sync.finished", "job.queued", "job.failed", "webhook.received", "webhook.triggered"):
        assert known in catalogue, known
    assert all(f"<code>{t}</code>" in events for t in catalogue if t != "<dynamic>")
    workflows = (site / "reference" / "workflows.html").read_text()
    assert all(f"<code>{k}</code>" in workflows for k in KINDS)


def test_the_event_scanner_finds_each_way_an_event_is_published(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text(
        textwrap.dedent(
            """
            TRIGGERED = "x.triggered"
            REJECTED = "x.rejected"

            def _publish(type, data):
                return events.publish(type, data)          # a wrapper: skipped, its callers count

            def helper():
                return {"a": 1, "b": 2}

            def f(dry, ok):
                events.publish("x.plain", {"k": 1, **{"spread": 2}})
                _publish("x.wrapped", helper())
                step("s", _publish, "x.step", {"job_id": 1})
                events.publish("x." + ("dry" if dry else "wet"), {"n": 1})
                kind = "done" if ok else "failed"
                events.publish(f"x.f.{kind}", {"m": 1})
                base = {"source": 1}
                if ok:
                    t, d = TRIGGERED, {**base, "job": 1}
                else:
                    t, d = REJECTED, {**base, "error": 1}
                _publish(t, d)
                conn.execute(INSERT, {"type": "x.row", "data": helper(), "created_at": 0})
                _publish(compute(), {})
            """
        )
    )
    (package / "records.py").write_text(
        "def publish(type, run, **data):\n    return events.publish(type, {'run_id': run.id, **data})\n"
        "def finish(status):\n"
        "    publish({'ok': 'x.ok', 'failed': 'x.failed'}[status], run, error=None, severity='info')\n"
    )
    (package / "peers.py").write_text(
        "def _publish(executor, ids):\n    events.publish('x.recovered', {'ids': ids})\n"
        "def recover():\n    _publish('worker-1', [1])\n"
    )
    found = hooks.event_catalogue(package)
    assert found["x.ok"]["fields"] == found["x.failed"]["fields"] == ["error", "run_id", "severity"]
    assert found["x.recovered"]["fields"] == ["ids"] and "worker-1" not in found
    assert found["x.plain"]["fields"] == ["k", "spread"]
    assert found["x.wrapped"]["fields"] == ["a", "b"]
    assert found["x.step"]["fields"] == ["job_id"]
    assert {"x.dry", "x.wet", "x.f.done", "x.f.failed"} <= set(found)
    assert found["x.triggered"]["fields"] == ["job", "source"]
    assert found["x.rejected"]["fields"] == ["error", "source"]
    assert found["x.row"]["fields"] == ["a", "b"]
    line = (package / "m.py").read_text().splitlines().index("    _publish(compute(), {})") + 1
    assert found["<dynamic>"]["where"] == [f"pkg/m.py:{line}"]
    assert "type" not in found and "t" not in found


def test_a_new_docs_page_joins_the_nav_without_an_edit(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "guide").mkdir(parents=True)
    (docs / "index.md").write_text("# Home\n")
    (docs / "scale.md").write_text("# Scaling out\n\nText.\n")
    (docs / "guide" / "new_page.md").write_text("No heading\n")
    config: dict[str, Any] = {
        "docs_dir": str(docs),
        "nav": [{"Home": "index.md"}, {"User guide": [{"A": "index.md"}]}],
    }
    hooks.on_config(config)
    guide = config["nav"][1]["User guide"]
    assert {"Scaling out": "scale.md"} in guide and {"New page": "guide/new_page.md"} in guide


def test_mkdocs_config_is_strict_and_checks_links() -> None:
    from mkdocs.config import load_config

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    config = load_config(str(ROOT / "mkdocs.yml"))
    assert config["strict"] is True
    assert config["validation"]["links"]["unrecognized_links"] >= 30  # logging.WARNING: fails under strict
