"""The workspace commands as a user runs them: exit codes, one-line errors, JSON output."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from adops.cli import main
from tests.cli_support import run


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
        (["demo", "--days", "-3"], "--days"),
        (["no-such-command"], "No such command"),
        (["jobs", "--limit", "-5"], "--limit"),
        (["jobs", "--limit", "0"], "--limit"),
        (["jobs", "--limit", "many"], "--limit"),
        (["plans", "list", "--limit", "0"], "--limit"),
        (["serve", "--port", "0"], "--port"),
        (["forecast", "--input", "x.csv", "--horizon", "0"], "--horizon"),
        (["forecast", "--input", "x.csv", "--horizon", "7", "--workers", "0"], "--workers"),
        (["optimize", "--input", "x.csv", "--budget", "1", "--bootstrap", "-1"], "--bootstrap"),
        (["ab", "--input", "no-such-file.csv"], "no such file"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(args, capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and message in err
    assert "Traceback" not in err


# probe §3a: each bad adops.toml, through every command that reads it: exit 2, one line naming the key
BAD_CONFIGS = [
    ('reporting_currency = "usd"', "reporting_currency"),
    ("lookback_days = 5", "lookback_days"),
    ('schedules = "hourly"', "schedules"),
    ("[notifications.slack]\nwebhook_url = 5", "notifications.slack.webhook_url"),
    ('accounts = "meta"', "accounts: expected a list"),
    ('[[schedules]]\nplatforms = "meta"', "schedules[0].platforms: expected a list"),
    ('[[schedules]]\ncron = "61 * * * *"', "schedules[0].cron"),
    ('[[accounts]]\nplatform = "meta"\nid = "act_1"\ntokn = "x"', "accounts[0].tokn"),
    ("sandbox_seed = 1.9", "sandbox_seed"),
    ("initial_history_days = true", "initial_history_days"),
    ("max_parallel_accounts = 100000", "max_parallel_accounts"),
    ('max_parallel_accounts = "four"', "max_parallel_accounts"),
    ("[lookback_days]\nmeta = -5", "lookback_days.meta"),
    ('notifications = "x"', "notifications"),
    ('[[accounts]]\nplatform = "google_ads"\nid = "\'; DROP TABLE accounts; -- <b>x</b>"', "accounts[0].id"),
    ("not toml at all", "adops.toml"),
    (b"\xff\xfe\x00binary", "not UTF-8"),
]


@pytest.mark.parametrize("command", [["config", "show"], ["sync", "--json", "--platform", "meta"], ["jobs"]])
@pytest.mark.parametrize(("text", "key"), BAD_CONFIGS, ids=[k for _, k in BAD_CONFIGS])
def test_bad_config_exits_2_naming_the_key(
    workspace: Path, capsys: pytest.CaptureFixture[str], command: list[str], text: str | bytes, key: str
) -> None:
    workspace.mkdir(parents=True)
    path = workspace / "adops.toml"
    path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)
    code, out, err = run(command, capsys)
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and key in err
    assert "Traceback" not in err and "<b>" not in err and out == ""


def test_config_show_masks_secrets(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.mkdir(parents=True)
    (workspace / "adops.toml").write_text(
        '[[accounts]]\nplatform = "tiktok"\nid = "7"\n[accounts.credentials]\n'
        'access_token = "env:TT_TOKEN"\nclient_secret = "plain-secret"\n'
    )
    monkeypatch.setenv("TT_TOKEN", "tok-123")
    monkeypatch.setenv("ADOPS_DATABASE_URL", "postgresql://ops:pw-in-url@db/adops?password=pw-in-query-4444")
    code, out, _ = run(["config", "show"], capsys)
    assert code == 0 and "tok-123" not in out and "plain-secret" not in out
    assert "pw-in-url" not in out and "pw-in-query-4444" not in out
    shown = json.loads(out)
    assert shown["accounts"][0]["credentials"] == {
        "access_token": "env:TT_TOKEN (set)",
        "client_secret": "***",
    }


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


def test_sync_busy_exits_1_with_one_line(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import adops.ingest

    def busy(*args: object, **kwargs: object) -> None:
        raise adops.ingest.SyncBusy("a sync is already running")

    monkeypatch.setattr(adops.ingest, "sync", busy)
    code, _, err = run(["sync", "--json"], capsys)
    assert code == 1 and err == "error: a sync is already running\n"  # a Conflict: try again later

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


@pytest.mark.parametrize(
    "module",
    ["adops.experiments.cli", "adops.forecast.cli", "adops.optimize.cli", "adops.optimize.plans_cli"],
)
def test_sub_commands_do_not_import_the_root(module: str) -> None:
    """No import circle: a sub-command module loads without `adops.cli` (the root mounts them)."""
    code = f"import sys\nimport {module}\nassert 'adops.cli' not in sys.modules, 'imports the root'"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    commands = [
        "demo",
        "sync",
        "query",
        "serve",
        "jobs",
        "config",
        "connectors",
        "ab",
        "optimize",
        "forecast",
        "plans",
    ]
    assert code == 0 and all(f"  {c} " in out for c in commands)


def test_jobs_limit_is_honoured(capsys: pytest.CaptureFixture[str]) -> None:
    from adops import jobs

    for platform in ("meta", "tiktok", "linkedin"):
        jobs.enqueue("sync", {"platforms": [platform]})
    code, out, _ = run(["jobs", "--limit", "2"], capsys)
    assert code == 0 and len(json.loads(out)) == 2
