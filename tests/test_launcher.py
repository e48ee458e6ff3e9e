"""`make run` (adops.launcher): busy ports fail fast with one line, bad arguments exit 2, and stopping
the launcher stops every process its servers started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adops.launcher import PortBusy, check_ports, port_free, stop_groups
from tests.browser import free_port, wait_for


def launcher(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adops.launcher", *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def taken() -> Iterator[int]:
    """A port something already listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def test_a_busy_streamlit_port_fails_with_one_line_and_starts_nothing(workspace: Path, taken: int) -> None:
    run = launcher("--port", str(taken), "--sidecar-port", str(free_port()))
    assert run.returncode == 1
    assert run.stderr.splitlines() == [
        f"adops-run: port {taken} (Streamlit) is already in use on 127.0.0.1; "
        f"choose another with `make run PORT=<port>` (or --port <port>)"
    ]
    assert run.stdout == "" and not workspace.exists()  # no demo was built, no server started


def test_a_busy_sidecar_port_names_its_own_setting(workspace: Path, taken: int) -> None:
    run = launcher("--port", str(free_port()), "--sidecar-port", str(taken))
    assert run.returncode == 1
    assert len(run.stderr.splitlines()) == 1
    assert f"port {taken} (the sidecar)" in run.stderr and "SIDECAR_PORT=<port>" in run.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "0"], "0 is not a port number (1-65535)"),
        (["--port", "70000"], "70000 is not a port number"),
        (["--sidecar-port", "http"], "'http' is not a port number"),
        (["--port", "9" * 400], "is not a port number"),
        (["--port", "8600", "--sidecar-port", "8600"], "both 8600"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(workspace: Path, args: list[str], message: str) -> None:
    run = launcher(*args)
    assert run.returncode == 2
    assert len(run.stderr.splitlines()) == 1 and message in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_port_checks(taken: int) -> None:
    assert not port_free(taken)
    free = free_port()
    assert port_free(free)
    check_ports({"streamlit": free})
    with pytest.raises(PortBusy, match=f"port {taken} "):
        check_ports({"streamlit": free, "sidecar": taken})


SPAWNER = """
import signal, subprocess, sys, time
# a worker that ignores SIGTERM, like a busy pool process; the parent exits on SIGTERM
worker = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(300)"],
    stdout=sys.stdout)
time.sleep(300)
"""


def processes() -> dict[int, tuple[str, int, int]]:
    """pid -> (state, parent pid, session id) of every process, from /proc/<pid>/stat."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            found[int(entry.name)] = (fields[0], int(fields[1]), int(fields[3]))
    return found


def members(session: int) -> list[int]:
    """Live (not zombie) processes of a session."""
    return [pid for pid, (state, _, sid) in processes().items() if sid == session and state != "Z"]


def test_stopping_kills_the_whole_group_even_a_worker_ignoring_sigterm() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", SPAWNER], start_new_session=True, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "up"
    assert len(members(child.pid)) == 2
    stop_groups([child], grace=1.0)
    assert child.returncode is not None
    deadline = time.monotonic() + 10
    while members(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert members(child.pid) == []


@pytest.mark.slow
def test_sigterm_to_the_launcher_stops_both_servers_and_their_forecast_workers(
    workspace: Path, tmp_path: Path
) -> None:
    from adops import jobs
    from adops.forecast import ForecastScope
    from adops.ingest import build_demo

    build_demo(days=60, seed=7, campaigns_per_account=(3, 5))
    port, sidecar_port = free_port(), free_port()
    log = (tmp_path / "launcher.log").open("w")
    app = subprocess.Popen(
        [sys.executable, "-m", "adops.launcher", "--port", str(port), "--sidecar-port", str(sidecar_port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    sessions: list[int] = []
    try:
        wait_for(f"http://127.0.0.1:{sidecar_port}/health")
        wait_for(f"http://127.0.0.1:{port}/_stcore/health")
        sessions = [sid for _, parent, sid in processes().values() if parent == app.pid]
        assert len(sessions) == 2 and app.pid not in sessions  # each server in its own session
        jobs.enqueue("forecast.run", ForecastScope(level="campaign", horizon=30).to_params())
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and sum(len(members(s)) for s in sessions) <= 3:
            time.sleep(0.2)  # until the sidecar has started forecast worker processes
        running = sum(len(members(s)) for s in sessions)
        assert running > 3, "no forecast workers started"
        app.send_signal(signal.SIGTERM)
        assert app.wait(timeout=60) == 0
        assert [members(s) for s in sessions] == [[], []], f"{running} processes were running"
    finally:
        if app.poll() is None:
            app.kill()
        for s in sessions:
            for pid in members(s):
                os.kill(pid, signal.SIGKILL)
        log.close()


def test_the_sidecar_lets_the_apps_own_origin_read_events(monkeypatch: pytest.MonkeyPatch) -> None:
    from adops.launcher import server_env
    from adops.sidecar.stream import app_origins

    monkeypatch.delenv("ADOPS_APP_ORIGIN", raising=False)
    env = server_env(8600, "http://127.0.0.1:8766")
    assert env["ADOPS_SIDECAR_URL"] == "http://127.0.0.1:8766"
    monkeypatch.setenv("ADOPS_APP_ORIGIN", env["ADOPS_APP_ORIGIN"])
    assert app_origins() == ["http://127.0.0.1:8600", "http://localhost:8600"]
    monkeypatch.setenv("ADOPS_APP_ORIGIN", "https://adops.example.com")
    assert server_env(8600, "http://127.0.0.1:8766")["ADOPS_APP_ORIGIN"] == "https://adops.example.com"
