"""The Templates page: catalogue, per-platform preview and violations, saving a custom template
through the form's callback, hostile input refused with st.error, and a launch as a dry run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from adops import store, templates, workflows

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "templates.py")


def run_page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60).run()


def test_catalogue_preview_and_a_clean_template(workspace: Path) -> None:
    at = run_page()
    assert not at.exception and at.title[0].value == "Templates"
    names = list(at.dataframe[0].value["name"])
    assert {"black-friday", "saas", "lead-generation"} <= set(names)
    at.selectbox(key="templates-pick").set_value("saas").run()
    at.selectbox(key="templates-platform").set_value("linkedin").run()
    levels = at.dataframe[1].value
    assert list(levels["level"]) == ["campaign group", "campaign", "creative"]
    assert "LEAD_GENERATION" in levels["settings"].iloc[1]
    assert at.success and "LinkedIn" in at.success[0].value and not at.warning


def test_violations_show_one_warning_each(workspace: Path) -> None:
    at = run_page()
    at.selectbox(key="templates-pick").set_value("traffic").run()
    at.selectbox(key="templates-platform").set_value("tiktok").run()
    at.selectbox(key="templates-currency").set_value("JPY").run()
    assert len(at.warning) == 2  # the campaign's minimum and the ad group's
    assert all("daily_budget" in w.value and "JPY" in w.value for w in at.warning)
    assert [i.value.split("needs: ")[1][:20] for i in at.info] == [
        "the ad needs tiktok.",
        "the ad needs tiktok.",
    ]


def test_save_a_custom_template_from_the_form(workspace: Path) -> None:
    at = run_page()
    at.selectbox(key="templates-pick").set_value("holiday").run()
    prefix = "templates-form-holiday"
    at.text_input(key=f"{prefix}-name").set_value("winter-gifts")
    at.text_input(key=f"{prefix}-campaign_name").set_value("Winter gifts ❄ <b>bold</b>")
    at.text_input(key=f"{prefix}-by").set_value("Dana")
    at.button[1].click().run()  # the form's submit button (the first is the launch)
    assert not at.exception and at.success and "winter-gifts" in at.success[0].value
    saved = templates.get("winter-gifts")
    assert saved.category == "custom" and saved.campaign_name == "Winter gifts ❄ <b>bold</b>"
    at.selectbox(key="templates-category").set_value("custom").run()
    assert list(at.dataframe[0].value["name"]) == ["winter-gifts"]


def test_the_form_keeps_headlines_countries_and_assets(workspace: Path) -> None:
    at = run_page()
    at.selectbox(key="templates-pick").set_value("black-friday").run()
    prefix = "templates-form-black-friday"
    at.text_input(key=f"{prefix}-name").set_value("bf-real")
    at.text_area(key=f"{prefix}-countries").set_value("de\nFR\n")
    at.text_area(key=f"{prefix}-assets").set_value("meta.page_id = 1023456789\n tiktok.video_id=v1 ")
    at.button[1].click().run()
    assert not at.exception and at.success, [e.value for e in at.error]
    saved = templates.get("bf-real")
    assert saved.more_headlines == templates.get("black-friday").more_headlines  # kept from the base
    assert saved.countries == ("DE", "FR")
    assert saved.assets == {"meta.page_id": "1023456789", "tiktok.video_id": "v1"}


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("assets", "meta.page_id 123", "write one"),
        ("assets", "myspace.page = 1", "assets"),
        ("countries", "United States", "countries"),
        ("more_headlines", "\n".join(["h"] * 20), "headlines"),
    ],
)
def test_bad_lists_in_the_form_are_an_error_saying_what_to_fix(
    workspace: Path, field: str, value: str, needle: str
) -> None:
    at = run_page()
    prefix = "templates-form-awareness"
    at.text_area(key=f"{prefix}-{field}").set_value(value)
    at.button[1].click().run()
    assert not at.exception and at.error and needle in at.error[0].value
    assert templates.catalogue("custom") == []


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("name", "../etc", "name"),
        ("landing_url", "javascript:alert(1)", "landing"),
        ("campaign_name", "", "campaign"),
    ],
)
def test_bad_form_input_is_an_error_saying_what_to_fix(
    workspace: Path, field: str, value: str, needle: str
) -> None:
    at = run_page()
    prefix = "templates-form-awareness"
    at.text_input(key=f"{prefix}-{field}").set_value(value)
    at.button[1].click().run()
    assert not at.exception and at.error and needle in at.error[0].value
    assert templates.catalogue("custom") == []


def test_saving_twice_is_refused_not_overwritten(workspace: Path) -> None:
    at = run_page()
    at.button[1].click().run()
    at.button[1].click().run()
    assert at.error and "exists" in at.error[0].value


def test_launch_starts_a_dry_run_of_campaign_launch(demo_home: Path, workspace: Path) -> None:
    shutil.copytree(demo_home, workspace, dirs_exist_ok=True)
    store.reset()
    at = run_page()
    at.selectbox(key="templates-pick").set_value("local-services").run()
    at.button(key="templates-launch").click().run()
    assert not at.exception
    run = workflows.runs(limit=1)[0]
    assert run["workflow"] == "campaign-launch" and run["dry_run"] is True
    assert run["params"]["template"] == "local-services"

    from tests.jobs import support

    support.run(run["run_id"])
    at.run()
    assert not at.exception
    changes = at.dataframe[-1].value
    assert set(changes["platform"]) == {"Google Ads", "Meta", "Microsoft Ads"}
    assert changes["change"].str.startswith("create campaign 'Local - near you', paused").sum() == 3
    assert changes["change"].str.startswith("create ad group 'Nearby people' in it, paused").sum() == 3
    assert changes["change"].str.startswith("create ad 'Book today' in it, paused").sum() == 3
    assert changes["change"].str.contains("PAUSED → ENABLED").sum() == 9  # ad group, ad, campaign
