"""The A/B testing page run headless with AppTest: list, readout, create, calculator, rollout."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from adops import jobs
from adops.connectors.sandbox import SandboxConnector, init_state, load_world
from adops.experiments import store
from adops.experiments.cli import analyze_document, read_ab_csv

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "ab_testing.py")
CSV = """experiment,variant,users,conversions,weight
headline,A,10000,420,
headline,B,10000,480,
cta,control,5000,100,0.4
cta,v1,5100,130,0.4
cta,v2,2400,50,0.2
"""


def run_page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=90).run()


def texts(elements) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.value for e in elements]


def test_empty_workspace_shows_title_and_empty_state() -> None:
    at = run_page()
    assert not at.exception
    assert at.title[0].value == "A/B testing"
    assert [t.label for t in at.tabs] == ["Experiments", "New experiment", "Calculator"]
    assert any("No experiments yet" in i for i in texts(at.info))
    assert not at.error


def test_demo_experiments_are_listed_with_a_readout(demo: Path) -> None:
    at = run_page()
    assert not at.exception and not at.error
    listed = at.dataframe[0].value
    assert len(listed) == len(load_world().experiments) and set(listed["status"]) == {"Running"}  # a label
    truth = {e.control_ad: e.true_lift for e in load_world().experiments}
    by_lift = {truth[e.control.entity_id]: e.id for e in store.list_experiments()}
    at.selectbox(key="ab-experiment").set_value(by_lift[0.25]).run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Lift"].startswith("+")
    assert {"95% CI", "Chance to win", "Sequential p", "Power now", "Days to 80% power"} <= set(metrics)
    assert any(m.startswith("**new headline** vs control on Conversion rate") for m in texts(at.markdown))
    assert len(at.get("plotly_chart")) == 1
    arms = at.dataframe[1].value  # the variants: account names and labels, not ids and stored words
    account = next(
        a
        for a in load_world().accounts
        if a.id == arms["account"].iloc[0] or a.name == arms["account"].iloc[0]
    )
    assert list(arms["account"]) == [account.name] * len(arms) and list(arms["role"])[0] == "Control"
    assert all(
        name and name != id_ for name, id_ in zip(arms["entity"], arms["entity id"], strict=True)
    )  # named
    captions = " ".join(texts(at.caption))
    assert "Split on plan" in captions and "sequential" in captions
    assert any("not called yet" in i for i in texts(at.info))
    labels = [b.label for b in at.get("download_button")]
    assert "Download counts (adops ab CSV)" in labels


def test_calculator_gives_the_cli_numbers(tmp_path: Path) -> None:
    at = run_page()
    at.text_area(key="calc-text").set_value(CSV).run()
    assert not at.exception and not at.error
    path = tmp_path / "ab.csv"
    path.write_text(CSV)
    cli = analyze_document(read_ab_csv(path), 0.05)  # what `adops ab --input ab.csv --json` prints
    tables = [d.value for d in at.dataframe]
    assert len(tables) == len(cli["experiments"]) == 2
    for table, experiment in zip(tables, cli["experiments"], strict=True):
        assert list(table["variant"]) == [v["variant"] for v in experiment["variants"]]
        for row, v in zip(table.to_dict("records")[1:], experiment["variants"][1:], strict=True):
            for column in ("lift", "lift_ci_low", "lift_ci_high", "p_value", "chance_to_win"):
                assert row[column] == pytest.approx(v[column], rel=1e-9), column
    assert cli["experiments"][0]["variants"][1]["lift"] == pytest.approx(480 / 420 - 1)
    assert any("JSON" in b.label for b in at.get("download_button"))


def test_calculator_reads_an_uploaded_csv(tmp_path: Path) -> None:
    at = run_page()
    at.radio(key="calc-source").set_value("Upload a CSV").run()
    assert any("Upload a CSV" in i for i in texts(at.info))
    at.file_uploader(key="calc-file").set_value(("ab.csv", CSV.encode(), "text/csv")).run()
    assert not at.exception and not at.error
    assert len(at.dataframe) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("variant,users\nA,100\nB,100\n", "missing column 'conversions'"),
        ("variant,users,conversions\nA,100,10\nB,100,120\n", "row 3: conversions (120) exceed users (100)"),
        ("variant,users,conversions\nA,100,ten\nB,100,12\n", "row 2: conversions 'ten' is not a number"),
    ],
)
def test_calculator_bad_input_is_an_error_naming_the_row(text: str, message: str) -> None:
    at = run_page()
    at.text_area(key="calc-text").set_value(text).run()
    assert not at.exception
    assert any(message in e for e in texts(at.error)), texts(at.error)


def test_calculator_flags_a_sample_ratio_mismatch() -> None:
    at = run_page()
    at.text_area(key="calc-text").set_value("variant,users,conversions\nA,10000,400\nB,8000,330\n").run()
    assert any("Sample ratio mismatch" in e for e in texts(at.error))


def fill_form(at: AppTest, name: str, ids: tuple[str, str]) -> AppTest:
    at.text_input(key="new-name").set_value(name)
    at.text_area(key="new-hypothesis").set_value("B lifts CVR")
    for i, entity in enumerate(ids):
        at.selectbox(key=f"new-v{i}-platform").set_value("meta")
        at.text_input(key=f"new-v{i}-account").set_value("act_1")
        at.text_input(key=f"new-v{i}-entity").set_value(entity)
    return at


def test_create_an_experiment_with_the_form() -> None:
    at = run_page()
    fill_form(at, "Headline test", ("111", "112")).run()
    at.button(key="new-create").click().run()
    assert not at.exception and not at.error
    (exp,) = store.list_experiments()
    assert exp.name == "Headline test" and exp.hypothesis == "B lifts CVR" and exp.mde == pytest.approx(0.10)
    assert [v.entity_id for v in exp.variants] == ["111", "112"] and exp.status == "running"
    assert any("Created Headline test" in s for s in texts(at.success))
    assert list(at.dataframe[0].value["experiment"]) == ["Headline test"]
    assert any("No readout yet" in i for i in texts(at.info))


def test_bad_form_input_is_an_error_and_stores_nothing() -> None:
    at = run_page()
    fill_form(at, "", ("111", "112")).run()
    at.button(key="new-create").click().run()
    assert any("give the experiment a name" in e for e in texts(at.error))
    fill_form(at, "Same ad twice", ("111", "111")).run()
    at.button(key="new-create").click().run()
    assert any("already uses ad 111" in e for e in texts(at.error))
    assert store.list_experiments() == []


def test_declare_rehearse_and_approve_a_rollout_on_the_page() -> None:
    init_state(7, date(2026, 11, 24), (3, 5))
    e = load_world().experiments[0]
    mine = store.create(
        "Sandbox test",
        [
            store.Variant("control", e.platform, e.account_id, "ad", e.control_ad),
            store.Variant("new headline", e.platform, e.account_id, "ad", e.treatment_ad),
        ],
        start=e.start,
        end=e.end,
    )
    store.create(  # listed first (newest): the page must stay on the one being called
        "Another test",
        [store.Variant("a", "meta", "act_1", "ad", "1"), store.Variant("b", "meta", "act_1", "ad", "2")],
        start=e.start,
    )
    at = run_page()
    exp_key = mine.id
    at.selectbox(key="ab-experiment").set_value(exp_key).run()
    at.selectbox(key=f"exp-{exp_key}-winner").set_value("new headline").run()
    at.button(key=f"exp-{exp_key}-declare").click().run()
    assert not at.exception and not at.error
    assert store.get(exp_key).status == "winner: new headline"  # type: ignore[union-attr]
    assert any("declared the winner" in s for s in texts(at.success))
    assert at.selectbox(key="ab-experiment").value == exp_key

    # planning reads the platforms: a sidecar job, queued once however often the page reruns
    at.run()
    assert any("Reading the variants' status" in c for c in texts(at.caption))
    assert any("sidecar is not answering" in w for w in texts(at.warning))
    planning = [j for j in jobs.recent(10, kind="experiment.rollout")]
    assert [j.params["action"] for j in planning] == ["plan"]
    drain(at)
    key = f"rollout-{exp_key}"
    assert not at.exception and not at.error, texts(at.error)
    at.button(key=f"{key}-rehearse").click().run()
    drain(at)
    assert any("nothing was sent" in s for s in texts(at.success))
    ads = SandboxConnector(e.platform).ads(e.account_id)
    assert ads.loc[ads.ad_id == e.control_ad, "status"].iloc[0] == "ENABLED"
    assert at.button(key=f"{key}-approve").disabled  # not before "I reviewed this plan"
    at.checkbox(key=f"{key}-confirm").check().run()
    at.button(key=f"{key}-approve").click().run()
    drain(at)
    assert not at.exception and not at.error, texts(at.error)
    ads = SandboxConnector(e.platform).ads(e.account_id)
    assert ads.loc[ads.ad_id == e.control_ad, "status"].iloc[0] == "PAUSED"
    assert store.get(exp_key).status == "rolled out"  # type: ignore[union-attr]
    assert any("Rolled out new headline" in s for s in texts(at.success))
    assert any("Applied since this plan was read" in i for i in texts(at.info))
    at.button(key=f"{key}-refresh").click().run()  # read the platforms again: nothing left to change
    drain(at)
    assert any("Nothing left to change" in i for i in texts(at.info))
    trail = next(d.value for d in at.dataframe if "dry_run" in d.value)  # the audit trail
    assert list(trail["status"]) == ["applied", "rehearsed"] and list(trail["dry_run"]) == [False, True]


def test_an_approval_of_a_plan_that_changed_since_is_refused() -> None:
    from tests.jobs.support import run_next

    init_state(7, date(2026, 11, 24), (3, 5))
    e = load_world().experiments[0]
    mine = store.create(
        "Changed under us",
        [
            store.Variant("control", e.platform, e.account_id, "ad", e.control_ad),
            store.Variant("new headline", e.platform, e.account_id, "ad", e.treatment_ad),
        ],
        start=e.start,
    )
    store.declare_winner(mine.id, "new headline", actor="t", reason="test")
    job = jobs.enqueue(
        "experiment.rollout",
        {"experiment_id": mine.id, "action": "approve", "actor": "t", "fingerprint": "stale"},
    )
    assert run_next() == job
    done = jobs.get(job)
    assert (
        done is not None
        and done.status == "failed"
        and "plan changed since it was reviewed" in str(done.error)
    )
    at = run_page()
    at.selectbox(key="ab-experiment").set_value(mine.id).run()
    assert any(
        "The rollout did not run: the plan changed since it was reviewed" in m for m in texts(at.error)
    )


def drain(at: AppTest) -> None:
    """Run the queued jobs as the sidecar's worker would, then rerun the page."""
    from tests.jobs.support import run_next

    while run_next() is not None:
        pass
    at.run()


def test_a_broken_split_shows_a_loud_srm_banner() -> None:
    from adops.ingest import build_demo

    build_demo(days=45, seed=7, campaigns_per_account=(3, 5))
    e = load_world().experiments[0]
    mine = store.create(
        "Planned 1:3",
        [
            store.Variant("control", e.platform, e.account_id, "ad", e.control_ad, 1),
            store.Variant("new", e.platform, e.account_id, "ad", e.treatment_ad, 3),
        ],
        start=e.start,
        end=e.end,
    )
    at = run_page()
    at.selectbox(key="ab-experiment").set_value(mine.id).run()
    assert not at.exception
    (banner,) = [x for x in texts(at.error) if "Sample ratio mismatch" in x]
    assert "no winner is declared" in banner
    assert not any("not called yet" in i for i in texts(at.info))
