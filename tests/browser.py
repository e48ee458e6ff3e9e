"""What the browser tests share: Debian's chromium (never a downloaded one), free ports, waiting."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: headless on a machine with no network beyond loopback
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MARKS = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
    ),
]


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 60) -> None:
    """Poll `url` until it answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout}s")


@contextmanager
def command_center(log: Path) -> Iterator[tuple[int, int]]:
    """`make run` on free ports, both servers answering: yields (app port, sidecar port). Stopped with
    SIGTERM to its group afterwards, and the launcher must then exit 0."""
    app_port, sidecar_port = free_port(), free_port()
    command = [
        sys.executable,
        "-m",
        "adops.launcher",
        "--port",
        str(app_port),
        "--sidecar-port",
        str(sidecar_port),
    ]
    with log.open("w") as out:  # a file: an unread pipe would fill and block the servers
        launcher = subprocess.Popen(
            command, env=dict(os.environ), start_new_session=True, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            wait_for(f"http://127.0.0.1:{sidecar_port}/health")
            wait_for(f"http://127.0.0.1:{app_port}/_stcore/health")
            yield app_port, sidecar_port
        finally:
            os.killpg(launcher.pid, signal.SIGTERM)
            launcher.wait(timeout=30)
    assert launcher.returncode == 0, log.read_text()[-2000:]
