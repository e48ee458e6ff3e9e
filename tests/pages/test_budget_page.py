"""The Budget page run headless with AppTest: empty state, curves and allocation, the plan flow."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from adops import jobs, store, warehouse
from tests.jobs.support import run_next

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "budget.py")


def run_page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=120).run()


def test_empty_workspace_shows_a_helpful_empty_state() -> None:
    at = run_page()
    assert not at.exception
    assert at.title[0].value == "Budget"
    assert any("warehouse is empty" in i.value for i in at.info)


def test_demo_curves_allocation_and_plan_flow(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the demo workspace is shared: plans and audit rows go to this test's own store
    monkeypatch.setenv("ADOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'store.sqlite'}")
    store.reset()
    earlier = {j.id for j in jobs.recent(100, kind="optimize.fit")}  # the demo home is shared
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    at.multiselect(key="budget-platforms").set_value(["linkedin"]).run()
    # no fits yet for this snapshot and scope: the page offers to fit them; the button queues the job
    assert not at.exception, at.exception
    assert not at.metric and {j.id for j in jobs.recent(100, kind="optimize.fit")} == earlier
    at.button(key="budget-fit").click().run()
    fit = jobs.recent(1, kind="optimize.fit")[0]
    assert fit.id not in earlier and fit.status == "queued"
    assert any("Fitting response curves in the background" in p.text for p in at.get("progress"))
    assert any("sidecar is not answering" in w.value for w in at.warning)
    while run_next() is not None:  # what the sidecar's worker does
        pass
    at.run()
    assert not at.exception, at.exception
    assert [m.label for m in at.metric][:4] == [
        "Daily budget (USD)",
        "Expected conversions/day",
        "Current split",
        "Uplift",
    ]
    assert len(at.get("plotly_chart")) == 2  # waterfall and response curve
    assert any(i.value.startswith("No budget plans") for i in at.info)
    at.slider(key="budget-change").set_value(10).run()
    assert not at.exception
    at.button(key="plan-save").click().run()
    assert any("Saved plan #1" in s.value for s in at.success)
    at.button(key="plan-dry").click().run()
    # the dry run reads the platforms' budgets: a sidecar job, shown in progress until it is done
    assert jobs.recent(1, kind="budget_plan.run")[0].params == {
        "plan_id": 1,
        "action": "dry_run",
        "actor": "analyst",
    }
    assert any("Dry run in the background" in p.text for p in at.get("progress"))
    assert at.button(key="plan-apply").disabled
    while run_next() is not None:
        pass
    at.run()
    assert any("Dry run: nothing changed" in s.value for s in at.success), [e.value for e in at.error]
    # the dry run's steps, the plan's lines and the audit trail name what they change (no channel keys)
    names = set(
        warehouse.query("SELECT campaign_name FROM campaigns WHERE platform = 'linkedin'")["campaign_name"]
    )
    tables = [d.value for d in at.dataframe if "campaign" in d.value.columns]
    assert len(tables) == 3, [list(d.value.columns) for d in at.dataframe]
    for table in tables:
        assert set(table["platform"]) == {"LinkedIn"} and set(table["campaign"]) <= names
        assert "channel" not in table.columns
        assert not any(str(v).startswith("linkedin:") for v in table.astype(str).to_numpy().ravel())
    assert set(tables[0]["status"]) <= {"Rehearsed", "Done", "Waiting", "Skipped"}
    # an approval names someone: a blank name is an error saying so, not an exception
    at.text_input(key="plan-actor").set_value("   ").run()
    at.button(key="plan-approve").click().run()
    assert not at.exception, at.exception
    assert any("a name is required" in e.value for e in at.error), [e.value for e in at.error]
    assert at.metric[4].value == "Draft"  # a label, not the stored status
    at.text_input(key="plan-actor").set_value("Dana").run()
    at.button(key="plan-approve").click().run()
    assert at.metric[4].value == "Approved"
    assert any("approved by Dana" in c.value for c in at.caption)
    labels = [getattr(b, "label", "") for b in at.get("download_button")]
    assert "Download allocation (CSV)" in labels and "Download audit trail (CSV)" in labels
