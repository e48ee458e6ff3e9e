"""`adops jobs`: JSON out, exit 2 and one line for bad input, 1 for a clash with the job's state."""

from __future__ import annotations

import json

import pytest

from adops import jobs
from adops.cli import main
from tests.jobs.support import run as run_job


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_list_show_cancel_resume_retry(capsys: pytest.CaptureFixture[str]) -> None:
    done = run_job(jobs.enqueue("experiments.decide", {}))
    queued = jobs.enqueue("sync", {"platforms": ["meta"]})
    code, out, _ = run(["jobs", "--limit", "5"], capsys)
    rows = json.loads(out)
    assert code == 0 and [r["id"] for r in rows] == [queued, done.id]
    assert rows[0]["status"] == "queued" and rows[0]["queue"] == "syncs" and rows[1]["status"] == "done"
    code, out, _ = run(["jobs", "list", "--status", "done"], capsys)
    assert code == 0 and [r["id"] for r in json.loads(out)] == [done.id]
    code, out, _ = run(["jobs", "show", queued], capsys)
    shown = json.loads(out)
    assert code == 0 and shown["waiting"].startswith("#1 in the syncs queue") and shown["steps"] == []
    code, out, _ = run(["jobs", "show", done.id], capsys)
    assert [s["name"] for s in json.loads(out)["steps"]] == ["start", "decide winners", "finish"]
    code, out, _ = run(["jobs", "cancel", queued], capsys)
    assert code == 0 and json.loads(out)["status"] == "cancelled"
    code, out, _ = run(["jobs", "resume", queued], capsys)
    assert code == 0 and json.loads(out)["status"] == "queued"
    code, out, _ = run(["jobs", "retry", done.id, "--step", "2"], capsys)
    retried = json.loads(out)
    assert code == 0 and retried["status"] == "queued" and retried["kind"] == "experiments.decide"
    code, out, _ = run(["jobs", "run-schedule", "sync-1"], capsys)
    assert code == 0 and json.loads(out)["kind"] == "sync"
    code, out, _ = run(["jobs", "schedules"], capsys)
    assert [s["name"] for s in json.loads(out)] == [
        "sync-1",
        "maintenance",
        "retention",
        "recommendation-outcomes",
        "workflow-expiry",
    ]
    code, out, _ = run(["jobs", "prune", "--days", "0"], capsys)
    assert code == 0 and json.loads(out) == {"deleted": 1}


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (["jobs", "--limit", "-5"], 2, "--limit"),
        (["jobs", "--limit", "10001"], 2, "--limit"),
        (["jobs", "--kind", "teleport"], 2, "unknown job kind"),
        (["jobs", "--status", "exploded"], 2, "unknown job status"),
        (["jobs", "cancel", "no such job"], 2, "not a job id"),
        (["jobs", "cancel", "x" * 5000], 2, "not a job id"),
        (["jobs", "cancel", "sync-20261207-101502.348-a3f9c1"], 2, "no job"),
        (["jobs", "retry", "sync-1", "--step", "0"], 2, "--step"),
        (["jobs", "run-schedule", "hourly"], 2, "no schedule named 'hourly'"),
        (["jobs", "prune", "--days", "-1"], 2, "--days"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], code: int, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    got, out, err = run(argv, capsys)
    assert got == code and out == "" and words in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_clash_with_the_jobs_state_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    done = run_job(jobs.enqueue("experiments.decide", {}))
    for argv in (["jobs", "cancel", done.id], ["jobs", "resume", done.id]):
        code, out, err = run(argv, capsys)
        assert (
            code == 1 and out == "" and err.startswith("error: job ") and len(err.strip().splitlines()) == 1
        )
