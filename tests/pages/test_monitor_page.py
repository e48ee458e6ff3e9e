"""The Live monitoring page run headless with AppTest: empty workspace, demo workspace, anomalies, feed."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from adops.analytics import anomaly_store
from adops.analytics.anomalies import Anomaly
from pages.components import event_feed

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "monitor.py")


def run_page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=90).run()


def feed_html(at: AppTest) -> str:
    """The feed component's HTML (AppTest keeps unknown elements' protos)."""
    for node in at.get("iframe"):
        return str(node.proto.srcdoc)
    raise AssertionError("no feed component on the page")


def test_empty_workspace_explains_what_to_do() -> None:
    at = run_page()
    assert not at.exception
    assert at.title[0].value == "Live monitoring"
    infos = " ".join(i.value for i in at.info)
    assert "warehouse is empty" in infos and "No active anomalies" in infos
    assert "EventSource" in feed_html(at)
    assert not at.error


def test_demo_workspace_shows_tiles_pacing_and_sync_health(demo: Path) -> None:
    at = run_page()
    assert not at.exception
    labels = ["Today", "Month to date", "Budget", "Projected"]
    assert [m.label for m in at.metric] == [f"{label} (USD)" for label in labels]
    assert all(m.value not in ("", "–") for m in at.metric)
    pacing = at.dataframe[0].value
    assert set(pacing["label"]) == {"Google Ads", "Meta", "Pinterest", "LinkedIn", "TikTok", "Microsoft Ads"}
    assert set(pacing["flag"]) <= {"Over budget", "Under budget", "On pace", "No budget"}
    health = at.dataframe[-1].value
    assert len(health) > 0 and set(health["state"]) <= {"ok", "late", "failing", "never synced"}
    assert any(b.label == "Download pacing (CSV)" for b in at.get("download_button"))


def test_the_level_switch_shows_campaigns(demo: Path) -> None:
    at = run_page()
    at.button_group(key="monitor-level").set_value("campaign").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert 6 < len(table) <= 60 and all(" · " in label for label in table["label"])


def test_active_anomalies_are_listed_most_severe_first(workspace: Path) -> None:
    def one(ds: str, severity: str, score: float) -> Anomaly:
        dims = {"level": "platform", "platform": "meta"}
        return Anomaly("meta", "spend", ds, 10.0, 100.0, score, "drop", "drop", severity, 90.0, dims)

    anomaly_store.record(
        [one("2026-11-20", "info", -4.5), one("2026-11-21", "critical", -30)], date(2026, 11, 18)
    )
    at = run_page()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["severity"]) == ["Critical", "Info"]
    assert list(table["expected"]) == [100.0, 100.0]
    # labels, not stored names: the metric, kind and series as people read them
    assert set(table["metric"]) == {"Spend"} and set(table["kind"]) == {"Drop"}
    assert set(table["series"]) == {"Meta"} and "platform" not in table.columns


def test_the_feed_reads_the_sidecar_with_a_token_and_escapes_its_settings(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADOPS_API_TOKEN", "s3cret-token-value-0123456789")
    monkeypatch.setenv("ADOPS_SIDECAR_URL", "http://127.0.0.1:9/</script><script>alert(1)</script>")
    at = run_page()
    html = feed_html(at)
    assert "http://127.0.0.1:9" in html and "token=" in html and "const since = " in html
    assert "s3cret-token-value" not in html  # a short-lived token, never the API token
    assert "<script>alert(1)" not in html and html.count("</script>") == 1
    for kind in ("sync.finished", "anomaly.detected", "job.failed", "webhook.received", "workflow.step"):
        assert kind in event_feed.LABELS


def _backlog(html: str) -> list[dict[str, object]]:
    """The events the page drew before its stream opens (the JSON literal in the feed's script)."""
    line = next(x for x in html.splitlines() if x.strip().startswith("const backlog = "))
    return json.loads(line.strip().removeprefix("const backlog = ").removesuffix(";"))


def test_the_feed_draws_the_latest_events_with_their_times_and_resumes_after_them(workspace: Path) -> None:
    from adops.store import events

    first = events.publish("job.done", {"job_id": "forecast.run-20261124-1", "kind": "forecast.run"})
    events.publish("job.progress", {"job_id": "x"})  # not a feed type: left out, but the stream skips it
    last = events.publish("sync.account", {"platform": "meta", "account_id": "act_1", "rows": 5})
    html = feed_html(run_page())
    drawn = _backlog(html)
    assert [e["id"] for e in drawn] == [first, last]  # oldest first, job.progress left out
    assert all(
        str(e["at"]).endswith("+00:00") for e in drawn
    )  # stored times, in UTC (the browser shows local)
    assert f"const since = {last};" in html  # the stream resumes after the newest event shown
    words = json.loads(next(x for x in html.splitlines() if "const words = " in x).split("= ", 1)[1][:-1])
    assert words["kinds"]["forecast.run"] == "Forecast" and words["metrics"]["roas"] == "ROAS"
    assert words["platforms"]["google_ads"] == "Google Ads"


def test_a_hostile_event_in_the_backlog_stays_text(workspace: Path) -> None:
    from adops.store import events

    hostile = "</script><script>alert(1)</script> __WORDS__ __SINCE__ <img src=x onerror=alert(2)>"
    events.publish("webhook.received", {"source": hostile, "title": "x" * 100_000})
    html = feed_html(run_page())
    assert html.count("</script>") == 1 and "<script>alert(1)" not in html and "<img" not in html
    [drawn] = _backlog(html)  # the placeholders inside it were not substituted: the literal still parses
    assert drawn["data"]["source"] == hostile  # type: ignore[index]
    assert html.count("const words = ") == 1
