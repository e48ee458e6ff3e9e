"""The workspace commands as a user runs them: exit codes, one-line errors, JSON output."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from adops.cli import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_query_formats(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql = "SELECT platform, count(*) AS n FROM campaign_daily GROUP BY 1 ORDER BY 1"
    code, out, _ = run(["query", sql, "--format", "json"], capsys)
    rows = json.loads(out)
    assert code == 0 and [r["platform"] for r in rows] == sorted(
        ["google_ads", "linkedin", "meta", "microsoft_ads", "pinterest", "tiktok"]
    )
    code, out, _ = run(["query", sql, "--format", "csv"], capsys)
    assert code == 0 and out.splitlines()[0] == "platform,n" and len(out.splitlines()) == 7
    code, out, _ = run(["query", sql], capsys)
    assert code == 0 and "google_ads" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "DELETE FROM campaign_daily"], "read-only"),
        (["query", "SELECT nope FROM campaign_daily"], "nope"),
        (["query", "SELEKT 1"], "parse"),
        (["sync", "--since", "2026-02-30"], "--since"),
        (["sync", "--since", "2026-11-10", "--until", "2026-11-01"], "after"),
        (["sync", "--platform", "myspace"], "--platform"),
        (["query", "SELECT 1", "--format", "xml"], "--format"),
        (["demo", "--days", "0"], "--days"),
        (["no-such-command"], "No such command"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(args, capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and message in err
    assert "Traceback" not in err


def test_bad_config_names_the_key(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workspace.mkdir(parents=True)
    (workspace / "adops.toml").write_text('reporting_currency = "usd"\n')
    code, _, err = run(["config", "show"], capsys)
    assert code == 2 and "reporting_currency" in err


def test_config_show_masks_secrets(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.mkdir(parents=True)
    (workspace / "adops.toml").write_text(
        '[[accounts]]\nplatform = "tiktok"\nid = "7"\n[accounts.credentials]\n'
        'access_token = "env:TT_TOKEN"\nclient_secret = "plain-secret"\n'
    )
    monkeypatch.setenv("TT_TOKEN", "tok-123")
    code, out, _ = run(["config", "show"], capsys)
    assert code == 0 and "tok-123" not in out and "plain-secret" not in out
    assert json.loads(out)["accounts"][0]["credentials"]["client_secret"] == "***"


def test_sync_json_and_query_in_a_fresh_process(workspace: Path) -> None:
    """The console script end to end: demo, sync --json, query; a second sync adds no rows."""
    env = {"ADOPS_HOME": str(workspace), "ADOPS_TODAY": "2026-11-24", "PATH": "/usr/bin:/bin"}
    adops = [sys.executable, "-m", "adops.cli"]
    subprocess.run([*adops, "demo", "--days", "40"], env=env, check=True, capture_output=True)
    count = [*adops, "query", "SELECT count(*) AS n FROM ad_daily", "--format", "json"]
    before = json.loads(subprocess.run(count, env=env, check=True, capture_output=True, text=True).stdout)
    done = subprocess.run(
        [*adops, "sync", "--platform", "meta", "--json"], env=env, check=True, capture_output=True, text=True
    )
    result = json.loads(done.stdout)
    assert result["status"] == "success" and {a["platform"] for a in result["accounts"]} == {"meta"}
    after = json.loads(subprocess.run(count, env=env, check=True, capture_output=True, text=True).stdout)
    assert before == after and before[0]["n"] > 0


def test_sync_busy_exits_2_with_one_line(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import adops.ingest

    def busy(*args: object, **kwargs: object) -> None:
        raise adops.ingest.SyncBusy("a sync is already running")

    monkeypatch.setattr(adops.ingest, "sync", busy)
    code, _, err = run(["sync", "--json"], capsys)
    assert code == 2 and err == "error: a sync is already running\n"

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(adops.ingest, "sync", broken)
    with pytest.raises(RuntimeError, match="a bug"):  # not a usage problem: the traceback stays
        main(["sync", "--json"])


HEAVY = ("scipy", "statsmodels", "prophet", "pandas")


@pytest.mark.parametrize(
    "start",
    [
        "import adops.cli",
        "import contextlib\nfrom adops.cli import main\nwith contextlib.suppress(SystemExit):\n    main(['--help'])",
    ],
    ids=["import", "help"],
)
def test_cli_starts_without_the_analytics_stack(start: str) -> None:
    """Importing the CLI and `adops --help` load none of scipy, statsmodels, Prophet or pandas (over a
    second): a command that needs them imports them when it runs."""
    loaded = f"import sys\nprint(sorted({{m.partition('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    done = subprocess.run(
        [sys.executable, "-c", f"{start}\n{loaded}"], check=True, capture_output=True, text=True
    )
    assert done.stdout.splitlines()[-1] == "[]"
