"""Every page in app.py's menu, in headless chromium against the app as `make run` starts it on a demo
workspace: it draws its content with no exception, and axe-core finds no serious or critical WCAG 2.1 AA
violation. Pages are read from app.py, so a page added to the menu is covered without an edit here.
Then key flows on the same app (filter the Overview, create an experiment, approve a budget plan and dry
run it, run a workflow with approval and undo it), each ending with axe on the page as the flow left it.
One app start for the whole module keeps the browser suite short.

Screenshots and each page's axe report are kept in test-artifacts/browser/ (git-ignored; set
ADOPS_TEST_ARTIFACTS to put them elsewhere), with the seconds each page took to draw (recorded, not
asserted: speed lives in benchmarks/).
"""

from __future__ import annotations

import ast
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser import MARKS, command_center, launch

pytestmark = MARKS
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("ADOPS_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "browser"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: Streamlit's own "Running… Stop" header widget, shown only while a script or fragment reruns (its grey
#: "Stop" is 2.46:1): not the project's content, and present or not by timing alone
NOT_OURS = {"exclude": [["[data-testid='stStatusWidget']"]]}
BLOCKING = {"serious", "critical"}
#: what a drawn page shows beyond its title: a table, a chart, a KPI, a message, a form or a button
CONTENT = ", ".join(
    f'[data-testid="{t}"]'
    for t in (
        "stDataFrame",
        "stTable",
        "stPlotlyChart",
        "stMetric",
        "stAlert",
        "stForm",
        "stButton",
        "stExpander",
    )
)


@dataclass(frozen=True)
class MenuPage:
    """One `st.Page(...)` of app.py's menu: its file, title and URL path."""

    script: str
    title: str
    url_path: str


def menu_pages(app: Path = ROOT / "app.py") -> list[MenuPage]:
    """The pages app.py puts in its menu, read from its `st.Page(...)` calls (not run)."""
    pages = []
    for node in ast.walk(ast.parse(app.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page" and node.args:
            script = ast.literal_eval(node.args[0])
            kw = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
            default = Path(script).stem
            path = "" if kw.get("default") else kw.get("url_path", default)
            pages.append(MenuPage(script, kw.get("title", default), path))
    return pages


PAGES = menu_pages()
#: pages whose content is computed after each sync, checked once it is: the element that shows it
COMPUTED = {"forecast": "stPlotlyChart", "budget": "stMetric"}
#: the follow-up jobs of a sync those pages show (adops.launcher.warm_up queues them for the demo)
FOLLOW_UPS = ("forecast.run", "optimize.fit")


def follow_ups_done(home: Path, timeout_s: float = 600) -> None:
    """Wait until the sidecar has run the sync's follow-ups on the app's workspace (queued at start)."""
    from adops import jobs, store
    from adops.jobs.api import FINISHED

    saved = os.environ.get("ADOPS_HOME")
    os.environ["ADOPS_HOME"] = str(home)
    store.reset()
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            found = [j for kind in FOLLOW_UPS for j in jobs.recent(20, kind=kind)]
            if found and all(j.status in FINISHED for j in found):
                assert {j.kind for j in found} == set(FOLLOW_UPS), [(j.kind, j.status) for j in found]
                assert all(j.status == "done" for j in found), [(j.kind, j.status, j.error) for j in found]
                return
            assert time.monotonic() < deadline, [(j.kind, j.status) for j in found]
            time.sleep(1)
    finally:
        if saved is None:
            os.environ.pop("ADOPS_HOME", None)
        else:
            os.environ["ADOPS_HOME"] = saved
        store.reset()


def test_pages_draw_no_vega_charts() -> None:
    """Streamlit's native charts are Vega SVGs without an accessible name (axe svg-img-alt): use plotly
    with a title."""
    vega = re.compile(r"\.(line_chart|bar_chart|area_chart|scatter_chart|altair_chart|vega_lite_chart)\(")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "pages").rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if vega.search(line)
    ]
    assert not found, found


def test_the_menu_is_read_from_app_py() -> None:
    assert PAGES and PAGES[0].url_path == "" and PAGES[0].title == "Overview"
    assert all((ROOT / p.script).exists() for p in PAGES), [p.script for p in PAGES]
    assert len({p.url_path for p in PAGES}) == len(PAGES)


@pytest.fixture(scope="module")
def app_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("a11y-home")


@pytest.fixture(scope="module")
def app_url(app_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo workspace and `make run` on free ports, once for every test of this module."""
    home = app_home
    saved = {k: os.environ.get(k) for k in ("ADOPS_HOME", "ADOPS_TODAY", "ADOPS_SIDECAR_URL")}
    os.environ.update(ADOPS_HOME=str(home), ADOPS_TODAY="2026-11-24")
    os.environ.pop("ADOPS_SIDECAR_URL", None)  # the launcher points the app at its own sidecar
    try:
        from adops import store
        from adops.ingest import build_demo

        store.reset()
        assert build_demo(days=60, seed=7, campaigns_per_account=(3, 5)).status == "success"
        # what `make run` queues after building the demo (a sync's follow-ups): the sidecar computes the
        # Forecast page's default forecast and the Budget page's fits while the first pages are checked
        from adops.launcher import warm_up

        warm_up()
        with command_center(tmp_path_factory.mktemp("a11y-log") / "launcher.log") as (port, _):
            yield f"http://127.0.0.1:{port}"
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def browser_page(app_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url)  # the first visit starts the app's session; every later page reuses it
        page.get_by_role("heading", level=1).first.wait_for(timeout=120_000)
        yield page
        browser.close()


@pytest.mark.parametrize("menu_page", PAGES, ids=[p.url_path or "overview" for p in PAGES])
def test_page_draws_its_content_and_passes_axe(
    menu_page: MenuPage, app_url: str, app_home: Path, browser_page: Any
) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    page = browser_page
    name = menu_page.url_path or "overview"
    if menu_page.url_path in COMPUTED:  # their computed state, as a person sees it after a sync
        follow_ups_done(app_home)
    started = time.monotonic()
    page.goto(f"{app_url}/{menu_page.url_path}")
    expect(page.get_by_role("heading", level=1, name=menu_page.title)).to_be_visible(timeout=30_000)
    main = page.get_by_test_id("stMain")
    expect(main.locator(CONTENT).first).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)  # the script finished
    if main.get_by_test_id("stPlotlyChart").count():
        expect(main.locator(".main-svg").first).to_be_visible(timeout=30_000)  # plotly draws after the script
    drawn_s = time.monotonic() - started
    expect(page.get_by_test_id("stException")).to_have_count(0)
    if menu_page.url_path in COMPUTED:  # the result at once: no job to wait for on this visit
        expect(main.get_by_test_id(COMPUTED[menu_page.url_path]).first).to_be_visible()
        expect(main.get_by_test_id("stProgress")).to_have_count(0)
    charts = main.get_by_test_id("stPlotlyChart")
    untitled = [i for i in range(charts.count()) if not charts.nth(i).locator(".gtitle").all_text_contents()]
    assert not untitled, f"{menu_page.title}: charts {untitled} have no title (their accessible name)"

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settle(page)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    report = Axe().run(page, NOT_OURS, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
    violations = report.response["violations"]
    (ARTIFACTS / f"{name}.axe.json").write_text(
        json.dumps(
            {"page": menu_page.title, "drawn_s": round(drawn_s, 2), "violations": violations}, indent=2
        )
    )
    blocking = [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])}x): {v['help']} e.g. {v['nodes'][0]['target']}"
        for v in violations
        if v["impact"] in BLOCKING
    ]
    assert not blocking, f"{menu_page.title}: " + "; ".join(blocking)


# --- key flows, after every page was checked (they change the workspace and the session) ---


@pytest.mark.parametrize("path", ["", "analysis"], ids=["overview", "analysis"])
def test_flow_a_typed_invalid_date_shows_an_error_and_hides_stale_numbers(
    path: str, app_url: str, browser_page: Any
) -> None:
    """Streamlit's date widget keeps a refused typed date to itself (the script never sees it): the
    page must still say what to fix, and not go on showing the previous range's numbers."""
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{app_url}/{path}")
    main = page.get_by_test_id("stMain")
    tiles = main.get_by_test_id("stMetric").filter(visible=True)
    expect(tiles.first).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
    error = main.get_by_role("alert").filter(has_text="The date range is not valid")
    expect(error).to_be_hidden()

    month = page.get_by_role("spinbutton", name="month, Date range start date")
    month.click()
    page.keyboard.type("12")  # December: after the data's last day, refused by the widget
    page.keyboard.press("Tab")
    expect(error).to_be_visible(timeout=10_000)
    expect(error).to_contain_text("between 20")  # says which dates to type
    expect(tiles).to_have_count(0)
    expect(main.get_by_test_id("stPlotlyChart").filter(visible=True)).to_have_count(0)
    expect(main.get_by_test_id("stDataFrame").filter(visible=True)).to_have_count(0)
    axe_clean(page, f"invalid-date-{path or 'overview'}")

    day = page.get_by_role("spinbutton", name="day, Date range start date")
    month.click()
    page.keyboard.type("11")
    day.click()
    for _ in range(2):
        page.keyboard.press("Backspace")  # a date left incomplete: the same error
    page.keyboard.press("Tab")
    expect(error).to_be_visible(timeout=10_000)
    expect(tiles).to_have_count(0)

    day.click()
    page.keyboard.type("01")  # a whole, valid range again: the numbers are back, for it
    page.keyboard.press("Tab")
    expect(error).to_be_hidden(timeout=10_000)
    expect(tiles.first).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def settle(page: Any) -> None:
    """Wait until no CSS animation or transition runs: a message fading in is measured at its final
    colours, not half transparent."""
    page.wait_for_function(
        "document.getAnimations().every(a => a.playState !== 'running')", timeout=10_000, polling=100
    )


def axe_clean(page: Any, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settle(page)
    page.screenshot(path=str(ARTIFACTS / f"flow-{name}.png"), full_page=True)
    violations = (
        Axe()
        .run(page, NOT_OURS, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
        .response["violations"]
    )
    (ARTIFACTS / f"flow-{name}.axe.json").write_text(
        json.dumps({"flow": name, "violations": violations}, indent=2)
    )
    blocking = [
        f"{v['id']} ({len(v['nodes'])}x): {v['help']} e.g. {v['nodes'][0]['target']}: "
        f"{' '.join(v['nodes'][0].get('failureSummary', '').split())}"
        for v in violations
        if v["impact"] in BLOCKING
    ]
    assert not blocking, f"{name}: " + "; ".join(blocking)


def test_flow_filter_the_overview_to_one_platform(app_url: str, browser_page: Any) -> None:
    from playwright.sync_api import expect

    url, page = app_url, browser_page
    page.goto(url)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=60_000)
    expect(page.locator(".legendtext").first).to_be_visible(timeout=30_000)
    assert {"Meta", "TikTok"} <= set(page.locator(".legendtext").all_text_contents())

    page.get_by_role("combobox", name="Platforms").click()
    page.get_by_role("option", name="Meta", exact=True).click()
    page.keyboard.press("Escape")
    # the charts redraw with Meta alone; the tiles stay
    expect(page.locator(".legendtext").filter(has_text="TikTok")).to_have_count(0, timeout=30_000)
    expect(page.locator(".legendtext").filter(has_text="Meta").first).to_be_visible()
    expect(page.get_by_test_id("stMetricLabel").filter(has_text="Spend").first).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    axe_clean(page, "overview-filtered")


def test_flow_create_an_experiment(
    app_url: str, app_home: Path, browser_page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect

    url, page = app_url, browser_page
    page.goto(f"{url}/ab_testing")
    expect(page.get_by_role("heading", name="A/B testing")).to_be_visible(timeout=60_000)
    page.get_by_role("tab", name="New experiment").click()
    name = "Browser flow: headline test"
    page.get_by_role("textbox", name="Name").first.fill(name)
    page.get_by_role("textbox", name="Hypothesis").fill("A benefit-led headline lifts conversions by 10%.")
    page.get_by_role("textbox", name="Hypothesis").press("Tab")  # commit the text before the click
    page.get_by_role("button", name="Create experiment").click()
    expect(page.get_by_text(f"Created {name}")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    axe_clean(page, "experiment-created")

    # stored in the app's workspace, once
    from adops import store
    from adops.experiments import store as experiments

    monkeypatch.setenv("ADOPS_HOME", str(app_home))
    store.reset()
    assert [e.name for e in experiments.list_experiments()].count(name) == 1


#: elements as drawn now: during a rerun the previous ones stay on screen, marked stale, until replaced
FRESH = '[data-testid="stElementContainer"][data-stale="false"]'


def sandbox_budgets() -> dict[str, float]:
    """Every sandbox campaign's daily budget today, read through the connector as a sync reads it."""
    from adops.connectors.sandbox import SandboxConnector, load_world

    world = load_world()
    budgets: dict[str, float] = {}
    for acc in world.accounts:
        frame = SandboxConnector(acc.platform, world).campaigns(acc.id)
        for cid, budget in zip(frame["campaign_id"], frame["daily_budget"], strict=True):
            budgets[f"{acc.platform}:{cid}"] = float(budget)
    return budgets


def test_flow_approve_a_budget_plan_and_dry_run_it(
    app_url: str, app_home: Path, browser_page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect

    from adops import store

    monkeypatch.setenv("ADOPS_HOME", str(app_home))
    store.reset()
    page = browser_page
    page.goto(f"{app_url}/budget")
    expect(page.get_by_role("heading", name="Budget", exact=True)).to_be_visible(timeout=60_000)
    fresh = page.get_by_test_id("stMain").locator(FRESH)
    fit = fresh.get_by_role("button", name="Fit the response curves")
    daily = fresh.get_by_test_id("stMetricLabel").filter(has_text="Daily budget").first
    expect(fit.or_(daily).first).to_be_visible(timeout=60_000)
    if fit.is_visible():  # no fits for the demo yet: the sidecar fits them while the page follows
        fit.click()
    expect(daily).to_be_visible(timeout=180_000)

    fresh.get_by_role("button", name="Save as draft plan").click()
    expect(fresh.get_by_text(re.compile(r"Saved plan #\d+ as a draft"))).to_be_visible(timeout=30_000)
    status = fresh.get_by_test_id("stMetric").filter(has_text="Status")
    expect(status).to_contain_text(re.compile("draft", re.I))

    # an approval names someone: blank is refused with an error saying so, and the plan stays a draft
    who = fresh.get_by_role("textbox", name="Your name", exact=True)
    who.fill("   ")
    who.press("Tab")  # commit the text before the click
    fresh.get_by_role("button", name="Approve").click()
    expect(fresh.get_by_test_id("stAlert").filter(has_text="a name is required")).to_be_visible(
        timeout=30_000
    )
    expect(status).to_contain_text(re.compile("draft", re.I))
    who.fill("Browser Tester")
    who.press("Tab")
    fresh.get_by_role("button", name="Approve").click()
    expect(status).to_contain_text(re.compile("approved", re.I), timeout=30_000)
    expect(fresh.get_by_text("approved by Browser Tester")).to_be_visible()

    before = sandbox_budgets()
    fresh.get_by_role("button", name="Dry run").click()  # a sidecar job that reads the platforms' budgets
    done = fresh.get_by_test_id("stAlert").filter(has_text="Dry run: nothing changed.")
    expect(done).to_be_visible(timeout=120_000)
    changes = int(re.search(r"(\d+) budget change", done.inner_text()).group(1))  # type: ignore[union-attr]
    assert changes > 0, done.inner_text()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)  # the script finished
    axe_clean(page, "budget-plan-dry-run")

    # the rehearsal wrote nothing to any platform, and the plan is still approved, not applying
    from adops.optimize.plans import list_plans

    assert sandbox_budgets() == before
    [plan] = [p for p in list_plans() if p.approved_by == "Browser Tester"]
    assert plan.status == "approved" and plan.first_applied_at is None


def test_flow_run_a_workflow_with_approval_then_undo_it(
    app_url: str, app_home: Path, browser_page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect

    from adops import store, workflows
    from adops.connectors.sandbox import SandboxConnector, load_world

    monkeypatch.setenv("ADOPS_HOME", str(app_home))
    store.reset()
    acc = next(a for a in load_world().accounts if a.platform == "meta")
    campaigns = SandboxConnector("meta").campaigns(acc.id)
    cid = str(campaigns[campaigns.status == "ENABLED"]["campaign_id"].iloc[0])
    key = f"meta:{cid}"
    before = sandbox_budgets()
    params = {
        "action": "budget",
        "percent": 20,
        "reason": "browser flow",
        "entities": [{"platform": "meta", "account_id": acc.id, "entity_type": "campaign", "entity_id": cid}],
    }

    page = browser_page
    page.goto(f"{app_url}/workflows")
    expect(page.get_by_role("heading", name="Workflows", exact=True)).to_be_visible(timeout=60_000)
    fresh = page.get_by_test_id("stMain").locator(FRESH)
    page.get_by_role("combobox", name="Workflow").click()
    page.get_by_role("option", name="bulk", exact=True).click()
    box = fresh.get_by_role("textbox", name="Params (JSON)")
    expect(box).to_contain_text('"action"', timeout=30_000)  # the bulk form is drawn
    box.fill(json.dumps(params))
    box.press("Tab")  # commit the text before the click
    review = fresh.locator("p").filter(has_text=re.compile(r"^bulk · "))

    # the dry run (a run names who asks): its diff, and nothing changed
    fresh.get_by_role("textbox", name="Your name", exact=True).fill("Browser Tester")
    fresh.get_by_role("textbox", name="Your name", exact=True).press("Tab")
    fresh.get_by_role("button", name="Dry run").click()
    expect(fresh.get_by_text(re.compile(r"Queued a dry run of bulk"))).to_be_visible(timeout=30_000)
    expect(review).to_have_text(re.compile(r"^bulk · succeeded · dry run", re.I), timeout=60_000)
    expect(fresh.get_by_role("heading", name="Changes it would make")).to_be_visible()
    expect(fresh.get_by_test_id("stDataFrame").last).to_be_visible()
    [dry] = workflows.runs(5, workflow="bulk")
    assert dry["dry_run"] and [c["status"] for c in dry["changes"]] == ["planned"]
    assert sandbox_budgets() == before

    # the run waits for a named approval with the confirmation ticked, then changes the budget
    fresh.get_by_role("button", name="Run", exact=True).click()
    queued = fresh.get_by_test_id("stAlert").filter(has_text="Queued a run of bulk")
    expect(queued).to_be_visible(timeout=30_000)
    rid = re.search(r"Queued a run of bulk: (\S+)\.", queued.inner_text()).group(1)  # type: ignore[union-attr]
    expect(review).to_have_text(re.compile(r"^bulk · awaiting.approval", re.I), timeout=60_000)
    fresh.get_by_role("textbox", name="Your name (goes into the audit trail)").fill("Browser Tester")
    fresh.get_by_role("textbox", name="Your name (goes into the audit trail)").press("Tab")
    fresh.get_by_text("I reviewed the 1 change(s) above").click()
    fresh.get_by_role("button", name="Approve").click()
    expect(fresh.get_by_text(f"Approved {rid} as Browser Tester")).to_be_visible(timeout=30_000)
    expect(review).to_have_text(re.compile(r"^bulk · succeeded", re.I), timeout=120_000)
    run = workflows.show(rid)
    assert run["status"] == "succeeded" and run["approved_by"] == "Browser Tester"
    assert sandbox_budgets()[key] == pytest.approx(before[key] * 1.2, rel=0.01)

    # undo, with a name and the confirmation: the budget is back
    fresh.get_by_role("textbox", name="Your name (goes into the audit trail)").fill("Browser Tester")
    fresh.get_by_role("textbox", name="Your name (goes into the audit trail)").press("Tab")
    fresh.get_by_text("Revert every change of this run, newest first").click()
    fresh.get_by_role("button", name="Undo").click()
    expect(fresh.get_by_text(f"Queued the undo of {rid}")).to_be_visible(timeout=30_000)
    # the undo queues on "changes" behind whatever the earlier flows left there (a budget plan's dry run)
    expect(review).to_have_text(re.compile(r"^bulk · undone", re.I), timeout=240_000)
    assert workflows.show(rid)["status"] == "undone"
    assert sandbox_budgets() == before
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
    axe_clean(page, "workflow-approved-undone")
