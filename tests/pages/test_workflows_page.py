"""The Workflows page: catalogue, params form, dry run with its diff and timeline, approval with a name
and a confirmation, undo; bad input shown as an error; drawing writes nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from adops import workflows
from adops.connectors.sandbox import SandboxConnector, init_state, load_world
from tests.workflows import support

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "workflows.py")


@pytest.fixture
def sandbox(workspace: Path) -> Path:
    init_state(7, date(2026, 11, 24), (3, 3))
    return workspace


def entities() -> list[dict[str, str]]:
    acc = next(a for a in load_world().accounts if a.platform == "meta")
    frame = SandboxConnector("meta").campaigns(acc.id)
    cid = frame[frame.status == "ENABLED"]["campaign_id"].iloc[0]
    return [{"platform": "meta", "account_id": acc.id, "entity_type": "campaign", "entity_id": cid}]


def page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60).run()


def button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def test_an_empty_workspace_shows_the_catalogue_and_no_runs(sandbox: Path) -> None:
    at = page()
    assert not at.exception and at.title[0].value == "Workflows"
    assert "bulk" in at.selectbox[0].options and "pacing-guard" in at.selectbox[0].options
    assert any("No run yet" in i.value for i in at.info)


def test_every_catalogue_table_is_text_arrow_can_take() -> None:
    """The params' defaults mix None, numbers, lists and text: raw, Arrow refuses the column (and
    Streamlit logs an ArrowTypeError); shown, every cell is text and missing defaults read '–'."""
    import pyarrow as pa

    from pages.components.details import rows_frame

    mixed = 0
    for entry in workflows.catalogue():
        frame = rows_frame(entry["params"])
        assert list(frame.columns) == ["Name", "Type", "Default", "Required", "Description"]
        pa.Table.from_pandas(frame)  # raises on a mixed-type column
        assert all(isinstance(v, str) for v in frame["Default"])
        mixed += len({type(p["default"]) for p in entry["params"]}) > 1
    assert mixed  # the catalogue does have such columns: this test checks something
    report = rows_frame(next(w for w in workflows.catalogue() if w["name"] == "performance-report")["params"])
    row = report.set_index("Name").loc["formats"]
    assert row["Default"] == "html, pdf, csv" and row["Required"] == "No"


def test_the_catalogue_table_shows_defaults_as_text(sandbox: Path) -> None:
    at = page()
    at.selectbox(key="wf-name").set_value("performance-report").run()
    table = at.dataframe[0].value
    assert not at.exception and "Default" in table.columns
    assert table.set_index("Name").loc["days", "Default"] == "7"


def test_bad_params_are_an_error_saying_what_to_fix(sandbox: Path) -> None:
    at = page()
    at.selectbox(key="wf-name").set_value("bulk").run()
    area = next(t for t in at.text_area if t.label == "Params (JSON)")
    area.set_value("{not json").run()
    button(at, "Dry run").click().run()
    assert any("not valid JSON" in e.value for e in at.error)
    area = next(t for t in at.text_area if t.label == "Params (JSON)")
    area.set_value(json.dumps({"reason": "x" * 20_000})).run()
    button(at, "Dry run").click().run()
    assert any("at most 16,000" in e.value for e in at.error)
    area = next(t for t in at.text_area if t.label == "Params (JSON)")
    area.set_value("[1, 2]").run()
    button(at, "Dry run").click().run()
    assert any("JSON object" in e.value for e in at.error)
    area = next(t for t in at.text_area if t.label == "Params (JSON)")
    area.set_value(json.dumps({"action": "zap", "entities": entities()})).run()
    button(at, "Run").click().run()
    assert any("action" in e.value for e in at.error)
    assert workflows.runs() == []


@pytest.mark.parametrize("who", ["", "   ", "Sam\x1b[2J"])
def test_a_run_needs_your_name(sandbox: Path, who: str) -> None:
    at = page()
    at.selectbox(key="wf-name").set_value("bulk").run()
    area = next(t for t in at.text_area if t.label == "Params (JSON)")
    area.set_value(json.dumps({"action": "pause", "entities": entities()})).run()
    at.session_state["wf-who"] = who  # (the box itself caps a name at 100 characters)
    at.run()
    button(at, "Run").click().run()
    assert any("requester" in e.value or "who asks" in e.value for e in at.error), [e.value for e in at.error]
    assert workflows.runs() == []


def test_dry_run_diff_timeline_approve_and_undo(sandbox: Path) -> None:
    at = page()
    at.selectbox(key="wf-name").set_value("bulk").run()
    area = next(t for t in at.text_area if t.label == "Params (JSON)")
    area.set_value(json.dumps({"action": "pause", "entities": entities()})).run()
    at.text_input(key="wf-who").set_value("Sam").run()
    button(at, "Run").click().run()
    assert any("Queued a run of bulk" in s.value for s in at.success)
    [run] = workflows.runs()
    support.run_job(run["run_id"])
    at.run()
    assert not at.exception
    diff = at.dataframe[-1].value
    assert list(diff["After"]) == ["PAUSED"] and list(diff["Status"]) == ["Planned"]  # labelled for people
    assert at.get("plotly_chart")  # the timeline of steps
    # approval needs a name and the confirmation
    button(at, "Approve").click().run()
    assert any("confirmation" in e.value for e in at.error)
    at.text_input(key=f"wf-decider-{run['run_id']}").set_value("  Dana ").run()
    at.checkbox(key=f"wf-confirm-{run['run_id']}").check().run()
    button(at, "Approve").click().run()
    assert any("Approved" in s.value for s in at.success)
    support.run_job(f"{run['run_id']}.apply")
    assert workflows.show(run["run_id"])["approved_by"] == "Dana"
    at.run()
    at.text_input(key=f"wf-decider-{run['run_id']}").set_value("Dana").run()
    at.checkbox(key=f"wf-confirm-{run['run_id']}").check().run()
    button(at, "Undo").click().run()
    assert any("undo" in s.value for s in at.success)
    support.run_job(f"{run['run_id']}.undo")
    assert workflows.show(run["run_id"])["status"] == "undone"


def test_a_preset_prefills_the_params(sandbox: Path) -> None:
    workflows.save_preset("bulk", "pause meta", {"action": "pause", "entities": entities()})
    at = page()
    at.selectbox(key="wf-name").set_value("bulk").run()
    at.selectbox(key="wf-preset-bulk").set_value("pause meta").run()
    area = next(t for t in at.text_area if t.label == "Params (JSON)")
    assert json.loads(area.value)["action"] == "pause"


def test_the_analysis_selection_prefills_a_bulk_run(sandbox: Path) -> None:
    ent = entities()[0]
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["workflows-bulk"] = {"action": "pause", "entities": [ent]}
    at.run()
    assert at.selectbox(key="wf-name").value == "bulk"
    area = next(t for t in at.text_area if t.label == "Params (JSON)")
    assert json.loads(area.value)["entities"] == [ent]


def test_the_bulk_action_component_offers_only_campaigns_ad_groups_and_ads() -> None:
    from pages.components.workflow_run import LEVELS

    def draw(selection: list[tuple[str, str, str, str]]) -> None:
        from pages.components.workflow_run import bulk_action

        bulk_action(selection)

    at = AppTest.from_function(draw, args=([("meta", "1", "platform", "meta")],)).run()
    assert not at.button  # nothing to act on
    at = AppTest.from_function(draw, args=([("meta", "1", "campaign", "2"), ("meta", "1", "ad", "3")],)).run()
    assert at.button[0].label == "Review 2 entities as a workflow run" and "campaign" in LEVELS
